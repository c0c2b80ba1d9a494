"""Crash recovery: the changes a killed (or failed) run stored but did not finish.

A change is stored as a commit (carrying its journal entry as a trailer), then a journal
line; it is finished once mailed and reported, when its user-log block is written. Before
its first record, and again after a record or a report failed half-way, the pipeline asks
:func:`unfinished` for the change commits of the last ``RECOVERY_DEPTH`` commits (no older
than ``RECOVERY_WINDOW`` before the newest journal line) that

- have no journal line (killed between commit and journal line): the line is appended now;
- or have no user-log block (killed, or the outbox could not be written, before it).

Each comes back as the :class:`~rospoll.app.change.Change` ``record`` had, rebuilt from the
two stored versions, oldest first; the pipeline mails and reports it (the notifier skips a
report id it already queued, so a mail is sent once) and writes the user-log block.

Commits of routers not in the inventory are left for a run that has them. With an empty
journal (new, or rotated) unjournaled commits are only recovered when there is at most one
per router (a run killed on its very first change), so rotating the journal replays nothing
once some router has two changes in the recent commits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import timedelta

from rospoll.app.change import Change, Version
from rospoll.app.recorder import Recorder
from rospoll.app.trailer import parse_trailer
from rospoll.attribution.attribute import Attribution
from rospoll.config import Export, diff_exports
from rospoll.config.render import sentence
from rospoll.device.poller import Fetched
from rospoll.inventory import Device
from rospoll.store import CommitInfo, JournalEntry

log = logging.getLogger(__name__)

RECOVERY_DEPTH = 256  # commits looked at for changes a killed run did not finish
RECOVERY_WINDOW = timedelta(hours=1)  # ... no older than this before the newest journal line


def unfinished(recorder: Recorder, read: Callable[[str], Version]) -> list[Change]:
    """The unfinished changes, oldest first; journals the unjournaled ones. Raises StoreError.

    Call under ``recorder.gate.exclusive()``. ``read`` parses a stored text.
    """
    journaled = recorder.journal.entries()
    ids = {entry.id for entry in journaled}
    cutoff = max((e.time for e in journaled), default=None)
    found: list[tuple[CommitInfo, JournalEntry, tuple[str, ...], bool]] = []
    user_logs: dict[str, str] = {}
    for info in recorder.backups.recent(RECOVERY_DEPTH):
        trailer = parse_trailer(info.message)
        if trailer is None or trailer[0].router not in recorder.devices:
            continue
        entry, commands = replace(trailer[0], commit=info.id), trailer[1]
        if cutoff is not None and entry.time < cutoff - RECOVERY_WINDOW:
            break
        if entry.id not in ids:
            found.append((info, entry, commands, False))
        elif not _user_log_names(recorder, entry, user_logs):
            found.append((info, entry, commands, True))
    routers = [entry.router for _, entry, _, in_journal in found if not in_journal]
    if not journaled and len(routers) != len(set(routers)):
        # a killed run leaves at most one change per router unjournaled: this is a
        # rotated journal, and replaying its changes would mail them all again
        log.warning("the journal is empty but backups hold changes: not replaying them")
        return []
    changes = []
    for info, entry, commands, in_journal in reversed(found):
        log.warning(
            "%s: change %s (commit %s) was left unfinished by a run that stopped or failed; "
            "finishing it now",
            entry.router,
            entry.id,
            info.id[:12],
        )
        if not in_journal:
            recorder.journal.append(entry)
        changes.append(_rebuild(recorder, info, entry, commands, read))
    return changes


def _rebuild(
    recorder: Recorder,
    info: CommitInfo,
    entry: JournalEntry,
    commands: Sequence[str],
    read: Callable[[str], Version],
) -> Change:
    """The change of commit ``info`` as ``record`` had it, from its two stored versions."""
    device = recorder.devices[entry.router]
    after = recorder.backups.read(device.name, at=info.id) or ""
    parent = info.parents[0] if info.parents else None
    before = (recorder.backups.read(device.name, at=parent) if parent else None) or ""
    new = read(after)
    old = read(before) if before else new
    changes = diff_exports(old.export, new.export)
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
        export=after,
        history="",
        identity=_identity(new.export, device),
        version=new.export.meta.version,
    )
    return Change(device, entry, credit, sentences, changes, fetched, before, after)


def _user_log_names(recorder: Recorder, entry: JournalEntry, cache: dict[str, str]) -> bool:
    """True when the user's log holds the block of ``entry``'s commit (files cached)."""
    if entry.user not in cache:
        path = recorder.users.path_for(entry.user)
        try:
            cache[entry.user] = path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            cache[entry.user] = ""  # no block yet for this user
        except OSError as exc:
            log.warning("cannot read %s: %s; taking its changes as unfinished", path, exc)
            cache[entry.user] = ""
    return f"commit: {entry.commit}\n" in cache[entry.user]


def _identity(export: Export, device: Device) -> str:
    """The router's identity as its export sets it, else the inventory name."""
    section = export.sections.get("/system identity")
    for item in section.items if section is not None else ():
        if item.args.get("name"):
            return item.args["name"]
    return device.name
