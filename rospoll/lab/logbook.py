"""The memory log (with followers) and ``/system history`` of one lab router."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from rospoll.lab.render import Flavor, old_date, stamp

MEMORY_LINES = 1000


@dataclass(frozen=True)
class LogEntry:
    """One memory-log entry."""

    time: datetime
    topics: str
    message: str


Follower = Callable[[LogEntry], None]


class Logbook:
    """Memory log: bounded list of entries; followers are called for each new entry."""

    def __init__(self) -> None:
        self.entries: list[LogEntry] = []
        self._followers: list[Follower] = []

    def append(self, entry: LogEntry) -> None:
        self.entries.append(entry)
        del self.entries[:-MEMORY_LINES]
        for follower in list(self._followers):
            follower(entry)

    def clear(self) -> None:
        self.entries.clear()

    def follow(self, follower: Follower) -> None:
        self._followers.append(follower)

    def unfollow(self, follower: Follower) -> None:
        if follower in self._followers:
            self._followers.remove(follower)


@dataclass(frozen=True)
class Where:
    """``where topics~"re" and message~"re"`` conditions of ``/log print``."""

    conditions: tuple[tuple[str, str, str], ...] = ()

    def matches(self, entry: LogEntry) -> bool:
        for field, op, value in self.conditions:
            text = entry.topics if field == "topics" else entry.message
            if op == "~" and not re.search(value, text):
                return False
            if op == "=" and text != value:
                return False
        return True


@dataclass(frozen=True)
class HistoryEntry:
    """One undoable action."""

    action: str
    by: str
    time: datetime
    redo: str
    undo: str
    policy: str = "write"


class History:
    """``/system history``: newest last in storage, printed newest first."""

    def __init__(self) -> None:
        self.entries: list[HistoryEntry] = []
        self.is_enabled = True

    def add(self, entry: HistoryEntry) -> None:
        if self.is_enabled:
            self.entries.append(entry)
            del self.entries[:-100]

    def clear(self) -> None:
        self.entries.clear()

    def print_lines(self, flavor: Flavor) -> list[str]:
        newest_first = list(reversed(self.entries))
        if flavor.is_v6 or not flavor.iso_dates:
            lines = [
                "Flags: U - undoable, R - redoable, F - floating-undo ",
                f"  {'ACTION':<41}{'BY':<19}{'POLICY':<18}",
            ]
            lines += [f"U {e.action:<41}{e.by:<19}{e.policy}" for e in newest_first]
            return lines
        lines = [
            "Flags: U - UNDOABLE",
            "Columns: ACTION, BY, POLICY, TIME",
            f"  {'ACTION':<36}{'BY':<7}{'POLICY':<8}{'TIME':<19}",
        ]
        lines += [
            f"U {e.action:<36}{e.by:<7}{e.policy:<8}{stamp(flavor, e.time)}" for e in newest_first
        ]
        return lines

    def detail_lines(self, flavor: Flavor) -> list[str]:
        lines = ["Flags: U - undoable, R - redoable, F - floating-undo"]
        for e in reversed(self.entries):
            when = stamp(flavor, e.time) if flavor.iso_dates else old_date(e.time)
            tokens = [
                f"redo={e.redo}",
                f"undo={e.undo}",
                f'action="{e.action}"',
                f'by="{e.by}"',
                f"policy={e.policy}",
                f"time={when}",
            ]
            lines += _wrap_detail(tokens)
        return lines


def _wrap_detail(tokens: list[str], width: int = 80) -> list[str]:
    lines, cur = [], " U " + tokens[0]
    for tok in tokens[1:]:
        if len(cur) + 1 + len(tok) > width:
            lines.append(cur)
            cur = "    " + tok
        else:
            cur += " " + tok
    lines.append(cur)
    lines.append("")
    return lines
