"""Cleaning text that came from a router before it is shown anywhere.

HTML escaping is Jinja's job (autoescape); this module removes what escaping leaves alone:
terminal escape sequences (:func:`rospoll.terminal.strip_escapes`), control and format
characters (including bidi overrides that make text read differently than it is), lone
surrogates, and unbounded lengths. Header text additionally becomes one line, so a newline in
a user name can never start a new mail header.
"""

from __future__ import annotations

import re

from rospoll.terminal import strip_escapes

ELLIPSIS = "…"

# C0 except \t \n, DEL, C1, zero-width and bidi controls, line/paragraph separators,
# invisible operators, BOM, interlinear annotation, lone surrogates.
_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f"
    "\ufeff\ufff9-\ufffb\ud800-\udfff]"
)
_SPACES = re.compile(r"\s+")


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + ELLIPSIS


def clean_block(text: str, limit: int = 200_000) -> str:
    """Multi-line text with escapes and controls removed; newlines and tabs kept, CRLF → LF."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", strip_escapes(text))
    if len(text) > limit:
        dropped = len(text) - limit
        text = text[:limit] + f"\n{ELLIPSIS} ({dropped} more characters not shown)"
    return text


def clean_line(text: str, limit: int = 200) -> str:
    """One line: escapes and controls removed, every run of whitespace one space, bounded."""
    text = _CONTROL.sub(" ", strip_escapes(text))
    return shorten(_SPACES.sub(" ", text).strip(), limit)


def header_text(text: str, limit: int) -> str:
    """Safe for a mail header: one line, no controls, at most ``limit`` characters."""
    return clean_line(text, limit)
