"""The lab's CLI interpreter: one command line in, an ``Outcome`` out.

Plain commands return their text; ``/export`` and ``/log print follow…`` return requests the
SSH session streams itself (slow exports, failures, followers).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from rospoll.lab.device import Actor, Device
from rospoll.lab.logbook import Where
from rospoll.lab.render import item_tokens, resource_lines
from rospoll.lab.state import (
    SECTION_ORDER,
    VERBS,
    CommandSyntaxError,
    Item,
    Section,
    decode_value,
    normalize_path,
    parse_item,
    split_arg,
    split_tokens,
)

EXPORT_FLAGS = frozenset({"terse", "verbose", "compact", "hide-sensitive", "show-sensitive"})
CHANGE_VERBS = frozenset({"add", "set", "remove", "enable", "disable", "unset"})
BUILTIN_LOGGING_RULES = 4


class CliError(Exception):
    """A RouterOS CLI error; the text is printed as the command's output."""


@dataclass(frozen=True)
class ExportRequest:
    path: str = ""
    terse: bool = False
    show_sensitive: bool = False
    to_file: bool = False


@dataclass(frozen=True)
class FollowRequest:
    where: Where = field(default_factory=Where)
    only: bool = True


@dataclass(frozen=True)
class Outcome:
    """What a command produced: text, or a request, or ``quit``."""

    text: str = ""
    export: ExportRequest | None = None
    follow: FollowRequest | None = None
    quit: bool = False
    failed: bool = False  # an error: later commands of the same line do not run


def execute(device: Device, line: str, actor: Actor) -> Outcome:
    """Run one command line as ``actor``; CLI errors come back as text."""
    try:
        return _execute(device, line.strip(), actor)
    except CliError as exc:
        return Outcome(str(exc), failed=True)
    except (CommandSyntaxError, re.error):
        return Outcome(f"syntax error (line 1 column {len(line.rstrip()) + 1})", failed=True)


def _split_path_words(tokens: list[str]) -> list[str]:
    """``["/ip/address/add", "address=…"]`` → ``["ip", "address", "add", "address=…"]``."""
    out: list[str] = []
    for n, tok in enumerate(tokens):
        if "=" in tok or tok.startswith(("[", '"', "*")):
            return out + tokens[n:]
        for m, word in enumerate(w for w in tok.split("/") if w):
            out.append(word)
            if word in VERBS:
                rest = [w for w in tok.split("/") if w][m + 1 :]
                return out + rest + tokens[n + 1 :]
    return out


def _column(line: str, word: str) -> int:
    return line.find(word) + 1


def _execute(device: Device, line: str, actor: Actor) -> Outcome:
    if not line:
        return Outcome()
    tokens = split_tokens(line)
    if tokens[0] in ("quit", "/quit"):
        return Outcome(quit=True)
    if tokens[0] == ":put":
        return Outcome(" ".join(decode_value(t) for t in tokens[1:]))
    tokens = _split_path_words(tokens)
    verb_at = next((i for i, t in enumerate(tokens) if t in VERBS), None)
    if verb_at is None or any(t.startswith(("[", '"')) or "=" in t for t in tokens[:verb_at]):
        words = [w for t in tokens if "=" not in t for w in t.split("/") if w]
        bad = words[-1] if words else tokens[0]
        raise CliError(f"bad command name {bad} (line 1 column {_column(line, bad)})")
    path, verb, args = normalize_path(tokens[:verb_at]), tokens[verb_at], tokens[verb_at + 1 :]
    if verb == "export":
        return Outcome(export=_export_request(device, line, path, args))
    if verb == "print":
        return _print(device, line, path, args)
    if verb in CHANGE_VERBS and path:
        return Outcome(_change(device, path, verb, args, actor))
    raise CliError(f"bad command name {verb} (line 1 column {_column(line, verb)})")


