"""Git backups of every device's export, one commit per change, written with dulwich.

>>> backups = Backups(Path("backups"))                                   # doctest: +SKIP
>>> backups.commit("core-rtr1", export_text, user=None, message="baseline", when=now)
>>> backups.commit("core-rtr1", new_text, user="alice", message="...", when=now)
>>> backups.read("core-rtr1") == new_text

Each device has one file, ``<safe_name(device)>.rsc``, at the top of the repository. A
commit is built straight in the object store: blob, then the previous commit's tree with
that one entry replaced, then the commit object; the branch ref moves last, by dulwich's
locked compare-and-swap, so a reader sees the old or the new commit, never a half. No index
is read to build the commit.

Exports hold secrets, so nothing here is readable by anyone but the owner (POSIX): dulwich
creates folders and files with the umask's modes (0755, 0644, objects 0444), so every folder
under ``.git/`` becomes 0700 and every file drops its group and other bits (0600, objects
0400): the whole ``.git/`` once when it is not private yet (new, or made by an older
version; ``.git/`` itself last, so an interrupted pass is redone at the next open), then what
each commit writes. Working files are written 0600. A root folder that already existed keeps
its mode, since nothing in it is readable through it anyway.

For people reading ``backups/``, the working file is written (atomically, mode 0600) before
the commit, and its index entry is refreshed after it, so ``git status`` is clean. A crash
between the two leaves the file ahead of ``HEAD``; ``read()`` answers from ``HEAD``, so the
next poll sees the change again and commits it, which heals the tree.

Commits are serialised by a thread lock and a file lock in ``.git/`` (other processes, other
``Backups`` instances). dulwich and OS errors become ``StoreError`` here.

After ``kill -9``: the file lock is an OS lock and dies with the process; under it, the first
commit of a new ``Backups`` removes what a killed writer left: temporaries of the working files
(``.<name>.*.tmp``) and git lock files (``refs/heads/<branch>.lock``, ``index.lock``) older
than a few seconds, which would otherwise refuse every later commit.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import filelock
from dulwich.errors import NotGitRepository
from dulwich.index import index_entry_from_stat
from dulwich.objects import Blob, Commit, ObjectID, Tree
from dulwich.refs import HEADREF, Ref
from dulwich.repo import Repo

from rospoll.errors import StoreError
from rospoll.files import FILE_MODE, atomic_write, make_private_dir
from rospoll.store.names import ident_name, safe_name
from rospoll.store.private_repo import (
    chmod_private,
    make_objects_private,
    make_ref_private,
    make_repo_private,
)

log = logging.getLogger(__name__)

ROSPOLL_IDENT = b"rospoll <rospoll@localhost>"
FILE_SUFFIX = ".rsc"
DEFAULT_BRANCH = b"main"
_FILE_MODE_GIT = 0o100644
_COMMIT_LOCK_NAME = "rospoll-commit.lock"
_COMMIT_LOCK_TIMEOUT_S = 120.0
_CAS_ATTEMPTS = 5
_STALE_GIT_LOCK_S = 5.0  # a ref or index update holds its lock for milliseconds
_HAS_MODES = sys.platform != "win32"
_THREAD_LOCKS: dict[str, threading.Lock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()


@dataclass(frozen=True, slots=True)
class CommitInfo:
    """One commit touching a device's file; ``time`` is the author time in UTC."""

    id: str
    author_name: str
    author_email: str
    time: datetime
    message: str
    parents: tuple[str, ...] = ()


def file_name(device: str) -> str:
    """The backup file name for a device: ``<safe_name(device)>.rsc``."""
    return safe_name(device) + FILE_SUFFIX


def author_ident(user: str, device: str) -> bytes:
    """``user <safe(user)@safe(device)>`` as git wants it (UTF-8)."""
    email = f"{safe_name(user)}@{safe_name(device)}"
    return f"{ident_name(user)} <{email}>".encode()


