"""One section's diff from its lines: only the lines that differ are parsed and keyed.

Gives what ``diff.compare_items`` gives for the same section, or None where that is not
shown below; the caller then compares all items. It applies when both versions hold only
:data:`~rospoll.config.lines.SIMPLE` lines, each once, and the lines common to both are in
the same order. Then a common line has the same key in both (its key depends on other
lines only through comment counts and duplicate numbers, and no differing line shares
its key: checked below), so only the differing lines can be added, removed, changed or
moved, and their keys come from them alone.

A common line can share a key with a differing line only if it carries the same values
for the key's arguments (a comment key: the comment; a content key: every argument,
blake2b-64 collisions aside), and a SIMPLE line spells each value verbatim, bare after
``name=`` or between quotes. So the values of the differing lines are looked up among
the common lines' values; any hit sends the section to the full comparison.
"""

from __future__ import annotations

import re
from itertools import chain, compress, count
from operator import not_

from rospoll.config.changes import MOVED, ItemChange
from rospoll.config.item import Item
from rospoll.config.keys import Entry, identify_entries, key_spec
from rospoll.config.lines import SectionLines
from rospoll.config.order import pair_by_position, unmoved

Compared = tuple[list[Item], list[Item], list[tuple[Item, Item]], list[ItemChange]]


def compare_lines(old: SectionLines, new: SectionLines, ordered: bool) -> Compared | None:
    """Removed, added, differing pairs and moves, or None when the shortcut does not apply."""
    if old.texts == new.texts:
        return [], [], [], []
    if old.odd or new.odd:
        return None
    if len(old.textset) < len(old.texts) or len(new.textset) < len(new.texts):
        return None  # repeated lines: numbered keys
    gone, came = _only_at(old, new), _only_at(new, old)
    common = _without(old.texts, gone)
    if common != _without(new.texts, came):
        return None  # common lines reordered: duplicate numbers and moves need all keys
    old_entries, old_items = _identified(old, gone)
    new_entries, new_items = _identified(new, came)
    if _may_share_keys(old_entries + new_entries, common, key_spec(new.path)):
        return None
    old_by = {item.key: item for item in old_items}
    new_keys = {item.key for item in new_items}
    removed = [item for item in old_items if item.key not in new_keys]
    added = [item for item in new_items if item.key not in old_by]
    matched = [(old_by[item.key], item) for item in new_items if item.key in old_by]
    differing = [(o, n) for o, n in matched if o.args != n.args or o.command != n.command]
    if not ordered:
        return removed, added, differing, []
    removed, added, pairs = pair_by_position(removed, added)
    moved = _moves(old, new, matched) if matched else []
    if moved is None:
        return None
    return removed, added, differing + pairs, moved


def _only_at(one: SectionLines, other: SectionLines) -> list[int]:
    """Positions of the texts of ``one`` that ``other`` has not (one pass over ``one``)."""
    if one.follows(other):  # the parse found them
        only = one.new
        return list(compress(count(), map(only.__contains__, one.texts))) if only else []
    return list(compress(count(), map(not_, map(other.textset.__contains__, one.texts))))


def _without(texts: tuple[str, ...], positions: list[int]) -> list[str]:
    """``texts`` but those at ``positions`` (ascending)."""
    starts = [0, *[index + 1 for index in positions]]
    ends = [*positions, len(texts)]
    return list(chain.from_iterable(map(texts.__getitem__, map(slice, starts, ends))))


def _identified(lines: SectionLines, positions: list[int]) -> tuple[list[Entry], list[Item]]:
    """Entries and Items of the lines at ``positions``, keyed among themselves, in place."""
    entries = [lines.entry(lines.texts[index]) for index in positions]
    return entries, list(identify_entries(lines.path, entries, positions))


def _may_share_keys(
    entries: list[Entry], common: list[str], spec: tuple[tuple[str, ...], ...]
) -> bool:
    """True unless no common line can carry a key of one of ``entries``."""
    probes = [_probe(entry, spec) for entry in entries]
    values = _Values(common, {value for probe in probes for _, value in probe})
    return any(all(map(values.has, reversed(probe))) for probe in probes)


def _probe(entry: Entry, spec: tuple[tuple[str, ...], ...]) -> list[tuple[str, str]]:
    """Arguments a line must share with ``entry``'s line to share one of its keys."""
    args, key = entry[2], entry[3]
    if key is not None:  # a natural key (SIMPLE lines are ``add``s)
        names = next(alt for alt in spec if all(name in args for name in alt))
        return [(name, args[name]) for name in names]
    if "comment" in args:  # keyed by comment, or by content, which includes the comment
        return [("comment", args["comment"])]
    return list(args.items())  # keyed by content (no arguments: shares with any such line)


class _Values:
    """Which of the ``wanted`` values SIMPLE ``texts`` give to an argument (perhaps a few
    more: a value counts wherever it stands quoted)."""

    def __init__(self, texts: list[str], wanted: set[str]) -> None:
        self.block, self.wanted = "\n".join(texts), wanted
        # No escapes in SIMPLE lines: every other piece is the inside of quotes.
        pieces = self.block.split('"')[1::2] if '"' in self.block else ()
        self.quoted = wanted.intersection(pieces)
        self.bare: dict[str, set[str]] = {}

    def has(self, pair: tuple[str, str]) -> bool:
        """True when a text may give argument ``name`` the value (always for ``""``)."""
        name, value = pair
        if not value or value in self.quoted:
            return True
        bare = self.bare.get(name)
        if bare is None:  # `` name=`` outside quotes starts a token (inside: a false hit)
            found = re.findall(f' {re.escape(name)}=([^\\s"]\\S*)', self.block)
            bare = self.bare[name] = self.wanted.intersection(found)
        return value in bare


def _moves(
    old: SectionLines, new: SectionLines, matched: list[tuple[Item, Item]]
) -> list[ItemChange] | None:
    """Moves among the items in both versions, as ``order.unmoved`` finds them; None when a
    common line would be reported moved (its Item is not built here)."""
    at_old = dict(zip(old.texts, count()))
    places: list[int | None] = list(map(at_old.get, new.texts))  # None: a differing line
    pair_at = {after.position: (before, after) for before, after in matched}
    for place, (before, _) in pair_at.items():
        places[place] = before.position
    where = [index for index, place in enumerate(places) if place is not None]
    positions = [place for place in places if place is not None]
    if positions == sorted(positions):
        return []
    keep = unmoved(positions)
    moved = []
    for rank, index in enumerate(where):
        if rank not in keep:
            pair = pair_at.get(index)
            if pair is None:
                return None
            moved.append(ItemChange(new.path, pair[1].key, MOVED, *pair))
    return moved
