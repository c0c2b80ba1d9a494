"""RouterSession: one SSH session to one router, through netmiko. All netmiko calls live here.

    with RouterSession(device, known_hosts=KnownHosts(path)) as session:
        print(session.identity, session.version)
        text = session.export()          # show-sensitive on v7, plain on v6

netmiko and paramiko exceptions are translated here into :mod:`rospoll.errors` types that
name the router. Passwords never reach a log line.
"""

from __future__ import annotations

import codecs
import logging
from typing import Any

import paramiko
from netmiko.exceptions import (
    NetmikoAuthenticationException,
    NetmikoTimeoutException,
    ReadException,
    ReadTimeout,
)
from netmiko.mikrotik.mikrotik_ssh import MikrotikRouterOsSSH

from rospoll.device.hostkeys import KnownHosts, PinningClient
from rospoll.device.output import (
    Session,
    SessionInfo,
    clean_output,
    export_command,
    identity_of,
    parse_uptime,
    version_of,
)
from rospoll.errors import (
    AuthError,
    CommandTimeout,
    ConnectError,
    DeviceError,
)
from rospoll.inventory import Device

log = logging.getLogger(__name__)

_READ_BYTES = 65536
_TRANSPORT_WAKE_S = 1.0  # paramiko's transport thread checks for close this often (0.1 s)
_PROMPT_END = r"\[[^\]\r\n]*@[^\]\r\n]*\] >[ \t]*$"  # [user@identity] > , last on the wire


class _Driver(MikrotikRouterOsSSH):
    """netmiko's RouterOS driver with pinned host keys."""

    def __init__(self, *, rospoll_known: KnownHosts, rospoll_device: str, **kwargs: Any) -> None:
        self._rospoll_known = rospoll_known
        self._rospoll_device = rospoll_device
        super().__init__(**kwargs)

    def _build_ssh_client(self) -> paramiko.SSHClient:
        return PinningClient(self._rospoll_known, self._rospoll_device, self.host, self.port)


