"""The watcher's SSH sessions: follow sessions, export sessions opened ahead, and a cut-all.

Opening an export session (login, identity, version) takes about as long as the export
itself; opened during a burst's quiet period (:meth:`Sessions.open_ahead`), the export
starts on an open session. One opened ahead and not used within ``WARM_SESSION_MAX_S`` is
closed. :meth:`Sessions.close_all` cuts every open session at shutdown.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from typing import TypeVar

from rospoll.device.hostkeys import KnownHosts
from rospoll.device.output import Session
from rospoll.device.poller import ExportSession, export_session
from rospoll.device.session import RouterSession
from rospoll.errors import ConnectError, RospollError
from rospoll.inventory import Device

log = logging.getLogger(__name__)
_S = TypeVar("_S", bound=Session)

WARM_SESSION_MAX_S = 30.0  # an export session opened ahead and not used by then is closed


class Sessions:
    """Every session the watcher opened, so that a shutdown can cut them all."""

    def __init__(self, known_hosts: KnownHosts, stop: threading.Event) -> None:
        self.known_hosts = known_hosts
        self._stop = stop
        self._open: weakref.WeakSet[Session] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._warm: dict[str, tuple[ExportSession, float]] = {}  # guarded by _lock

    def follow(self, device: Device) -> RouterSession:
        """A follower's interactive session."""
        return self._opened(RouterSession(device, known_hosts=self.known_hosts))

    def _opened(self, session: _S) -> _S:
        with self._lock:
            self._open.add(session)
        session.open()
        return session

    def open_ahead(self, device: Device) -> None:
        """Open the export session of ``device`` now, for its coming export."""
        with self._lock:
            if self._stop.is_set() or device.name in self._warm:
                return
        try:
            session = self._opened(export_session(device, self.known_hosts))
        except RospollError as exc:  # the export opens its own session and says why
            log.debug("%s: opening the export session ahead failed: %s", device.name, exc)
            return
        with self._lock:
            keep = not self._stop.is_set() and device.name not in self._warm
            if keep:
                self._warm[device.name] = (session, time.monotonic())
        if not keep:
            session.close()

    def for_export(self, device: Device) -> ExportSession:
        """The session opened ahead for this router when it is still fresh, else a new one.

        Raises :class:`ConnectError` once stopping, so an export cut by the shutdown is not
        tried again on a new session.
        """
        if self._stop.is_set():
            raise ConnectError(device.name, "rospoll is stopping")
        with self._lock:
            warm = self._warm.pop(device.name, None)
        if warm is not None:
            session, opened = warm
            if time.monotonic() - opened < WARM_SESSION_MAX_S and session.is_alive():
                return session
            session.close()
        return self._opened(export_session(device, self.known_hosts))

    def close_stale(self) -> None:
        """Close the sessions opened ahead that were not used in time."""
        now = time.monotonic()
        with self._lock:
            stale = [n for n, (_, at) in self._warm.items() if now - at >= WARM_SESSION_MAX_S]
            sessions = [self._warm.pop(name)[0] for name in stale]
        for session in sessions:
            session.close()

    def close_all(self) -> None:
        with self._lock:
            sessions = list(self._open)
            self._warm.clear()
        for session in sessions:
            session.close()
