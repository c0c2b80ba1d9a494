"""ExecSession: one SSH connection to one router, one exec channel per command.

The poll's transport (Oxidized reads RouterOS the same way): a command sent as an SSH
``exec`` request gets its output and nothing else: no banner, no echo, no prompt, no
repaint, no log line the router pushes to open terminals. There is no shell to set up, so
a poll spends its time in the export, not in logging in.

    session = ExecSession(device, known_hosts=KnownHosts(path))
    info = session.open()           # identity, version, uptime
    text = session.export()         # show-sensitive on v7, plain on v6
    session.close()
"""

from __future__ import annotations

import codecs
import logging
import secrets
import socket
import time

import paramiko

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
from rospoll.errors import AuthError, CommandTimeout, ConnectError, DeviceError
from rospoll.inventory import Device

log = logging.getLogger(__name__)

_READ_BYTES = 65536
HISTORY_COMMAND = "/system history print detail"
_DROP_SETTLE_S = 0.5  # how long a channel closed without EOF waits to tell a dropped transport


class ExecSession(Session):
    """Runs RouterOS commands on exec channels of one SSH connection; see the module doc."""

    def __init__(self, device: Device, *, known_hosts: KnownHosts) -> None:
        super().__init__(device, known_hosts=known_hosts)
        self._client: paramiko.SSHClient | None = None

    def open(self) -> SessionInfo:
        """Connect, log in, read version, uptime and identity.

        Raises :class:`AuthError`, :class:`ConnectError` (and its host-key subclass) or
        :class:`DeviceError` naming the router; nothing is left open on failure.
        """
        dev = self.device
        client = PinningClient(self.known_hosts, dev.name, dev.host, dev.port)
        timeout = dev.settings.connect_timeout_s
        try:
            client.connect(
                dev.host,
                dev.port,
                username=dev.user or "",
                password=dev.password or "",
                key_filename=str(dev.private_key_file) if dev.private_key_file else None,
                look_for_keys=False,
                allow_agent=False,
                timeout=timeout,
                auth_timeout=timeout,
                banner_timeout=timeout,
            )
        except (OSError, EOFError, paramiko.SSHException, ValueError) as exc:
            client.close()
            raise _login_error(dev, exc) from exc
        transport = client.get_transport()
        if transport is not None and dev.settings.keepalive_s > 0:
            transport.set_keepalive(int(dev.settings.keepalive_s))
        self._client = client
        try:
            # one exec for both (RouterOS runs ';'-separated commands in turn); identity
            # first, so that its "name:" is the first one
            facts = self.run("/system identity print; /system resource print")
            version = version_of(facts)
            if version is None:
                raise DeviceError(dev.name, "no version in /system resource print")
            identity = identity_of(facts)
        except DeviceError:
            self.close()
            raise
        self.info = SessionInfo(identity, version, parse_uptime(facts))
        return self.info

    def run(self, command: str, *, timeout_s: float = 30.0) -> str:
        """Run one command on a new exec channel; its cleaned output (see :class:`Running`)."""
        return self.start(command, timeout_s=timeout_s).output()

    def start(self, command: str, *, timeout_s: float = 30.0) -> Running:
        """Send ``command`` on a new exec channel; read it later with ``output()``.

        The router runs it meanwhile, and paramiko buffers what it sends.
        """
        transport = self._client.get_transport() if self._client is not None else None
        if transport is None or not transport.is_active():
            raise ConnectError(self.device.name, "session is not open")
        try:
            channel = transport.open_session(timeout=timeout_s)
            try:
                channel.exec_command(command)
            except BaseException:
                channel.close()
                raise
        except (OSError, EOFError, paramiko.SSHException) as exc:
            raise ConnectError(
                self.device.name, f"session lost during {_named(command)}: {exc}"
            ) from exc
        return Running(self, command, channel, timeout_s)

    def export(self) -> str:
        """The full configuration (see :func:`~rospoll.device.output.export_command`)."""
        return self.start_export().output()

    def start_export(self, *, then_history: bool = False) -> Running:
        """:meth:`export`, started; ``then_history`` also reads ``/system history print
        detail`` after it, in the same exec (see :meth:`Running.export_and_history`)."""
        command = export_command(self.version)
        marker = None
        if then_history:
            marker = f"#rospoll-history-{secrets.token_hex(8)}"
            command += f'; :put "{marker}"; {HISTORY_COMMAND}'
        running = self.start(command, timeout_s=self.device.settings.export_timeout_s)
        running.marker = marker
        return running

    def is_alive(self) -> bool:
        """True while the SSH connection is up (no bytes are sent)."""
        transport = self._client.get_transport() if self._client is not None else None
        return bool(transport is not None and transport.is_active())

    def close(self) -> None:
        """Close the connection; never raises. A command running in another thread then
        fails with :class:`ConnectError` (a watcher shutting down cuts exports this way)."""
        client, self._client = self._client, None
        if client is not None:
            try:
                client.close()
            except Exception:  # closing must not hide the error that led here
                log.debug("%s: error while closing", self.device.name, exc_info=True)


