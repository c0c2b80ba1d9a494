"""Recorder: the store side of the pipeline, for every router of an inventory.

It owns the backups repository, the journal, the user logs, the seen-history marks and the
warning markers, and writes them in the order crash recovery relies on: per change one git
commit authored by the router user (carrying its journal entry as a trailer), then the
journal line; the user-log block is written by :meth:`finish`, last, once the change was
mailed and reported. A change is *finished* when its user-log block exists
(:mod:`rospoll.app.recovery` finds the others). It never calls up: it returns the stored
:class:`~rospoll.app.change.Change` values and the pipeline tells them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from rospoll.app.change import Change, Version
from rospoll.app.concurrency import KeyedLocks, ReadWriteLock
from rospoll.app.identity import ReplacedMarks
from rospoll.app.trailer import BASELINE_MESSAGE, commit_message
from rospoll.attribution.attribute import Attribution
from rospoll.attribution.history import HistoryEntry
from rospoll.attribution.split import split_texts
from rospoll.config import ChangeSet
from rospoll.config.render import sentence
from rospoll.device.poller import Fetched
from rospoll.errors import RospollError
from rospoll.files import atomic_write, make_private_dir
from rospoll.inventory import Device, Inventory
from rospoll.store import Backups, Journal, JournalEntry, UserLog, render_block, safe_name
from rospoll.store.marks import HistoryMarks


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Recorder:
    """Stores versions, changes and warnings of an inventory's routers; thread-safe."""

    def __init__(
        self,
        *,
        backups: Backups,
        journal: Journal,
        users: UserLog,
        marks: HistoryMarks,
        replaced: ReplacedMarks,
        warned: Path,
        devices: Sequence[Device] = (),
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.backups = backups
        self.journal = journal
        self.users = users
        self.marks = marks
        self.replaced = replaced  # routers whose next export may come from another box
        self.warned = warned  # one marker per router holding its journaled warning
        self.devices: Mapping[str, Device] = {device.name: device for device in devices}
        self.clock = clock
        self.gate = ReadWriteLock()  # records store in shared mode, recovery runs exclusive
        self.recovery_due = True  # look for unfinished changes before the first record
        self._locks = KeyedLocks()

    @classmethod
    def for_inventory(cls, inventory: Inventory, *, state_dir: Path) -> Recorder:
        """The recorder writing to the inventory's backups and reports folders."""
        reports = inventory.report_dir
        return cls(
            backups=Backups(inventory.backup_dir),
            journal=Journal(reports / "changes.jsonl"),
            users=UserLog(reports / "users"),
            marks=HistoryMarks(state_dir / "history"),
            replaced=ReplacedMarks(state_dir / "replaced"),
            warned=state_dir / "warned",
            devices=inventory.devices,
        )

    @contextmanager
    def storing(self, device: Device) -> Iterator[None]:
        """Hold while storing for ``device``: one record per router, none during recovery."""
        with self.gate.shared(), self._locks[device.name]:
            yield

    def current(self, device: Device, read: Callable[[str], Version]) -> Version | None:
        """The last stored version of ``device`` (``read`` parses it), None before a baseline."""
        text = self.backups.read(device.name)
        return None if text is None else read(text)

    def store_baseline(self, device: Device, new: Version) -> None:
        """The first version of a router: one commit, no change, no journal line."""
        self.backups.commit(
            device.name, new.text, user=None, message=BASELINE_MESSAGE, when=self.clock()
        )

    def store_changes(
        self,
        device: Device,
        fetched: Fetched,
        old: Version,
        new: Version,
        changes: ChangeSet,
        credits: Sequence[Attribution],
    ) -> list[Change]:
        """One commit and journal line per credit (its user's part of the new text).

        With no change but a different text (a RouterOS upgrade: header only) the text is
        committed without a journal line. Raises ``StoreError``; a commit may then stand
        without its journal line, so recovery is due again.
        """
        try:
            return self._store_changes(device, fetched, old, new, changes, credits)
        except RospollError:
            self.recovery_due = True
            raise

    def _store_changes(
        self,
        device: Device,
        fetched: Fetched,
        old: Version,
        new: Version,
        changes: ChangeSet,
        credits: Sequence[Attribution],
    ) -> list[Change]:
        if not changes:
            if new.text != old.text:
                self.backups.commit(
                    device.name,
                    new.text,
                    user=None,
                    message=f"export header changed (RouterOS {new.export.meta.version}); "
                    "no configuration change",
                    when=self.clock(),
                )
            return []
        stored = []
        before = old.text
        for credit, text in zip(credits, split_texts(old.text, new.text, credits), strict=True):
            sentences = tuple(sentence(change) for change in credit.changes)
            entry = journal_entry(device, credit, self.clock())
            commit = self.backups.commit(
                device.name,
                text,
                user=credit.user,
                message=commit_message(credit, sentences, entry),
                when=entry.time,
            )
            entry = replace(entry, commit=commit)
            self.journal.append(entry)
            stored.append(Change(device, entry, credit, sentences, changes, fetched, before, text))
            before = text
        return stored

    def fresh_history(self, device: Device, entries: Sequence[HistoryEntry]) -> list[HistoryEntry]:
        """The ``/system history`` entries not seen at this router's last record."""
        return self.marks.new_entries(device.name, entries)

    def save_history(self, device: Device, entries: Sequence[HistoryEntry]) -> None:
        self.marks.save(device.name, entries)

    def finish(self, change: Change) -> None:
        """The change was mailed and reported: write its user-log block (last, see above)."""
        self.users.append(change.entry.user, render_block(change.entry, change.sentences))

    # warnings ------------------------------------------------------------------
    def store_warning(self, device: Device, warning: str) -> JournalEntry | None:
        """Journal ``warning`` unless it is the one already journaled; None when nothing new.

        An empty warning clears the router's marker, so a relapse warns again. The pipeline
        reports the returned entry, then calls :meth:`warning_told`.
        """
        marker = self.warned / safe_name(device.name)
        if not warning:
            marker.unlink(missing_ok=True)
            return None
        if marker.exists() and marker.read_text(encoding="utf-8") == warning:
            return None
        entry = JournalEntry(
            time=self.clock(),
            router=device.name,
            user="rospoll",
            source="poll",
            via=None,
            address=None,
            command=None,
            sections=(LOGGING_SECTION,),
            added=0,
            removed=0,
            changed=0,
            moved=0,
            commit=None,
            warning=warning,
        )
        self.journal.append(entry)
        return entry

    def warning_told(self, device: Device, warning: str) -> None:
        """The warning was journaled and reported: remember it (written last)."""
        make_private_dir(self.warned)
        atomic_write(self.warned / safe_name(device.name), warning)


LOGGING_SECTION = "/system logging"


def journal_entry(device: Device, credit: Attribution, when: datetime) -> JournalEntry:
    """The journal entry of one attribution (``commit`` still unknown)."""
    counts = credit.counts()
    return JournalEntry(
        time=when,
        router=device.name,
        user=credit.user,
        source=credit.source,
        via=credit.via or None,
        address=credit.address or None,
        command="; ".join(credit.commands) or None,
        sections=credit.sections,
        added=counts["added"],
        removed=counts["removed"],
        changed=counts["changed"],
        moved=counts["moved"],
        commit=None,
        inferred=credit.inferred,
    )
