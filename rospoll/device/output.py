"""What RouterOS prints and what a session learns from it, whatever the transport (shell or
exec channel)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING

from rospoll.terminal import strip_escapes

if TYPE_CHECKING:
    from typing_extensions import Self

    from rospoll.device.hostkeys import KnownHosts
    from rospoll.inventory import Device

_PROMPT_LINE = re.compile(r"^\[[^\]\r\n]*@[^\]\r\n]*\]")
_VERSION = re.compile(r"^\s*version:\s*(\S+)", re.MULTILINE)
_UPTIME = re.compile(r"^\s*uptime:\s*(\S+)", re.MULTILINE)
_IDENTITY = re.compile(r"^\s*name:\s*(.*?)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class SessionInfo:
    """What a session learnt about the router when it opened."""

    identity: str
    version: str
    uptime_s: float | None = None  # since the router booted, as /system resource prints it


class Session:
    """What both session kinds share: the router, the pins, what ``open()`` learnt, and
    ``with``, which opens and always closes."""

    def __init__(self, device: Device, *, known_hosts: KnownHosts) -> None:
        self.device = device
        self.known_hosts = known_hosts
        self.info: SessionInfo | None = None

    def open(self) -> SessionInfo:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    @property
    def identity(self) -> str:
        return self.info.identity if self.info else ""

    @property
    def version(self) -> str:
        return self.info.version if self.info else ""

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def clean_output(text: str) -> str:
    """Drop what the terminal adds around a command's output.

    Removes terminal escape sequences (:func:`rospoll.terminal.strip_escapes`), carriage
    returns, prompt/echo/repaint lines (RouterOS output never starts a line with
    ``[user@identity]``), trailing spaces, and blank lines at either end. Lines inside are
    kept as they are.
    """
    lines = []
    for raw in strip_escapes(text).replace("\r", "").split("\n"):
        line = raw.rstrip()
        if _PROMPT_LINE.match(line):
            continue
        lines.append(line)
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + ("\n" if lines else "")


def parse_uptime(resource: str) -> float | None:
    """Seconds from ``uptime: 1w2d3h4m5s`` in ``/system resource print``; None if absent."""
    found = _UPTIME.search(resource)
    if found is None:
        return None
    units = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
    parts = re.findall(r"(\d+)([wdhms])", found.group(1))
    return float(sum(int(n) * units[u] for n, u in parts)) if parts else None


def major_version(version: str) -> int:
    """6 for ``6.49.10``, 7 for ``7.16rc2``; 0 when unreadable."""
    match = re.match(r"(\d+)", version)
    return int(match.group(1)) if match else 0


def version_of(resource: str) -> str | None:
    """``7.16`` from ``version: 7.16 (stable)`` in ``/system resource print``."""
    found = _VERSION.search(resource)
    return found.group(1) if found else None


def identity_of(text: str) -> str:
    """The name in ``/system identity print`` (``name: core1``); '' when absent."""
    found = _IDENTITY.search(text)
    return found.group(1) if found else ""


def export_command(version: str) -> str:
    """``/export show-sensitive`` on v7 (secrets are hidden otherwise); ``/export`` on v6,
    which shows them anyway and rejects ``show-sensitive``."""
    return "/export show-sensitive" if major_version(version) >= 7 else "/export"
