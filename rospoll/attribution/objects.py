"""Which configuration section a log entry or history entry talks about.

Two sources say where a change happened:

- the object description RouterOS writes in words (``filter rule``, ``device``); see
  :func:`sections_for_object` and the data in :mod:`rospoll.attribution.object_table`;
- the CLI command newer RouterOS 7 appends in parentheses, and ``/system history`` keeps as
  ``redo``/``undo``; see :func:`parse_command`.

>>> parse_command("*3 = /ip address add address=10.1.1.1/24 interface=ether1")[0].section
'/ip address'
>>> sections_for_object("SNTP client configuration")
('/system ntp client',)

Nothing here raises on odd input: unknown words give ``()``, unparsable commands give
refs with an empty section.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rospoll.attribution.object_table import OBJECT_SECTIONS
from rospoll.config import unquote

_TABLE: dict[str, tuple[str, ...]] = dict(OBJECT_SECTIONS)
_KEYS_LONGEST_FIRST: tuple[str, ...] = tuple(sorted(_TABLE, key=len, reverse=True))

VERBS: frozenset[str] = frozenset(
    [
        "add",
        "set",
        "remove",
        "move",
        "enable",
        "disable",
        "comment",
        "unset",
        "reset",
        "edit",
        "print",
        "export",
        "find",
        "get",
        "make-static",
        "reset-counters",
        "reset-counters-all",
        "import",
        "run",
        "monitor",
    ]
)
"""CLI command words that end a menu path (``/ip address add`` -> path ``/ip address``)."""

_ITEM_ID = re.compile(r"\*[0-9A-Fa-f]+")
_ADD_PREFIX = re.compile(r"\s*(\*[0-9A-Fa-f]+)\s*=\s*")
_ARG = re.compile(r"([A-Za-z0-9_.!-][A-Za-z0-9_.-]*)=(.*)", re.DOTALL)
_SPACES = re.compile(r"\s+")
_OPENERS = {"[": "]", "(": ")", "{": "}"}
_CLOSERS = frozenset(_OPENERS.values())


def sections_for_object(description: str) -> tuple[str, ...]:
    """Candidate section paths for a RouterOS object description, ``()`` if unknown.

    Case-insensitive. A description that names an item after its kind (``user admin``,
    ``pool default-dhcp``, ``dhcp server defconf``) is looked up by the longest known kind.
    A path ending in ``*`` stands for the section and all below it (see :func:`section_matches`).
    """
    key = _SPACES.sub(" ", description).strip().lower()
    if key in _TABLE:
        return _TABLE[key]
    for known in _KEYS_LONGEST_FIRST:
        if key.startswith(known + " "):
            return _TABLE[known]
    return ()


def section_matches(candidate: str, section: str) -> bool:
    """True if ``section`` (as in ``/export``) is covered by ``candidate`` (maybe ``/x*``)."""
    if candidate.endswith("*"):
        base = candidate[:-1].rstrip()
        return section == base or section.startswith(base + " ")
    return section == candidate


@dataclass(frozen=True, slots=True)
class CommandRef:
    """One CLI command, split into where, what and with which arguments.

    ``section`` is the menu path in export spelling (``/ip firewall filter``), ``""`` when the
    command names none; ``verb`` is the command word (``add``, ``set``...), ``""`` if none was
    recognised; ``selector`` holds the positional words that pick items (``*5``, ``ether3``,
    ``[ find ]``), space-joined; ``args`` the ``key=value`` pairs in order, values decoded as
    :func:`rospoll.config.unquote` reads them (``comment="\\D0\\9E"`` gives ``О``);
    ``item_id`` the ``*N`` id an ``add`` created (``*3 = /ip ...``) or a ``*N`` selector;
    ``text`` the command as given.
    """

    section: str
    verb: str
    selector: str
    args: tuple[tuple[str, str], ...]
    item_id: str = ""
    text: str = ""


def parse_command(text: str) -> tuple[CommandRef, ...]:
    """Split RouterOS command text into :class:`CommandRef` records, one per command.

    Accepts ``/ip firewall filter set *5 disabled=yes``, the slash form
    ``/ip/firewall/filter/set *5 ...``, the log's ``*3 = /ip address add ...`` and several
    commands separated by ``;`` (outside quotes and brackets). A command without a leading
    ``/`` continues the previous command's menu, as in a RouterOS script.
    """
    refs: list[CommandRef] = []
    current = ""
    for part in split_outside(text, ";"):
        part = part.strip()
        if not part:
            continue
        ref = _parse_one(part, current)
        if ref.section:
            current = ref.section
        refs.append(ref)
    return tuple(refs)


def _parse_one(text: str, current_section: str) -> CommandRef:
    item_id = ""
    body = text
    prefix = _ADD_PREFIX.match(body)
    if prefix:
        item_id = prefix.group(1)
        body = body[prefix.end() :]
    words = split_outside(body, None)
    path: list[str] = []
    verb = ""
    index = 0
    absolute = bool(words) and words[0].startswith("/")
    while index < len(words):
        word = words[index]
        if "=" in word or word[:1] in _OPENERS or _ITEM_ID.fullmatch(word):
            break
        pieces = [p for p in word.split("/") if p]
        stop = False
        for piece in pieces:
            if piece in VERBS:
                verb = piece
                stop = True
                break
            path.append(piece)
        index += 1
        if stop or not (absolute or path):
            break
    if not verb and path and not absolute and len(path) == 1:
        # "ether3" after an implied menu: a bare word is not a path
        index -= 1
        path = []
    if absolute:
        section = "/" + " ".join(path) if path else "/"
    elif path:
        section = (current_section.rstrip() + " " + " ".join(path)).strip()
    else:
        section = current_section
    selector_words: list[str] = []
    args: list[tuple[str, str]] = []
    for word in words[index:]:
        arg = _ARG.fullmatch(word)
        if arg and not word.startswith(("[", "(", "{", '"')):
            args.append((arg.group(1), unquote(arg.group(2))))
        else:
            selector_words.append(word)
    selector = " ".join(selector_words)
    if not item_id and _ITEM_ID.fullmatch(selector):
        item_id = selector
    return CommandRef(section, verb, selector, tuple(args), item_id, text)


def split_outside(text: str, sep: str | None) -> list[str]:
    """Split ``text`` at ``sep`` (``None``: runs of whitespace) outside quotes and brackets.

    Quotes are RouterOS double quotes with backslash escapes; brackets are ``[]``, ``()``,
    ``{}``. Unbalanced input never raises: an unclosed quote or bracket runs to the end.
    """
    parts: list[str] = []
    buf: list[str] = []
    depth = 0
    in_quote = False
    escaped = False
    for char in text:
        if in_quote:
            buf.append(char)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_quote = False
            continue
        at_sep = char == sep if sep is not None else char.isspace()
        if depth == 0 and at_sep:
            if buf or sep is not None:
                parts.append("".join(buf))
            buf = []
            continue
        buf.append(char)
        if char == '"':
            in_quote = True
        elif char in _OPENERS:
            depth += 1
        elif char in _CLOSERS and depth > 0:
            depth -= 1
    if buf or (sep is not None and parts):
        parts.append("".join(buf))
    return parts


def unquote_value(value: str) -> str:
    r"""A quoted value decoded (``"a \"b\""`` -> ``a "b"``, ``"\D0\9E"`` -> ``О``); a bare
    value is returned as printed.

    For the values of ``/system history print detail``: a bare ``redo=``/``undo=`` value is
    command text whose own quoted arguments are decoded when :func:`parse_command` reads
    it, so decoding it here would decode them twice. The decoding itself is
    :func:`rospoll.config.unquote`, the product's one RouterOS unquoter.
    """
    return unquote(value) if value.startswith('"') else value
