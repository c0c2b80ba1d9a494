"""Fetch what a poll needs from one router on one short-lived session."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rospoll.device.hostkeys import KnownHosts
from rospoll.device.session import RouterSession
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
    opener: Callable[[Device], RouterSession] | None = None,
) -> Fetched:
    """Open a session, read the export and ``/system history``, always ``quit``.

    ``opener`` returns an open session (the watcher's, so it can cut them on shutdown).

    Raises :class:`~rospoll.errors.DeviceError` subclasses when the session cannot be
    opened (connection, login, host key), and :class:`~rospoll.errors.ExportError` when
    it breaks or times out afterwards (worth one retry). The export is not validated here.
    """
    if opener is None:
        session = RouterSession(device, known_hosts=known_hosts)
        session.open()
    else:
        session = opener(device)
    try:
        export = session.export()
        history = session.history()
    except ExportError:
        raise
    except DeviceError as exc:
        raise ExportError(device.name, f"export failed: {exc.message}") from exc
    finally:
        session.close()
    return Fetched(export, history, session.identity, session.version)
