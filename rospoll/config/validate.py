"""Decide whether text is a complete RouterOS export before anything trusts it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import compress, count, repeat
from operator import not_

from rospoll.config.model import Export
from rospoll.config.normalise import Normalised, normalise_export
from rospoll.errors import ExportInvalidError

# What the RouterOS CLI prints instead of an export when a command fails (routeros.md §5.4).
CLI_ERRORS: tuple[str, ...] = (
    "bad command name",
    "expected end of command",
    "syntax error",
    "no such item",
    "input does not match any value",
    "invalid value for argument",
    "ambiguous value",
    "missing value",
    "failure:",
    "not enough permissions",
)
_CLI_ERROR = re.compile("|".join(re.escape(e) for e in CLI_ERRORS), re.IGNORECASE)
_CONFIG_START = frozenset("#/")
_BALANCED = re.compile(r'(?:[^"\\]|\\[\s\S])*(?:"(?:[^"\\]|\\[\s\S])*"(?:[^"\\]|\\[\s\S])*)*')


_COMMAND_WORDS = frozenset({"add", "set", "remove", "move", "enable", "disable", "unset"})
_PLAIN = ("/", "add ", "#", "set ")  # the lines that start so need no closer look


def validate_export(text: str, *, transient: Iterable[str] | None = None) -> Normalised:
    """Normalise ``text`` and check it is a whole export; returns the normalised form.

    Raises ExportInvalidError (``reason``, ``line_no``, ``line``) when the text is empty,
    contains CLI error output, has no ``# … by RouterOS …`` header (not an export), or
    ends inside a ``\\`` continuation or an open quote (truncated).
    """
    normalised = normalise_export(text, transient=transient)
    lines = normalised.lines
    if not lines and normalised.meta is None:
        raise ExportInvalidError("empty export")
    for index in compress(count(), map(not_, map(str.startswith, lines, repeat(_PLAIN)))):
        line = lines[index]  # a command line is no CLI error text
        if line[0] not in _CONFIG_START and line.partition(" ")[0] not in _COMMAND_WORDS:
            found = _CLI_ERROR.search(line)
            if found:
                raise ExportInvalidError(
                    f"CLI error text {found.group(0)!r} instead of configuration",
                    line_no=index + 1,
                    line=line[:200],
                )
    if normalised.meta is None:
        raise ExportInvalidError(
            "no '# … by RouterOS …' header: not an export", line_no=1, line=lines[0][:200]
        )
    if normalised.ends_in_continuation:
        raise ExportInvalidError("ends inside a '\\' continuation: truncated")
    if lines and '"' in lines[-1] and not _BALANCED.fullmatch(lines[-1]):
        raise ExportInvalidError(
            "ends inside an open quote: truncated", line_no=len(lines), line=lines[-1][:200]
        )
    return normalised


def check_shrink(old: Export, new: Export, max_loss: float = 0.5, *, min_items: int = 10) -> None:
    """Raise ExportInvalidError when ``new`` lost more than ``max_loss`` of ``old``'s items.

    Meant for the poller: a sudden shrink is more likely a cut-off export than a change.
    Exports with fewer than ``min_items`` items are not judged.
    """
    before, after = old.item_count(), new.item_count()
    if before < min_items or before == 0:
        return
    lost = (before - after) / before
    if lost > max_loss:
        raise ExportInvalidError(
            f"sudden shrink: {before} -> {after} items ({lost:.0%} gone, limit {max_loss:.0%})"
        )


def check_tail_cut(old: Export, new: Export) -> None:
    """Raise ExportInvalidError when ``new`` looks like an export cut short.

    RouterOS prints sections in a fixed order, so an export cut at a line boundary is valid
    syntax, may lose too little to count as a sudden shrink, and ends early: the stored
    version's last sections are all missing, or its last section is only partly there
    (its first items, the last one possibly cut mid-line). Changes elsewhere do not matter,
    so a cut export that also holds a real change is caught too. Meant for the poller,
    which fetches once more: the same text twice is taken as real (someone did remove the
    last section's items).
    """
    old_paths = [path for path, section in old.sections.items() if section.size]
    new_paths = [path for path, section in new.sections.items() if section.size]
    if not old_paths or not new_paths:
        return
    last = new_paths[-1]
    if last not in old_paths:
        return  # ends with a section the stored version does not have: not a cut of it
    missing = [path for path in old_paths[old_paths.index(last) + 1 :] if path not in new_paths]
    if missing and len(missing) == len(old_paths) - old_paths.index(last) - 1:
        raise ExportInvalidError(
            f"ends early: the stored version's last sections are missing ({', '.join(missing)})"
            " and nothing comes after them: cut?"
        )
    if last != old_paths[-1]:
        return
    before, after = old.sections[last], new.sections[last]
    if after.size < before.size and after.items[:-1] == before.items[: after.size - 1]:
        raise ExportInvalidError(
            f"ends early: {last} has only its first {after.size} of {before.size} items: cut?"
        )
