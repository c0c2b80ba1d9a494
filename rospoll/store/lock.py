"""One writer per data folder: ``DataLock`` keeps two rospoll runs from writing at once.

>>> with DataLock(data_folder / ".rospoll.lock", timeout_s=5):   # doctest: +SKIP
...     backups.commit(...)

The lock is an OS file lock (``filelock``: ``fcntl``/``msvcrt``), so it is released when the
holding process dies; there is no stale lock to clean up by hand.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

import filelock

from rospoll.errors import StoreError
from rospoll.files import FILE_MODE, make_private_dir

LOCK_FILE_NAME = ".rospoll.lock"


class DataLock:
    """Context manager holding ``path`` exclusively; raises ``StoreError`` after ``timeout_s``.

    ``path`` is the lock file (``<data folder>/.rospoll.lock``); an existing folder given
    instead means ``<folder>/.rospoll.lock``. Not re-entrant across instances: a second
    ``DataLock`` on the same file waits like another process would.
    """

    def __init__(self, path: Path, timeout_s: float = 10.0) -> None:
        path = Path(path)
        self.path = path / LOCK_FILE_NAME if path.is_dir() else path
        self.timeout_s = timeout_s
        self._lock = filelock.FileLock(
            str(self.path), timeout=timeout_s, mode=FILE_MODE, thread_local=False
        )

    def __enter__(self) -> DataLock:
        make_private_dir(self.path.parent)
        try:
            self._lock.acquire()
        except filelock.Timeout as exc:
            raise StoreError(f"another rospoll run holds {self.path}; try later") from exc
        except OSError as exc:
            raise StoreError(f"cannot lock {self.path}: {exc.strerror or exc}") from exc
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._lock.release()
