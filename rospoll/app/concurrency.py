"""The app's concurrency: worker threads over a queue, per-router results, a reader/writer lock.

    workers = Workers(jobs, handle, count=8, name="export")   # threads take items from jobs
    jobs.put(item)
    workers.stop(deadline)                                    # bounded in time

``run_each`` runs one task per router on :class:`Workers` and returns one
:class:`Outcome` per router in inventory order: a failed router is a value, never a crash.
:class:`ReadWriteLock` lets many records store at once while crash recovery runs alone.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Generic, TypeVar

from rospoll.errors import DeviceError, RospollError
from rospoll.inventory import Device

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What a task gave for one device: ``value`` or ``error`` (a one-line reason)."""

    device: Device
    value: T | None = None
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None


def outcome_of(device: Device, task: Callable[[], T]) -> Outcome[T]:
    """``task()``'s value, or its error as a one-line reason (unexpected ones are logged)."""
    try:
        return Outcome(device, value=task())
    except DeviceError as exc:
        return Outcome(device, error=exc.message)
    except RospollError as exc:
        return Outcome(device, error=str(exc))
    except Exception as exc:
        log.exception("%s: unexpected error", device.name)
        return Outcome(device, error=f"unexpected error: {exc!r}")


class Workers(Generic[T]):
    """``count`` daemon threads handing each item of ``jobs`` to ``handle``; None stops one.

    ``handle`` must not raise; if it does, the traceback is logged and the worker goes on.
    """

    def __init__(
        self,
        jobs: queue.SimpleQueue[T | None],
        handle: Callable[[T], None],
        *,
        count: int,
        name: str,
    ) -> None:
        self.jobs = jobs
        self._handle = handle
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}:{n}", daemon=True)
            for n in range(max(1, count))
        ]
        for thread in self._threads:
            thread.start()

    def _work(self) -> None:
        while (item := self.jobs.get()) is not None:
            try:
                self._handle(item)
            except Exception:  # a worker never dies silently
                log.exception("job %r failed", item)

    def stop(self, deadline: float, *, drop_queued: bool = True) -> bool:
        """End the workers by ``deadline`` (monotonic); True when every thread has ended.

        ``drop_queued`` discards items not started yet (a shutdown); else they run first.
        """
        if drop_queued:
            try:
                while True:
                    self.jobs.get_nowait()
            except queue.Empty:
                pass
        for _ in self._threads:
            self.jobs.put(None)
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in self._threads)


def run_each(
    devices: Iterable[Device],
    task: Callable[[Device], T],
    *,
    workers: int,
    on_done: Callable[[Outcome[T]], None] | None = None,
) -> list[Outcome[T]]:
    """Run ``task`` for every device, at most ``workers`` at once; outcomes in device order.

    A :class:`RospollError` becomes the outcome's error text; any other exception too,
    logged with its traceback, so one broken router never stops the others.
    """
    todo = list(devices)
    if not todo:
        return []
    results: dict[int, Outcome[T]] = {}
    done = threading.Condition()

    def handle(job: tuple[int, Device]) -> None:
        index, device = job
        outcome = outcome_of(device, lambda: task(device))
        if on_done is not None:
            on_done(outcome)
        with done:
            results[index] = outcome
            done.notify_all()

    jobs: queue.SimpleQueue[tuple[int, Device] | None] = queue.SimpleQueue()
    for job in enumerate(todo):
        jobs.put(job)
    pool = Workers(jobs, handle, count=min(workers, len(todo)), name="rospoll")
    try:
        with done:
            done.wait_for(lambda: len(results) == len(todo))
    finally:
        pool.stop(time.monotonic() + 5.0, drop_queued=True)
    return [results[index] for index in range(len(todo))]


class KeyedLocks:
    """One lock per key (a router name), made on first use; safe to share between threads."""

    def __init__(self) -> None:
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def __getitem__(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())


class ReadWriteLock:
    """Many holders in shared mode or one in exclusive mode; a waiting exclusive goes first."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._shared = 0
        self._exclusive = False
        self._waiting = 0

    @contextmanager
    def shared(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._exclusive and not self._waiting)
            self._shared += 1
        try:
            yield
        finally:
            with self._cond:
                self._shared -= 1
                self._cond.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._cond:
            self._waiting += 1
            self._cond.wait_for(lambda: not self._exclusive and not self._shared)
            self._waiting -= 1
            self._exclusive = True
        try:
            yield
        finally:
            with self._cond:
                self._exclusive = False
                self._cond.notify_all()
