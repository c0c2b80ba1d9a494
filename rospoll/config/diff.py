"""Structural diff of two parsed exports (the only module that uses deepdiff).

>>> changes = diff_exports(parse_export(old_text), parse_export(new_text))
>>> changes.counts(), changes.sentences()

Items are matched by key and compared by plain equality first; only the pairs that
differ are handed to one DeepDiff call, which explains them argument by argument.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping, Sequence

from deepdiff import DeepDiff

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
from rospoll.config.keys import is_ordered
from rospoll.config.model import Export, Item, Section
from rospoll.config.secrets import is_sensitive

_EMPTY = Section("", ())


def _unmoved(old_positions: Sequence[int]) -> set[int]:
    """Indices into ``old_positions`` forming a longest increasing run (items not moved)."""
    tails: list[int] = []
    tail_index: list[int] = []
    parent = [-1] * len(old_positions)
    for index, value in enumerate(old_positions):
        slot = bisect_left(tails, value)
        if slot == len(tails):
            tails.append(value)
            tail_index.append(index)
        else:
            tails[slot] = value
            tail_index[slot] = index
        parent[index] = tail_index[slot - 1] if slot else -1
    keep: set[int] = set()
    cursor = tail_index[-1] if tail_index else -1
    while cursor != -1:
        keep.add(cursor)
        cursor = parent[cursor]
    return keep


def _is_weak(item: Item) -> bool:
    return item.command == "add" and (not item.is_keyed or item.key.startswith("comment="))


def _pair_by_position(
    removed: list[Item], added: list[Item]
) -> tuple[list[Item], list[Item], list[tuple[Item, Item]]]:
    """In ordered sections, a rule keyed only by comment or content that is removed and one
    added at the same place are one changed rule."""
    at = {item.position: item for item in removed if _is_weak(item)}
    pairs = []
    still_added = []
    for item in added:
        old = at.pop(item.position, None) if _is_weak(item) else None
        if old is None:
            still_added.append(item)
        else:
            pairs.append((old, item))
    paired = {id(old) for old, _ in pairs}
    return [i for i in removed if id(i) not in paired], still_added, pairs


_Compared = tuple[list[Item], list[Item], list[tuple[Item, Item]], list[ItemChange]]


def _compare(old: Section, new: Section) -> _Compared:
    """Removed, added, differing pairs and moves of one section."""
    removed = [item for item in old.items if item.key not in new.by_key]
    added = [item for item in new.items if item.key not in old.by_key]
    differing = []
    common_old_positions = []
    common_items = []
    for item in new.items:
        before = old.by_key.get(item.key)
        if before is None:
            continue
        if before.args != item.args or before.command != item.command:
            differing.append((before, item))
        common_old_positions.append(before.position)
        common_items.append((before, item))
    moved: list[ItemChange] = []
    if is_ordered(new.path or old.path):
        removed, added, pairs = _pair_by_position(removed, added)
        differing.extend(pairs)
        keep = _unmoved(common_old_positions)
        moved = [
            ItemChange(after.section, after.key, MOVED, before, after)
            for index, (before, after) in enumerate(common_items)
            if index not in keep
        ]
    return removed, added, differing, moved


def _explain(pairs: list[tuple[Item, Item]], hides_secrets: bool) -> list[tuple[ArgChange, ...]]:
    """Argument changes of each differing pair, from one DeepDiff over all of them."""
    old_sub = {index: dict(old.args) for index, (old, _) in enumerate(pairs)}
    new_sub = {index: dict(new.args) for index, (_, new) in enumerate(pairs)}
    found: list[list[ArgChange]] = [[] for _ in pairs]
    tree = DeepDiff(old_sub, new_sub, view="tree")
    for report in ("values_changed", "dictionary_item_added", "dictionary_item_removed"):
        for level in tree.get(report, ()):
            path = level.path(output_format="list")
            index, name = path[0], str(path[1])
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
