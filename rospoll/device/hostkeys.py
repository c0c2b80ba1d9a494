"""SSH host-key pinning: trust on first use, refuse a changed key.

The pins live in one OpenSSH-format ``known_hosts`` file in the data folder, keyed as
OpenSSH does (``host`` on port 22, else ``[host]:port``), so ``ssh-keygen -F`` reads it and a
file from ``ssh-keyscan`` can be used as it is: hashed host names (``|1|salt|hash``),
several names on one line and several key types for one router all work. Lines are read
with paramiko's parser (:class:`paramiko.hostkeys.HostKeyEntry`) and looked up with
:class:`paramiko.HostKeys`.

The first connection to a router pins its key; a different key later raises
:class:`~rospoll.errors.HostKeyChangedError` naming the router and both fingerprints,
before any password is sent. ``rospoll hostkey accept ROUTER`` forgets the old pins.

A line that cannot be read (too few fields, bad base64, a key type paramiko does not know, a
``@cert-authority`` or ``@revoked`` marker, a malformed hashed name) is skipped with a
warning naming the file and line, and written back unchanged: rospoll never deletes what it
does not understand. It does not pin anything either, so a router whose only line is
unreadable is pinned again on first use; the warning says which line that is. A second,
different key of one type for one name is ignored the same way (the first line is the pin)
until ``forget`` drops both. Comments are kept; blank lines and exact duplicates are not, and
a line naming several hosts is written back as one line per host, as paramiko's ``save``
does.
"""

from __future__ import annotations

import base64
import binascii
import logging
import socket
import struct
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paramiko
from paramiko.hostkeys import HostKeyEntry, InvalidHostKey

from rospoll.errors import HostKeyChangedError
from rospoll.files import atomic_write, make_private_dir

log = logging.getLogger(__name__)

# paramiko's key parsers raise whatever their backends raise on a garbled key blob
# (base64, struct, nacl, cryptography errors); a line raising one of these is not trusted
_UNREADABLE = (
    InvalidHostKey,
    paramiko.SSHException,
    ValueError,
    ArithmeticError,
    LookupError,
    TypeError,
    struct.error,
)


def host_id(host: str, port: int) -> str:
    """The name OpenSSH files a host key under."""
    return host if port == 22 else f"[{host}]:{port}"


def fingerprint(key: paramiko.PKey) -> str:
    """``SHA256:…``, as ``ssh-keygen -l`` prints it."""
    return str(key.fingerprint)


def _same_key(a: paramiko.PKey, b: paramiko.PKey) -> bool:
    return bool(a.get_name() == b.get_name() and a.asbytes() == b.asbytes())


@dataclass(frozen=True)
class _Pin:
    """One host name and one key: one line of the file as rospoll writes it."""

    name: str  # as in the file: plain, [host]:port, or hashed |1|salt|hash
    key: paramiko.PKey
    line: str  # name, key type and base64 key, as written to the file
    is_shadowed: bool = False  # a second key of one type for one name: kept, not used

    @classmethod
    def of(cls, name: str, key: paramiko.PKey, *, is_shadowed: bool = False) -> _Pin:
        return cls(name, key, f"{name} {key.get_name()} {key.get_base64()}", is_shadowed)

    def is_for(self, name: str) -> bool:
        """True when this pin is ``name``'s, also when it is hashed (``|1|salt|hash``)."""
        if self.name == name or not self.name.startswith("|1|"):
            return self.name == name
        return bool(paramiko.HostKeys.hash_host(name, self.name) == self.name)


# a line of the file: a pin, or a comment or unreadable line kept as it was
_Line = _Pin | str


@dataclass(frozen=True)
class _File:
    """The file's lines in order, and a paramiko lookup table over its pins.

    Only :class:`KnownHosts` holds one, and only under its lock; :meth:`with_pin` hands the
    table on to the new file instead of building it again (a fleet's first poll pins
    hundreds of routers, one after the other).
    """

    lines: tuple[_Line, ...]
    table: Any  # paramiko.HostKeys

    @classmethod
    def of(cls, lines: Iterable[_Line]) -> _File:
        table = paramiko.HostKeys()
        kept = tuple(lines)
        for line in kept:
            if isinstance(line, _Pin) and not line.is_shadowed:
                table.add(line.name, line.key.get_name(), line.key)
        return cls(kept, table)

    def with_pin(self, pin: _Pin) -> _File:
        """This file and ``pin``; this one must not be used any more."""
        self.table.add(pin.name, pin.key.get_name(), pin.key)
        return _File((*self.lines, pin), self.table)

    def keys(self, name: str) -> list[paramiko.PKey]:
        """``name``'s keys, in file order; plain and hashed names as paramiko matches them."""
        found = self.table.lookup(name)
        keys: list[paramiko.PKey] = []
        for key in found.values() if found is not None else ():
            if not any(_same_key(key, k) for k in keys):  # a host both plain and hashed
                keys.append(key)
        return keys

    def text(self) -> str:
        return "".join(
            (line.line if isinstance(line, _Pin) else line) + "\n" for line in self.lines
        )