def _export_request(device: Device, line: str, path: str, args: list[str]) -> ExportRequest:
    flags: dict[str, str | None] = {}
    for arg in args:
        key, value = split_arg(arg)
        if (key not in EXPORT_FLAGS and key != "file") or (
            key == "show-sensitive" and device.flavor.is_v6
        ):
            raise CliError(f"expected end of command (line 1 column {_column(line, arg)})")
        flags[key] = value
    show = "show-sensitive" in flags and flags["show-sensitive"] in (None, "yes")
    return ExportRequest(path, terse="terse" in flags, show_sensitive=show, to_file="file" in flags)


def _print(device: Device, line: str, path: str, args: list[str]) -> Outcome:
    if path == "/log":
        return _log_print(device, args)
    if path == "/system identity":
        return Outcome(f"  name: {device.identity}")
    if path == "/system resource":
        uptime = time.monotonic() - device.booted_at
        board = device.header.model or ("CHR" if not device.flavor.is_v6 else "RB750Gr3")
        return Outcome("\n".join(resource_lines(device.flavor, uptime, board)))
    if path == "/system history":
        history = device.history
        detail = "detail" in args
        lines = (
            history.detail_lines(device.flavor) if detail else history.print_lines(device.flavor)
        )
        return Outcome("\n".join(lines))
    section = device.config.find(path)
    if section is None and path not in SECTION_ORDER:
        bad = path.split()[-1].lstrip("/") if path else "print"
        raise CliError(f"bad command name {bad} (line 1 column {_column(line, bad)})")
    lines = ["Flags: X - disabled"]
    for n, item in enumerate(section.items if section else []):
        flag = "X" if item.attrs.get("disabled") == "yes" else " "
        lines.append(f"{n:>2} {flag} " + " ".join(item_tokens(item)[1:]))
    return Outcome("\n".join(lines))


def _log_print(device: Device, args: list[str]) -> Outcome:
    follow: bool | None = None
    conditions: list[tuple[str, str, str]] = []
    rest = list(args)
    while rest:
        tok = rest.pop(0)
        if tok in ("follow", "follow-only"):
            follow = tok == "follow-only"
        elif tok in ("where", "and", "without-paging", "detail"):
            continue
        else:
            m = re.fullmatch(r"(topics|message)(~|=)(.*)", tok)
            if not m:
                raise CliError(f"expected end of command (line 1 column 1) {tok}")
            pattern = decode_value(m.group(3))
            re.compile(pattern)
            conditions.append((m.group(1), m.group(2), pattern))
    where = Where(tuple(conditions))
    if follow is not None:
        return Outcome(follow=FollowRequest(where, only=follow))
    lines = [
        text
        for entry, text in zip(device.logbook.entries, device.log_lines(), strict=True)
        if where.matches(entry)
    ]
    return Outcome("\n".join(lines))


# --- changes ------------------------------------------------------------------------------


def _find_conditions(selector: str) -> dict[str, str | None]:
    inner = selector.strip()[1:-1].split()
    words = [w for w in split_tokens(" ".join(inner)) if w not in ("find", "where", "and")]
    return dict(split_arg(w) for w in words)


def _resolve(device: Device, section: Section, selector: str | None, create: bool) -> list[Item]:
    """Items a selector means: ``*id``, number, name, ``[ find k=v ]``, or the singleton."""
    items = section.items
    if selector is None:
        found = [i for i in items if i.verb == "set" and i.selector is None]
        if found or not create:
            return found
        return [section.append(Item("set", None, {}))]
    if selector.startswith("["):
        conds = _find_conditions(selector)
        found = [
            i
            for i in items
            if i.verb == "add" and conds and all(i.attrs.get(k) == v for k, v in conds.items())
        ]
        norm = "[ find " + " ".join(f"{k}={v}" for k, v in conds.items()) + " ]"
        found += [
            i
            for i in items
            if i.verb == "set"
            and i.selector
            and i.selector.startswith("[")
            and _find_conditions(i.selector) == conds
        ]
        if not conds:
            return [i for i in items if i.verb == "add"]
        if not found and create:
            found = [section.append(Item("set", norm, {}))]
        return found
    result: list[Item] = []
    for sel in selector.split(","):
        result += _resolve_one(device, section, sel, create)
    return result


