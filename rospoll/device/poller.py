"""Fetch what a poll needs from one router on one short-lived session."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

from rospoll.device.exec_session import ExecSession
from rospoll.device.hostkeys import KnownHosts
from rospoll.errors import DeviceError, ExportError
from rospoll.inventory import Device

if TYPE_CHECKING:
    from rospoll.device.session import RouterSession

ExportSession = Union[ExecSession, "RouterSession"]


@dataclass(frozen=True)
class Fetched:
    """One router's export and history, as read in one session."""

    export: str
    history: str
    identity: str
    version: str


def export_session(device: Device, known_hosts: KnownHosts) -> ExportSession:
    """A session (not yet open) on the router's ``rospoll_export_transport``.

    ``exec`` (the default) runs each command on an SSH exec channel, as Oxidized does;
    ``shell`` types them into netmiko's interactive session, for a router whose exec
    channel misbehaves.
    """
    if device.settings.export_transport == "shell":
        from rospoll.device.session import RouterSession  # netmiko: only when asked for

        return RouterSession(device, known_hosts=known_hosts)
    return ExecSession(device, known_hosts=known_hosts)


def fetch(
    device: Device,
    known_hosts: KnownHosts,
    *,
    session: ExportSession | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> Fetched:
    """Read the export and ``/system history`` on ``session`` (an open one), or on a new
    session; always close it.
    ``meanwhile`` is called once the export is started, before its output is read (the
    router works, paramiko buffers); it must not raise.

    Raises :class:`~rospoll.errors.DeviceError` subclasses when the session cannot be
    opened (connection, login, host key), and :class:`~rospoll.errors.ExportError` when
    it breaks or times out afterwards (worth one retry). The export is not validated here.
    """
    if session is None:
        session = export_session(device, known_hosts)
        session.open()
    try:
        if isinstance(session, ExecSession):
            running = session.start_export(then_history=True)
            if meanwhile is not None:
                meanwhile()
            export, history = running.export_and_history()
        else:
            if meanwhile is not None:
                meanwhile()
            export, history = session.export(), session.history()
    except ExportError:
        raise
    except DeviceError as exc:
        raise ExportError(device.name, f"export failed: {exc.message}") from exc
    finally:
        session.close()
    return Fetched(export, history, session.identity, session.version)
