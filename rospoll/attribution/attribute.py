"""Credit each item change to the user who made it: log events first, then history, else UNKNOWN.

    credits = attribute(changes, events=burst_events, history=new_history_entries)
    for credit in credits:
        print(credit.user, credit.source, credit.sections)

Per item change, in this order:

1. **log**: a change event of the burst whose section (from the v7 command, else the object
   words) covers the item's section; among several, the one whose command names the
   item's verb and argument values best (values the change set count double, values the
   item does not hold count against), then the latest;
2. **history**: a new ``/system history`` entry, matched the same way by its action words
   and ``redo`` command;
3. **inferred**: in a burst with events but no match, the most likely event's user (the
   latest event that could not be narrowed to a section, else the latest), marked inferred;
4. **poll**: ``UNKNOWN``.

Changes with the same user, source, via, address and inferred flag form one attribution.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rospoll.attribution.history import HistoryEntry
from rospoll.attribution.logline import ChangeEvent
from rospoll.attribution.objects import (
    CommandRef,
    parse_command,
    section_matches,
    sections_for_object,
)
from rospoll.config import ChangeSet, ItemChange, SectionChange
from rospoll.config.secrets import mask_line

UNKNOWN = "UNKNOWN"

_VERB_OF_KIND = {
    "added": ("add", "added"),
    "removed": ("remove", "removed"),
    "changed": ("set", "changed", "enable", "enabled", "disable", "disabled", "unset", "comment"),
    "moved": ("move", "moved"),
}


@dataclass(frozen=True)
class Attribution:
    """Item changes credited to one user, and how we know."""

    user: str
    source: str  # "log" | "history" | "poll"
    changes: tuple[ItemChange, ...]
    via: str = ""
    address: str = ""
    commands: tuple[str, ...] = ()
    inferred: bool = False

    @property
    def sections(self) -> tuple[str, ...]:
        """Changed section paths, in first-change order."""
        return tuple(dict.fromkeys(change.section for change in self.changes))

    def changeset(self, base: ChangeSet) -> ChangeSet:
        """``base`` narrowed to this attribution's item changes (for its revert snippet)."""
        mine = {id(change) for change in self.changes}
        sections = []
        for section in base.sections:
            kept = {
                kind: tuple(c for c in getattr(section, kind) if id(c) in mine)
                for kind in ("added", "removed", "changed", "moved")
            }
            if any(kept.values()):
                sections.append(SectionChange(section.path, **kept))
        return ChangeSet(base.old_meta, base.new_meta, tuple(sections))

    def counts(self) -> dict[str, int]:
        """Number of items added, removed, changed and moved."""
        counts = dict.fromkeys(("added", "removed", "changed", "moved"), 0)
        for change in self.changes:
            counts[change.kind] = counts.get(change.kind, 0) + 1
        return counts


@dataclass(frozen=True)
class _Claim:
    """Who could have made a change: a log event or a history entry, with its section hints."""

    user: str
    source: str
    via: str
    address: str
    command: str
    verb: str
    sections: tuple[str, ...]
    refs: tuple[CommandRef, ...]
    order: int  # larger is more recent

    def covers(self, section: str) -> bool:
        return any(section_matches(candidate, section) for candidate in self.sections)

    def score(self, change: ItemChange) -> int:
        """How well the claim names this change: verbs and argument values that agree.

        An argument of the command counts 3 when the item holds that value, 6 when it is
        a value the change set, and -3 when the item holds another value (the command
        was about another item: Winbox logs every property of the one it saved, and most
        of them equal its neighbours'). Arguments the item does not have count nothing.
        """
        verbs = _VERB_OF_KIND.get(change.kind, ())
        score = 1 if self.verb in verbs else 0
        held = (change.old_args if change.new_args is None else change.new_args) or {}
        set_now = {arg.name: arg.new for arg in change.args if arg.new is not None}
        for ref in self.refs:
            if ref.section and not section_matches(ref.section, change.section):
                continue
            if ref.verb in verbs:
                score += 2
            for key, value in ref.args:
                have = held.get(key)
                if have is None:
                    continue
                if have != value:
                    score -= 3
                else:
                    score += 6 if set_now.get(key) == value else 3
        return score


def _event_claims(events: Sequence[ChangeEvent]) -> list[_Claim]:
    claims = []
    for order, event in enumerate(events):
        if not event.user:
            continue
        refs = parse_command(event.command) if event.command else ()
        claims.append(
            _Claim(
                user=event.user,
                source="log",
                via=event.via,
                address=event.address,
                command=event.command,
                verb=event.verb,
                sections=event.sections,
                refs=refs,
                order=order,
            )
        )
    return claims


def _history_claims(entries: Sequence[HistoryEntry]) -> list[_Claim]:
    claims = []
    # /system history prints newest first: the first entry is the most recent.
    for order, entry in enumerate(reversed(entries)):
        if not entry.by:
            continue
        words, _, verb = entry.action.rpartition(" ")
        refs = parse_command(entry.redo) if entry.redo else ()
        sections = tuple(ref.section for ref in refs if ref.section) or sections_for_object(words)
        claims.append(
            _Claim(
                user=entry.by,
                source="history",
                via="",
                address="",
                command=entry.redo,
                verb=verb,
                sections=sections,
                refs=refs,
                order=order,
            )
        )
    return claims


def _best(claims: list[_Claim], change: ItemChange) -> _Claim | None:
    covering = [claim for claim in claims if claim.covers(change.section)]
    if not covering:
        return None
    return max(covering, key=lambda claim: (claim.score(change), claim.order))


def attribute(
    changes: ChangeSet,
    *,
    events: Sequence[ChangeEvent] = (),
    history: Sequence[HistoryEntry] = (),
) -> list[Attribution]:
    """Split ``changes`` into attributions; every item change lands in exactly one."""
    event_claims = _event_claims(events)
    history_claims = _history_claims(history)
    fallback = _likely(event_claims)
    groups: dict[tuple[str, str, str, str, bool], list[ItemChange]] = {}
    commands: dict[tuple[str, str, str, str, bool], list[str]] = {}
    for change in changes.items():
        claim = _best(event_claims, change) or _best(history_claims, change)
        inferred = False
        if claim is None and fallback is not None:
            claim, inferred = fallback, True
        if claim is None:
            key = (UNKNOWN, "poll", "", "", False)
        else:
            key = (claim.user, claim.source, claim.via, claim.address, inferred)
            if claim.command and not inferred:
                commands.setdefault(key, [])
                command = mask_line(claim.command)  # it travels to journal, reports and mail
                if command not in commands[key]:
                    commands[key].append(command)
        groups.setdefault(key, []).append(change)
    ordered = sorted(groups, key=lambda k: (k[1] == "poll", k[4]))  # UNKNOWN and guesses last
    return [
        Attribution(
            user=user,
            source=source,
            changes=tuple(groups[key]),
            via=via,
            address=address,
            commands=tuple(commands.get(key, ())),
            inferred=inferred,
        )
        for key in ordered
        for user, source, via, address, inferred in [key]
    ]


def _likely(claims: list[_Claim]) -> _Claim | None:
    """The event most likely behind an unmatched change: an un-narrowed one, else the latest."""
    if not claims:
        return None
    vague = [claim for claim in claims if not claim.sections]
    return max(vague or claims, key=lambda claim: claim.order)
