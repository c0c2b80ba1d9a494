"""Parse ``/system history print`` and ``/system history print detail`` (v6 and v7).

The history lists recent undoable actions of all users, newest first. It names the user
(``BY``) even for changes the log follower missed, and ``print detail`` adds the exact
``redo``/``undo`` commands, so the scheduled poll can attribute changes after the fact.

Layouts understood::

    Flags: U - undoable, R - redoable, F - floating-undo          (v6 print)
      ACTION                                   BY                 POLICY
    U filter rule added                        admin              write

    Flags: U - UNDOABLE                                            (v7.10+ print)
    Columns: ACTION, BY, POLICY, TIME
      ACTION                              BY     POLICY  TIME
    U user admin changed                         write   2025-03-10 11:59:20
                                                 policy

    Flags: U - undoable, R - redoable, F - floating-undo          (print detail)
     F redo=/ip firewall filter add action=accept chain=forward
        undo=/ip firewall filter remove *3 action="filter rule added" by="admin"
        policy=write time=oct/10/2019 18:49:03

In tables, columns are cut at the header's column starts; a row with nothing in the flag,
ACTION and BY columns continues the row above (wrapped POLICY words are joined with ``,``).
In ``print detail`` an entry starts with an index or flag letters (or repeats a key its
entry already began a line with); wrapped lines are joined with a space. ``redo=``/``undo=``
values may be unquoted and contain spaces and ``key=value`` text of their own, so top-level
keys are taken as the first ``redo=``/``undo=`` and the last well-formed ``action=``,
``by=``, ``policy=``, ``time=`` outside quotes. Values are decoded by
:func:`rospoll.config.unquote` (``by="\\D0\\90\\D0\\BD\\D1\\8F"`` is ``Аня``), except that a
bare ``redo``/``undo`` command is kept as printed: its own arguments are decoded when it is
parsed. In tables the ACTION and BY cells are decoded the same way.

>>> [e.action for e in parse_history("  ACTION  BY  POLICY\\nU dns changed  admin  write")]
['dns changed']

Never raises on any ``str``; text that holds no entries gives ``[]``.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass

from rospoll.attribution.logline import TIME_PATTERN
from rospoll.attribution.objects import unquote_value
from rospoll.attribution.stream import clean_line
from rospoll.config import decode_value, unquote

_HEADER = re.compile(r"\s*(?:#\s+)?ACTION\s+BY(?:\s|$)")
_PROMPT = re.compile(r"\s*\[[^\]\s@]+@[^\]]*\]")
_DETAIL_LINE = re.compile(
    r"(?P<lead>\s*)(?:(?P<index>\d+)\s+)?(?:(?P<flags>[URF*X]{1,4})\s+)?(?P<rest>\S.*)"
)
_FIRST_KEY = re.compile(r"([a-z][\w-]*)=")
_TOP_KEY = re.compile(r"(?<!\S)(redo|undo|action|by|policy|time)=")
_POLICY_VALUE = re.compile(r"[a-z!,-]+(?:\s|$)")
_TIME_VALUE = re.compile(rf"{TIME_PATTERN}(?:\s|$)")


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One ``/system history`` entry; fields are ``""`` where the layout has no such column.

    ``flags`` holds the flag letters as printed (``U`` undoable, ``R`` redoable, ``F``
    floating-undo, i.e. made in Safe Mode).
    """

    action: str
    by: str
    policy: str
    time_text: str
    redo: str
    undo: str
    flags: str


def parse_history(text: str) -> list[HistoryEntry]:
    """Entries of ``/system history print`` or ``print detail`` output, in printed order
    (newest first). See the module docstring for the layouts."""
    lines = [clean_line(line) for line in text.splitlines()]
    lines = [line for line in lines if line.strip() and not _PROMPT.match(line)]
    for number, line in enumerate(lines):
        if _HEADER.match(line):
            return _parse_table(line, lines[number + 1 :])
    return _parse_detail(lines)


# ---- print (table) -------------------------------------------------------------------


def _parse_table(header: str, rows: list[str]) -> list[HistoryEntry]:
    names: list[str] = []
    starts: list[int] = []
    for word in re.finditer(r"\S+", header):
        if word.group() != "#":
            names.append(word.group())
            starts.append(word.start())
    entries: list[dict[str, str]] = []
    for row in rows:
        prefix = row[: starts[0]]
        cells = dict(zip(names, _cut(row, starts), strict=True))
        is_continuation = (
            bool(entries) and not prefix.strip() and not cells.get("ACTION") and not cells.get("BY")
        )
        if is_continuation:
            _extend(entries[-1], cells)
            continue
        cells["flags"] = "".join(c for c in prefix if c.isalpha() and c.isupper())
        entries.append(cells)
    return [
        HistoryEntry(
            action=decode_value(cells.get("ACTION", "")),
            by=decode_value(cells.get("BY", "")),
            policy=cells.get("POLICY", ""),
            time_text=cells.get("TIME", ""),
            redo="",
            undo="",
            flags=cells.get("flags", ""),
        )
        for cells in entries
    ]


