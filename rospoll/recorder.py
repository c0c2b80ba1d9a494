"""Recorder: a fetched export becomes backups commits, journal lines and user-log entries.

    recorder = Recorder.for_inventory(inventory)
    result = recorder.record(device, fetched, events=burst_events)

The flow for one router: validate and parse the export, diff it against the last stored
version, credit each change (log events, then new ``/system history`` entries, else
UNKNOWN), then per attribution: one git commit authored by that user, one journal line,
the ``on_change`` hook (mail, reports), and last one block in ``reports/users/<user>.log``.
One record runs at a time per router.

Crash safety. Each change commit carries its journal entry (JSON, with its id, ``commit``
null) as a trailer, ``Rospoll-Entry: {...}``. Before its first record a recorder reads the
last ``RECOVERY_DEPTH`` commits (no older than ``RECOVERY_WINDOW`` before the newest journal
line) and finishes, oldest first, what a killed run left undone:

- a change commit whose entry id is not in the journal (killed between commit and journal
  line): the journal line (with the commit id), ``on_change`` rebuilt from the two stored
  versions (mail and report page), and the user-log block;
- a router's newest change whose user-log block is missing (killed after the journal line,
  before or while mailing): ``on_change`` and the user-log block.

So nothing is lost and the journal, commits and user logs hold each change exactly once; a
mail may be queued twice when the kill fell between queueing it and the user-log block (at
least once, never lost). Commits of routers not in the inventory are left for a run that has
them. With an empty journal (new, or rotated) unjournaled commits are only recovered when
there is at most one per router (a run killed on its very first change), so rotating the
journal replays nothing once some router has two changes in the recent commits. The same
recovery runs again after a record failed half-way (disk full), once no record is storing.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from rospoll.attribution.attribute import Attribution, attribute
from rospoll.attribution.history import HistoryEntry, parse_history
from rospoll.attribution.logline import ChangeEvent
from rospoll.attribution.split import split_texts
from rospoll.config import ChangeSet, Export, check_shrink, diff_exports, validate_export
from rospoll.config.parse import parse_normalised
from rospoll.config.render import sentence
from rospoll.config.validate import check_tail_cut
from rospoll.device.poller import Fetched
from rospoll.errors import RospollError
from rospoll.identity_check import ReplacedMarks, check_identity
from rospoll.inventory import Device, Inventory
from rospoll.store import Backups, CommitInfo, Journal, JournalEntry, UserLog, render_block
from rospoll.store.marks import HistoryMarks

log = logging.getLogger(__name__)

BASELINE_MESSAGE = "baseline: first version seen by rospoll"
ENTRY_TRAILER = "Rospoll-Entry: "
RECOVERY_DEPTH = 256  # commits looked at for changes a killed run did not journal
RECOVERY_WINDOW = timedelta(hours=1)  # ... no older than this before the newest journal line


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
        devices: Sequence[Device] = (),
    ) -> None:
        self.backups = backups
        self.replaced = replaced  # routers whose next export may come from another box
        self.journal = journal
        self.users = users
        self.marks = marks
        self.on_change = on_change
        self.devices: Mapping[str, Device] = {device.name: device for device in devices}
        self._clock = clock
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._gate = _Gate()  # records store in shared mode, recovery runs exclusive
        self._recovery_due = True

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
            devices=inventory.devices,
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
        if self._recovery_due:
            self.recover()
        with self._gate.shared(), self.lock_for(device):
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
                check_tail_cut(old, new)  # a cut at a line boundary: valid, barely smaller
            changes = diff_exports(old, new)
            fresh = self.marks.new_entries(device.name, entries)
            try:
                stored = self._store(
                    device, fetched, old_text, new_text, changes, events, fresh, new
                )
            except RospollError:
                self._recovery_due = True  # a commit may stand without its journal line
                raise
            self.marks.save(device.name, entries)
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
                commit=None,
                inferred=credit.inferred,
            )
            message = _message(credit, sentences) + _trailer(entry, credit.commands)
            commit = self.backups.commit(
                device.name, text, user=credit.user, message=message, when=now
            )
            entry = replace(entry, commit=commit)
            change = Change(device, entry, credit, sentences, changes, fetched, before, text)
            self._finish(change)
            stored.append(change)
            before = text
        return stored

    def _finish(self, change: Change) -> None:
        """After the commit: the journal line, mail and reports, and last the user-log block."""
        self.journal.append(change.entry)
        self._notify(change)
        self.users.append(change.entry.user, render_block(change.entry, change.sentences))

    # recovery ------------------------------------------------------------------
    def recover(self) -> list[Change]:
        """Finish the changes a killed run left unfinished; see the module docstring.

        Returns them, oldest first. Waits until no record is storing. Raises ``StoreError``.
        """
        with self._gate.exclusive():
            if not self._recovery_due:
                return []
            done = self._recover()
            self._recovery_due = False
        return done

    def _recover(self) -> list[Change]:
        journaled = self.journal.entries()
        ids = {entry.id for entry in journaled}
        cutoff = max((e.time for e in journaled), default=None)
        unfinished: list[tuple[CommitInfo, JournalEntry, tuple[str, ...], bool]] = []
        newest_seen: set[str] = set()  # routers whose newest change commit was looked at
        user_logs: dict[str, str] = {}
        for info in self.backups.recent(RECOVERY_DEPTH):
            found = _parse_trailer(info.message)
            if found is None or found[0].router not in self.devices:
                continue
            entry, commands = replace(found[0], commit=info.id), found[1]
            if cutoff is not None and entry.time < cutoff - RECOVERY_WINDOW:
                break
            newest = entry.router not in newest_seen
            newest_seen.add(entry.router)
            if entry.id not in ids:
                unfinished.append((info, entry, commands, False))
            elif newest and not self._user_log_names(entry, user_logs):
                unfinished.append((info, entry, commands, True))  # killed after its journal line
        routers = [entry.router for _, entry, _, in_journal in unfinished if not in_journal]
        if not journaled and len(routers) != len(set(routers)):
            # a killed run leaves at most one change per router unjournaled: this is a
            # rotated journal, and replaying its changes would mail them all again
            log.warning("the journal is empty but backups hold changes: not replaying them")
            return []
        done = []
        for info, entry, commands, in_journal in reversed(unfinished):
            log.warning(
                "%s: change %s (commit %s) was left unfinished by a run that stopped "
                "abruptly; finishing it now",
                entry.router,
                entry.id,
                info.id[:12],
            )
            change = self._rebuild(info, entry, commands)
            if not in_journal:
                self.journal.append(entry)
            self._notify(change)
            if not self._user_log_names(entry, user_logs):
                self.users.append(entry.user, render_block(entry, change.sentences))
            done.append(change)
        return done

    def _rebuild(self, info: CommitInfo, entry: JournalEntry, commands: Sequence[str]) -> Change:
        """The change of commit ``info`` as ``record`` had it, from its two stored versions."""
        device = self.devices[entry.router]
        after = self.backups.read(device.name, at=info.id) or ""
        parent = info.parents[0] if info.parents else None
        before = (self.backups.read(device.name, at=parent) if parent else None) or ""
        old = parse_normalised(validate_export(before)) if before else None
        new = parse_normalised(validate_export(after))
        changes = diff_exports(old or new, new)
        items = tuple(changes.items())
        credit = Attribution(
            user=entry.user,
            source=entry.source,
            changes=items,
            via=entry.via or "",
            address=entry.address or "",
            commands=tuple(commands),
            inferred=entry.inferred,
        )
        sentences = tuple(sentence(item) for item in items)
        fetched = Fetched(
            export=after, history="", identity=_identity(new, device), version=new.meta.version
        )
        return Change(device, entry, credit, sentences, changes, fetched, before, after)

    def _user_log_names(self, entry: JournalEntry, cache: dict[str, str]) -> bool:
        """True when the user's log holds the block of ``entry``'s commit (files cached)."""
        if entry.user not in cache:
            try:
                path = self.users.path_for(entry.user)
                cache[entry.user] = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                cache[entry.user] = ""
        return f"commit: {entry.commit}\n" in cache[entry.user]

    def _notify(self, change: Change) -> None:
        if self.on_change is None:
            return
        try:
            self.on_change(change)
        except Exception:  # a report or mail failure never undoes a stored change
            log.exception("%s: reporting change %s failed", change.device.name, change.entry.id)


class _Gate:
    """Many holders in shared mode or one in exclusive mode; a waiting exclusive goes first."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._shared = 0
        self._exclusive = False
        self._waiting = 0

    @contextmanager
    def shared(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._exclusive and not self._waiting)
            self._shared += 1
        try:
            yield
        finally:
            with self._cond:
                self._shared -= 1
                self._cond.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._cond:
            self._waiting += 1
            self._cond.wait_for(lambda: not self._exclusive and not self._shared)
            self._waiting -= 1
            self._exclusive = True
        try:
            yield
        finally:
            with self._cond:
                self._exclusive = False
                self._cond.notify_all()


def _trailer(entry: JournalEntry, commands: Sequence[str]) -> str:
    """The commit message's last paragraph: the journal entry and the exact commands."""
    data = json.loads(entry.to_json())
    data["commands"] = list(commands)
    return f"\n{ENTRY_TRAILER}{json.dumps(data, ensure_ascii=True, separators=(',', ':'))}\n"


def _parse_trailer(message: str) -> tuple[JournalEntry, tuple[str, ...]] | None:
    """The entry and commands of a change commit's trailer; None for other commits."""
    for line in reversed(message.splitlines()):
        if line.startswith(ENTRY_TRAILER):
            raw = line[len(ENTRY_TRAILER) :]
            try:
                entry = JournalEntry.from_json(raw)
                commands = json.loads(raw).get("commands") or []
            except (ValueError, TypeError, AttributeError) as exc:
                log.warning("unreadable %s trailer: %s", ENTRY_TRAILER.strip(), exc)
                return None
            return entry, tuple(str(command) for command in commands)
    return None


def _identity(export: Export, device: Device) -> str:
    """The router's identity as its export sets it, else the inventory name."""
    section = export.sections.get("/system identity")
    for item in section.items if section is not None else ():
        if item.args.get("name"):
            return item.args["name"]
    return device.name


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
