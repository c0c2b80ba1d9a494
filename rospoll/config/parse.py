"""Parse an export into sections of identified items.

>>> export = parse_export("# 2024-01-02 10:11:12 by RouterOS 7.16\\n/ip dns set servers=1.1.1.1\\n")
>>> export.sections["/ip dns"].items[0].args
{'servers': '1.1.1.1'}
"""

from __future__ import annotations

from rospoll.config.keys import identify
from rospoll.config.model import Export, Section
from rospoll.config.normalise import Normalised
from rospoll.config.syntax import COMMANDS, parse_arguments
from rospoll.config.validate import validate_export
from rospoll.errors import ExportInvalidError


def split_line(line: str) -> tuple[str | None, str]:
    """Split a logical line into ``(section path or None, command text)``.

    ``/ip address add a=b`` (terse) gives ``("/ip address", "add a=b")``; a bare path
    gives ``(path, "")``; ``add a=b`` gives ``(None, "add a=b")``.
    """
    if line[0] != "/":
        return None, line
    words = line.split(" ", 8)
    for index in range(1, len(words)):
        if words[index] in COMMANDS:
            path = " ".join(words[:index])
            return path, line[len(path) + 1 :]
    return line, ""


def parse_command(text: str) -> tuple[str, str | None, dict[str, str]]:
    """``set [ find name=x ] a=b`` -> ``("set", "[ find name=x ]", {"a": "b"})``."""
    command, _, rest = text.partition(" ")
    if command not in COMMANDS:
        raise ExportInvalidError(f"unknown command {command[:40]!r}, not export syntax")
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


def parse_normalised(normalised: Normalised) -> Export:
    """Parse already validated logical lines; raises ExportInvalidError on bad syntax."""
    if normalised.meta is None:
        raise ExportInvalidError("no '# … by RouterOS …' header: not an export")
    raw: dict[str, list[tuple[str, str | None, dict[str, str]]]] = {}
    current: list[tuple[str, str | None, dict[str, str]]] | None = None
    for index, line in enumerate(normalised.lines):
        first = line[0]
        if first == "#":
            continue
        try:
            if first == "/":
                path, text = split_line(line)
                assert path is not None
                _check_path(path)
                current = raw.setdefault(path, [])
                if not text:
                    continue
            elif first == ":" or first == "{" or first == "}":
                raise ExportInvalidError("script command, not export syntax")
            else:
                text = line
            if current is None:
                raise ExportInvalidError("command before any section")
            current.append(parse_command(text))
        except ExportInvalidError as exc:
            raise ExportInvalidError(exc.reason, line_no=index + 1, line=line[:200]) from None
    sections = {}
    for path, triples in raw.items():
        if triples:
            items = identify(path, triples)
            sections[path] = Section(path, items, {item.key: item for item in items})
    return Export(normalised.meta, sections)


def parse_export(text: str, *, transient: tuple[str, ...] | None = None) -> Export:
    """Validate, normalise and parse export text; raises ExportInvalidError.

    ``line_no`` in the error counts logical lines of the normalised export.
    """
    return parse_normalised(validate_export(text, transient=transient))
