"""Parse an export into sections of identified items.

>>> export = parse_export("# 2024-01-02 10:11:12 by RouterOS 7.16\\n/ip dns set servers=1.1.1.1\\n")
>>> export.sections["/ip dns"].items[0].args
{'servers': '1.1.1.1'}
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from operator import itemgetter

from rospoll.config.keys import Entry, entry, identify_entries, key_spec
from rospoll.config.lines import SectionLines
from rospoll.config.meta import ExportMeta
from rospoll.config.model import Export, Section
from rospoll.config.normalise import Normalised
from rospoll.config.syntax import COMMANDS, parse_command
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


def _check_path(path: str) -> None:
    if "=" in path or '"' in path or "[" in path:
        raise ExportInvalidError("section path with arguments but no command")
    if "\\" in path:  # a path ending in one renders as a '\' continuation of the next line
        raise ExportInvalidError("backslash in section path")


_keys = partial(map, itemgetter(1))  # Item.key of each item, in C


def parse_normalised(normalised: Normalised, *, like: Export | None = None) -> Export:
    """Parse already validated logical lines; raises ExportInvalidError on bad syntax.

    Every line is checked now; the items of a section are built when first asked for
    (``Section.items``). Lines repeated within the export are parsed once; their Items
    then share one (read-only) ``args`` dict.

    ``like`` is an export parsed before, normally the other side of the same diff: the
    lines it has are taken from it (known good, so not checked again, and the entries it
    parsed are shared), and the diff of the two finds the differing lines by the ones this
    parse found new. The result equals a parse without ``like``; a foreign ``like`` only
    costs misses. The recorder parses the fetched NEW export first, then the stored OLD
    with ``like=NEW``; ``rospoll diff`` parses OLD, then NEW with ``like=OLD``.
    """
    if normalised.meta is None:
        raise ExportInvalidError("no '# … by RouterOS …' header: not an export")
    try:
        return _parse(normalised, normalised.meta, {} if like is None else like.sections)
    except ExportInvalidError:  # parse it the careful way to name the first bad line
        return parse_eagerly(normalised)


def _parse(normalised: Normalised, meta: ExportMeta, known: Mapping[str, Section]) -> Export:
    sections = {}
    for path, texts in _split(normalised.lines).items():
        if texts:
            other = known.get(path)
            lines = SectionLines(path, tuple(texts), None if other is None else other.source)
            sections[path] = Section(path, source=lines)
    return Export(meta, sections)


def _split(lines: tuple[str, ...]) -> dict[str, list[str]]:
    """Command texts per section path, in first-appearance order of the paths."""
    raw: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in lines:
        first = line[0]
        if first == "/":
            path, text = split_line(line)
            assert path is not None
            current = raw.get(path)
            if current is None:
                _check_path(path)
                current = raw[path] = []
            if text:
                current.append(text)
        elif first == "#":
            continue
        elif current is None or first == ":" or first == "{" or first == "}":
            raise ExportInvalidError("not export syntax")  # parse_eagerly says where
        else:
            current.append(line)
    return raw


def parse_eagerly(normalised: Normalised) -> Export:
    """The reference parser: every line parsed and keyed at once, nothing taken from another
    export.

    ``parse_normalised`` uses it to report the first bad line; the tests check the lazy
    sections against it. Raises ExportInvalidError on bad syntax.
    """
    if normalised.meta is None:
        raise ExportInvalidError("no '# … by RouterOS …' header: not an export")
    memo: dict[str, dict[str, Entry]] = {}
    raw: dict[str, list[Entry]] = {}
    current: list[Entry] | None = None
    seen: dict[str, Entry] = {}
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
                current, seen, spec = raw[path], memo[path], key_spec(path)
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
                found = seen[text] = entry(spec, *parse_command(text))
            current.append(found)
    except ExportInvalidError as exc:
        raise ExportInvalidError(exc.reason, line_no=index + 1, line=line[:200]) from None
    sections = {}
    for path, entries in raw.items():
        if entries:
            items = identify_entries(path, entries)
            sections[path] = Section(path, items, dict(zip(_keys(items), items, strict=True)))
    return Export(normalised.meta, sections)


def parse_export(
    text: str, *, transient: tuple[str, ...] | None = None, like: Export | None = None
) -> Export:
    """Validate, normalise and parse export text; raises ExportInvalidError.

    ``line_no`` in the error counts logical lines of the normalised export. ``like``: see
    ``parse_normalised``.
    """
    return parse_normalised(validate_export(text, transient=transient), like=like)
