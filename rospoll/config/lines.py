"""The command lines of one section of one export, checked at once and parsed on demand.

``parse_export`` checks every line (a bad line is an error at once, as always) but
builds no items: a :class:`SectionLines` keeps the texts and parses them when the
section's items are asked for, or, in the diff, only the lines that differ.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from itertools import compress
from operator import is_
from weakref import ref

from rospoll.config.item import Item
from rospoll.config.keys import Entry, entry, identify_entries, key_spec
from rospoll.config.syntax import parse_command

# A subset of what ``parse_command`` accepts: ``add`` and ``name=value`` arguments only,
# values bare or quoted without escapes. Such a line parses to ``("add", None, {name:
# value …})`` with every value spelled verbatim in the line (the diff relies on that).
# Explicit ASCII ranges, no ``\w`` or ``\s``: 2-3x faster (no Unicode look-ups); a bare
# value excludes controls and every character ``str.split`` splits on.
_NAME = r"[A-Za-z0-9_./:-]++"
_BARE_VALUE = r'[^\x00-\x20"\\\x7f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*+'
_ADD = rf'add(?: ++{_NAME}=(?:"[^"\\\n]*+"|{_BARE_VALUE}))*+ *+'
SIMPLE = re.compile(_ADD)
_ALL_SIMPLE = re.compile(rf"(?:{_ADD}\n)*+")
_NO_ENTRIES: dict[str, Entry] = {}


class SectionLines:
    """The command texts of one section as exported, all known to parse.

    ``textset`` maps each text to itself (a dict of strings, which the garbage collector
    does not track, unlike a set). Texts equal to one of ``previous`` are its string
    objects, so comparing them stops at identity. ``odd`` holds the texts that do not match
    :data:`SIMPLE`. ``previous`` is the same section of the export the parse was given as
    ``like`` (kept weakly: no chain of old exports is kept), ``new`` the texts it did not
    have. Entries (``keys.Entry``) are computed once per text and shared with
    ``previous``, which holds nearly the same lines.
    """

    __slots__ = (
        "__weakref__", "_before", "_previous", "entries", "new", "odd", "path", "texts", "textset"
    )  # fmt: skip

    def __init__(
        self, path: str, texts: tuple[str, ...], previous: SectionLines | None = None
    ) -> None:
        """Check the texts not in ``previous``: raises ExportInvalidError on a bad one."""
        self.path = path
        self.new: Collection[str] = texts
        if previous is not None:  # take its string objects: equal lines compare by identity
            known = tuple(map(previous.textset.get, texts, texts))
            maybe = compress(texts, map(is_, known, texts))  # not found, or found itself
            self.new = {text for text in maybe if text not in previous.textset}
            texts = known
        self.texts = texts
        self.textset: dict[str, str] = dict(zip(texts, texts, strict=True))
        self.entries: dict[str, Entry] = {}
        odd = unsimple(self.new)
        spec = key_spec(path)
        for text in odd:  # not SIMPLE: the full parser says whether they are good
            self.entries[text] = entry(spec, *parse_command(text))
        self.odd = frozenset(odd)
        self._previous, self._before = None, _NO_ENTRIES
        if previous is not None:
            self.odd |= {text for text in previous.odd if text in self.textset}
            self._previous, self._before = ref(previous), previous.entries

    def follows(self, other: SectionLines) -> bool:
        """True when ``other`` is the section this one was parsed like (``new`` holds
        the texts ``other`` has not)."""
        return self._previous is not None and self._previous() is other

    def entry(self, text: str) -> Entry:
        """The Entry of ``text`` (one of ``texts``, so known to parse)."""
        found = self.entries.get(text)
        if found is None:
            found = self._before.get(text)
            if found is None:
                found = entry(key_spec(self.path), *parse_command(text))
            self.entries[text] = found
        return found

    def items(self) -> tuple[Item, ...]:
        """All items of the section, keyed as ``keys.identify_entries`` keys them."""
        return identify_entries(self.path, list(map(self.entry, self.texts)))


def unsimple(texts: Collection[str]) -> list[str]:
    """The texts that do not match :data:`SIMPLE` (one regex pass over all of them)."""
    if not texts:
        return []
    block = "\n".join(texts) + "\n"
    if _ALL_SIMPLE.fullmatch(block):
        return []
    return [text for text in block[:-1].split("\n") if not SIMPLE.fullmatch(text)]
