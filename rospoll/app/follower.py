"""Follower: one thread per router on ``/log print follow-only``, log lines → bursts.

    follower = Follower(device, open_session=..., out=jobs, stop=stop_event)
    follower.start()

The thread keeps one SSH session following the log. Config-change lines become
:class:`~rospoll.attribution.logline.ChangeEvent` s; after the first one it waits for a
quiet period (``debounce_s``, at most ``debounce_max_s`` after the first event,
:class:`~rospoll.app.debounce.Debouncer`) and puts the whole :class:`Burst` on ``out``
(the watcher's job queue: a worker exports on a second, short-lived session), so the log
keeps being read while the export runs. A burst's first event also puts a
:class:`BurstStarted`, so the export session can be opened during the quiet period.
On every (re)connect it puts a *catch-up* burst too, so changes made while it was not
following are found (and credited by history, else UNKNOWN). A lost session is reopened
with exponential backoff (1 s up to 60 s, with jitter).
"""

from __future__ import annotations

import enum
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

from rospoll.app.debounce import Debouncer
from rospoll.attribution.logline import ChangeEvent, LoginEvent, parse_log_line
from rospoll.attribution.stream import LineAssembler
from rospoll.device.session import RouterSession
from rospoll.errors import HostKeyChangedError, RospollError
from rospoll.inventory import Device

log = logging.getLogger(__name__)

FOLLOW_COMMAND = '/log print follow-only where topics~"system"'
IDLE_WAIT_S = 1.0  # an idle follower wakes once a second (to notice stop); data wakes it
MIN_WAIT_S = 0.01
REBOOT_SLACK_S = 3.0  # uptime is printed in whole seconds and read after the login
FLUSH_AFTER_S = 0.3


class FollowState(enum.Enum):
    """Where a follower is in its life."""

    CONNECTING = "connecting"  # opening the SSH session
    FOLLOWING = "following"  # reading the log
    BACKOFF = "reconnecting"  # waiting before the next connection attempt
    STOPPED = "stopped"  # the thread has ended


@dataclass(frozen=True)
class Burst:
    """Change events that ended in one quiet period (none for a connection's catch-up)."""

    device: Device
    events: tuple[ChangeEvent, ...]


@dataclass(frozen=True)
class BurstStarted:
    """A burst's first event was read: its export follows after the quiet period."""

    device: Device


class BurstSink(Protocol):
    """Where a follower puts what it found (a ``queue.SimpleQueue`` of the watcher's jobs)."""

    def put(self, item: Burst | BurstStarted, /) -> None: ...


@dataclass(frozen=True)
class FollowStatus:
    """A snapshot for ``rospoll status``; times are wall-clock seconds."""

    state: FollowState = FollowState.CONNECTING
    since: float = field(default_factory=time.time)
    error: str = ""
    last_change: float | None = None
    logged_in: tuple[str, ...] = ()
    reboots: int = 0
    last_reboot: float | None = None  # wall-clock boot time of the last reboot seen


def backoff_delays(first_s: float = 1.0, max_s: float = 60.0) -> Callable[[int], float]:
    """Delay before attempt ``n`` (from 1): doubling from ``first_s`` to ``max_s``, ±20 % jitter."""

    def delay(attempt: int) -> float:
        base = min(max_s, first_s * 2 ** max(0, attempt - 1))
        return float(base * random.uniform(0.8, 1.2))

    return delay


