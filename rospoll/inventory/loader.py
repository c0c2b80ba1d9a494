"""Read an Ansible YAML inventory into groups and hosts, remembering line numbers.

This is the parse step only (``yaml`` plugin semantics of ansible-core): groups with their
``vars``, ``children`` and ``hosts``, hosts with their own vars, in file order. Precedence and
templating happen later, in ``resolve``. Every structural problem raises ``InventoryError``
with ``where="FILE:LINE"``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from rospoll.errors import InventoryError
from rospoll.inventory.settings import check_setting_name

_SECTIONS = ("vars", "children", "hosts")
_PRIORITY_VAR = "ansible_group_priority"


class LineMap(dict[Any, Any]):
    """A YAML mapping that knows its own line and the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader that builds ``LineMap``s and refuses duplicate keys.

    On libyaml's parser where PyYAML has it (its wheels do): 10x faster than the pure
    Python one, 0.12 s of every run for a 100-router inventory here.
    """


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> Iterator[LineMap]:
    data = LineMap()
    data.line = node.start_mark.line + 1
    data.key_lines = {}
    yield data
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            first = data.key_lines.get(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a plain value", key_node.start_mark
            ) from None
        if first is not None:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first at line {first})", key_node.start_mark
            )
        data.key_lines[key] = line
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        data[key] = loader.construct_object(value_node, deep=False)
        data.key_lines.setdefault(key, key_node.start_mark.line + 1)


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)


@dataclass
class RawGroup:
    """A group as the file defines it, before precedence (build-time record)."""

    name: str
    line: int
    vars: dict[str, Any] = field(default_factory=dict)
    var_lines: dict[str, int] = field(default_factory=dict)
    children: list[str] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    priority: int = 1


@dataclass
class RawHost:
    """A host's own vars, merged over every place the file lists it (later places win)."""

    name: str
    line: int
    vars: dict[str, Any] = field(default_factory=dict)
    var_lines: dict[str, int] = field(default_factory=dict)
    groups: list[str] = field(default_factory=list)


@dataclass
class RawInventory:
    """Groups and hosts of one file, in the order the file first names them."""

    path: Path
    groups: dict[str, RawGroup]
    hosts: dict[str, RawHost]


