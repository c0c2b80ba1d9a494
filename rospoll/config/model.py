"""The parsed configuration: an export is ordered sections of identified items."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple


@dataclass(frozen=True, slots=True)
class ExportMeta:
    """Header facts of an export; the date is deliberately not kept."""

    version: str
    model: str = ""
    serial: str = ""
    software_id: str = ""
    system_id: str = ""

    @property
    def major(self) -> int:
        """Major RouterOS version (6 or 7); 0 when the version string is unreadable."""
        head = self.version.split(".", 1)[0]
        return int(head) if head.isdigit() else 0

    def header_lines(self) -> list[str]:
        """The header as rendered by rospoll: date-less, then the known id lines."""
        lines = [f"# by RouterOS {self.version}"]
        for label, value in (
            ("software id", self.software_id),
            ("system id", self.system_id),
            ("model", self.model),
            ("serial number", self.serial),
        ):
            if value:
                lines.append(f"# {label} = {value}")
        return lines


class Item(NamedTuple):
    """One command of a section (a NamedTuple: 200k of these are built per big diff).

    ``key`` identifies the item across versions (see ``rospoll.config.keys``); keys that
    start with ``@`` are content hashes of items without a natural key. ``selector`` is
    ``[ find … ]``, a name, a number or ``*id`` as printed, or None.
    """

    section: str
    key: str
    command: str
    selector: str | None
    args: Mapping[str, str]
    position: int

    @property
    def is_keyed(self) -> bool:
        """True when the item has a natural identity (not just its content)."""
        return not self.key.startswith("@")


@dataclass(frozen=True, slots=True)
class Section:
    """A menu path exactly as RouterOS prints it (``/ip firewall filter``) and its items."""

    path: str
    items: tuple[Item, ...]
    by_key: Mapping[str, Item] = field(compare=False, repr=False, default_factory=dict)


@dataclass(frozen=True, slots=True)
class Export:
    """A parsed export: metadata and sections in first-appearance order."""

    meta: ExportMeta
    sections: Mapping[str, Section]

    def item_count(self) -> int:
        """Number of items in all sections."""
        return sum(len(s.items) for s in self.sections.values())
