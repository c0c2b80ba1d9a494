"""The change journal, ``reports/changes.jsonl``: one JSON object per attributed change.

>>> journal = Journal(Path("reports/changes.jsonl"))                      # doctest: +SKIP
>>> journal.append(JournalEntry(time=now, router="core-rtr1", user="alice", source="log",
...     via="ssh", address="10.0.0.5", command=None, sections=("/ip firewall filter",),
...     added=1, removed=0, changed=0, moved=0, commit="3f2a..."))
>>> [e.id for e in journal.entries()]

Append-only: each entry is one line written with a single ``write`` on an ``O_APPEND``
descriptor, then ``fsync``. A line cut short by a crash (a "torn tail") is ignored by
``entries()`` and cut off by the first ``append()`` of the next writer, so new lines never
glue onto a fragment. The schema is in ``docs/JOURNAL.md``.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, BinaryIO

from rospoll.errors import StoreError
from rospoll.files import append_durably, make_private_dir

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
SOURCES = ("log", "history", "poll")
_COUNTS = ("added", "removed", "changed", "moved")
_TAIL_CHUNK = 4096


def _new_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One attributed change to one device.

    ``time`` must be timezone-aware; it is kept in UTC. ``source`` is ``log``, ``history``
    or ``poll``; ``user`` is ``UNKNOWN`` when attribution found nobody; ``inferred`` marks
    an attribution guessed rather than read from the router. Raises ``ValueError`` on bad
    values.
    """

    time: datetime
    router: str
    user: str
    source: str
    via: str | None
    address: str | None
    command: str | None
    sections: tuple[str, ...]
    added: int
    removed: int
    changed: int
    moved: int
    commit: str | None
    inferred: bool = False
    id: str = field(default_factory=_new_id)
    warning: str | None = None  # a warning about the router, not a change (counts are 0)

    def __post_init__(self) -> None:
        if self.time.tzinfo is None or self.time.utcoffset() is None:
            raise ValueError(f"journal time must be timezone-aware (UTC), got {self.time!r}")
        object.__setattr__(self, "time", self.time.astimezone(timezone.utc))
        object.__setattr__(self, "sections", tuple(self.sections))
        if self.source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}, got {self.source!r}")
        for name in _COUNTS:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name} must be a count (int >= 0), got {value!r}")
        if not self.id:
            raise ValueError("id must not be empty")

    def to_json(self) -> str:
        """One line of JSON (ASCII, no newline) in the documented key order."""
        return json.dumps(
            {
                "v": SCHEMA_VERSION,
                "id": self.id,
                "time": format_time(self.time),
                "router": self.router,
                "user": self.user,
                "source": self.source,
                "via": self.via,
                "address": self.address,
                "command": self.command,
                "sections": list(self.sections),
                "added": self.added,
                "removed": self.removed,
                "changed": self.changed,
                "moved": self.moved,
                "commit": self.commit,
                "inferred": self.inferred,
                "warning": self.warning,
            },
            ensure_ascii=True,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, line: str) -> JournalEntry:
        """Parse one journal line; unknown keys are ignored. Raises ``ValueError``."""
        data = json.loads(line)
        if not isinstance(data, dict):
            raise ValueError("journal line is not a JSON object")
        try:
            return cls(
                time=parse_time(_text(data, "time")),
                router=_text(data, "router"),
                user=_text(data, "user"),
                source=_text(data, "source"),
                sections=tuple(_texts(data, "sections")),
                via=_optional_text(data, "via"),
                address=_optional_text(data, "address"),
                command=_optional_text(data, "command"),
                added=data["added"],
                removed=data["removed"],
                changed=data["changed"],
                moved=data["moved"],
                commit=_optional_text(data, "commit"),
                inferred=bool(data.get("inferred", False)),
                id=_text(data, "id"),
                warning=_optional_text(data, "warning"),
            )
        except KeyError as exc:
            raise ValueError(f"journal line lacks {exc}") from exc


class Journal:
    """The JSON-lines file at ``path``; its folder is created (0700) on first append."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._tail_checked = False

    def append(self, entry: JournalEntry) -> None:
        """Write one line and fsync it. Raises ``StoreError``."""
        line = (entry.to_json() + "\n").encode("ascii")
        with self._lock:
            make_private_dir(self.path.parent)
            try:
                if not self._tail_checked:
                    self._repair_tail()
                    self._tail_checked = True
                append_durably(self.path, line)
            except OSError as exc:
                raise StoreError(f"cannot append to {self.path}: {exc.strerror or exc}") from exc

    def entries(self) -> list[JournalEntry]:
        """Every complete entry, oldest first; a torn last line and bad lines are skipped."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise StoreError(f"cannot read {self.path}: {exc.strerror or exc}") from exc
        lines = data.split(b"\n")
        if lines[-1]:
            log.warning("%s: ignoring a torn last line (%d bytes)", self.path, len(lines[-1]))
        result = []
        for number, raw in enumerate(lines[:-1], start=1):
            if not raw.strip():
                continue
            try:
                result.append(JournalEntry.from_json(raw.decode("utf-8")))
            except (ValueError, TypeError) as exc:  # UnicodeDecodeError is a ValueError
                log.warning("%s:%d: skipping unreadable entry: %s", self.path, number, exc)
        return result

    def _repair_tail(self) -> None:
        """Cut a line left unfinished by a crash, so the next line starts clean."""
        try:
            with open(self.path, "r+b") as f:
                self._cut_torn_tail(f)
        except FileNotFoundError:
            return  # no journal yet: nothing to repair

    def _cut_torn_tail(self, f: BinaryIO) -> None:
        size = f.seek(0, os.SEEK_END)
        end = size
        if size == 0:
            return
        while end > 0:
            start = max(0, end - _TAIL_CHUNK)
            f.seek(start)
            chunk = f.read(end - start)
            if end == size and chunk.endswith(b"\n"):
                return  # clean tail
            newline = chunk.rfind(b"\n")
            if newline >= 0:
                end = start + newline + 1
                break
            end = start
        log.warning("%s: cutting a torn last line (%d bytes)", self.path, size - end)
        f.truncate(end)
        f.flush()
        os.fsync(f.fileno())


def format_time(when: datetime) -> str:
    """ISO 8601 in UTC with ``Z``; microseconds only when present."""
    when = when.astimezone(timezone.utc).replace(tzinfo=None)
    return when.isoformat(timespec="microseconds" if when.microsecond else "seconds") + "Z"


def parse_time(text: str) -> datetime:
    """Inverse of ``format_time`` (also takes ``+00:00``). Raises ``ValueError``."""
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        raise ValueError(f"journal time lacks a zone: {text!r}")
    return when.astimezone(timezone.utc)


def _text(data: dict[str, Any], key: str) -> str:
    value = data[key]
    if not isinstance(value, str):
        raise ValueError(f"{key} must be a string, got {value!r}")
    return value


def _optional_text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return None if value is None else _text(data, key)


def _texts(data: dict[str, Any], key: str) -> list[str]:
    value = data[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{key} must be a list of strings, got {value!r}")
    return value