def _parse(text: str, path: Path) -> _File:
    """The file's lines; unreadable ones are logged and kept as text (see the module doc)."""
    lines: list[_Line] = []
    seen: dict[tuple[str, str], tuple[paramiko.PKey, int]] = {}
    for line_no, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not stripped:
            continue  # blank lines are not written back
        if stripped.startswith("#"):
            lines.append(raw)
            continue
        entry, reason = _entry(stripped, line_no)
        if entry is None:
            log.warning("%s:%d: %s; line ignored (kept in the file)", path, line_no, reason)
            lines.append(raw)
            continue
        for name in entry.hostnames:  # one pin per name: "a,b ssh-ed25519 …" becomes two lines
            kind = entry.key.get_name()
            earlier = seen.get((name, kind))
            if earlier is None:
                seen[(name, kind)] = (entry.key, line_no)
                lines.append(_Pin.of(name, entry.key))
            elif not _same_key(earlier[0], entry.key):
                log.warning(
                    "%s:%d: a second %s key for %s, %s, ignored; line %d (%s) is the pin",
                    path,
                    line_no,
                    kind,
                    name,
                    fingerprint(entry.key),
                    earlier[1],
                    fingerprint(earlier[0]),
                )
                lines.append(_Pin.of(name, entry.key, is_shadowed=True))  # forget drops it
            # an exact duplicate of an earlier line is dropped
    return _File.of(lines)


def _entry(line: str, line_no: int) -> tuple[HostKeyEntry | None, str]:
    """paramiko's reading of one known_hosts line, or None and why it cannot be used."""
    fields = line.split()
    if len(fields) < 3:
        return None, "expected 'host-names key-type base64-key'"
    if fields[0].startswith("@"):
        return None, f"{fields[0]} lines are not supported"
    if any(_is_bad_hash(name) for name in fields[0].split(",")):
        return None, "malformed hashed host name (expected |1|salt|hash, 20 bytes each)"
    try:
        entry = HostKeyEntry.from_line(" ".join(fields[:3]), line_no)
    except _UNREADABLE as exc:
        cause = exc.exc if isinstance(exc, InvalidHostKey) else exc
        return None, f"unreadable {fields[1]} key ({cause or type(cause).__name__})"
    if entry is None or entry.key is None:
        return None, f"key type {fields[1]!r} not supported"
    return entry, ""


def _is_bad_hash(name: str) -> bool:
    """True for a ``|1|…`` name paramiko could not compare (its lookups would raise)."""
    if not name.startswith("|1|"):
        return False
    parts = name.split("|")
    if len(parts) != 4:
        return True
    try:
        return any(len(base64.b64decode(part, validate=True)) != 20 for part in parts[2:])
    except binascii.Error:
        return True


class KnownHosts:
    """A thread-safe known_hosts file; every change is written atomically, mode 0600.

    Names are as :func:`host_id` gives them. A router may have several keys pinned, one per
    key type (``ssh-keyscan`` writes one line per type).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._cache: tuple[tuple[int, int, int], _File] | None = None

    def _read(self) -> _File:
        """The file, parsed again only when it changed (500 routers, 500 connects)."""
        try:
            stat = self.path.stat()
            signature = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
            if self._cache is not None and self._cache[0] == signature:
                return self._cache[1]
            data = self.path.read_bytes()
        except FileNotFoundError:  # no file yet: nothing is pinned
            return _File.of(())
        # surrogateescape: bytes that are not UTF-8 are written back exactly as they were
        parsed = _parse(data.decode("utf-8", errors="surrogateescape"), self.path)
        self._cache = (signature, parsed)
        return parsed

    def _write(self, new: _File) -> None:
        self._cache = None  # until written: the cached table may hold the new pin already
        make_private_dir(self.path.parent)
        atomic_write(self.path, new.text().encode("utf-8", errors="surrogateescape"))
        stat = self.path.stat()
        self._cache = ((stat.st_mtime_ns, stat.st_size, stat.st_ino), new)

    def keys(self, name: str) -> list[paramiko.PKey]:
        """Every key pinned for ``name``, in file order; [] when none is."""
        with self._lock:
            return self._read().keys(name)

    def get(self, name: str) -> paramiko.PKey | None:
        """The first key pinned for ``name`` (the type paramiko asks the router for first)."""
        keys = self.keys(name)
        return keys[0] if keys else None

    def pin(self, name: str, key: paramiko.PKey) -> paramiko.PKey:
        """Pin ``key`` for ``name`` unless a key is pinned already.

        Returns the pinned key of ``key``'s type, else the first pinned key: a caller that
        compares it with ``key`` sees a difference when a router pinned with one type offers
        another (paramiko refuses that case the same way).
        """
        with self._lock:
            known = self._read()
            pinned = known.keys(name)
            if not pinned:
                self._write(known.with_pin(_Pin.of(name, key)))
                return key
        same_type = [k for k in pinned if k.get_name() == key.get_name()]
        return same_type[0] if same_type else pinned[0]

    def forget(self, name: str) -> bool:
        """Drop every pin for ``name`` (hashed lines too); True when there was one."""
        with self._lock:
            known = self._read()
            kept = [line for line in known.lines if not _is_pin_for(line, name)]
            if len(kept) == len(known.lines):
                return False
            self._write(_File.of(kept))
            return True

    def restore(self, name: str, keys: Sequence[paramiko.PKey]) -> None:
        """Pin exactly ``keys`` for ``name``, as :meth:`keys` gave them before a
        :meth:`forget`; what is pinned for ``name`` now is dropped."""
        with self._lock:
            known = self._read()
            lines = [line for line in known.lines if not _is_pin_for(line, name)]
            self._write(_File.of([*lines, *(_Pin.of(name, key) for key in keys)]))


def _is_pin_for(line: _Line, name: str) -> bool:
    return isinstance(line, _Pin) and line.is_for(name)


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
        name = host_id(host, port)
        for pinned in known.keys(name):  # paramiko asks for the first type; any pinned one does
            self.get_host_keys().add(name, pinned.get_name(), pinned)
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
