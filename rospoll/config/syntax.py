"""RouterOS command-line syntax: argument tokens, quoting and escapes.

Used by the parser, the renderer and the key table alike, so that a value read from an
export and a value written back are spelled the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from itertools import repeat
from typing import Any

from rospoll.errors import ExportInvalidError

# Commands that may start an item line (plain or after a terse section path).
COMMANDS = frozenset(
    {"add", "set", "remove", "move", "enable", "disable", "unset", "reset", "comment", "edit"}
)

# One escape: a run of ``\XX`` bytes (the UTF-8 of one or more characters) or ``\`` and
# one character.
_ESCAPE = re.compile(r"\\((?:[0-9A-F]{2})(?:\\[0-9A-F]{2})*+|[\s\S])")
_SIMPLE = {
    '"': '"', "\\": "\\", "$": "$", "_": " ", "?": "?", "r": "\r", "n": "\n", "t": "\t",
    "a": "\a", "b": "\b", "f": "\f", "v": "\v",
}  # fmt: skip
# Loops unrolled (``"[^"\\]*(?:\\.[^"\\]*)*"``): the same language as one alternation per
# character, but the regex engine runs through plain characters in one step (3x faster).
_QUOTED = r'"[^"\\]*(?:\\[\s\S][^"\\]*)*"'
_ONE = rf'([^\s="]+)(?:(=)({_QUOTED}|[^\s"\\]*(?:\\[\s\S][^\s"\\]*)*))?|({_QUOTED})'
_TOKEN = re.compile(_ONE)
_QUOTED_AT = re.compile(_QUOTED)
_TOKENS = re.compile(rf"[ \t]*(?:(?:{_ONE})(?:[ \t]+(?:{_ONE}))*)?[ \t]*")
# Printed without quotes; not surrogates, which stand for bytes that are not UTF-8.
BARE = re.compile(r"[^\s\"\\$?;{}\[\]\x00-\x1f\x7f\ud800-\udfff]+")
_BARE = BARE
_KEYS = re.compile(r"!?[\w./:-]+(?: !?[\w./:-]+)*")
_NEEDS_ESCAPE = re.compile(r'["\\$?\x00-\x1f\x7f\ud800-\udfff]')
_RENDER = {'"': '\\"', "\\": "\\\\", "$": "\\$", "?": "\\?", "\r": "\\r", "\n": "\\n", "\t": "\\t"}


def _unescape(match: re.Match[str]) -> str:
    code = match.group(1)
    if len(code) == 1:
        return _SIMPLE.get(code, code)
    return bytes.fromhex(code.replace("\\", "")).decode("utf-8", "surrogateescape")


def decode_value(raw: str) -> str:
    r"""Decode the RouterOS escapes in ``raw``, a value as printed without its quotes.

    ``\"``, ``\\``, ``\$``, ``\?``, ``\_`` (a space), ``\n``, ``\r``, ``\t``, ``\a``,
    ``\b``, ``\f``, ``\v``; ``\XX`` (two upper-case hex digits) is one byte, and a run
    of them is decoded as UTF-8: ``\D0\9E`` is "О", ``\F0\9F\98\80`` "😀". Bytes that
    are not UTF-8 become surrogate escapes (``\udcXX``, as when the export was read with
    ``surrogateescape``), which ``quote_value`` spells ``\XX`` again. Any other escaped
    character stands for itself; text outside escapes is kept as it is. One level only: a
    script source holding ``\\E2`` decodes to the text ``\E2``.
    """
    if "\\" not in raw:
        return raw
    return _ESCAPE.sub(_unescape, raw)


def unquote(token: str) -> str:
    r"""The value one RouterOS token spells: its double quotes dropped, escapes decoded.

    ``"a \"b\""`` gives ``a "b"``, ``"\D0\9E"`` gives "О", a bare ``a\_b`` gives
    ``a b`` (bare values have escapes too). A quote that is never closed (a cut line) is
    dropped as well; text after the closing quote is decoded and kept, as printed.
    """
    if token[:1] != '"':
        return decode_value(token)
    quoted = _QUOTED_AT.match(token)
    if quoted is None:
        return decode_value(token[1:])
    end = quoted.end()
    return decode_value(token[1 : end - 1] + token[end:])


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
    if not _NEEDS_ESCAPE.search(value):
        return f'"{value}"'
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


def parse_arguments(text: str) -> tuple[str | None, dict[str, str]]:
    """Split the text after a command into ``(selector, args)``.

    The selector is ``[ find … ]`` (whitespace tidied) or the first bare or quoted word
    (``telnet``, ``0``, ``*1``, ``"lan A"``), kept as printed. ``!param`` markers of
    verbose exports become keys with an empty value; v7 flags (``passive``) become
    ``passive=yes``. Raises ExportInvalidError on an
    unterminated quote or a stray word.
    """
    selector: str | None = None
    text = text.strip()
    if text.startswith("["):
        close = _closing_bracket(text, 0)
        selector = "[ " + " ".join(text[1:close].split()) + " ]"
        text = text[close + 1 :]
    tokens: list[tuple[str, str, str, str]] | None
    if "\\" in text:
        tokens = None
    elif '"' not in text:
        tokens = [(*t.partition("="), "") for t in text.split()]
    else:
        tokens = _split_quoted(text)
    if tokens is None:
        if not _TOKENS.fullmatch(text):
            reason = "unterminated quoted string" if '"' in text else "cannot read arguments"
            raise ExportInvalidError(reason)
        tokens = _TOKEN.findall(text)
    args: dict[str, str] = {}
    for key, sep, value, word in tokens:
        if sep:
            if key[:1] == "!":
                raise ExportInvalidError(f"bad argument name {key[:40]!r}")
            if value[:1] == '"':
                value = value[1:-1]
            args[key] = decode_value(value) if "\\" in value else value
        elif word or (selector is None and not args and key[0] != "!"):
            if selector is not None or args:
                raise ExportInvalidError("quoted word after arguments")
            selector = word or key
        else:
            args[key] = "" if key[0] == "!" else "yes"  # ``!param`` unset; v7 flag ``passive``
    if args and not _KEYS.fullmatch(" ".join(args)):
        raise ExportInvalidError("bad argument name")
    return selector, args


# ``_KEYS`` without ``!param`` markers, so that the fast paths cannot take ``!param=value``
# for valid: what every name of a ``name=value`` argument must match.
_NAMES = re.compile(r"[\w./:-]+(?: [\w./:-]+)*")
_EQ, _ONCE = repeat("="), repeat(1)


def fast_arguments(text: str) -> dict[str, str] | None:
    """``parse_arguments(text)[1]`` for the common line: only ``name=value`` tokens, values
    bare or quoted without escapes; None for anything else (a selector, a flag, an escape,
    odd spacing, a bad name …), which ``parse_arguments`` then reads (or rejects).
    """
    if "\\" in text:
        return None
    args: dict[str, str] | None
    try:
        if '"' not in text:
            words = text.split()
            if words and words[0][0] == "[":
                return None
            args = dict(map(str.split, words, _EQ, _ONCE))
        else:
            args = _quoted_arguments(text)
    except ValueError:  # a word without "=": a selector or flag
        return None
    if args is None or (args and not _NAMES.fullmatch(" ".join(args))):
        return None
    return args


def _quoted_arguments(text: str) -> dict[str, str] | None:
    segments = text.strip().split('"')
    last = len(segments) - 1
    if last % 2 or not "".join(segments[::2]).isprintable():
        return None  # an odd quote, or whitespace other than " " outside quotes
    pairs: list[Any] = []
    for index in range(0, last + 1, 2):
        outside = segments[index]
        if index and outside[:1] != " " and (outside or index != last):
            return None  # something glued after a closing quote
        words = outside.split()
        if index != last:
            if outside[-1:] != "=":
                return None  # a quoted word, not a value
            name = words.pop()[:-1]
            pairs.extend(map(str.split, words, _EQ, _ONCE))
            if not name or "=" in name:
                return None
            pairs.append((name, segments[index + 1]))
        else:
            pairs.extend(map(str.split, words, _EQ, _ONCE))
    if pairs and pairs[0][0][:1] == "[":
        return None
    return dict(pairs)


def _split_quoted(text: str) -> list[tuple[str, str, str, str]] | None:
    """``_TOKEN.findall(text)`` for a line with quotes but no backslash, by str methods.

    Returns None for anything it does not handle (tabs or other whitespace outside
    quotes, a quote glued to a word, an odd quote …); the caller then uses the regexes,
    which also give the error. Where it returns tokens, they equal the regex's.
    """
    segments = text.split('"')
    last = len(segments) - 1
    if last % 2 or not "".join(segments[::2]).isprintable():
        return None  # an odd quote, or whitespace other than " " outside quotes
    tokens: list[tuple[str, str, str, str]] = []
    for index in range(0, last + 1, 2):
        outside = segments[index]
        if index and outside[:1] != " " and (outside or index != last):
            return None  # something glued after a closing quote
        words = outside.split(" ")
        glued = words.pop() if index != last else ""
        for word in words:
            if word:
                if word[0] == "=":
                    return None
                tokens.append((*word.partition("="), ""))
        if index == last:
            break
        quoted = '"' + segments[index + 1] + '"'
        if not glued:
            tokens.append(("", "", "", quoted))
        elif glued[-1] == "=" and len(glued) > 1 and "=" not in glued[:-1]:
            tokens.append((glued[:-1], "=", quoted, ""))
        else:
            return None
    return tokens


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
