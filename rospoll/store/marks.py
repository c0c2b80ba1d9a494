"""Which ``/system history`` entries of a router were already seen, so only new ones attribute.

Entries are compared as whole records (action, by, time, redo, undo), as a multiset: the
router keeps about 100 entries, so the file per router stays small. Times on the router
clock are never compared with ours.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from rospoll.attribution.history import HistoryEntry
from rospoll.errors import StoreError
from rospoll.files import atomic_write, make_private_dir
from rospoll.store.names import safe_name

log = logging.getLogger(__name__)


def _mark(entry: HistoryEntry) -> str:
    return "\x1f".join((entry.action, entry.by, entry.time_text, entry.redo, entry.undo))


class HistoryMarks:
    """One small JSON file per router under ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def _path(self, device: str) -> Path:
        return self.folder / f"{safe_name(device)}.json"

    def _load(self, device: str) -> Counter[str] | None:
        path = self._path(device)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None  # never saved: nothing can be told apart yet
        except ValueError as exc:  # damaged: like never saved; the next save rewrites it
            log.warning("%s: unreadable history marks, starting afresh: %s", path, exc)
            return None
        except OSError as exc:
            raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from exc
        return Counter(str(mark) for mark in data) if isinstance(data, list) else None

    def new_entries(self, device: str, entries: Sequence[HistoryEntry]) -> list[HistoryEntry]:
        """The entries not seen at the last :meth:`save`; none when nothing was ever saved.

        Without a saved state nothing can be told apart, so nothing is claimed.
        """
        seen = self._load(device)
        if seen is None:
            return []
        fresh = []
        for entry in reversed(entries):  # oldest first, so repeats match the oldest marks
            mark = _mark(entry)
            if seen[mark] > 0:
                seen[mark] -= 1
            else:
                fresh.append(entry)
        fresh.reverse()
        return fresh

    def save(self, device: str, entries: Sequence[HistoryEntry]) -> None:
        """Remember ``entries`` as seen (no write, and no fsync, when they were already)."""
        marks = [_mark(e) for e in entries]
        if self._load(device) == Counter(marks):
            return
        make_private_dir(self.folder)
        atomic_write(self._path(device), json.dumps(marks))
