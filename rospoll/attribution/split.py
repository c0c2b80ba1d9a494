"""One commit per user: the export texts between OLD and NEW, one step per attribution.

When alice and bob changed one router in one burst, git should show two commits, each
authored by its user. :func:`split_texts` cuts the line diff of the normalised exports
into hunks, gives each hunk to the attribution that owns its section (and, where two
share a section, whose changed values the hunk's lines contain), and returns the text
after each attribution's hunks are applied in turn. The last text is always NEW.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from rospoll.attribution.attribute import Attribution
from rospoll.config import split_line


def _sections(lines: Sequence[str]) -> list[str]:
    """The section each logical line belongs to (standard and terse forms)."""
    current = ""
    out = []
    for line in lines:
        if line.startswith("/"):
            path, _ = split_line(line)
            current = path or current
        out.append(current)
    return out


def _owner(section: str, text: str, credits: Sequence[Attribution]) -> int:
    """Index of the attribution a hunk belongs to; the last one when nothing says otherwise."""
    owners = [i for i, credit in enumerate(credits) if section in credit.sections]
    if len(owners) == 1:
        return owners[0]
    best, best_score = len(credits) - 1, 0
    for index in owners:
        score = 0
        for change in credits[index].changes:
            if change.section != section:
                continue
            args = change.new_args or change.old_args or {}
            score += sum(1 for key, value in args.items() if f"{key}={value}" in text)
        if score > best_score:
            best, best_score = index, score
    return best


def split_texts(old_text: str, new_text: str, credits: Sequence[Attribution]) -> list[str]:
    """Texts after the 1st, 2nd, … attribution's changes; ``[new_text]`` for one or none."""
    if len(credits) <= 1:
        return [new_text]
    old_lines = old_text.splitlines()
    new_lines = new_text.splitlines()
    old_sections, new_sections = _sections(old_lines), _sections(new_lines)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    hunks: list[tuple[int, int, int, int, int]] = []  # owner, i1, i2, j1, j2
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        section = new_sections[j1] if j2 > j1 else old_sections[i1]
        text = "\n".join(old_lines[i1:i2] + new_lines[j1:j2])
        hunks.append((_owner(section, text, credits), i1, i2, j1, j2))
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
