"""Debounce: a burst of change events ends after a quiet period, or at the latest after a cap.

    burst = Debouncer(quiet_s=2.0, max_s=30.0, now=t0)   # a new connection: catch up too
    first = burst.add(event, now)       # True for a burst's first event
    burst.take(now)                      # (events, catch_up) once due, else None

Pure: the caller passes the clock. A connection's first burst also *catches up* (changes
made while nobody followed): it is due ``quiet_s`` after the connection even without events.
"""

from __future__ import annotations

from typing import Generic, TypeVar

E = TypeVar("E")


class Debouncer(Generic[E]):
    """Collects events until ``quiet_s`` pass without one, or ``max_s`` after the first."""

    def __init__(self, *, quiet_s: float, max_s: float, now: float, catch_up: bool = True):
        self.quiet_s = quiet_s
        self.max_s = max_s
        self.catch_up = catch_up
        self.pending: list[E] = []
        self._first_at = self._last_at = now

    def add(self, event: E, now: float) -> bool:
        """Add one event; True when it starts a burst (nothing was pending)."""
        first = not self.pending
        if first and not self.catch_up:
            self._first_at = now
        self.pending.append(event)
        self._last_at = now
        return first

    def due_at(self) -> float | None:
        """When the burst ends if no other event comes; None when nothing is pending."""
        if not self.pending and not self.catch_up:
            return None
        return min(self._last_at + self.quiet_s, self._first_at + self.max_s)

    def take(self, now: float) -> tuple[tuple[E, ...], bool] | None:
        """The ended burst ``(events, catch_up)`` and a fresh start, or None when not due."""
        due = self.due_at()
        if due is None or now < due:
            return None
        burst = (tuple(self.pending), self.catch_up)
        self.pending, self.catch_up = [], False
        return burst
