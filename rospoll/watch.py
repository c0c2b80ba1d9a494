"""Watcher: the long-running process behind ``rospoll watch``.

    watcher = Watcher(inventory, stop=stop_event)
    watcher.run()            # until stop_event is set

One follower thread per router (``rospoll_follow``), a bounded pool of workers that turn
bursts into exports and stored changes (one export in flight per router), the scheduled
full poll (the ``schedule`` library, per router ``rospoll_poll_interval``), the mail
delivery thread, and ``.rospoll/status.json`` for ``rospoll status``. A crashed follower
is started again; a burst whose export failed keeps its events for the next try.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import weakref
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, TypeVar

import schedule

from rospoll import app, reporting
from rospoll.attribution.logging_rule import logs_changes_to_memory
from rospoll.attribution.logline import ChangeEvent
from rospoll.device.follower import Burst, Follower, FollowState
from rospoll.device.output import Session
from rospoll.device.poller import ExportSession, export_session
from rospoll.device.session import RouterSession
from rospoll.errors import ConnectError, RospollError
from rospoll.files import make_private_dir
from rospoll.inventory import Device, Inventory
from rospoll.poll import poll_device
from rospoll.recorder import Recorded
from rospoll.store import JournalEntry, atomic_write, safe_name

log = logging.getLogger(__name__)
_S = TypeVar("_S", bound=Session)

STATUS_EVERY_S = 2.0
LOGGING_SECTION = "/system logging"
NO_LOGGING_WARNING = (
    "no enabled /system logging rule sends topics=info to memory: changes are not logged "
    "live and are only found by the scheduled poll"
)
SUPERVISE_EVERY_S = 1.0
WARM_SESSION_MAX_S = 30.0  # an export session opened ahead and not used by then is closed


class WorkerPool:
    """``workers`` daemon threads running queued jobs; :meth:`stop` is bounded in time."""

    def __init__(self, workers: int, name: str) -> None:
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}:{n}", daemon=True)
            for n in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, job: Callable[[], None]) -> None:
        self._jobs.put(job)

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                job()
            except Exception:  # a worker never dies silently
                log.exception("job failed")

    def stop(self, deadline: float) -> None:
        """Drop queued jobs, let running ones end, wait until ``deadline`` (monotonic)."""
        try:
            while True:
                self._jobs.get_nowait()
        except queue.Empty:
            pass
        for _ in self._threads:
            self._jobs.put(None)
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))


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
        self.known_hosts = app.known_hosts(inventory)
        self.notifier = reporting.notifier(inventory)
        self.recorder = app.recorder(inventory, self.notifier)
        self.pool = WorkerPool(max(1, inventory.settings.poll_workers), "export")
        self.followers: dict[str, Follower] = {}
        self._sessions: weakref.WeakSet[Session] = weakref.WeakSet()
        self._sessions_lock = threading.Lock()
        self._warm: dict[str, tuple[ExportSession, float]] = {}  # guarded by _sessions_lock
        self._device_locks = {d.name: threading.Lock() for d in inventory.devices}
        self._carry: dict[str, list[ChangeEvent]] = {d.name: [] for d in inventory.devices}
        self._last: dict[str, dict[str, Any]] = {d.name: {} for d in inventory.devices}
        self._scheduler = schedule.Scheduler()

    # sessions ------------------------------------------------------------------
    def open_session(self, device: Device) -> RouterSession:
        """A follower's interactive session, which :meth:`close_sessions` can cut."""
        return self._opened(RouterSession(device, known_hosts=self.known_hosts))

    def _open_export_session(self, device: Device) -> ExportSession:
        """An export's session, which :meth:`close_sessions` can cut."""
        return self._opened(export_session(device, self.known_hosts))

    def _opened(self, session: _S) -> _S:
        with self._sessions_lock:
            self._sessions.add(session)
        session.open()
        return session

    def close_sessions(self) -> None:
        with self._sessions_lock:
            sessions = list(self._sessions)
            self._warm.clear()
        for session in sessions:
            session.close()

    def warm_up(self, device: Device) -> None:
        """Called by followers on a burst's first event: open the export session now.

        Opening (login, identity, version) takes about as long as the export itself; done
        during the debounce's quiet period, the burst's export starts on an open session.
        """
        self.pool.submit(lambda: self._open_warm(device))

    def _open_warm(self, device: Device) -> None:
        with self._sessions_lock:
            if self.stop.is_set() or device.name in self._warm:
                return
        if self._device_locks[device.name].locked():
            return  # an export is running; it has its own session
        try:
            session = self._open_export_session(device)
        except RospollError as exc:
            log.debug("%s: opening the export session ahead failed: %s", device.name, exc)
            return
        with self._sessions_lock:
            keep = not self.stop.is_set() and device.name not in self._warm
            if keep:
                self._warm[device.name] = (session, time.monotonic())
        if not keep:
            session.close()

    def _session_for_export(self, device: Device) -> ExportSession:
        """The session opened ahead for this router when it is still fresh, else a new one.

        Raises :class:`ConnectError` once stopping, so an export cut by the shutdown is not
        tried again on a new session.
        """
        if self.stop.is_set():
            raise ConnectError(device.name, "rospoll is stopping")
        with self._sessions_lock:
            warm = self._warm.pop(device.name, None)
        if warm is not None:
            session, opened = warm
            if time.monotonic() - opened < WARM_SESSION_MAX_S and session.is_alive():
                return session
            session.close()
        return self._open_export_session(device)

    def _close_stale_warm(self) -> None:
        now = time.monotonic()
        with self._sessions_lock:
            stale = [
                name
                for name, (_, opened) in self._warm.items()
                if now - opened >= WARM_SESSION_MAX_S
            ]
            sessions = [self._warm.pop(name)[0] for name in stale]
        for session in sessions:
            session.close()

    # work ----------------------------------------------------------------------
    def queue_burst(self, burst: Burst) -> None:
        """Called by followers: export on a worker so the log keeps being read."""
        self.pool.submit(lambda: self.export(burst.device, burst.events))

    def export(
        self, device: Device, events: tuple[ChangeEvent, ...] = (), *, skip_if_busy: bool = False
    ) -> None:
        """Fetch, record and report one router; one at a time per router.

        ``skip_if_busy`` (scheduled polls) returns at once when an export of the router is
        running, instead of parking a worker behind it.
        """
        if self.stop.is_set():
            return
        lock = self._device_locks[device.name]
        if not lock.acquire(blocking=not skip_if_busy):
            return  # a scheduled poll: the export running now sees the same config
        try:
            pending = (*self._carry[device.name], *events)
            self._carry[device.name] = []
            try:
                recorded = poll_device(
                    device,
                    known_hosts=self.known_hosts,
                    recorder=self.recorder,
                    events=pending,
                    opener=self._session_for_export,
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
        text = self.recorder.backups.read(device.name)
        ok = text is None or logs_changes_to_memory(text.splitlines())
        warning = "" if ok else NO_LOGGING_WARNING
        if warning and self._last[device.name].get("warning") != warning:
            log.warning("%s: %s", device.name, warning)
        self._record_warning(device, warning)
        self._last[device.name]["warning"] = warning

    def _record_warning(self, device: Device, warning: str) -> None:
        """Journal and report a warning once; forget it when it clears, so a relapse warns."""
        marker = app.state_dir(self.inventory) / "warned" / safe_name(device.name)
        if not warning:
            marker.unlink(missing_ok=True)
            return
        if marker.exists() and marker.read_text(encoding="utf-8") == warning:
            return
        entry = JournalEntry(
            time=datetime.now(timezone.utc),
            router=device.name,
            user="rospoll",
            source="poll",
            via=None,
            address=None,
            command=None,
            sections=(LOGGING_SECTION,),
            added=0,
            removed=0,
            changed=0,
            moved=0,
            commit=None,
            warning=warning,
        )
        self.recorder.journal.append(entry)
        self.notifier.notify(reporting.warning_report(device, entry), now=entry.time)
        make_private_dir(marker.parent)
        atomic_write(marker, warning)

    def poll_due(self, devices: list[Device]) -> None:
        """The scheduled full poll of ``devices``."""
        for device in devices:
            self.pool.submit(
                lambda device=device: self.export(device, skip_if_busy=True)  # type: ignore[misc]
            )

    # lifecycle -----------------------------------------------------------------
    def _start_follower(self, device: Device) -> None:
        follower = Follower(
            device,
            open_session=self.open_session,
            on_burst=self.queue_burst,
            on_first_event=self.warm_up,
            stop=self.stop,
        )
        self.followers[device.name] = follower
        follower.start()

    def run(self) -> None:
        """Start everything, supervise until ``stop`` is set, then stop within ~5 s.

        The caller holds the data-folder lock, so files a killed run left are swept first.
        """
        self.notifier.remove_leftovers()
        delivery = self.notifier.start(self.stop)
        by_interval: dict[float, list[Device]] = {}
        for device in self.inventory.devices:
            by_interval.setdefault(device.settings.poll_interval_s, []).append(device)
            if device.settings.follow:
                self._start_follower(device)
            else:
                self.pool.submit(lambda device=device: self.export(device))  # type: ignore[misc]
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
        self._close_stale_warm()
        for name, follower in list(self.followers.items()):
            if not follower.thread.is_alive() and not self.stop.is_set():
                log.error("%s: follower thread ended; starting it again", name)
                self._start_follower(follower.device)

    def shutdown(self, delivery: threading.Thread | None, timeout_s: float = 4.5) -> None:
        """Stop followers (each sends ``quit``), cut running exports, join every thread."""
        deadline = time.monotonic() + timeout_s
        self.stop.set()
        for follower in self.followers.values():
            follower.join(max(0.0, deadline - time.monotonic() - 1.0))
        self.close_sessions()
        self.pool.stop(deadline)
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
        folder = app.state_dir(self.inventory)
        try:
            make_private_dir(folder)
            atomic_write(folder / "status.json", json.dumps(self.status(), indent=1))
        except RospollError as exc:
            log.warning("cannot write status: %s", exc)
