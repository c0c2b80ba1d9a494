"""Inventory records: frozen values, no I/O.

``Device`` is one router as the inventory describes it, fully resolved (Ansible precedence
applied, templates rendered, ``rospoll_*`` settings typed). ``Inventory`` is the ordered set of
devices from one file. Secrets (SSH and SMTP passwords) never appear in ``repr()``.
"""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rospoll.errors import InventoryError


@dataclass(frozen=True, slots=True)
class Settings:
    """rospoll's own settings for one device (or, for ``Inventory.settings``, the ``all`` group).

    Durations are seconds; ``mail_digest_s == 0`` means one mail per change (no digest).
    """

    mail_to: tuple[str, ...] = ()
    mail_from: str | None = None
    mail_server: str | None = None
    mail_port: int = 587
    mail_user: str | None = None
    mail_password: str | None = field(default=None, repr=False)
    mail_security: str = "starttls"
    mail_enabled: bool = True
    mail_digest_s: float = 0.0
    poll_interval_s: float = 900.0
    poll_workers: int = 32
    debounce_s: float = 2.0
    debounce_max_s: float = 15.0
    export_timeout_s: float = 120.0
    export_transport: str = "exec"  # or "shell": netmiko's interactive session
    connect_timeout_s: float = 10.0
    keepalive_s: float = 30.0
    backup_dir: Path = Path("backups")
    report_dir: Path = Path("reports")
    follow: bool = True
    show_secrets_in_reports: bool = False


@dataclass(frozen=True, slots=True)
class Device:
    """One router: where to reach it, how to log in, its groups, vars and settings.

    ``vars`` holds the merged non-``rospoll_*`` inventory vars as written, except passwords
    (templates in vars that rospoll does not use are not rendered, as Ansible renders lazily).
    """

    name: str
    host: str
    port: int = 22
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    private_key_file: Path | None = None
    groups: tuple[str, ...] = ()
    vars: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    settings: Settings = field(default_factory=Settings, repr=False)

    def __str__(self) -> str:
        return f"{self.name} ({self.host}:{self.port})"


@dataclass(frozen=True, slots=True)
class Inventory:
    """The devices of one inventory file, in the order the file first names them.

    ``settings`` are those of the ``all`` group; ``backup_dir`` and ``report_dir`` are the
    folders for the whole inventory.
    """

    path: Path
    devices: tuple[Device, ...]
    settings: Settings = field(default_factory=Settings, repr=False)

    @property
    def backup_dir(self) -> Path:
        return self.settings.backup_dir

    @property
    def report_dir(self) -> Path:
        return self.settings.report_dir

    def device(self, name: str) -> Device:
        """The device called ``name``; raises ``InventoryError`` (with a suggestion) if none."""
        for device in self.devices:
            if device.name == name:
                return device
        names = [d.name for d in self.devices]
        close = difflib.get_close_matches(name, names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise InventoryError(f"no device named {name!r}{hint}", where=str(self.path))

    def filter(self, pattern: str) -> Inventory:
        """The devices whose name, or one of whose groups, matches the glob ``pattern``.

        The pattern ``all`` keeps every device, as in Ansible. Matching is case-sensitive on
        every platform.
        """
        kept = tuple(
            d
            for d in self.devices
            if pattern == "all"
            or any(fnmatch.fnmatchcase(name, pattern) for name in (d.name, *d.groups))
        )
        return replace(self, devices=kept)

    def __len__(self) -> int:
        return len(self.devices)