def _resolve_one(device: Device, section: Section, sel: str, create: bool) -> list[Item]:
    items = section.items
    if sel.startswith("*"):
        found = [i for i in items if i.hex_id.lower() == sel.lower()]
    elif sel.isdigit():
        n = int(sel)
        if section.path == "/system logging":
            if n < BUILTIN_LOGGING_RULES:
                found = [i for i in items if i.selector == sel]
                if not found and create:
                    found = [section.append(Item("set", sel, {}))]
                return found
            n -= BUILTIN_LOGGING_RULES
            items = [i for i in items if i.verb == "add"]
        found = [items[n]] if n < len(items) else []
    else:
        found = [i for i in items if i.attrs.get("name") == sel]
        found = found or [i for i in items if i.verb == "set" and i.selector == sel]
        if not found and create:
            found = [section.append(Item("set", sel, {}))]
    if not found:
        raise CliError("no such item")
    return found


def _change(device: Device, path: str, verb: str, args: list[str], actor: Actor) -> str:
    section = device.config.section(path)
    if verb == "add":
        item = parse_item("add", args)
        before = item.attrs.pop("place-before", None)
        section.append(item, int(before) if before and before.isdigit() else None)
        command = f"{path} add {' '.join(args)}".rstrip()
        device.record_change(
            section,
            item,
            "added",
            actor,
            f"{item.hex_id} = {command}",
            f"{path} remove {item.hex_id}",
        )
        return ""
    selector = args[0] if args and split_arg(args[0])[1] is None else None
    rest = args[1:] if selector is not None else args
    if verb == "set" and selector is None and path != "/system identity" and not rest:
        raise CliError("missing value")
    targets = _resolve(device, section, selector, create=verb in ("set", "disable"))
    if not targets and selector is not None:
        raise CliError("no such item")
    for item in targets:
        old = dict(item.attrs)
        _apply_verb(section, item, verb, rest)
        ref = f" {item.hex_id}" if selector is not None else ""
        command = f"{path} {verb}{ref} {' '.join(rest)}".rstrip()
        undo = _undo(path, verb, item, old, rest)
        word = "removed" if verb == "remove" else "changed"
        device.record_change(section, item, word, actor, command, undo)
    return ""


def _apply_verb(section: Section, item: Item, verb: str, rest: list[str]) -> None:
    if verb == "remove":
        section.entries.remove(item)
    elif verb == "disable":
        item.attrs["disabled"] = "yes"
    elif verb == "enable":
        item.attrs.pop("disabled", None)
    elif verb == "unset":
        for arg in rest:
            key, value = split_arg(arg)
            item.attrs.pop(value if key == "value-name" and value else key, None)
    else:
        for arg in rest:
            key, value = split_arg(arg)
            if key == "disabled" and value == "no" and item.verb == "set":
                item.attrs.pop(key, None)
            else:
                item.attrs[key] = value
    if (
        item.verb == "set"
        and not item.attrs
        and item in section.entries
        and item.selector
        and item.selector.isdigit()
    ):
        section.entries.remove(item)


def _undo(path: str, verb: str, item: Item, old: dict[str, str | None], rest: list[str]) -> str:
    if verb == "remove":
        return " ".join([path, *item_tokens(Item("add", None, old))])
    if verb in ("enable", "disable"):
        return f"{path} {'disable' if verb == 'enable' else 'enable'} {item.hex_id}"
    keys = [split_arg(a)[0] for a in rest]
    back = " ".join(
        f"{k}={item_tokens(Item('set', None, {k: old[k]}))[1].split('=', 1)[1]}"
        if old.get(k) is not None
        else f'{k}=""'
        for k in keys
    )
    ref = f" {item.hex_id}" if item.selector is not None or item.verb == "add" else ""
    return f"{path} set{ref} {back}".rstrip()
