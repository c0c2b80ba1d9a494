"""Crash-safe file writes for every stage: a kill leaves the old or the new file, never half.

``atomic_write`` writes a temporary file in the same folder, flushes and fsyncs it, then
moves it over the target with ``os.replace`` (atomic on POSIX and Windows alike).
``make_private_dir`` creates a folder only its owner may enter where the OS has modes.
Every file written here is private (0600) unless the caller asks otherwise.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

from rospoll.errors import StoreError

log = logging.getLogger(__name__)

FILE_MODE = 0o600
TMP_SUFFIX = ".tmp"  # atomic_write's temporaries: ``.<name>.<random>.tmp``
DIR_MODE = 0o700
_HAS_MODES = sys.platform != "win32"
_APPEND_FLAGS = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0)
_REPLACE_ATTEMPTS = 5  # Windows: a reader (antivirus, editor) may hold the target briefly
_REPLACE_RETRY_S = 0.05


def atomic_write(
    path: Path, data: bytes | str, *, mode: int = FILE_MODE, parents: bool = False
) -> None:
    """Replace ``path`` with ``data`` (``str`` is written as UTF-8) in one atomic step.

    The folder must exist unless ``parents`` (then missing folders are created, 0700).
    Raises ``StoreError`` when the file cannot be written; the old content, if any, is then
    untouched and no temporary file is left behind.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    path = Path(path)
    if parents:
        make_private_dir(path.parent)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
    except OSError as exc:
        raise StoreError(f"cannot write {path}: {exc.strerror or exc}") from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        set_mode(tmp, mode)
        _replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise StoreError(f"cannot write {path}: {exc.strerror or exc}") from exc
        raise
    fsync_dir(path.parent)


def append_durably(path: Path, data: bytes) -> None:
    """Append ``data`` with one ``O_APPEND`` descriptor, then fsync; raises ``OSError``.

    The file is created with mode 0600 where the OS has modes.
    """
    fd = os.open(path, _APPEND_FLAGS, FILE_MODE)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def make_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if missing; every folder created here gets mode 0700.

    An existing folder keeps its mode (the user may have chosen it). Raises ``StoreError``.
    """
    path = Path(path)
    if path.is_dir():
        return path
    missing = [path, *(p for p in path.parents if not p.exists())]
    try:
        for folder in reversed(missing):  # each folder made here is private, not only the last
            folder.mkdir(exist_ok=True, mode=DIR_MODE)
            set_mode(folder, DIR_MODE)
    except OSError as exc:
        raise StoreError(f"cannot create folder {path}: {exc.strerror or exc}") from exc
    return path


def set_mode(path: Path, mode: int) -> None:
    """``chmod`` where the OS has POSIX modes; a no-op on Windows."""
    if _HAS_MODES:
        Path(path).chmod(mode)


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (POSIX); best effort, a no-op on Windows."""
    if not _HAS_MODES:
        return
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on folders; the rename itself is still atomic
    finally:
        os.close(fd)


def _replace(src: Path, dst: Path) -> None:
    for attempt in range(_REPLACE_ATTEMPTS):
        try:
            src.replace(dst)
            return
        except PermissionError:
            if _HAS_MODES or attempt == _REPLACE_ATTEMPTS - 1:
                raise
            time.sleep(_REPLACE_RETRY_S)  # Windows sharing violation: retry briefly


def remove_stale_temporaries(folder: Path, *, older_than_s: float = 300.0) -> int:
    """Delete temporaries a killed process left, not ones a live writer is still filling.

    Only files untouched for ``older_than_s`` go; returns how many were removed.
    """
    removed = 0
    if not folder.is_dir():
        return 0
    cutoff = time.time() - older_than_s
    for tmp in folder.glob(f".*{TMP_SUFFIX}"):
        try:
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink()
                removed += 1
        except OSError as exc:  # gone meanwhile, or not ours to remove: the next sweep retries
            log.debug("cannot remove %s: %s", tmp, exc)
    return removed
