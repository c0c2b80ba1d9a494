"""SSH host-key pinning: trust on first use, refuse a changed key.

The pins live in one OpenSSH-format ``known_hosts`` file in the data folder, keyed as
OpenSSH does (``host`` on port 22, else ``[host]:port``), so ``ssh-keygen -F`` reads it.
The first connection to a router pins its key; a different key later raises
:class:`~rospoll.errors.HostKeyChangedError` naming the router and both fingerprints,
before any password is sent. ``rospoll hostkey accept ROUTER`` forgets the old pin.
"""

from __future__ import annotations

import base64
import socket
import threading
from pathlib import Path
from typing import Any

import paramiko

from rospoll.errors import HostKeyChangedError
from rospoll.files import atomic_write, make_private_dir


def host_id(host: str, port: int) -> str:
    """The name OpenSSH files a host key under."""
    return host if port == 22 else f"[{host}]:{port}"


def fingerprint(key: paramiko.PKey) -> str:
    """``SHA256:…``, as ``ssh-keygen -l`` prints it."""
    return str(key.fingerprint)


def _same_key(a: paramiko.PKey, b: paramiko.PKey) -> bool:
    return bool(a.get_name() == b.get_name() and a.asbytes() == b.asbytes())


class KnownHosts:
    """A thread-safe known_hosts file; every change is written atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._cache: tuple[tuple[int, int, int], dict[str, tuple[str, str]]] | None = None

    def _read(self) -> dict[str, tuple[str, str]]:
        """The pins, parsed again only when the file changed (500 routers, 500 connects)."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return {}
        signature = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        if self._cache is not None and self._cache[0] == signature:
            return dict(self._cache[1])
        pins: dict[str, tuple[str, str]] = {}
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return pins
        for line in text.splitlines():
            parts = line.split()
            if len(parts) >= 3 and not line.startswith("#"):
                pins[parts[0]] = (parts[1], parts[2])
        self._cache = (signature, pins)
        return dict(pins)

    def _write(self, pins: dict[str, tuple[str, str]]) -> None:
        text = "".join(f"{name} {kind} {blob}\n" for name, (kind, blob) in sorted(pins.items()))
        make_private_dir(self.path.parent)
        atomic_write(self.path, text)

    def get(self, name: str) -> paramiko.PKey | None:
        """The pinned key for ``name`` (see :func:`host_id`), if any."""
        with self._lock:
            entry = self._read().get(name)
        if entry is None:
            return None
        kind, blob = entry
        return paramiko.PKey.from_type_string(kind, base64.b64decode(blob))

    def pin(self, name: str, key: paramiko.PKey) -> paramiko.PKey:
        """Pin ``key`` for ``name`` unless a key is pinned already; returns the pinned key."""
        with self._lock:
            pins = self._read()
            if name not in pins:
                pins[name] = (key.get_name(), key.get_base64())
                self._write(pins)
            kind, blob = pins[name]
        return paramiko.PKey.from_type_string(kind, base64.b64decode(blob))

    def forget(self, name: str) -> bool:
        """Drop the pin for ``name``; True when there was one."""
        with self._lock:
            pins = self._read()
            if pins.pop(name, None) is None:
                return False
            self._write(pins)
            return True


class PinningPolicy(paramiko.MissingHostKeyPolicy):  # type: ignore[misc]
    """paramiko policy: pin an unknown key; refuse a key of another type than the pinned one.

    A pinned key of the same type that differs is refused by paramiko itself
    (``BadHostKeyException``), which :class:`PinningClient` turns into our error. A key
    pinned after this client was made (two first connections at once: a follower and its
    export session, or two inventory entries for one router) is accepted when it is equal.
    """

    def __init__(self, known: KnownHosts, device: str) -> None:
        self.known = known
        self.device = device

    def missing_host_key(
        self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey
    ) -> None:
        pinned = self.known.pin(hostname, key)  # another connection may have pinned first
        if not _same_key(pinned, key):
            raise HostKeyChangedError(
                self.device, known=fingerprint(pinned), offered=fingerprint(key)
            )


class PinningClient(paramiko.SSHClient):  # type: ignore[misc]
    """An SSHClient that checks the router's key against the pins before authenticating."""

    def __init__(self, known: KnownHosts, device: str, host: str, port: int) -> None:
        super().__init__()
        self.device = device
        pinned = known.get(host_id(host, port))
        if pinned is not None:
            self.get_host_keys().add(host_id(host, port), pinned.get_name(), pinned)
        self.set_missing_host_key_policy(PinningPolicy(known, device))

    def connect(self, hostname: str, port: int = 22, **kwargs: Any) -> None:
        """paramiko's ``connect``, on a socket with Nagle's algorithm off unless one is given.

        The handshake is a ping-pong of small packets; with Nagle on, each of them can wait
        for the peer's delayed ACK (40 ms on Linux): a login took 80 ms instead of 8 ms on
        loopback.
        """
        if kwargs.get("sock") is None:
            kwargs["sock"] = _nodelay_socket(hostname, port, kwargs.get("timeout"))
        try:
            super().connect(hostname, port, **kwargs)
        except paramiko.BadHostKeyException as exc:
            self.close()
            raise HostKeyChangedError(
                self.device, known=fingerprint(exc.expected_key), offered=fingerprint(exc.key)
            ) from exc
        except HostKeyChangedError:
            self.close()
            raise


def _nodelay_socket(host: str, port: int, timeout: float | None) -> socket.socket:
    """A TCP connection to ``host:port`` (IPv4 or IPv6) with TCP_NODELAY set."""
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock
