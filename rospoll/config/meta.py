"""Header facts of an export (RouterOS version, board, ids), read by the normaliser."""

from __future__ import annotations

from dataclasses import dataclass


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
