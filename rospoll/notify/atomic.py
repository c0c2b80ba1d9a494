"""Atomic file writes shared by the outbox, the digest queue and the reports site.

A reader (or a process restarted after ``kill -9``) sees either the old file or the new one,
never half of one; the writing itself is the store's ``atomic_write``.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

from rospoll.errors import StoreError
from rospoll.store.atomic import atomic_write

TMP_SUFFIX = ".tmp"


def write_atomic(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` atomically (the store's ``atomic_write``), parents created.

    Raises ``OSError``; callers translate it to their stage's error.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        atomic_write(path, data, mode=mode)
    except StoreError as exc:
        raise OSError(str(exc)) from exc


def remove_stale_temporaries(folder: Path, *, older_than_s: float = 300.0) -> int:
    """Delete temporaries a killed process left, not ones a live writer is still filling.

    Only files untouched for ``older_than_s`` go; returns how many were removed.
    """
    removed = 0
    if not folder.is_dir():
        return 0
    cutoff = time.time() - older_than_s
    for tmp in folder.glob(f".*{TMP_SUFFIX}"):
        with contextlib.suppress(OSError):
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink()
                removed += 1
    return removed
