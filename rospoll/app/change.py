"""The values the pipeline passes on: a parsed version, a stored change, a record's result."""

from __future__ import annotations

from dataclasses import dataclass, field

from rospoll.attribution.attribute import Attribution
from rospoll.config import ChangeSet, Export
from rospoll.device.poller import Fetched
from rospoll.inventory import Device
from rospoll.store import JournalEntry


@dataclass(frozen=True)
class Version:
    """One export as stored: the normalised text and its parsed model."""

    text: str
    export: Export


@dataclass(frozen=True)
class Change:
    """One attribution as stored: its journal entry, sentences and the texts around it."""

    device: Device
    entry: JournalEntry
    attribution: Attribution
    sentences: tuple[str, ...]
    changes: ChangeSet
    fetched: Fetched
    before: str  # the stored (normalised) export text before this attribution's commit
    after: str  # and after it


@dataclass(frozen=True)
class Recorded:
    """What one record did: a baseline, nothing, or some changes.

    ``unreported`` names the changes stored but not yet mailed and reported (the outbox
    could not be written): they are finished by the next record's recovery.
    """

    device: Device
    baseline: bool = False
    changes: tuple[Change, ...] = field(default=())
    unreported: tuple[str, ...] = field(default=())


def describe(recorded: Recorded) -> str:
    """One line: the baseline, or who changed which sections; empty when nothing changed."""
    name = recorded.device.name
    if recorded.baseline:
        return f"{name}: baseline stored"
    parts = [
        f"{c.entry.user} ({c.entry.source}{', inferred' if c.entry.inferred else ''}) "
        f"{', '.join(c.entry.sections)}"
        for c in recorded.changes
    ]
    line = f"{name}: changed by {'; '.join(parts)}" if parts else ""
    if recorded.unreported:
        line += f" (mail and report not written yet, will retry: {len(recorded.unreported)})"
    return line
