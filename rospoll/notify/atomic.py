"""Atomic file writes shared by the outbox, the digest queue and the reports site.

A reader (or a process restarted after ``kill -9``) sees either the old file or the new one,
never half of one: data goes to a temporary file in the same folder, is flushed and fsynced,
then ``os.replace`` swaps it in (atomic on POSIX and Windows).
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from pathlib import Path

TMP_SUFFIX = ".tmp"

_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows only; 0 elsewhere


def write_atomic(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` atomically with permission ``mode`` where the OS has them.

    Raises ``OSError``; callers translate it to their stage's error.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}{TMP_SUFFIX}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)  # os.replace: atomic, overwrites on Windows too
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable where directories can be fsynced (not on Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


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
