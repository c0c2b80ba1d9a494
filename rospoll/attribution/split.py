"""One commit per user: the export texts between OLD and NEW, one step per attribution.

When alice and bob changed one router in one burst, git should show two commits, each
authored by its user. :func:`split_texts` cuts the line diff of the normalised exports into
single lines and gives each line to the attribution that holds its item change: the n-th
command line of a section is the section's item at position n, on either side. A changed
item's old and new line go together; other removed and added lines keep the sections' order,
so a line kept or added at any step sits under its own section's path. A section path line
goes with the first attribution that touches the section when it appears, with the last
when it goes; other lines (the header, comments) and lines no change holds go with the last
attribution. The result is the text after each attribution's lines are applied in turn;
the last text is always NEW.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from rospoll.attribution.attribute import Attribution
from rospoll.config import Item, split_line

_Place = tuple[str, int]  # (section, item position)
_Hunk = tuple[int, int, int, int, int]  # owner, i1, i2, j1, j2
_PATH, _OTHER = -2, -1  # positions of a section path line and of a header or comment line


def _layout(lines: Sequence[str]) -> list[_Place]:
    """Each line's section and item position, counted as ``rospoll.config`` parses them
    (``_PATH`` for a section path alone, ``_OTHER`` for header and comment lines)."""
    current = ""
    counts: dict[str, int] = {}
    position = 0  # of the next item line in the current section
    out: list[_Place] = []
    append = out.append
    for line in lines:
        first = line[:1]
        if first == "/":
            path, text = split_line(line)
            counts[current] = position
            current = path or current
            position = counts.get(current, 0)
            if not text:
                append((current, _PATH))
                continue
        elif first == "#" or not first:
            append((current, _OTHER))
            continue
        append((current, position))
        position += 1
    return out


def _command(line: str) -> str:
    """The command word of an item line (``add``, ``set``), standard or terse form."""
    text = split_line(line)[1] if line[:1] == "/" else line
    return text.split(" ", 1)[0]


class _Owners:
    """Which attribution holds which line: by item place, else by section."""

    def __init__(self, credits: Sequence[Attribution]) -> None:
        self.last = len(credits) - 1
        self._old: dict[_Place, tuple[int, int, Item]] = {}  # owner, change number, item
        self._new: dict[_Place, tuple[int, int, Item]] = {}
        self._sections: dict[str, list[int]] = {}
        number = 0
        for owner, credit in enumerate(credits):
            for change in credit.changes:
                number += 1
                if change.old is not None:
                    self._old[(change.section, change.old.position)] = (owner, number, change.old)
                if change.new is not None:
                    self._new[(change.section, change.new.position)] = (owner, number, change.new)
                self._sections.setdefault(change.section, []).append(owner)

    def of(self, place: _Place, line: str, *, is_new: bool) -> tuple[int, int | None]:
        """``(owner, change number)`` of a line removed from OLD or added in NEW."""
        section, position = place
        if position >= 0:
            held = (self._new if is_new else self._old).get(place)
            if held is not None and held[2].command == _command(line):
                return held[0], held[1]
        elif position == _PATH and section in self._sections:
            owners = self._sections[section]
            return (min(owners) if is_new else max(owners)), None
        return self.last, None


def _section_ranks(old_at: Sequence[_Place], new_at: Sequence[_Place]) -> dict[str, int]:
    """A rank per section path in the order both exports print them (``""`` first)."""
    old = list(dict.fromkeys(["", *(section for section, _ in old_at)]))
    new = list(dict.fromkeys(["", *(section for section, _ in new_at)]))
    merged: list[str] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        merged += old[i1:i2] if tag == "equal" else old[i1:i2] + new[j1:j2]
    ranks: dict[str, int] = {}
    for section in merged:
        ranks.setdefault(section, len(ranks))
    return ranks


class _Cutter:
    """Cuts the differing regions of the two texts into hunks of one line each."""

    def __init__(self, credits: Sequence[Attribution], old: list[str], new: list[str]) -> None:
        self.owners = _Owners(credits)
        self.old, self.new = old, new
        self.old_at, self.new_at = _layout(old), _layout(new)
        self.ranks = _section_ranks(self.old_at, self.new_at)

    def cut(self, i1: int, i2: int, j1: int, j2: int) -> list[_Hunk]:
        """``old[i1:i2]`` -> ``new[j1:j2]`` as hunks of one line each (a changed item's two
        lines as one hunk), in text order."""
        old = [self.owners.of(self.old_at[i], self.old[i], is_new=False) for i in range(i1, i2)]
        new = [self.owners.of(self.new_at[j], self.new[j], is_new=True) for j in range(j1, j2)]
        old_index = {number: i1 + k for k, (_, number) in enumerate(old) if number is not None}
        pairs: list[tuple[int, int]] = []
        for k, (_, number) in enumerate(new):
            i = old_index.get(number) if number is not None else None
            if i is not None and (not pairs or i > pairs[-1][0]):
                pairs.append((i, j1 + k))  # pairs out of order (a move) stay two lines
        hunks: list[_Hunk] = []
        i, j = i1, j1
        for pair_i, pair_j in [*pairs, (i2, j2)]:
            gone = [(k, old[k - i1][0]) for k in range(i, pair_i)]
            came = [(k, new[k - j1][0]) for k in range(j, pair_j)]
            hunks += self._between(gone, came, pair_i)
            if pair_i < i2:
                hunks.append((old[pair_i - i1][0], pair_i, pair_i + 1, pair_j, pair_j + 1))
            i, j = pair_i + 1, pair_j + 1
        return hunks

    def _between(
        self, gone: list[tuple[int, int]], came: list[tuple[int, int]], end: int
    ) -> list[_Hunk]:
        """Unpaired lines, ``gone`` from OLD and ``came`` in NEW (``(index, owner)`` each),
        merged in section order so that a line kept or added at any step sits under its own
        section's path. An added line goes before the next removed line, else at ``end``."""
        merged: list[tuple[bool, int, int]] = []  # (is_new, index, owner)
        p = q = 0
        while p < len(gone) or q < len(came):
            if q < len(came) and (
                p == len(gone)
                or self.ranks[self.new_at[came[q][0]][0]] < self.ranks[self.old_at[gone[p][0]][0]]
            ):
                merged.append((True, *came[q]))
                q += 1
            else:
                merged.append((False, *gone[p]))
                p += 1
        hunks: list[_Hunk] = []
        at = end
        for is_new, index, owner in reversed(merged):
            if is_new:
                hunks.append((owner, at, at, index, index + 1))
            else:
                hunks.append((owner, index, index + 1, 0, 0))
                at = index
        hunks.reverse()
        return hunks


def split_texts(old_text: str, new_text: str, credits: Sequence[Attribution]) -> list[str]:
    """Texts after the 1st, 2nd, … attribution's changes; ``[new_text]`` for one or none.

    ``old_text`` and ``new_text`` are normalised exports (``Normalised.text()``), the texts
    the credits' changes were parsed from.
    """
    if len(credits) <= 1:
        return [new_text]
    old_lines = old_text.splitlines()
    new_lines = new_text.splitlines()
    cutter = _Cutter(credits, old_lines, new_lines)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    hunks: list[_Hunk] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            hunks += cutter.cut(i1, i2, j1, j2)
    texts = []
    for step in range(len(credits) - 1):
        lines: list[str] = []
        cursor = 0
        for owner, i1, i2, j1, j2 in hunks:
            lines += old_lines[cursor:i1]
            lines += new_lines[j1:j2] if owner <= step else old_lines[i1:i2]
            cursor = i2
        lines += old_lines[cursor:]
        texts.append("\n".join(lines) + "\n")
    texts.append(new_text)
    return texts
