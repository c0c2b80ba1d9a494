"""The lab router's configuration model and its own small export/CLI parser.

Deliberately independent of ``rospoll.config``: the lab must not test rospoll against itself.
A ``Config`` is an ordered list of ``Section``s (keyed by the path as RouterOS prints it, with
spaces), each holding ``Item``s (``add``/``set`` lines) and verbatim ``raw`` lines (other
commands and status comments) in stored order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

VERBS = frozenset(
    {
        "add",
        "set",
        "remove",
        "move",
        "enable",
        "disable",
        "unset",
        "comment",
        "print",
        "export",
        "edit",
        "reset",
        "find",
    }
)
ITEM_VERBS = frozenset({"add", "set"})

# RouterOS menu order for sections the lab may create itself (loaded files keep their own order).
SECTION_ORDER = (
    "/interface bridge",
    "/interface ethernet",
    "/interface wireguard",
    "/interface list",
    "/interface wireless security-profiles",
    "/ip pool",
    "/ip dhcp-server",
    "/port",
    "/ppp profile",
    "/interface bridge port",
    "/interface list member",
    "/interface wireguard peers",
    "/ip address",
    "/ip dhcp-client",
    "/ip dhcp-server network",
    "/ip dns",
    "/ip dns static",
    "/ip firewall address-list",
    "/ip firewall filter",
    "/ip firewall mangle",
    "/ip firewall nat",
    "/ip firewall raw",
    "/ip route",
    "/ip service",
    "/ipv6 firewall filter",
    "/ppp secret",
    "/system clock",
    "/system identity",
    "/system logging",
    "/system note",
    "/system ntp client",
    "/system scheduler",
    "/system script",
    "/tool mac-server",
    "/user",
)

_ESCAPES = {
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
    "_": " ",
    '"': '"',
    "\\": "\\",
    "$": "$",
    "?": "?",
}
_HEX = re.compile(r"[0-9A-Fa-f]{2}")


class CommandSyntaxError(ValueError):
    """Raised for text the lab cannot split into tokens (an unterminated quote or bracket)."""


def decode_value(raw: str) -> str:
    """Turn a token value as written (maybe quoted, with RouterOS escapes) into its text."""
    if len(raw) < 2 or not (raw.startswith('"') and raw.endswith('"')):
        return raw
    body, out, i = raw[1:-1], [], 0
    while i < len(body):
        ch = body[i]
        if ch != "\\" or i + 1 >= len(body):
            out.append(ch)
            i += 1
            continue
        nxt = body[i + 1]
        if _HEX.fullmatch(body[i + 1 : i + 3]):
            out.append(chr(int(body[i + 1 : i + 3], 16)))
            i += 3
        else:
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
    return "".join(out)


_SAFE = re.compile(r"[A-Za-z0-9_\-./:,!@*+%&()<>|~'^#]+")


def encode_value(text: str) -> str:
    """Write ``text`` as RouterOS prints a value: bare when safe, else quoted and escaped."""
    if _SAFE.fullmatch(text):
        return text
    out = []
    for ch in text:
        code = ord(ch)
        if ch in '"\\$?':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif code < 0x20 or 0x7F <= code <= 0xFF:
            out.append(f"\\{code:02X}")  # one byte, as the hex escape was read
        elif code > 0xFF:
            out.append("".join(f"\\{b:02X}" for b in ch.encode("utf-8", "surrogateescape")))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def split_tokens(line: str) -> list[str]:
    """Split a command line on blanks outside quotes, ``[ … ]`` and ``{ … }``."""
    tokens: list[str] = []
    cur: list[str] = []
    depth, in_quote, i = 0, False, 0
    while i < len(line):
        ch = line[i]
        if in_quote:
            cur.append(ch)
            if ch == "\\" and i + 1 < len(line):
                cur.append(line[i + 1])
                i += 1
            elif ch == '"':
                in_quote = False
        elif ch == '"':
            in_quote = True
            cur.append(ch)
        elif ch in "[{":
            depth += 1
            cur.append(ch)
        elif ch in "]}":
            depth = max(0, depth - 1)
            cur.append(ch)
        elif ch in " \t" and depth == 0:
            if cur:
                tokens.append("".join(cur))
                cur = []
        else:
            cur.append(ch)
        i += 1
    if in_quote:
        raise CommandSyntaxError("unterminated quote")
    if cur:
        tokens.append("".join(cur))
    return tokens


def split_commands(line: str) -> list[str]:
    """Split a command line on ``;`` outside quotes, ``[ … ]`` and ``{ … }``: RouterOS runs
    ``/system identity print; /system resource print`` as two commands."""
    parts: list[str] = []
    cur: list[str] = []
    depth, in_quote, escaped = 0, False, False
    for ch in line:
        if escaped:
            escaped = False
        elif in_quote and ch == "\\":
            escaped = True
        elif ch == '"':
            in_quote = not in_quote
        elif not in_quote and ch in "[{":
            depth += 1
        elif not in_quote and ch in "]}":
            depth = max(0, depth - 1)
        elif not in_quote and depth == 0 and ch == ";":
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    parts.append("".join(cur))
    return [part.strip() for part in parts if part.strip()]


def split_arg(token: str) -> tuple[str, str | None]:
    """``key=value`` → (key, decoded value); a bare word → (word, None)."""
    if "=" in token and not token.startswith(("[", '"')):
        key, _, raw = token.partition("=")
        return key, decode_value(raw)
    return token, None


def normalize_path(words: list[str]) -> str:
    """``["/ip/firewall", "filter"]`` → ``"/ip firewall filter"``; ``[]`` → ``""``."""
    parts = [p for w in words for p in w.split("/") if p]
    return "/" + " ".join(parts) if parts else ""


@dataclass
class Item:
    """One ``add``/``set`` line: selector (``None``, a name, a number or ``[ find … ]``) + args."""

    verb: str
    selector: str | None
    attrs: dict[str, str | None]
    id: int = 0

    @property
    def hex_id(self) -> str:
        return f"*{self.id:X}"


@dataclass
class Section:
    """A menu path and its entries; entries are ``Item`` or verbatim raw lines (``str``)."""

    path: str
    entries: list[Item | str] = field(default_factory=list)
    next_id: int = 1

    @property
    def items(self) -> list[Item]:
        return [e for e in self.entries if isinstance(e, Item)]

    def append(self, item: Item, before: int | None = None) -> Item:
        item.id = self.next_id
        self.next_id += 1
        if before is None:
            self.entries.append(item)
        else:
            items = self.items
            pos = self.entries.index(items[before]) if 0 <= before < len(items) else None
            self.entries.insert(len(self.entries) if pos is None else pos, item)
        return item


@dataclass
class Header:
    """What the export header says besides the date and version."""

    software_id: str | None = None
    system_id: str | None = None
    model: str | None = None
    serial: str | None = None
    bare_hashes: int = 0  # CHR v6 prints bare ``#`` lines instead of model/serial


@dataclass
class Config:
    """Ordered sections of one lab router."""

    sections: list[Section] = field(default_factory=list)

    def find(self, path: str) -> Section | None:
        return next((s for s in self.sections if s.path == path), None)

    def section(self, path: str) -> Section:
        """The section for ``path``, created at its RouterOS menu position when missing."""
        found = self.find(path)
        if found is not None:
            return found
        new = Section(path)
        rank = {p: i for i, p in enumerate(SECTION_ORDER)}
        mine = rank.get(path, len(SECTION_ORDER))
        pos = next(
            (i for i, s in enumerate(self.sections) if rank.get(s.path, len(SECTION_ORDER)) > mine),
            len(self.sections),
        )
        self.sections.insert(pos, new)
        return new

    def item_count(self) -> int:
        return sum(len(s.items) for s in self.sections)


def parse_item(verb: str, args: list[str]) -> Item:
    """Build an ``Item`` from the tokens after the verb."""
    selector: str | None = None
    attrs: dict[str, str | None] = {}
    for n, tok in enumerate(args):
        key, value = split_arg(tok)
        if value is None and n == 0 and verb == "set":
            selector = tok
        else:
            attrs[key] = value
    return Item(verb, selector, attrs)


_CONT = re.compile(r"\\\r?\n {0,4}")
_HEADER_KV = re.compile(r"^# (software id|system id|model|serial number) = ?(.*)$")


def join_continuations(text: str) -> list[str]:
    """Join ``\\`` + newline + 4-space continuations; returns logical lines."""
    return _CONT.sub("", text.replace("\r\n", "\n")).split("\n")


def load_export(text: str) -> tuple[Config, Header]:
    """Parse any RouterOS export (v6/v7; standard, terse or verbose) into a model.

    Lines the lab does not model (other commands, body comments) are kept verbatim so a
    re-export keeps them; raises nothing on odd input.
    """
    config, header = Config(), Header()
    current: Section | None = None
    in_header = True
    for line in join_continuations(text):
        stripped = line.rstrip()
        if not stripped.strip():
            continue
        if in_header and stripped.startswith("#"):
            m = _HEADER_KV.match(stripped)
            if m:
                key, value = m.group(1), m.group(2).strip()
                setattr(
                    header,
                    {
                        "software id": "software_id",
                        "system id": "system_id",
                        "model": "model",
                        "serial number": "serial",
                    }[key],
                    value,
                )
            elif stripped == "#" and header.software_id is not None and header.model is None:
                header.bare_hashes += 1
            continue
        in_header = False
        current = _load_line(config, current, stripped)
    if header.bare_hashes:
        header.bare_hashes -= 1  # the first bare '#' is always printed
    return config, header


def _load_line(config: Config, current: Section | None, line: str) -> Section | None:
    body = line.lstrip()
    try:
        tokens = split_tokens(body)
    except CommandSyntaxError:
        tokens = []
    if body.startswith("/") and tokens:
        verb_at = next((i for i, t in enumerate(tokens) if t in VERBS), None)
        path = normalize_path(tokens if verb_at is None else tokens[:verb_at])
        section = config.section(path) if path else config.section("/")
        if verb_at is None:
            return section
        current, tokens = section, tokens[verb_at:]
    if current is None:
        current = config.section("/")
    if tokens and tokens[0] in ITEM_VERBS:
        current.append(parse_item(tokens[0], tokens[1:]))
    else:
        current.entries.append(body)
    return current