class Follower:
    """Follows one router's log in its own thread ``follow:<name>``."""

    def __init__(
        self,
        device: Device,
        *,
        open_session: Callable[[Device], RouterSession],
        out: BurstSink,
        stop: threading.Event,
        backoff: Callable[[int], float] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.device = device
        self._open_session = open_session
        self._out = out
        self._stop = stop
        self._backoff = backoff or backoff_delays()
        self._monotonic = monotonic
        self._status = FollowStatus()
        self._status_lock = threading.Lock()
        self._booted: float | None = None  # wall-clock boot time seen at the last connection
        self._followed = False  # the current connection reached FOLLOWING
        self.following = threading.Event()  # set while FOLLOWING; tests wait on it
        self.thread = threading.Thread(target=self._run, name=f"follow:{device.name}", daemon=True)

    # public --------------------------------------------------------------------
    def start(self) -> None:
        self.thread.start()

    def join(self, timeout_s: float) -> bool:
        """Wait for the thread to end; True when it has."""
        self.thread.join(timeout_s)
        return not self.thread.is_alive()

    @property
    def status(self) -> FollowStatus:
        with self._status_lock:
            return self._status

    # internals -----------------------------------------------------------------
    def _set(self, **changes: object) -> None:
        with self._status_lock:
            if "state" in changes and changes["state"] != self._status.state:
                changes.setdefault("since", time.time())
            self._status = replace(self._status, **changes)  # type: ignore[arg-type]
        if self._status.state is FollowState.FOLLOWING:
            self.following.set()
        else:
            self.following.clear()

    def _run(self) -> None:
        attempt = 0
        try:
            while not self._stop.is_set():
                self._set(state=FollowState.CONNECTING)
                self._followed = False
                try:
                    self._follow_once()
                except HostKeyChangedError as exc:
                    log.error("%s", exc)
                    self._set(error=str(exc))
                    attempt = max(attempt, 6)  # an operator must act: retry slowly
                except RospollError as exc:
                    log.warning("%s", exc)
                    self._set(error=str(exc))
                except Exception as exc:  # a thread never dies silently
                    log.exception("%s: follower failed", self.device.name)
                    self._set(error=f"unexpected error: {exc!r}")
                if self._stop.is_set():
                    break
                # a session that got as far as following ends the series of failures: the
                # next drop (a reboot next week) starts again at the first, short delay
                attempt = 1 if self._followed else attempt + 1
                self._set(state=FollowState.BACKOFF)
                self._stop.wait(self._backoff(attempt))
        finally:
            self._set(state=FollowState.STOPPED)

    def _follow_once(self) -> None:
        session = self._open_session(self.device)
        self._note_boot(session)
        try:
            session.start_follow(FOLLOW_COMMAND)
            self._set(state=FollowState.FOLLOWING, error="")
            self._followed = True
            self._read_loop(session)
        finally:
            if self._stop.is_set():
                try:
                    session.stop_follow()
                except RospollError as exc:  # closing the session below ends the follow too
                    log.debug("%s: stopping the follow failed: %s", self.device.name, exc)
            session.close()

    def _read_loop(self, session: RouterSession) -> None:
        settings = self.device.settings
        assembler = LineAssembler(command=FOLLOW_COMMAND)
        burst: Debouncer[ChangeEvent] = Debouncer(
            quiet_s=settings.debounce_s, max_s=settings.debounce_max_s, now=self._monotonic()
        )
        last_data = self._monotonic()
        while not self._stop.is_set():
            now = self._monotonic()
            wait_s = IDLE_WAIT_S
            due = burst.due_at()
            if due is not None:
                wait_s = min(wait_s, due - now)
            if assembler.has_pending:
                wait_s = min(wait_s, last_data + FLUSH_AFTER_S - now)
            chunk = session.read_wait(max(MIN_WAIT_S, wait_s))
            now = self._monotonic()
            lines: list[str] = []
            if chunk:
                last_data = now
                lines = assembler.feed(chunk)
            elif now - last_data >= FLUSH_AFTER_S:
                lines = assembler.flush()
            for line in lines:
                event = self._note(line)
                if event is not None and burst.add(event, now):
                    self._out.put(BurstStarted(self.device))
            ended = burst.take(now)
            if ended is not None:
                self._out.put(Burst(self.device, ended[0]))

    def _note_boot(self, session: RouterSession) -> None:
        """A later boot time than at the last connection means the router rebooted."""
        uptime_s = session.info.uptime_s if session.info else None
        if uptime_s is None:
            return
        booted = time.time() - uptime_s
        if self._booted is not None and booted - self._booted > REBOOT_SLACK_S:
            log.warning("%s: rebooted (up %.0f s)", self.device.name, uptime_s)
            self._set(reboots=self.status.reboots + 1, last_reboot=booted)
        self._booted = booted

    def _note(self, line: str) -> ChangeEvent | None:
        """Record logins and logouts; return a change event made by a user, else None.

        Reboots are told by the uptime at each connection (:meth:`_note_boot`): the
        ``router rebooted`` line is logged before SSH is back, so a follower never reads it.
        """
        event = parse_log_line(line)
        status = self.status
        if isinstance(event, LoginEvent) and not event.failed:
            users = set(status.logged_in)
            (users.add if event.logged_in else users.discard)(event.user)
            self._set(logged_in=tuple(sorted(users)))
        elif isinstance(event, ChangeEvent) and event.user:
            self._set(last_change=time.time())
            return event
        return None
