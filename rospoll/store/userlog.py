"""Per-user change records: ``reports/users/<safe_name(user)>.log``, one block per change.

>>> log = UserLog(Path("reports/users"))                                 # doctest: +SKIP
>>> log.append("alice", render_block(entry, ["added filter rule 'drop telnet'"]))

Blocks are appended with ``flush`` + ``fsync``; the file name comes from ``safe_name``, so a
hostile user name can neither leave the folder nor share a file with another user.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from rospoll.errors import StoreError
from rospoll.files import append_durably, make_private_dir
from rospoll.store.journal import JournalEntry, format_time
from rospoll.store.names import safe_name

LOG_SUFFIX = ".log"


class UserLog:
    """The folder of per-user logs, created (0700) on first append."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._lock = threading.Lock()

    def path_for(self, user: str) -> Path:
        """The log file of ``user`` (always directly inside the folder)."""
        return self.folder / (safe_name(user) + LOG_SUFFIX)

    def append(self, user: str, text: str) -> Path:
        """Append one block (followed by a blank line) to the user's log; returns its path.

        Raises ``StoreError``.
        """
        path = self.path_for(user)
        block = (text.rstrip("\n") + "\n\n").encode("utf-8", "replace")
        with self._lock:
            make_private_dir(self.folder)
            try:
                append_durably(path, block)
            except OSError as exc:
                raise StoreError(f"cannot append to {path}: {exc.strerror or exc}") from exc
        return path


def render_block(entry: JournalEntry, sentences: Sequence[str]) -> str:
    """The readable block for one change: when, where, how, then one sentence per line.

    >>> print(render_block(entry, ["added address 10.0.0.1/24"]))       # doctest: +SKIP
    2024-05-01T12:00:00Z core-rtr1 by alice (source: log)
      via ssh from 10.0.0.5
      command: /ip address add address=10.0.0.1/24 interface=ether1
      - added address 10.0.0.1/24
    """
    guess = ", inferred" if entry.inferred else ""
    head = f"{format_time(entry.time)} {entry.router} by {entry.user}"
    lines = [f"{head} (source: {entry.source}{guess})"]
    how = " ".join(
        part
        for part in (
            f"via {entry.via}" if entry.via else "",
            f"from {entry.address}" if entry.address else "",
        )
        if part
    )
    if how:
        lines.append(f"  {how}")
    if entry.command:
        lines.append(f"  command: {entry.command}")
    if entry.commit:
        lines.append(f"  commit: {entry.commit}")
    lines.extend(f"  - {sentence}" for sentence in sentences)
    return "\n".join(_one_line(line) for line in lines) + "\n"


def _one_line(text: str) -> str:
    """Control characters in device-supplied text would forge lines; show them escaped."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