class Backups:
    """The git repository under ``root``, created (folder mode 0700) when missing.

    Raises ``StoreError`` when it cannot be created or opened.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._repo = self._open_or_init(self.root)
        self._git_dir = Path(self._repo.controldir())
        if _HAS_MODES:
            make_repo_private(self.root, self._git_dir, FILE_SUFFIX)
        # Loose objects are written temp + rename; fsync them too, so a power cut after the
        # ref moved cannot leave the ref pointing at an empty object file.
        self._repo.object_store.fsync_object_files = True
        self._thread_lock = _thread_lock_for(self.root)
        self._file_lock = filelock.FileLock(
            str(self._git_dir / _COMMIT_LOCK_NAME),
            timeout=_COMMIT_LOCK_TIMEOUT_S,
            mode=FILE_MODE,
            thread_local=False,
        )
        self._swept = False  # what a killed writer left goes under the first commit lock
        self._try_sweep()

    def read(self, device: str, *, at: str | None = None) -> str | None:
        """The export last committed for ``device`` (or as of commit ``at``, hex id).

        None before its first commit (or when commit ``at`` does not hold the file). Takes
        no lock: git objects never change and the branch moves atomically, so a read racing
        a commit sees the version before or after it (500 routers read while others commit).
        """
        with _translated(f"cannot read backup of {device}"):
            _, head = self._head()
            if at is not None:
                head = ObjectID(at.encode("ascii"))
            if head is None:
                return None
            blob_id = self._blob_id(head, file_name(device).encode())
            if blob_id is None:
                return None
            blob = self._repo[blob_id]
            assert isinstance(blob, Blob)
            return _decode(blob.as_raw_string())

    def commit(
        self, device: str, text: str, *, user: str | None, message: str, when: datetime
    ) -> str:
        """Record ``text`` as the device's new version; returns the commit id (hex).

        ``user`` None makes the baseline commit by rospoll; otherwise the author is the
        RouterOS user (``UNKNOWN`` when attribution found nobody). ``when`` must be
        timezone-aware (``ValueError`` otherwise). When ``text`` equals the committed version
        no commit is made and the current ``HEAD`` id is returned. Raises ``StoreError``.
        """
        timestamp = _utc_seconds(when)
        name = file_name(device)
        data = _encode(text)
        author = ROSPOLL_IDENT if user is None else author_ident(user, device)
        body = message.encode("utf-8", "replace")
        if not body.endswith(b"\n"):
            body += b"\n"
        with self._locked():
            atomic_write(self.root / name, data)
            with _translated(f"cannot commit backup of {device}"):
                blob = Blob.from_string(data)
                commit_id = self._commit_blob(name.encode(), blob, author, body, timestamp)
            self._refresh_index(name, blob.id)
        return commit_id.decode("ascii")

    def recent(self, limit: int) -> list[CommitInfo]:
        """The last ``limit`` commits of the branch (any device), newest first."""
        with self._thread_lock, _translated("cannot read the backups history"):
            _, head = self._head()
            if head is None:
                return []
            walker = self._repo.get_walker(include=[head], max_entries=limit)
            return [_commit_info(entry.commit) for entry in walker]

    # -- internals -----------------------------------------------------------------------

    @staticmethod
    def _open_or_init(root: Path) -> Repo:
        try:
            if (root / ".git").exists():
                return Repo(str(root))
            make_private_dir(root)
            try:
                return Repo.init(str(root), default_branch=DEFAULT_BRANCH)
            except FileExistsError:  # another process created it meanwhile
                return Repo(str(root))
        except (OSError, NotGitRepository) as exc:
            raise StoreError(f"cannot open backups repository {root}: {exc}") from exc

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self._thread_lock:
            try:
                self._file_lock.acquire()
            except filelock.Timeout as exc:
                raise StoreError(f"backups {self.root} stayed locked by another writer") from exc
            try:
                if not self._swept:
                    self._sweep_after_crash()
                    self._swept = True
                yield
            finally:
                self._file_lock.release()

    def _try_sweep(self) -> None:
        """Sweep at once when no other writer holds the commit lock, else at the first commit."""
        with self._thread_lock:
            try:
                self._file_lock.acquire(timeout=0)
            except filelock.Timeout:
                return  # a writer holds it; the sweep runs under our first commit's lock
            try:
                self._sweep_after_crash()
                self._swept = True
            finally:
                self._file_lock.release()

    def _sweep_after_crash(self) -> None:
        """Under the commit lock: drop what a writer killed mid-commit left behind.

        Every writer holds the commit lock while it writes a working file or moves the
        branch, so a temporary found now is dead; a git lock file is only trusted dead when
        it is a few seconds old (a person's ``git`` command may hold one briefly).
        """
        cutoff = time.time() - _STALE_GIT_LOCK_S
        git_dir = self._git_dir
        stale = [*self.root.glob(f".*{FILE_SUFFIX}.*.tmp")]
        stale += [p for p in (git_dir / "refs" / "heads").glob("*.lock") if _older(p, cutoff)]
        stale += [p for p in (git_dir / "index.lock",) if _older(p, cutoff)]
        for path in stale:
            try:
                path.unlink()
                log.warning("backups %s: removed %s left by a killed writer", self.root, path.name)
            except FileNotFoundError:
                pass  # gone meanwhile: what the sweep wanted
            except OSError as exc:
                log.warning("backups %s: cannot remove stale %s: %s", self.root, path, exc)

    def _head(self) -> tuple[Ref, ObjectID | None]:
        """The branch HEAD points at and its commit id (None before the first commit)."""
        names, sha = self._repo.refs.follow(HEADREF)
        branch = names[-1] if names else HEADREF
        return branch, sha

    def _blob_id(self, commit_id: ObjectID, path: bytes) -> ObjectID | None:
        tree = self._tree_of(commit_id)
        try:
            _, sha = tree[path]
        except KeyError:
            return None
        return ObjectID(sha)

    def _tree_of(self, commit_id: ObjectID) -> Tree:
        commit = self._repo[commit_id]
        assert isinstance(commit, Commit)
        tree = self._repo[commit.tree]
        assert isinstance(tree, Tree)
        return tree

    def _commit_blob(
        self, path: bytes, blob: Blob, author: bytes, message: bytes, timestamp: int
    ) -> ObjectID:
        store = self._repo.object_store
        for _ in range(_CAS_ATTEMPTS):
            branch, head = self._head()
            tree = Tree()
            if head is not None:
                old = self._tree_of(head)
                if path in old and old[path][1] == blob.id:
                    return head  # unchanged: nothing to commit
                for entry in old.iteritems():
                    tree.add(entry.path, entry.mode, entry.sha)
            tree.add(path, _FILE_MODE_GIT, blob.id)
            commit = Commit()
            commit.tree = tree.id
            commit.parents = [] if head is None else [head]
            commit.author = author
            commit.committer = ROSPOLL_IDENT
            commit.author_time = commit.commit_time = timestamp
            commit.author_timezone = commit.commit_timezone = 0
            commit.encoding = b"UTF-8"
            commit.message = message
            for obj in (blob, tree, commit):
                store.add_object(obj)
            if _HAS_MODES:
                make_objects_private(self._git_dir, (blob.id, tree.id, commit.id))
            reflog = b"commit: " + message.split(b"\n", 1)[0][:200]
            if head is None:
                moved = self._repo.refs.add_if_new(
                    branch,
                    commit.id,
                    committer=ROSPOLL_IDENT,
                    timestamp=timestamp,
                    timezone=0,
                    message=reflog,
                )
            else:
                moved = self._repo.refs.set_if_equals(
                    branch,
                    head,
                    commit.id,
                    committer=ROSPOLL_IDENT,
                    timestamp=timestamp,
                    timezone=0,
                    message=reflog,
                )
            if moved:
                if _HAS_MODES:
                    make_ref_private(self._git_dir, branch)
                return commit.id
            log.info("backups %s: %s moved under us; rebuilding the commit", self.root, branch)
        raise StoreError(f"backups {self.root}: branch kept moving; gave up after retries")

    def _refresh_index(self, name: str, blob_id: ObjectID) -> None:
        """Point the index entry at the new blob with the file's stat, so git status is clean.

        The commit already stands; a failure here only makes ``git status`` noisy, so it is
        logged, not raised.
        """
        try:
            index = self._repo.open_index()
            st = (self.root / name).stat()
            index[name.encode()] = index_entry_from_stat(st, blob_id, mode=_FILE_MODE_GIT)
            index.write()
            if _HAS_MODES:
                chmod_private(self._git_dir / "index", FILE_MODE)  # rewritten 0644 each time
        except Exception as exc:  # dulwich raises several unrelated types (FileLocked, ...)
            log.warning("backups %s: index not refreshed for %s: %s", self.root, name, exc)


def _older(path: Path, cutoff: float) -> bool:
    try:
        return path.stat().st_mtime < cutoff
    except OSError:
        return False  # cannot tell its age: treat it as live, never remove a lock in use


def _thread_lock_for(root: Path) -> threading.Lock:
    key = os.path.normcase(str(root.resolve()))
    with _THREAD_LOCKS_GUARD:
        return _THREAD_LOCKS.setdefault(key, threading.Lock())


@contextmanager
def _translated(what: str) -> Iterator[None]:
    """Turn dulwich and OS errors into ``StoreError(what: reason)``."""
    try:
        yield
    except StoreError:
        raise
    except (OSError, KeyError, ValueError, NotGitRepository) as exc:
        raise StoreError(f"{what}: {exc}") from exc


def _utc_seconds(when: datetime) -> int:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"commit time must be timezone-aware (UTC), got {when!r}")
    return int(when.timestamp())


def _encode(text: str) -> bytes:
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError as exc:
        raise StoreError(f"export text cannot be stored as UTF-8: {exc}") from exc


def _decode(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def _commit_info(commit: Commit) -> CommitInfo:
    name, _, email = commit.author.decode("utf-8", "replace").rpartition(" <")
    return CommitInfo(
        id=commit.id.decode("ascii"),
        author_name=name,
        author_email=email.rstrip(">"),
        time=datetime.fromtimestamp(commit.author_time, tz=timezone.utc),
        message=commit.message.decode("utf-8", "replace").removesuffix("\n"),
        parents=tuple(parent.decode("ascii") for parent in commit.parents),
    )
