"""Fetch what a poll needs from one router on one short-lived session."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rospoll.device.exec_session import ExecSession
from rospoll.device.hostkeys import KnownHosts
from rospoll.errors import DeviceError, ExportError
from rospoll.inventory import Device


@dataclass(frozen=True)
class Fetched:
    """One router's export and history, as read in one session."""

    export: str
    history: str
    identity: str
    version: str


def fetch(
    device: Device,
    known_hosts: KnownHosts,
    *,
    opener: Callable[[Device], ExecSession] | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> Fetched:
    """Open a session, read the export and ``/system history``, always close it.

    ``opener`` returns an open session (the watcher's, so it can cut them on shutdown).
    ``meanwhile`` is called once the export is started, before its output is read (the
    router works, paramiko buffers); it must not raise.

    Raises :class:`~rospoll.errors.DeviceError` subclasses when the session cannot be
    opened (connection, login, host key), and :class:`~rospoll.errors.ExportError` when
    it breaks or times out afterwards (worth one retry). The export is not validated here.
    """
    if opener is None:
        session = ExecSession(device, known_hosts=known_hosts)
        session.open()
    else:
        session = opener(device)
    try:
        running = session.start_export()
        if meanwhile is not None:
            meanwhile()
        export = running.output()
        history = session.history()
    except ExportError:
        raise
    except DeviceError as exc:
        raise ExportError(device.name, f"export failed: {exc.message}") from exc
    finally:
        session.close()
    return Fetched(export, history, session.identity, session.version)