def read_yaml(path: Path) -> Any:
    """The YAML document in ``path`` built of ``LineMap``s; raises ``InventoryError``."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InventoryError(f"cannot read the inventory: {reason}", where=str(path)) from None
    except UnicodeDecodeError as exc:
        raise InventoryError(f"not UTF-8 text ({exc.reason})", where=str(path)) from None
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        parts = [p for p in (exc.context, exc.problem) if p]
        message = " ".join(" ".join(parts).split()) or "invalid YAML"
        kind = "YAML" if isinstance(exc, yaml.constructor.ConstructorError) else "YAML syntax"
        raise InventoryError(f"{kind}: {message}", where=f"{path}{line}") from None
    except yaml.YAMLError as exc:
        message = " ".join(str(exc).split())
        raise InventoryError(f"YAML syntax: {message}", where=str(path)) from None


def parse_inventory(path: Path) -> RawInventory:
    """Parse the inventory file at ``path`` into groups and hosts (no precedence yet)."""
    return _Parser(path).parse(read_yaml(path))


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the text {value!r}"
    return f"{type(value).__name__} {value!r}"


class _Parser:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.groups: dict[str, RawGroup] = {}
        self.hosts: dict[str, RawHost] = {}
        self._group("all", 0)
        self._group("ungrouped", 0)
        self._link("all", "ungrouped", 0)

    def _error(self, line: int, message: str) -> InventoryError:
        return InventoryError(message, where=f"{self.path}:{line}" if line else str(self.path))

    def parse(self, data: Any) -> RawInventory:
        if data is None:
            raise self._error(0, "the inventory is empty")
        if not isinstance(data, LineMap):
            raise self._error(1, f"expected a mapping of groups at the top, found {_kind(data)}")
        if "plugin" in data:
            raise self._error(
                data.line_of("plugin"),
                "this is an inventory plugin configuration, not a YAML inventory",
            )
        for name, body in data.items():
            self._parse_group(name, body, data.line_of(name))
        for group in self.groups.values():
            if group.name != "all" and not group.parents:
                self._link("all", group.name, group.line)
        return RawInventory(self.path, self.groups, self.hosts)

    def _group(self, name: str, line: int) -> RawGroup:
        if name not in self.groups:
            self.groups[name] = RawGroup(name, line)
        return self.groups[name]

    def _parse_group(self, name: Any, body: Any, line: int) -> str:
        if not isinstance(name, str) or not name.strip():
            raise self._error(line, f"a group name must be non-empty text, found {_kind(name)}")
        if body is not None and not isinstance(body, LineMap):
            raise self._error(
                line,
                f"group {name!r} must be a mapping of vars/children/hosts, found {_kind(body)}",
            )
        group = self._group(name, line)
        if body is None:
            return name
        for key in body:
            if key not in _SECTIONS:
                raise self._error(
                    body.line_of(key),
                    f"unexpected key {key!r} in group {name!r}; a group has only "
                    "'vars', 'children' and 'hosts'",
                )
        for key, section in body.items():
            key_line = body.line_of(key)
            if isinstance(section, str):
                section = {section: None}  # Ansible allows `hosts: one-host`
            elif section is not None and not isinstance(section, LineMap):
                raise self._error(
                    key_line,
                    f"'{key}' of group {name!r} must be a mapping, found {_kind(section)}",
                )
            if not section:
                continue
            lines = section if isinstance(section, LineMap) else None
            for item, value in section.items():
                item_line = lines.line_of(item) if lines is not None else key_line
                if key == "vars":
                    self._set_group_var(group, item, value, item_line)
                elif key == "children":
                    child = self._parse_group(item, value, item_line)
                    self._link(name, child, item_line)
                else:
                    self._parse_host(name, item, value, item_line)
        return name

    def _set_group_var(self, group: RawGroup, var: Any, value: Any, line: int) -> None:
        self._check_var_name(var, line)
        if var == _PRIORITY_VAR:
            if isinstance(value, bool) or not isinstance(value, (int, str)):
                raise self._error(line, f"{_PRIORITY_VAR} must be an integer, found {_kind(value)}")
            try:
                group.priority = int(value)
            except ValueError:
                raise self._error(
                    line, f"{_PRIORITY_VAR} must be an integer, found {_kind(value)}"
                ) from None
            return
        group.vars[var] = value
        group.var_lines[var] = line

    def _check_var_name(self, var: Any, line: int) -> None:
        if not isinstance(var, str) or not var:
            raise self._error(line, f"a variable name must be text, found {_kind(var)}")
        problem = check_setting_name(var)
        if problem:
            raise self._error(line, problem)

    def _link(self, parent: str, child: str, line: int) -> None:
        if child == "all":
            raise self._error(line, f"group 'all' cannot be a child of {parent!r}")
        if child == parent:
            raise self._error(line, f"children cycle: group {child!r} cannot be its own child")
        if child in self._ancestors(parent):
            raise self._error(
                line,
                f"children cycle: {child!r} cannot be a child of {parent!r}, it is its ancestor",
            )
        if child not in self.groups[parent].children:
            self.groups[parent].children.append(child)
            self.groups[child].parents.append(parent)

    def _ancestors(self, name: str) -> set[str]:
        seen: set[str] = set()
        todo = list(self.groups[name].parents)
        while todo:
            group = todo.pop()
            if group not in seen:
                seen.add(group)
                todo.extend(self.groups[group].parents)
        return seen

    def _parse_host(self, group: str, pattern: Any, body: Any, line: int) -> None:
        if not isinstance(pattern, str) or not pattern.strip():
            raise self._error(
                line, f"a host name must be text (quote numbers), found {_kind(pattern)}"
            )
        if body is not None and not isinstance(body, LineMap):
            raise self._error(
                line, f"host {pattern!r} must be a mapping of vars, found {_kind(body)}"
            )
        try:
            names, port = expand_host_pattern(pattern)
        except ValueError as exc:
            raise self._error(line, f"host {pattern!r}: {exc}") from None
        for name in names:
            host = self.hosts.get(name)
            if host is None:
                host = self.hosts[name] = RawHost(name, line)
                if port is not None:
                    host.vars["ansible_port"] = port
                    host.var_lines["ansible_port"] = line
            if group not in host.groups:
                host.groups.append(group)
                self.groups[group].hosts.append(name)
            for var, value in (body or {}).items():
                var_line = body.line_of(var) if body is not None else line
                self._check_var_name(var, var_line)
                host.vars[var] = value
                host.var_lines[var] = var_line


_BRACKETED_V6 = re.compile(r"\[(?P<host>[^\]]*:[^\]]*)\](?::(?P<port>\d+))?")
_RANGE = re.compile(r"\[([^\]]*)\]")


def expand_host_pattern(pattern: str) -> tuple[list[str], int | None]:
    """Host names and port for an inventory host key, as Ansible reads them.

    ``core1:2222`` is host ``core1`` on port 2222; ``[2001:db8::1]:2222`` an IPv6 address with
    a port; ``rtr[01:03]`` the hosts rtr01, rtr02, rtr03 (``[a:c]`` and ``[1:9:2]`` also
    work). Raises ``ValueError`` on a malformed range.
    """
    v6 = _BRACKETED_V6.fullmatch(pattern)
    if v6:
        return [v6["host"]], int(v6["port"]) if v6["port"] else None
    outside = _RANGE.sub("", pattern)  # colons inside [a:b] ranges are not a port
    if outside.count(":") > 1:
        return [pattern], None  # a bare IPv6 address
    port: int | None = None
    head, colon, tail = pattern.rpartition(":")
    if colon and ":" not in _RANGE.sub("", tail) and ":" in outside:
        if not tail.isdigit():
            raise ValueError(f"the port after ':' must be a number, found {tail!r}")
        pattern, port = head, int(tail)
    return _expand_ranges(pattern), port


def _expand_ranges(pattern: str) -> list[str]:
    match = _RANGE.search(pattern)
    if match is None:
        return [pattern]
    head, tail = pattern[: match.start()], pattern[match.end() :]
    bounds = match[1].split(":")
    if len(bounds) not in (2, 3):
        raise ValueError("a host range must be [begin:end] or [begin:end:step]")
    begin, end = bounds[0] or "0", bounds[1]
    step_text = bounds[2] if len(bounds) == 3 else "1"
    if not end or not step_text.isdigit() or int(step_text) < 1:
        raise ValueError("a host range needs an end and a positive step")
    step = int(step_text)
    if begin.isdigit() and end.isdigit():
        width = len(begin) if begin.startswith("0") and len(begin) > 1 else 0
        if width and width != len(end):
            raise ValueError("a zero-padded host range needs begin and end of equal length")
        items = [str(n).zfill(width) for n in range(int(begin), int(end) + 1, step)]
    elif len(begin) == 1 and len(end) == 1 and begin.isalpha() and end.isalpha():
        items = [chr(c) for c in range(ord(begin), ord(end) + 1, step)]
    else:
        raise ValueError(f"cannot expand the range [{match[1]}]")
    if not items:
        raise ValueError(f"the range [{match[1]}] is empty (begin after end)")
    return [f"{head}{item}{rest}" for item in items for rest in _expand_ranges(tail)]
