"""Keep the backups repository private: exports hold secrets (POSIX modes).

dulwich creates folders and files with the umask's modes (0755, 0644, objects 0444): every
folder under ``.git/`` becomes 0700 and every file drops its group and other bits (0600,
objects 0400). :func:`make_repo_private` does the whole ``.git/`` once when it is not
private yet (``.git/`` itself last, so an interrupted pass is redone at the next open); the
other two what each commit writes.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from dulwich.objects import ObjectID
from dulwich.refs import Ref

from rospoll.errors import StoreError
from rospoll.files import DIR_MODE, FILE_MODE

log = logging.getLogger(__name__)

OBJECT_MODE = 0o400  # git objects are read-only; private like everything else here


def make_objects_private(git_dir: Path, objects: tuple[ObjectID, ...]) -> None:
    """Loose objects and their fan-out folders, which dulwich writes 0444 and 0755."""
    for object_id in objects:
        hex_id = object_id.decode("ascii")
        chmod_private(git_dir / "objects" / hex_id[:2], DIR_MODE)
        chmod_private(git_dir / "objects" / hex_id[:2] / hex_id[2:], OBJECT_MODE)


def make_ref_private(git_dir: Path, branch: Ref) -> None:
    """The branch ref and its reflog (and the reflog's folders), rewritten 0644 each time."""
    ref = Path(branch.decode("utf-8", "surrogateescape"))
    chmod_private(git_dir / ref, FILE_MODE)
    for parent in ref.parents:  # refs/heads/x: logs/refs/heads, logs/refs, logs
        chmod_private(git_dir / "logs" / parent, DIR_MODE)
    chmod_private(git_dir / "logs" / ref, FILE_MODE)


def make_repo_private(root: Path, git_dir: Path, suffix: str) -> None:
    """Folders 0700, files without group and other bits, unless ``.git/`` already is 0700.

    A path that cannot be changed (owned by another user, say) is logged, not raised: the
    backups still work, and ``.git/`` itself, changed last, keeps the rest unreadable.
    """
    try:
        if stat.S_IMODE(git_dir.stat().st_mode) == DIR_MODE:
            return
    except OSError as exc:
        raise StoreError(f"cannot open backups repository {root}: {exc}") from exc
    log.info("backups %s: making the repository private (folders 0700, files 0600)", root)
    for folder, dirs, files in os.walk(git_dir):
        for name in dirs:
            chmod_private(Path(folder, name), DIR_MODE)
        for name in files:
            path = Path(folder, name)
            try:
                mode = stat.S_IMODE(path.lstat().st_mode)
            except OSError as exc:
                log.warning("backups %s: cannot read the mode of %s: %s", root, path, exc)
                continue
            chmod_private(path, mode & 0o700)
    for path in root.glob(f"*{suffix}"):
        chmod_private(path, FILE_MODE)
    chmod_private(git_dir, DIR_MODE)


def chmod_private(path: Path, mode: int) -> None:
    """``chmod``; a missing path is skipped, a refused one logged (the rest stays private)."""
    try:
        path.chmod(mode)
    except FileNotFoundError:
        pass  # not written by this dulwich version (a reflog, say): nothing to protect
    except OSError as exc:
        log.warning("backups: cannot make %s private (mode %o): %s", path, mode, exc)
