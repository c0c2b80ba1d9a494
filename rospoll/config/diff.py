"""Structural diff of two parsed exports (the only module that uses deepdiff).

>>> changes = diff_exports(parse_export(old_text), parse_export(new_text))
>>> changes.counts(), changes.sentences()

Items are matched by key and compared by plain equality first; only the pairs that
differ are handed to one DeepDiff call, which explains them argument by argument. A
parsed section is first compared by its lines (``linediff``): equal lines need no items,
and where it can tell, only the differing lines are parsed and keyed.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import compress, count
from operator import itemgetter, ne, or_

from rospoll.config.changes import (
    ADDED,
    CHANGED,
    MOVED,
    REMOVED,
    ArgChange,
    ChangeSet,
    ItemChange,
    SectionChange,
)
from rospoll.config.item import Item
from rospoll.config.keys import is_ordered
from rospoll.config.linediff import compare_lines
from rospoll.config.model import Export, Section
from rospoll.config.order import pair_by_position, unmoved
from rospoll.config.secrets import is_sensitive

_EMPTY = Section("", ())


_Compared = tuple[list[Item], list[Item], list[tuple[Item, Item]], list[ItemChange]]
_KEY, _COMMAND, _ARGS, _POSITION = itemgetter(1), itemgetter(2), itemgetter(4), itemgetter(5)


def _compare(old: Section, new: Section) -> _Compared:
    """Removed, added, differing pairs and moves of one section: from the differing lines
    where ``linediff`` can tell, else from all items."""
    if old is not new and old.source is not None and new.source is not None:
        found = compare_lines(old.source, new.source, is_ordered(new.path))
        if found is not None:
            return found
    return compare_items(old, new)


def compare_items(old: Section, new: Section) -> _Compared:
    """Removed, added, differing pairs and moves of one section, from all its items.

    Everything that is equal is found equal in C (tuple, set and ``map`` comparisons);
    Python only loops over what differs.
    """
    if old is new or old.items == new.items:
        return [], [], [], []
    old_by, new_by = old.by_key, new.by_key
    gone = old_by.keys() - new_by.keys()
    appeared = new_by.keys() - old_by.keys()
    removed = [item for item in old.items if item.key in gone] if gone else []
    added = [item for item in new.items if item.key in appeared] if appeared else []
    common = [item for item in new.items if item.key not in appeared] if appeared else new.items
    befores = list(map(old_by.__getitem__, map(_KEY, common)))
    unequal = map(
        or_,
        map(ne, map(_ARGS, befores), map(_ARGS, common)),
        map(ne, map(_COMMAND, befores), map(_COMMAND, common)),
    )
    differing = [(befores[i], common[i]) for i in compress(count(), unequal)]
    moved: list[ItemChange] = []
    if is_ordered(new.path or old.path):
        removed, added, pairs = pair_by_position(removed, added)
        differing.extend(pairs)
        positions = list(map(_POSITION, befores))
        if positions != sorted(positions):  # positions are unique: sorted means no move
            keep = unmoved(positions)
            moved = [
                ItemChange(after.section, after.key, MOVED, before, after)
                for index, (before, after) in enumerate(zip(befores, common, strict=True))
                if index not in keep
            ]
    return removed, added, differing, moved


def _explain(pairs: list[tuple[Item, Item]], hides_secrets: bool) -> list[tuple[ArgChange, ...]]:
    """Argument changes of each differing pair, from one DeepDiff over all of them.

    DeepDiff gets only the arguments that differ, as one flat dict keyed by ``(pair
    index, name)`` on each side: 5x cheaper than nested per-pair dicts of all arguments,
    and the same report (absent on one side: added or removed; on both: changed).
    """
    old_sub: dict[tuple[int, str], str] = {}
    new_sub: dict[tuple[int, str], str] = {}
    for index, (old_item, new_item) in enumerate(pairs):
        before, after = old_item.args, new_item.args
        for name in before.keys() | after.keys():
            value, other = before.get(name), after.get(name)
            if value != other:
                if value is not None:
                    old_sub[index, name] = value
                if other is not None:
                    new_sub[index, name] = other
    found: list[list[ArgChange]] = [[] for _ in pairs]
    from deepdiff import DeepDiff  # 0.08 s to import; a poll that finds no change needs none

    # threshold 0: never report a whole dict as one change when few keys are shared.
    tree = DeepDiff(old_sub, new_sub, view="tree", threshold_to_diff_deeper=0)
    for report in ("values_changed", "dictionary_item_added", "dictionary_item_removed"):
        for level in tree.get(report, ()):
            index, name = level.path(output_format="list")[0]
            old = level.t1 if report != "dictionary_item_added" else None
            new = level.t2 if report != "dictionary_item_removed" else None
            hidden = new is None and hides_secrets and is_sensitive(name)
            found[index].append(ArgChange(name, old, new, hidden=hidden))
    return [tuple(sorted(changes, key=lambda a: a.name)) for changes in found]


def diff_exports(old: Export, new: Export) -> ChangeSet:
    """Compare two exports item by item; returns a ChangeSet (false when equal).

    Secrets absent from a v7 NEW export that OLD had are reported as hidden, not removed.
    """
    paths = list(old.sections) + [p for p in new.sections if p not in old.sections]
    compared = []
    all_pairs: list[tuple[Item, Item]] = []
    for path in paths:
        result = _compare(old.sections.get(path, _EMPTY), new.sections.get(path, _EMPTY))
        compared.append((path, result))
        all_pairs.extend(result[2])
    explained: Mapping[int, tuple[ArgChange, ...]] = {}
    if all_pairs:
        args = _explain(all_pairs, hides_secrets=new.meta.major >= 7)
        explained = {id(pair[1]): arg for pair, arg in zip(all_pairs, args, strict=True)}
    sections = []
    for path, (removed, added, differing, moved) in compared:
        change = SectionChange(
            path,
            added=tuple(ItemChange(path, i.key, ADDED, None, i) for i in added),
            removed=tuple(ItemChange(path, i.key, REMOVED, i, None) for i in removed),
            changed=tuple(
                ItemChange(path, n.key, CHANGED, o, n, explained[id(n)]) for o, n in differing
            ),
            moved=tuple(moved),
        )
        if change:
            sections.append(change)
    return ChangeSet(old.meta, new.meta, tuple(sections))
