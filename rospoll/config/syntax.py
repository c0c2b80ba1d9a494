"""RouterOS command-line syntax: argument tokens, quoting and escapes.

Used by the parser, the renderer and the key table alike, so that a value read from an
export and a value written back are spelled the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from rospoll.errors import ExportInvalidError

# Commands that may start an item line (plain or after a terse section path).
COMMANDS = frozenset(
    {"add", "set", "remove", "move", "enable", "disable", "unset", "reset", "comment", "edit"}
)

_ESCAPE = re.compile(rb"\\([0-9A-F]{2}|[\s\S])")
_SIMPLE = {
    b'"': b'"', b"\\": b"\\", b"$": b"$", b"_": b" ", b"?": b"?", b"r": b"\r", b"n": b"\n",
    b"t": b"\t", b"a": b"\a", b"b": b"\b", b"f": b"\f", b"v": b"\v",
}  # fmt: skip
_TOKEN = re.compile(
    r'[ \t]*(?:(\[)|"((?:[^"\\]|\\[\s\S])*)"|([^\s="]+)(?:=(?:"((?:[^"\\]|\\[\s\S])*)"'
    r'|((?:[^\s"\\]|\\[\s\S])*)))?)'
)
_BARE = re.compile(r"[^\s\"\\$?;{}\[\]\x00-\x1f\x7f]+")
_RENDER = {'"': '\\"', "\\": "\\\\", "$": "\\$", "?": "\\?", "\r": "\\r", "\n": "\\n", "\t": "\\t"}


def _unescape(match: re.Match[bytes]) -> bytes:
    code = match.group(1)
    return bytes.fromhex(code.decode()) if len(code) == 2 else _SIMPLE.get(code, code)


def decode_value(raw: str) -> str:
    r"""Decode RouterOS escapes (``\"``, ``\_``, ``\D0\9E`` UTF-8 bytes …) in ``raw``."""
    if "\\" not in raw:
        return raw
    data = _ESCAPE.sub(_unescape, raw.encode("utf-8", "surrogatepass"))
    return data.decode("utf-8", "surrogateescape")


def _escape_char(char: str) -> str:
    if char in _RENDER:
        return _RENDER[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte kept by surrogateescape
        return f"\\{code - 0xDC00:02X}"
    if code < 0x20 or code == 0x7F or 0xD800 <= code <= 0xDFFF:
        raw = char.encode("utf-8", "surrogatepass")
        return "".join(f"\\{byte:02X}" for byte in raw)
    return char


def quote_value(value: str) -> str:
    """Spell ``value`` as RouterOS prints it: bare when safe, else quoted and escaped."""
    if _BARE.fullmatch(value):
        return value
    return '"' + "".join(_escape_char(c) for c in value) + '"'


def _closing_bracket(text: str, start: int) -> int:
    """Index of the ``]`` closing the ``[`` at ``start``, skipping quoted strings."""
    depth, pos, quoted = 0, start, False
    while pos < len(text):
        char = text[pos]
        if quoted:
            if char == "\\":
                pos += 1
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return pos
        pos += 1
    raise ExportInvalidError("unclosed [ in command")


def _check_key(key: str) -> None:
    if not key or key[0] == "!":
        raise ExportInvalidError(f"bad argument name {key[:40]!r}")


def parse_arguments(text: str) -> tuple[str | None, dict[str, str]]:
    """Split the text after a command into ``(selector, args)``.

    The selector is ``[ find … ]`` (whitespace tidied) or the first bare or quoted word
    (``telnet``, ``0``, ``*1``, ``"lan A"``), kept as printed. ``!param`` markers of
    verbose exports become keys with an empty value; v7 flags (``passive``) become
    ``passive=yes``. Raises ExportInvalidError on an
    unterminated quote or a stray word.
    """
    if '"' not in text and "\\" not in text and "[" not in text:
        selector: str | None = None
        args: dict[str, str] = {}
        for token in text.split():
            key, sep, value = token.partition("=")
            if sep:
                _check_key(key)
                args[key] = value
            elif token[0] == "!":
                args[token] = ""
            elif selector is not None or args:
                args[token] = "yes"  # a v7 flag such as ``passive``
            else:
                selector = token
        return selector, args
    return _parse_slow(text)


def _parse_slow(text: str) -> tuple[str | None, dict[str, str]]:
    selector: str | None = None
    args: dict[str, str] = {}
    pos, end = 0, len(text.rstrip())
    while pos < end:
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            reason = "unterminated quoted string" if '"' in text[pos:] else "cannot read arguments"
            raise ExportInvalidError(reason)
        first = not args and selector is None
        bracket, quoted_word, key, quoted, bare = match.groups()
        if bracket is not None:
            close = _closing_bracket(text, match.start(1))
            if not first:
                raise ExportInvalidError("[ … ] selector after arguments")
            selector = "[ " + " ".join(text[match.start(1) + 1 : close].split()) + " ]"
            pos = close + 1
            continue
        pos = match.end()
        if pos < end and not text[pos].isspace():
            raise ExportInvalidError("unterminated quoted string" if '"' in text else "bad word")
        if quoted_word is not None:
            if not first:
                raise ExportInvalidError("quoted word after arguments")
            selector = f'"{quoted_word}"'
        elif quoted is not None or bare is not None:
            _check_key(key)
            args[key] = decode_value(quoted if quoted is not None else bare)
        elif key.startswith("!"):
            args[key] = ""
        elif first:
            selector = key
        else:
            args[key] = "yes"  # a v7 flag such as ``passive``
    return selector, args


def render_arguments(args: Mapping[str, str] | None, mask: frozenset[str] = frozenset()) -> str:
    """``key=value …`` as RouterOS prints it; keys in ``mask`` get ``******``."""
    if not args:
        return ""
    parts = []
    for key, value in args.items():
        if key.startswith("!"):
            parts.append(key)
        elif key in mask:
            parts.append(f"{key}=******")
        else:
            parts.append(f"{key}={quote_value(value)}")
    return " ".join(parts)
