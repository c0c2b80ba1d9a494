"""Recorder: a fetched export becomes backups commits, journal lines and user-log entries.

    recorder = Recorder.for_inventory(inventory)
    result = recorder.record(device, fetched, events=burst_events)

The flow for one router: validate and parse the export, diff it against the last stored
version, credit each change (log events, then new ``/system history`` entries, else
UNKNOWN), then per attribution: one git commit authored by that user, one journal line,
one block in ``reports/users/<user>.log``, and the ``on_change`` hook (mail, reports).
One record runs at a time per router.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from rospoll.attribution.attribute import Attribution, attribute
from rospoll.attribution.history import HistoryEntry, parse_history
from rospoll.attribution.logline import ChangeEvent
from rospoll.attribution.split import split_texts
from rospoll.config import ChangeSet, Export, check_shrink, diff_exports, validate_export
from rospoll.config.parse import parse_normalised
from rospoll.config.render import sentence
from rospoll.device.poller import Fetched
from rospoll.identity_check import ReplacedMarks, check_identity
from rospoll.inventory import Device, Inventory
from rospoll.store import Backups, Journal, JournalEntry, UserLog, render_block
from rospoll.store.marks import HistoryMarks

log = logging.getLogger(__name__)

BASELINE_MESSAGE = "baseline: first version seen by rospoll"


@dataclass(frozen=True)
class Change:
    """One attribution as stored: its journal entry, sentences and the texts around it."""

    device: Device
    entry: JournalEntry
    attribution: Attribution
    sentences: tuple[str, ...]
    changes: ChangeSet
    fetched: Fetched
    before: str  # the stored export text before this attribution's commit
    after: str  # and after it


@dataclass(frozen=True)
class Recorded:
    """What one record did: a baseline, nothing, or some changes."""

    device: Device
    baseline: bool = False
    changes: tuple[Change, ...] = field(default=())


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Recorder:
    """Stores versions and changes of an inventory's routers; safe to share between threads."""

    def __init__(
        self,
        *,
        backups: Backups,
        journal: Journal,
        users: UserLog,
        marks: HistoryMarks,
        on_change: Callable[[Change], None] | None = None,
        clock: Callable[[], datetime] = _utc_now,
        replaced: ReplacedMarks | None = None,
    ) -> None:
        self.backups = backups
        self.replaced = replaced  # routers whose next export may come from another box
        self.journal = journal
        self.users = users
        self.marks = marks
        self.on_change = on_change
        self._clock = clock
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    @classmethod
    def for_inventory(
        cls,
        inventory: Inventory,
        *,
        history_dir: Path,
        on_change: Callable[[Change], None] | None = None,
    ) -> Recorder:
        """The recorder writing to the inventory's backups and reports folders."""
        reports = inventory.report_dir
        return cls(
            backups=Backups(inventory.backup_dir),
            journal=Journal(reports / "changes.jsonl"),
            users=UserLog(reports / "users"),
            marks=HistoryMarks(history_dir),
            on_change=on_change,
            replaced=ReplacedMarks(history_dir.parent / "replaced"),
        )

    def lock_for(self, device: Device) -> threading.Lock:
        """The lock that keeps one export in flight per router."""
        with self._locks_guard:
            return self._locks.setdefault(device.name, threading.Lock())

    def record(
        self,
        device: Device,
        fetched: Fetched,
        *,
        events: Sequence[ChangeEvent] = (),
        allow_shrink: bool = False,
    ) -> Recorded:
        """Store ``fetched`` for ``device``.

        Raises :class:`~rospoll.errors.ExportInvalidError` when the export is not usable
        (CLI error, truncated, not an export) or shrank suddenly (unless ``allow_shrink``),
        and :class:`~rospoll.identity_check.RouterChangedError` when it comes from another
        router (serial number, software id or system id changed): nothing is stored then.
        Raises :class:`~rospoll.errors.StoreError` on disk trouble.
        """
        normalised = validate_export(fetched.export)
        new = parse_normalised(normalised)
        new_text = normalised.text()
        entries = parse_history(fetched.history)
        with self.lock_for(device):
            old_text = self.backups.read(device.name)
            if old_text is None:
                self.backups.commit(
                    device.name, new_text, user=None, message=BASELINE_MESSAGE, when=self._clock()
                )
                self.marks.save(device.name, entries)
                return Recorded(device, baseline=True)
            old = parse_normalised(validate_export(old_text))
            replaced = check_identity(device.name, old.meta, new.meta, replaced=self.replaced)
            if not allow_shrink and not replaced:
                check_shrink(old, new)
            changes = diff_exports(old, new)
            fresh = self.marks.new_entries(device.name, entries)
            stored = self._store(device, fetched, old_text, new_text, changes, events, fresh, new)
            self.marks.save(device.name, entries)
        for change in stored:
            self._notify(change)
        return Recorded(device, changes=tuple(stored))

    def _store(
        self,
        device: Device,
        fetched: Fetched,
        old_text: str,
        new_text: str,
        changes: ChangeSet,
        events: Sequence[ChangeEvent],
        history: Sequence[HistoryEntry],
        new: Export,
    ) -> list[Change]:
        if not changes:
            if new_text != old_text:  # e.g. a RouterOS upgrade: header only
                self.backups.commit(
                    device.name,
                    new_text,
                    user=None,
                    message=f"export header changed (RouterOS {new.meta.version}); "
                    "no configuration change",
                    when=self._clock(),
                )
            return []
        credits = attribute(changes, events=events, history=history)
        stored = []
        before = old_text
        for credit, text in zip(credits, split_texts(old_text, new_text, credits), strict=True):
            sentences = tuple(sentence(change) for change in credit.changes)
            now = self._clock()
            commit = self.backups.commit(
                device.name, text, user=credit.user, message=_message(credit, sentences), when=now
            )
            counts = credit.counts()
            entry = JournalEntry(
                time=now,
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
                commit=commit,
                inferred=credit.inferred,
            )
            self.journal.append(entry)
            self.users.append(credit.user, render_block(entry, sentences))
            stored.append(Change(device, entry, credit, sentences, changes, fetched, before, text))
            before = text
        return stored

    def _notify(self, change: Change) -> None:
        if self.on_change is None:
            return
        try:
            self.on_change(change)
        except Exception:  # a report or mail failure never undoes a stored change
            log.exception("%s: reporting change %s failed", change.device.name, change.entry.id)


def _message(credit: Attribution, sentences: Sequence[str]) -> str:
    who = credit.user if credit.source != "poll" else "UNKNOWN (not logged, not in history)"
    parts = (credit.via and f"via {credit.via}", credit.address and f"from {credit.address}")
    how = " ".join(part for part in parts if part)
    head = f"{', '.join(credit.sections)}: changed by {who}"
    lines = [head[:200], ""]
    if how:
        lines.append(f"{how}{' (inferred)' if credit.inferred else ''}")
    lines += [f"command: {command}" for command in credit.commands]
    lines += [f"- {text}" for text in sentences]
    return "\n".join(lines) + "\n"
