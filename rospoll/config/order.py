"""Ordered sections (firewall rules …): which items moved, which rules were rewritten."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence

from rospoll.config.item import Item


def unmoved(old_positions: Sequence[int]) -> set[int]:
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


def pair_by_position(
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
