"""``LabRouter``: one simulated RouterOS router with a thread-safe synchronous API.

Example::

    with LabRouter(name="r1", version="7.16", users={"admin": "pw"}) as router:
        port = router.start()
        router.apply("alice", "/ip address add address=10.0.0.1/24 interface=ether2")
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import TracebackType

import asyncssh

from rospoll.lab.commands import execute
from rospoll.lab.device import Actor, Device
from rospoll.lab.server import Knobs, LabListener, call, run_coro

REPAINTS = ("plain", "dup-echo", "ros649")
KeySource = asyncssh.SSHKey | str | Path | bytes


def _load_key(key: KeySource | None) -> asyncssh.SSHKey:
    if key is None:
        return asyncssh.generate_private_key("ssh-ed25519")
    if isinstance(key, asyncssh.SSHKey):
        return key
    if isinstance(key, Path) or (isinstance(key, str) and "PRIVATE KEY" not in key):
        return asyncssh.read_private_key(str(key))
    return asyncssh.import_private_key(key)


class LabRouter:
    """A RouterOS SSH simulator on 127.0.0.1 (or any host); see the module docstring."""

    def __init__(
        self,
        name: str = "MikroTik",
        version: str = "7.16",
        users: dict[str, str] | None = None,
        config_path: str | Path | None = None,
        repaint: str = "plain",
        log_format: str = "auto",
        host_key: KeySource | None = None,
    ) -> None:
        if repaint not in REPAINTS:
            raise ValueError(f"repaint must be one of {REPAINTS}, not {repaint!r}")
        self.name = name
        self.users = dict(users or {"admin": "admin"})
        self._device = Device(name, version, config_path, log_format)
        self._knobs = Knobs(repaint=repaint)
        self._listener = LabListener(self._device, self.users, self._knobs, _load_key(host_key))
        self._up = asyncio.Event()
        self.port = 0

    # --- lifecycle ------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0, ready_timeout_s: float = 5) -> int:
        """Listen for SSH; returns the bound port (also ``self.port``)."""
        self.port = int(run_coro(self._listener.listen(host, port), ready_timeout_s))
        call(self._up.set)
        return self.port

    def stop(self, timeout_s: float = 5) -> None:
        """Close the listener and drop every session."""
        run_coro(self._listener.close(), timeout_s)

    def __enter__(self) -> LabRouter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def reboot(self, down_s: float = 2.0) -> None:
        """Drop sessions, refuse connections for ``down_s``, clear the memory log, then
        come back and log ``router rebooted``. Returns once the router is down."""
        call(self._up.clear)
        run_coro(self._listener.reboot(down_s, self._up), 5)

    @property
    def is_up(self) -> bool:
        return call(self._up.is_set)

    def wait_until_up(self, timeout_s: float = 10) -> None:
        """Block until the router listens again after ``reboot`` (``TimeoutError``)."""
        run_coro(asyncio.wait_for(self._up.wait(), timeout_s), timeout_s + 1)

    # --- facts ----------------------------------------------------------------------------

    @property
    def identity(self) -> str:
        return call(lambda: self._device.identity)

    @property
    def version(self) -> str:
        return self._device.flavor.version

    @property
    def host_key_fingerprint(self) -> str:
        return str(self._listener.host_key.get_fingerprint("sha256"))

    def set_host_key(self, key: KeySource) -> None:
        """Serve a different host key to new connections."""
        loaded = _load_key(key)
        call(lambda: self._listener.set_host_key(loaded))

    # --- changes and views ----------------------------------------------------------------

    def apply(self, user: str, command: str, via: str = "ssh", address: str = "127.0.0.1") -> str:
        """Run ``command`` as ``user`` as if typed; returns what the CLI would print."""
        actor = Actor(user, via, address)

        def run() -> str:
            outcome = execute(self._device, command, actor)
            if outcome.export is not None:
                req = outcome.export
                return self._device.export_text(
                    path=req.path, terse=req.terse, show_sensitive=req.show_sensitive
                )
            return outcome.text

        return call(run)

    def winbox_change(self, user: str, command: str, address: str = "127.0.0.1") -> str:
        """Make a change as if from WinBox (no SSH session; v7 winbox actor in the log)."""
        return self.apply(user, command, via="winbox", address=address)

    def export_text(self, terse: bool = False, show_sensitive: bool = True) -> str:
        return call(lambda: self._device.export_text(terse=terse, show_sensitive=show_sensitive))

    def log_lines(self) -> list[str]:
        return call(self._device.log_lines)

    def history_lines(self, detail: bool = False) -> list[str]:
        history, flavor = self._device.history, self._device.flavor
        return call(lambda: history.detail_lines(flavor) if detail else history.print_lines(flavor))

    def item_count(self) -> int:
        """Number of ``add``/``set`` items in the model."""
        return call(self._device.config.item_count)

    # --- knobs ----------------------------------------------------------------------------

    def set_logging(self, enabled: bool) -> None:
        call(lambda: self._device.set_logging(enabled))

    def set_history(self, enabled: bool) -> None:
        def switch() -> None:
            self._device.history.is_enabled = enabled

        call(switch)

    def clear_history(self) -> None:
        call(self._device.history.clear)

    @property
    def export_delay_s(self) -> float:
        return self._knobs.export_delay_s

    @export_delay_s.setter
    def export_delay_s(self, value: float) -> None:
        self._knobs.export_delay_s = float(value)

    @property
    def repaint(self) -> str:
        return self._knobs.repaint

    def fail_next_export(self, mode: str) -> None:
        """``"truncate:<fraction>"``, ``"error"`` or ``"empty"`` for the next SSH ``/export``."""
        if mode not in ("error", "empty") and not mode.startswith("truncate"):
            raise ValueError(f"unknown export failure mode {mode!r}")
        self._knobs.fail_next_export = mode