class Running:
    """A command sent on its own exec channel, until its output is read."""

    def __init__(
        self,
        session: ExecSession,
        command: str,
        channel: paramiko.Channel,
        timeout_s: float,
    ) -> None:
        self._session = session
        self._command = command
        self._channel = channel
        self._timeout_s = timeout_s
        self.marker: str | None = None  # the line between export and history, if both

    def export_and_history(self) -> tuple[str, str]:
        """:meth:`output` split at the marker line: ``(export, history)``.

        Without the marker (RouterOS stops a command line at an error, as when the export
        fails) everything is the export, for the validator to judge, and history is ''.
        """
        lines = self.output().split("\n")
        if self.marker is None or self.marker not in lines:
            return "\n".join(lines), ""
        at = lines.index(self.marker)
        return "".join(line + "\n" for line in lines[:at]), "\n".join(lines[at + 1 :])

    def output(self) -> str:
        """Read to the end; the cleaned output.

        Raises :class:`CommandTimeout` when the output has not ended ``timeout_s`` after
        this call (the caller decides what it does first), and :class:`ConnectError` when
        the connection drops or the session is closed meanwhile (what was read so far is
        never returned as if it were all).
        """
        name, command, channel = self._session.device.name, _named(self._command), self._channel
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        parts: list[str] = []
        deadline = time.monotonic() + self._timeout_s
        try:
            try:
                while True:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise TimeoutError
                    channel.settimeout(left)
                    data = channel.recv(_READ_BYTES)
                    if not data:
                        break
                    parts.append(decoder.decode(data))
                ended = _ended_cleanly(channel, channel.get_transport())
            finally:
                channel.close()
        except TimeoutError as exc:
            raise CommandTimeout(
                name, f"{command} did not finish within {self._timeout_s:g} s"
            ) from exc
        except (OSError, EOFError, paramiko.SSHException) as exc:
            raise ConnectError(name, f"session lost during {command}: {exc}") from exc
        if not ended or not self._session.is_alive():
            raise ConnectError(name, f"session lost during {command}")
        parts.append(decoder.decode(b"", final=True))
        return clean_output("".join(parts))


def _login_error(dev: Device, exc: BaseException) -> DeviceError:
    """The one-line reason a connection or login failed, naming the router."""
    where = f"{dev.host}:{dev.port}"
    if isinstance(exc, paramiko.AuthenticationException):
        return AuthError(dev.name, f"login refused for user {dev.user!r}")
    if isinstance(exc, socket.gaierror):
        return ConnectError(dev.name, f"host name {dev.host!r} not resolvable")
    if isinstance(exc, TimeoutError):
        return ConnectError(dev.name, f"cannot connect to {where}: timed out")
    if isinstance(exc, ConnectionRefusedError):
        return ConnectError(
            dev.name, f"cannot connect to {where} (refused, filtered or unreachable)"
        )
    return ConnectError(dev.name, f"cannot connect to {where}: {exc}")


def _named(command: str) -> str:
    """How errors name a command line: its first command, quoted (``'/export'``)."""
    return repr(command.split(";", 1)[0].strip())


def _ended_cleanly(channel: paramiko.Channel, transport: paramiko.Transport) -> bool:
    """True when the command's output ended (EOF or exit status), False when the connection
    dropped under it: paramiko then closes the channel without either, and the transport
    thread ends a moment later."""
    if channel.eof_received or (channel.exit_status_ready() and channel.exit_status != -1):
        return True
    transport.join(_DROP_SETTLE_S)
    return bool(transport.is_active())
