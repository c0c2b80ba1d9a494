"""5 · Store: git backups, change journal, per-user records, the data-folder lock.

Everything here writes crash-safely (temp + fsync + rename, or append + fsync) and raises
``rospoll.errors.StoreError`` when the disk or git says no.
"""

from rospoll.store.backups import Backups, CommitInfo
from rospoll.store.journal import Journal, JournalEntry
from rospoll.store.lock import DataLock
from rospoll.store.names import safe_name
from rospoll.store.userlog import UserLog, render_block

__all__ = [
    "Backups",
    "CommitInfo",
    "DataLock",
    "Journal",
    "JournalEntry",
    "UserLog",
    "render_block",
    "safe_name",
]