def _cut(row: str, starts: list[int]) -> list[str]:
    """Slice ``row`` at the column starts, moving a cut that falls inside a word to its end."""
    bounds: list[int] = []
    for start in starts[1:]:
        cut = max(start, bounds[-1] if bounds else starts[0])
        while 0 < cut < len(row) and row[cut - 1] != " " and row[cut] != " ":
            cut += 1
        bounds.append(cut)
    edges = [starts[0], *bounds, len(row)]
    return [row[a:b].strip() if a < b else "" for a, b in itertools.pairwise(edges)]


_JOINERS = {"ACTION": " ", "BY": "", "POLICY": ",", "TIME": " "}


def _extend(cells: dict[str, str], more: dict[str, str]) -> None:
    for name, value in more.items():
        if value:
            joiner = _JOINERS.get(name, " ")
            cells[name] = cells[name] + joiner + value if cells.get(name) else value


# ---- print detail ---------------------------------------------------------------------


def _parse_detail(lines: list[str]) -> list[HistoryEntry]:
    blocks: list[tuple[str, list[str], set[str]]] = []  # (flags, texts, line-first keys)
    for line in lines:
        if line.lstrip().startswith(("Flags:", "Columns:")):
            continue
        match = _DETAIL_LINE.fullmatch(line)
        if match is None:
            continue
        rest = match["rest"]
        first = _FIRST_KEY.match(rest)
        first_key = first.group(1) if first else ""
        starts_entry = (
            not blocks
            or match["index"] is not None
            or match["flags"] is not None
            or (first_key and first_key in blocks[-1][2])
        )
        if starts_entry:
            if not first_key:
                continue  # not key=value text: no entry begins here
            blocks.append((match["flags"] or "", [rest], {first_key}))
        else:
            blocks[-1][1].append(line.strip())
            if first_key:
                blocks[-1][2].add(first_key)
    return [_entry_from_detail(flags, " ".join(texts)) for flags, texts, _ in blocks]


def _entry_from_detail(flags: str, text: str) -> HistoryEntry:
    quoted = _quoted_spans(text)
    found: dict[str, list[int]] = {}
    for match in _TOP_KEY.finditer(text):
        if not _inside(quoted, match.start()):
            found.setdefault(match.group(1), []).append(match.start())
    chosen: dict[str, int] = {}
    for key, positions in found.items():
        if key in ("redo", "undo"):
            chosen[key] = positions[0]
        else:
            good = [p for p in positions if _well_formed(key, text[p + len(key) + 1 :])]
            chosen[key] = (good or positions)[-1]
    order = sorted(chosen.items(), key=lambda item: item[1])
    values: dict[str, str] = {}
    for number, (key, position) in enumerate(order):
        end = order[number + 1][1] if number + 1 < len(order) else len(text)
        raw = text[position + len(key) + 1 : end].strip()
        values[key] = unquote_value(raw) if key in ("redo", "undo") else unquote(raw)
    return HistoryEntry(
        action=values.get("action", ""),
        by=values.get("by", ""),
        policy=values.get("policy", ""),
        time_text=values.get("time", ""),
        redo=values.get("redo", ""),
        undo=values.get("undo", ""),
        flags=flags,
    )


def _well_formed(key: str, value: str) -> bool:
    if key == "action":
        return value.startswith('"')
    if key == "policy":
        return _POLICY_VALUE.match(value) is not None
    if key == "time":
        return _TIME_VALUE.match(value) is not None
    return True


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    """Start/end offsets of the double-quoted strings in ``text`` (backslash escapes)."""
    spans: list[tuple[int, int]] = []
    start = -1
    escaped = False
    for index, char in enumerate(text):
        if start < 0:
            if char == '"':
                start = index
        elif escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            spans.append((start, index))
            start = -1
    if start >= 0:
        spans.append((start, len(text)))
    return spans


def _inside(spans: list[tuple[int, int]], position: int) -> bool:
    index = bisect.bisect_right(spans, position, key=lambda span: span[0]) - 1
    return index >= 0 and spans[index][0] < position <= spans[index][1]
