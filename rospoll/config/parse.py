"""Parse an export into sections of identified items.

>>> export = parse_export("# 2024-01-02 10:11:12 by RouterOS 7.16\\n/ip dns set servers=1.1.1.1\\n")
>>> export.sections["/ip dns"].items[0].args
{'servers': '1.1.1.1'}
"""

from __future__ import annotations

from functools import partial
from operator import itemgetter

from rospoll.config._gc import paused_gc
from rospoll.config.keys import Entry, entry, identify_entries, key_spec
from rospoll.config.model import Export, Section
from rospoll.config.normalise import Normalised
from rospoll.config.syntax import COMMANDS, fast_arguments, parse_arguments
from rospoll.config.validate import validate_export
from rospoll.errors import ExportInvalidError


def split_line(line: str) -> tuple[str | None, str]:
    """Split a logical line into ``(section path or None, command text)``.

    ``/ip address add a=b`` (terse) gives ``("/ip address", "add a=b")``; a bare path
    gives ``(path, "")``; ``add a=b`` gives ``(None, "add a=b")``.
    Doubled spaces in the path are tidied (``/ip  dns add`` is ``/ip dns``), so that the
    path renders and parses back the same.
    """
    if line[0] != "/":
        return None, line
    words = line.split(" ", 8)
    for index in range(1, len(words)):
        if words[index] in COMMANDS:
            head = words[:index]
            path = " ".join(head)
            text = line[len(path) + 1 :]
            return (" ".join(filter(None, head)) if "" in head else path), text
    return (" ".join(filter(None, line.split(" "))) if "  " in line else line), ""


def parse_command(text: str) -> tuple[str, str | None, dict[str, str]]:
    """``set [ find name=x ] a=b`` -> ``("set", "[ find name=x ]", {"a": "b"})``."""
    command, _, rest = text.partition(" ")
    if command not in COMMANDS:
        raise ExportInvalidError(f"unknown command {command[:40]!r}, not export syntax")
    plain = fast_arguments(rest)
    if plain is not None:
        return command, None, plain
    selector, args = parse_arguments(rest)
    if command == "add" and selector is not None:  # ``add passive …``: a flag, not a name
        if not selector.isidentifier() and not selector.replace("-", "_").isidentifier():
            raise ExportInvalidError("add takes no selector")
        args = {selector: "yes", **args}
        selector = None
    return command, selector, args


def _check_path(path: str) -> None:
    if "=" in path or '"' in path or "[" in path:
        raise ExportInvalidError("section path with arguments but no command")


_keys = partial(map, itemgetter(1))  # Item.key of each item, in C
_NO_ENTRIES: dict[str, Entry] = {}

# The lines of the last export parsed, per section and line text, with the keys they give
# (keys.Entry). The next parse looks lines up here first: the old and the new export of
# a diff share nearly all their lines, so the second one is mostly dictionary look-ups.
# Holds one export's worth; parsing is pure, so a stale or foreign table (another
# thread, another router) only costs misses.
_previous: dict[str, dict[str, Entry]] = {}


def forget_previous() -> None:
    """Drop the table of the last export's lines (benchmarks: measure a cold parse)."""
    global _previous
    _previous = {}


def parse_normalised(normalised: Normalised) -> Export:
    """Parse already validated logical lines; raises ExportInvalidError on bad syntax.

    Lines repeated within the export or seen in the previously parsed export are parsed
    once; their Items then share one (read-only) ``args`` dict.
    """
    with paused_gc():
        return _parse(normalised)


def _parse(normalised: Normalised) -> Export:
    global _previous
    if normalised.meta is None:
        raise ExportInvalidError("no '# … by RouterOS …' header: not an export")
    previous = _previous
    memo: dict[str, dict[str, Entry]] = {}
    raw: dict[str, list[Entry]] = {}
    current: list[Entry] | None = None
    seen: dict[str, Entry] = _NO_ENTRIES
    before: dict[str, Entry] = _NO_ENTRIES
    spec: tuple[tuple[str, ...], ...] = ()
    index, line = 0, ""
    try:
        for index, line in enumerate(normalised.lines):  # noqa: B007 (used on error)
            first = line[0]
            if first == "#":
                continue
            if first == "/":
                path, text = split_line(line)
                assert path is not None
                if path not in raw:
                    _check_path(path)
                    raw[path], memo[path] = [], {}
                current, seen = raw[path], memo[path]
                before, spec = previous.get(path, _NO_ENTRIES), key_spec(path)
                if not text:
                    continue
            elif first == ":" or first == "{" or first == "}":
                raise ExportInvalidError("script command, not export syntax")
            else:
                text = line
            if current is None:
                raise ExportInvalidError("command before any section")
            found = seen.get(text)
            if found is None:
                found = before.get(text)
                if found is None:
                    found = entry(spec, *parse_command(text))
                seen[text] = found
            current.append(found)
    except ExportInvalidError as exc:
        raise ExportInvalidError(exc.reason, line_no=index + 1, line=line[:200]) from None
    sections = {}
    for path, entries in raw.items():
        if entries:
            items = identify_entries(path, entries)
            sections[path] = Section(path, items, dict(zip(_keys(items), items, strict=True)))
    _previous = memo
    return Export(normalised.meta, sections)


def parse_export(text: str, *, transient: tuple[str, ...] | None = None) -> Export:
    """Validate, normalise and parse export text; raises ExportInvalidError.

    ``line_no`` in the error counts logical lines of the normalised export.
    """
    return parse_normalised(validate_export(text, transient=transient))