class RouterSession(Session):
    """An interactive SSH session to one router; open on construction's ``open()``."""

    def __init__(self, device: Device, *, known_hosts: KnownHosts) -> None:
        super().__init__(device, known_hosts=known_hosts)
        self._conn: Any = None
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    # lifecycle -----------------------------------------------------------------
    def open(self) -> SessionInfo:
        """Connect, log in and read identity and version."""
        dev = self.device
        params: dict[str, Any] = {
            "device_type": "mikrotik_routeros",
            "host": dev.host,
            "port": dev.port,
            "username": dev.user or "",
            "password": dev.password or "",
            "conn_timeout": dev.settings.connect_timeout_s,
            "auth_timeout": dev.settings.connect_timeout_s,
            "banner_timeout": dev.settings.connect_timeout_s,
            "keepalive": int(dev.settings.keepalive_s),
            "allow_agent": False,
        }
        if dev.private_key_file:
            params.update(use_keys=True, key_file=str(dev.private_key_file))
        try:
            self._conn = _Driver(rospoll_known=self.known_hosts, rospoll_device=dev.name, **params)
        except NetmikoAuthenticationException as exc:
            raise AuthError(dev.name, f"login refused for user {dev.user!r}") from exc
        except NetmikoTimeoutException as exc:
            raise ConnectError(dev.name, _reason(exc, dev.host, dev.port)) from exc
        except (OSError, EOFError, paramiko.SSHException, ValueError) as exc:
            raise ConnectError(dev.name, f"cannot connect to {dev.host}:{dev.port}: {exc}") from exc
        transport = self._conn.remote_conn.get_transport()
        if transport is not None and transport.sock is not None:
            transport.sock.settimeout(_TRANSPORT_WAKE_S)  # 500 idle sessions: 10x fewer wake-ups
        resource = self.run("/system resource print")
        version = version_of(resource)
        identity = self._identity_from_prompt()
        if identity is None:
            identity = identity_of(self.run("/system identity print"))
        if version is None:
            self.close()
            raise DeviceError(dev.name, "no version in /system resource print")
        self.info = SessionInfo(identity, version, parse_uptime(resource))
        return self.info

    def _identity_from_prompt(self) -> str | None:
        """``lab5`` from the prompt ``[admin@lab5]`` netmiko found at login, if it reads so."""
        prompt = str(getattr(self._conn, "base_prompt", "")).strip()
        head = f"[{self.device.user or ''}@"
        if prompt.startswith(head) and prompt.endswith("]"):
            return prompt[len(head) : -1]
        return None

    def close(self) -> None:
        """Send ``quit`` and close; never raises.

        A command running in another thread then fails with :class:`ConnectError` at its
        next read, instead of reading a closed channel until its timeout (netmiko keeps
        its own reference to the channel).
        """
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.disconnect()
            except Exception:  # closing must not hide the error that led here
                log.debug("%s: error while closing", self.device.name, exc_info=True)
            channel = getattr(conn, "channel", None)
            if channel is not None and hasattr(channel, "remote_conn"):
                channel.remote_conn = None  # its next read raises ReadException

    # commands ------------------------------------------------------------------

    def run(self, command: str, *, timeout_s: float = 30.0) -> str:
        """Run one command and return its cleaned output.

        Raises :class:`CommandTimeout` when the prompt does not come back in time, and
        :class:`ConnectError` when the session drops.
        """
        conn = self._require()
        try:
            # the prompt pattern is given, so netmiko does not probe for the prompt (with
            # Enters and sleeps) before every command; anchored at the end of the buffer
            out = conn.send_command(command, read_timeout=timeout_s, expect_string=_PROMPT_END)
        except ReadTimeout as exc:
            raise CommandTimeout(
                self.device.name, f"{command!r} did not finish within {timeout_s:g} s"
            ) from exc
        except (ReadException, OSError, EOFError, paramiko.SSHException) as exc:
            raise ConnectError(self.device.name, f"session lost during {command!r}: {exc}") from exc
        return clean_output(str(out))

    def export(self) -> str:
        """The full configuration: ``/export show-sensitive`` on v7, ``/export`` on v6.

        v6 shows secrets by default and rejects ``show-sensitive``; v7 hides them unless
        asked. The result still has to pass the config model's validation.
        """
        return self.run(
            export_command(self.version), timeout_s=self.device.settings.export_timeout_s
        )

    def start_follow(self, command: str) -> None:
        """Type a never-ending command (``/log print follow-only``); see :meth:`read_wait`."""
        self._write(command + "\r\n")

    def stop_follow(self) -> None:
        """Ctrl-C: end the running command and return to the prompt."""
        self._write("\x03")

    def read_wait(self, wait_s: float) -> str:
        """Wait up to ``wait_s`` for output and return it (raw: CRs and ANSI escapes kept).

        Blocks on the SSH channel instead of polling it, so an idle follower costs no
        CPU. Raises :class:`ConnectError` when the session has dropped.
        """
        channel = getattr(self._require(), "remote_conn", None)
        if channel is None:
            raise ConnectError(self.device.name, "session closed")
        try:
            channel.settimeout(wait_s)
            data = channel.recv(_READ_BYTES)
        except TimeoutError:  # nothing arrived within wait_s: a quiet router, not an error
            return ""
        except (OSError, EOFError, paramiko.SSHException) as exc:
            raise ConnectError(self.device.name, f"session lost: {exc}") from exc
        if not data:
            raise ConnectError(self.device.name, "session closed by the router")
        return str(self._decoder.decode(data))

    def is_alive(self) -> bool:
        """True while the SSH channel and transport are open (no bytes are sent)."""
        conn = self._conn
        channel = getattr(conn, "remote_conn", None) if conn is not None else None
        if channel is None:
            return False
        transport = channel.get_transport()
        return bool(
            not channel.closed
            and not channel.exit_status_ready()
            and transport is not None
            and transport.is_active()
        )

    def _require(self) -> Any:
        if self._conn is None:
            raise ConnectError(self.device.name, "session is not open")
        return self._conn

    def _write(self, text: str) -> None:
        try:
            self._require().write_channel(text)
        except (OSError, EOFError, paramiko.SSHException) as exc:
            raise ConnectError(self.device.name, f"session lost: {exc}") from exc

    def history(self) -> str:
        """``/system history print detail``: who did which undoable action."""
        return self.run("/system history print detail")


def _reason(exc: BaseException, host: str, port: int) -> str:
    """One line out of netmiko's multi-line connection errors."""
    text = str(exc)
    if "DNS failure" in text:
        return f"host name {host!r} not resolvable"
    if "TCP connection to device failed" in text:
        return f"cannot connect to {host}:{port} (refused, filtered or unreachable)"
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return f"cannot connect to {host}:{port}: {lines[-1] if lines else 'timeout'}"
