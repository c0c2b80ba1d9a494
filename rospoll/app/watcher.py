"""Watcher: the long-running process behind ``rospoll watch``.

    watcher = Watcher(inventory, stop=stop_event)
    watcher.run()            # until stop_event is set

One follower thread per router (``rospoll_follow``) putting bursts on one job queue; a
bounded set of workers (:class:`~rospoll.app.concurrency.Workers`) turning jobs into
exports and stored changes (one export in flight per router); the scheduled full poll (the
``schedule`` library, per router ``rospoll_poll_interval``); the mail delivery thread; and
``.rospoll/status.json`` for ``rospoll status``. A crashed follower is started again; a
burst whose export failed keeps its events for the next try.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import schedule

from rospoll.app.change import Recorded
from rospoll.app.concurrency import KeyedLocks, Workers
from rospoll.app.follower import Burst, BurstStarted, Follower, FollowState
from rospoll.app.paths import known_hosts, state_dir
from rospoll.app.pipeline import Pipeline
from rospoll.app.poll import poll_device
from rospoll.app.recorder import LOGGING_SECTION
from rospoll.app.reports import notifier
from rospoll.app.sessions import Sessions
from rospoll.attribution.logging_rule import logs_changes_to_memory
from rospoll.attribution.logline import ChangeEvent
from rospoll.errors import RospollError
from rospoll.files import atomic_write, make_private_dir
from rospoll.inventory import Device, Inventory

log = logging.getLogger(__name__)

STATUS_EVERY_S = 2.0
NO_LOGGING_WARNING = (
    "no enabled /system logging rule sends topics=info to memory: changes are not logged "
    "live and are only found by the scheduled poll"
)
SUPERVISE_EVERY_S = 1.0


@dataclass(frozen=True)
class Poll:
    """Export a router: at start (``scheduled`` False) or on its poll interval."""

    device: Device
    scheduled: bool = True


Job = Burst | BurstStarted | Poll


class Watcher:
    """Follows, polls and reports every router of an inventory until ``stop`` is set."""

    def __init__(
        self,
        inventory: Inventory,
        *,
        stop: threading.Event,
        on_recorded: Callable[[Recorded], None] | None = None,
    ) -> None:
        self.inventory = inventory
        self.stop = stop
        self.on_recorded = on_recorded
        self.notifier = notifier(inventory)
        self.pipeline = Pipeline.for_inventory(inventory, self.notifier)
        self.sessions = Sessions(known_hosts(inventory), stop)
        self.jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self.workers: Workers[Job] | None = None  # started by run()
        self.followers: dict[str, Follower] = {}
        self.exporting = KeyedLocks()  # held while a router's export runs
        self._carry: dict[str, list[ChangeEvent]] = {d.name: [] for d in inventory.devices}
        self._last: dict[str, dict[str, Any]] = {d.name: {} for d in inventory.devices}
        self._scheduler = schedule.Scheduler()

    # work ----------------------------------------------------------------------
    def handle(self, job: Job) -> None:
        """One job of the queue, on a worker thread."""
        if isinstance(job, BurstStarted):
            if not self.exporting[job.device.name].locked():  # else it has its own session
                self.sessions.open_ahead(job.device)
        elif isinstance(job, Burst):
            self.export(job.device, job.events)
        else:
            self.export(job.device, skip_if_busy=job.scheduled)

    def export(
        self, device: Device, events: tuple[ChangeEvent, ...] = (), *, skip_if_busy: bool = False
    ) -> None:
        """Fetch, record and report one router; one at a time per router.

        ``skip_if_busy`` (scheduled polls) returns at once when an export of the router is
        running, instead of parking a worker behind it.
        """
        if self.stop.is_set():
            return
        lock = self.exporting[device.name]
        if not lock.acquire(blocking=not skip_if_busy):
            return  # a scheduled poll: the export running now sees the same config
        try:
            pending = (*self._carry[device.name], *events)
            self._carry[device.name] = []
            try:
                recorded = poll_device(
                    device,
                    known_hosts=self.sessions.known_hosts,
                    pipeline=self.pipeline,
                    events=pending,
                    opener=self.sessions.for_export,
                )
            except RospollError as exc:
                if not self.stop.is_set():
                    log.warning("%s", exc)
                    self._carry[device.name] = list(pending)
                    self._last[device.name].update(error=str(exc), error_at=time.time())
                return
            self._last[device.name].update(polled_at=time.time(), error="")
            if recorded.changes:
                self._last[device.name]["changed_at"] = time.time()
            touched = {s for c in recorded.changes for s in c.entry.sections}
            if "warning" not in self._last[device.name] or LOGGING_SECTION in touched:
                self._check_logging(device)
        finally:
            lock.release()
        if self.on_recorded is not None:
            self.on_recorded(recorded)

    def _check_logging(self, device: Device) -> None:
        """Warn once when the router stops logging changes where the follower reads them."""
        text = self.pipeline.recorder.backups.read(device.name)
        ok = text is None or logs_changes_to_memory(text.splitlines())
        warning = "" if ok else NO_LOGGING_WARNING
        if warning and self._last[device.name].get("warning") != warning:
            log.warning("%s: %s", device.name, warning)
        try:
            self.pipeline.warn(device, warning)
        except RospollError as exc:  # told again at the router's next export
            log.warning("%s: cannot journal or report the warning: %s", device.name, exc)
            return
        self._last[device.name]["warning"] = warning

    def poll_due(self, devices: list[Device]) -> None:
        """The scheduled full poll of ``devices``."""
        for device in devices:
            self.jobs.put(Poll(device))

    # lifecycle -----------------------------------------------------------------
    def _start_follower(self, device: Device) -> None:
        follower = Follower(
            device, open_session=self.sessions.follow, out=self.jobs, stop=self.stop
        )
        self.followers[device.name] = follower
        follower.start()

    def run(self) -> None:
        """Start everything, supervise until ``stop`` is set, then stop within ~5 s.

        The caller holds the data-folder lock, so files a killed run left are swept first.
        """
        self.notifier.remove_leftovers()
        delivery = self.notifier.start(self.stop)
        self.workers = Workers(
            self.jobs,
            self.handle,
            count=max(1, self.inventory.settings.poll_workers),
            name="export",
        )
        by_interval: dict[float, list[Device]] = {}
        for device in self.inventory.devices:
            by_interval.setdefault(device.settings.poll_interval_s, []).append(device)
            if device.settings.follow:
                self._start_follower(device)
            else:
                self.jobs.put(Poll(device, scheduled=False))
        for interval, devices in by_interval.items():
            self._scheduler.every(max(1, round(interval))).seconds.do(self.poll_due, devices)
        last_status = 0.0
        try:
            while not self.stop.is_set():
                self._scheduler.run_pending()
                self._supervise()
                if time.monotonic() - last_status >= STATUS_EVERY_S:
                    self.write_status()
                    last_status = time.monotonic()
                self.stop.wait(SUPERVISE_EVERY_S)
        finally:
            self.shutdown(delivery)

    def _supervise(self) -> None:
        self.sessions.close_stale()
        for name, follower in list(self.followers.items()):
            if not follower.thread.is_alive() and not self.stop.is_set():
                log.error("%s: follower thread ended; starting it again", name)
                self._start_follower(follower.device)
        if self.pipeline.recorder.recovery_due:  # mail that could not be queued earlier
            try:
                self.pipeline.finish_unfinished()
            except RospollError as exc:
                log.warning("finishing unfinished changes failed (retried): %s", exc)

    def shutdown(self, delivery: threading.Thread | None, timeout_s: float = 4.5) -> None:
        """Stop followers (each sends ``quit``), cut running exports, join every thread."""
        deadline = time.monotonic() + timeout_s
        self.stop.set()
        for follower in self.followers.values():
            follower.join(max(0.0, deadline - time.monotonic() - 1.0))
        self.sessions.close_all()
        if self.workers is not None:
            self.workers.stop(deadline)
        if delivery is not None:
            delivery.join(max(0.0, deadline - time.monotonic()))
        self.write_status()

    # status --------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """Each router: follower state and since when, last change, last error."""
        routers = []
        for device in self.inventory.devices:
            follower = self.followers.get(device.name)
            record: dict[str, Any] = {"router": device.name, **self._last[device.name]}
            if follower is not None:
                st = follower.status
                record.update(
                    state=st.state.value,
                    since=st.since,
                    follow_error=st.error,
                    logged_in=list(st.logged_in),
                    reboots=st.reboots,
                    last_logged_change=st.last_change,
                )
            else:
                record.update(state="polling only")
            routers.append(record)
        stopped = self.stop.is_set() and all(
            f.status.state is FollowState.STOPPED for f in self.followers.values()
        )
        return {"updated": time.time(), "running": not stopped, "routers": routers}

    def write_status(self) -> None:
        folder = state_dir(self.inventory)
        try:
            make_private_dir(folder)
            atomic_write(folder / "status.json", json.dumps(self.status(), indent=1))
        except RospollError as exc:
            log.warning("cannot write status: %s", exc)
