"""The parsed configuration: an export is ordered sections of identified items.

The layers below, each importing only those before it: ``syntax`` (tokens, quoting),
``meta`` (header facts) and ``item`` (one identified command), ``keys`` (identity),
``lines`` (a section's command lines), then this module. ``ExportMeta`` and ``Item`` are
re-exported here, so ``rospoll.config.model`` names the whole model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import FrozenInstanceError, dataclass
from operator import itemgetter

from rospoll.config.item import Item
from rospoll.config.lines import SectionLines
from rospoll.config.meta import ExportMeta

__all__ = ["Export", "ExportMeta", "Item", "Section"]


class Section:
    """A menu path exactly as RouterOS prints it (``/ip firewall filter``) and its items.

    Immutable. A parsed section keeps its command lines (``source``) and builds ``items``
    and ``by_key`` on first use: the diff compares most sections by their lines alone.
    Equal when the paths and the items are (equal lines in one path give equal items).
    """

    __slots__ = ("_built", "path", "source")
    path: str
    source: SectionLines | None
    _built: tuple[tuple[Item, ...], Mapping[str, Item]] | None

    def __init__(
        self,
        path: str,
        items: tuple[Item, ...] = (),
        by_key: Mapping[str, Item] | None = None,
        *,
        source: SectionLines | None = None,
    ) -> None:
        set_ = object.__setattr__
        set_(self, "path", path)
        set_(self, "source", source)
        set_(self, "_built", None if source is not None else (items, by_key or {}))

    def _items_and_keys(self) -> tuple[tuple[Item, ...], Mapping[str, Item]]:
        built = self._built
        if built is None:
            assert self.source is not None
            items = self.source.items()
            built = items, dict(zip(map(_KEY, items), items, strict=True))
            object.__setattr__(self, "_built", built)
        return built

    @property
    def items(self) -> tuple[Item, ...]:
        """The items in export order (built from the lines on first use)."""
        return self._items_and_keys()[0]

    @property
    def by_key(self) -> Mapping[str, Item]:
        """The items by key."""
        return self._items_and_keys()[1]

    @property
    def size(self) -> int:
        """Number of items, without building them (one per command line)."""
        return len(self.source.texts) if self.source is not None else len(self.items)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Section):
            return NotImplemented
        if self.path != other.path:
            return False
        mine, theirs = self.source, other.source
        if mine is not None and theirs is not None and mine.texts == theirs.texts:
            return True
        return self.items == other.items

    def __hash__(self) -> int:
        return hash((self.path, self.items))

    def __repr__(self) -> str:
        return f"Section(path={self.path!r}, items={self.items!r})"

    def __reduce__(self) -> tuple[type[Section], tuple[str, tuple[Item, ...], Mapping[str, Item]]]:
        return Section, (self.path, self.items, self.by_key)

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")


_KEY = itemgetter(1)


@dataclass(frozen=True, slots=True)
class Export:
    """A parsed export: metadata and sections in first-appearance order."""

    meta: ExportMeta
    sections: Mapping[str, Section]

    def item_count(self) -> int:
        """Number of items in all sections."""
        return sum(s.size for s in self.sections.values())
