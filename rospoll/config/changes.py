"""What changed between two exports: per section, items added, removed, changed, moved.

Each change also says itself in one sentence (``sentence``), secrets masked unless asked.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from rospoll.config.item import Item
from rospoll.config.keys import label
from rospoll.config.meta import ExportMeta
from rospoll.config.secrets import MASK, is_sensitive, sensitive_keys
from rospoll.config.syntax import quote_value

ADDED, REMOVED, CHANGED, MOVED, HIDDEN = "added", "removed", "changed", "moved", "hidden"
_SHORT = 60


@dataclass(frozen=True, slots=True)
class ArgChange:
    """One argument of a changed item; ``None`` means absent (the default)."""

    name: str
    old: str | None
    new: str | None
    hidden: bool = False  # absent in NEW because the export hid secrets (v7), not removed

    @property
    def kind(self) -> str:
        """``hidden``, ``added``, ``removed`` or ``changed``."""
        if self.hidden:
            return HIDDEN
        return ADDED if self.old is None else REMOVED if self.new is None else CHANGED

    @property
    def is_secret(self) -> bool:
        """True when the values are secrets and are masked unless asked for."""
        return is_sensitive(self.name)

    def to_dict(self, show_secrets: bool = False) -> dict[str, Any]:
        """JSON-ready form; secret values become ``******``."""
        mask = self.is_secret and not show_secrets
        return {
            "name": self.name,
            "kind": self.kind,
            "secret": self.is_secret,
            "old": MASK if mask and self.old is not None else self.old,
            "new": MASK if mask and self.new is not None else self.new,
        }


@dataclass(frozen=True, slots=True)
class ItemChange:
    """One item added, removed, changed (``args`` says how) or moved, with both versions."""

    section: str
    key: str
    kind: str
    old: Item | None
    new: Item | None
    args: tuple[ArgChange, ...] = ()

    @property
    def label(self) -> str:
        """Human name: "rule 'drop invalid'", "address 10.0.0.1/24", "rule #3"."""
        item = self.new if self.new is not None else self.old
        assert item is not None
        return label(item)

    @property
    def old_args(self) -> Mapping[str, str] | None:
        """Arguments in OLD, or None when the item is new."""
        return self.old.args if self.old is not None else None

    @property
    def new_args(self) -> Mapping[str, str] | None:
        """Arguments in NEW, or None when the item was removed."""
        return self.new.args if self.new is not None else None

    def to_dict(self, show_secrets: bool = False) -> dict[str, Any]:
        """JSON-ready form (see docs/DIFF_JSON.md)."""
        item = self.new if self.new is not None else self.old
        assert item is not None
        return {
            "kind": self.kind,
            "key": self.key,
            "label": self.label,
            "keyed": item.is_keyed,
            "command": item.command,
            "selector": item.selector,
            "old_position": self.old.position if self.old is not None else None,
            "new_position": self.new.position if self.new is not None else None,
            "old": _masked(self.old_args, show_secrets),
            "new": _masked(self.new_args, show_secrets),
            "args": [a.to_dict(show_secrets) for a in self.args],
        }


def _masked(args: Mapping[str, str] | None, show_secrets: bool) -> dict[str, str] | None:
    if args is None:
        return None
    if show_secrets:
        return dict(args)
    return {k: MASK if is_sensitive(k) else v for k, v in args.items()}


@dataclass(frozen=True, slots=True)
class SectionChange:
    """The changes in one section (path as RouterOS prints it)."""

    path: str
    added: tuple[ItemChange, ...] = ()
    removed: tuple[ItemChange, ...] = ()
    changed: tuple[ItemChange, ...] = ()
    moved: tuple[ItemChange, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.moved)

    def changes(self) -> tuple[ItemChange, ...]:
        """All changes: removed, changed, added, moved."""
        return self.removed + self.changed + self.added + self.moved


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """Result of ``diff_exports``; false when the exports are equal as configurations."""

    old_meta: ExportMeta
    new_meta: ExportMeta
    sections: tuple[SectionChange, ...]

    def __bool__(self) -> bool:
        return bool(self.sections)

    def items(self) -> Iterator[ItemChange]:
        """Every ItemChange in section order."""
        for section in self.sections:
            yield from section.changes()

    def counts(self) -> dict[str, int]:
        """Number of items ``added``, ``removed``, ``changed`` and ``moved``."""
        return {
            kind: sum(len(getattr(s, kind)) for s in self.sections)
            for kind in (ADDED, REMOVED, CHANGED, MOVED)
        }

    def sentences(self, show_secrets: bool = False) -> list[str]:
        """One human sentence per change (secrets masked unless ``show_secrets``)."""
        return render_sentences(self, show_secrets=show_secrets)

    def to_dict(self, show_secrets: bool = False) -> dict[str, Any]:
        """The JSON document of ``rospoll diff --format json`` (docs/DIFF_JSON.md)."""
        return {
            "schema": "rospoll.diff/1",
            "equal": not self,
            "old": _meta_dict(self.old_meta),
            "new": _meta_dict(self.new_meta),
            "counts": self.counts(),
            "sections": [
                {"path": s.path, "changes": [c.to_dict(show_secrets) for c in s.changes()]}
                for s in self.sections
            ],
            "sentences": self.sentences(show_secrets),
        }


def _meta_dict(meta: ExportMeta) -> dict[str, Any]:
    return {
        "version": meta.version,
        "major": meta.major,
        "model": meta.model,
        "serial": meta.serial,
        "software_id": meta.software_id,
        "system_id": meta.system_id,
    }


def _short(value: str | None, secret: bool) -> str:
    if value is None:
        return "(default)"
    if secret:
        return MASK
    text = quote_value(value)
    return text if len(text) <= _SHORT else text[: _SHORT - 1] + "…"


def _arg_phrase(change: ArgChange, show_secrets: bool) -> str:
    secret = change.is_secret and not show_secrets
    if change.hidden:
        return f"{change.name} hidden by export"
    if secret:
        return f"{change.name} {change.kind}"
    return f"{change.name} {_short(change.old, False)} -> {_short(change.new, False)}"


def _args_phrase(args: Mapping[str, str] | None, show_secrets: bool) -> str:
    if not args:
        return ""
    mask = frozenset() if show_secrets else sensitive_keys(args)
    words = [k if k.startswith("!") else f"{k}={_short(v, k in mask)}" for k, v in args.items()]
    return ": " + " ".join(words)


def sentence(change: ItemChange, show_secrets: bool = False) -> str:
    """One sentence: "/ip firewall filter: rule 'drop invalid' changed: disabled no -> yes"."""
    head = f"{change.section}: {change.label}"
    if change.kind == "changed":
        phrases = [_arg_phrase(a, show_secrets) for a in change.args] or ["command changed"]
        return f"{head} changed: " + ", ".join(phrases)
    if change.kind == "moved":
        assert change.old is not None and change.new is not None
        return f"{head} moved from position {change.old.position + 1} to {change.new.position + 1}"
    args = change.new_args if change.kind == "added" else change.old_args
    return f"{head} {change.kind}{_args_phrase(args, show_secrets)}"


def render_sentences(changes: ChangeSet, *, show_secrets: bool = False) -> list[str]:
    """One sentence per ItemChange, in section order."""
    return [sentence(c, show_secrets) for c in changes.items()]
