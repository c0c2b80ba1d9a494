"""Reassemble log entries from an interactive ``/log print follow-only`` byte stream.

The follower reads whatever the SSH channel has buffered: pieces of lines, several lines,
terminal repaints. :class:`LineAssembler` turns those chunks into complete, cleaned log
entries, one string each, and drops everything else:

- terminal escape sequences (:func:`rospoll.terminal.strip_escapes`), NUL and other control
  characters (``\\t`` becomes a space);
- repaints: within one line, text before a ``\\r`` was overwritten on screen, so only the last
  non-blank ``\\r``-separated piece counts (this also removes a footer erased by ``\\r ESC[K``);
- prompt, echo and repaint lines: those starting with ``[user@identity]`` or containing the
  ``command`` text;
- separator lines of ``=`` and spaces; the footers ``-- Ctrl-C to quit.`` (v6) and
  ``-- Ctrl-C to quit. Space prints separator. ...`` (v7) and other ``-- [...]`` status lines;
  bracketed notices such as ``[Safe mode released by another user]``; blank lines;
- leading and trailing spaces (v6 pads log lines).

A line that does not start with a time stamp continues the previous entry (RouterOS wraps
long messages); it is joined with one space. Such a line with no entry before it is dropped.
Because of this, an entry is only known to be complete when the next line arrives, a dropped
line (footer, prompt, blank) ends it, or :meth:`LineAssembler.flush` is called. **The
follower calls ``flush()`` after a quiet period** (no data for a second or so), and when
the session ends.

The output does not depend on how the input was cut into chunks: feeding one character at a
time gives the same entries as feeding everything at once. Physical lines longer than
``max_line_chars`` are cut to that length (the rest up to the newline is discarded), so a
hostile stream cannot grow memory without bound.

>>> a = LineAssembler(command="/log print follow-only")
>>> a.feed(" 2026-10-02 17:35:45 system,info dns changed\\r\\n-- Ctrl-C to qu")
[]
>>> a.feed("it.\\r\\x1b[K 2026-10-02 17:35:46 system,info dns changed\\r\\n")
['2026-10-02 17:35:45 system,info dns changed']
>>> a.flush()
['2026-10-02 17:35:46 system,info dns changed']
"""

from __future__ import annotations

import re
from enum import Enum

from rospoll.attribution.logline import ENTRY_START
from rospoll.terminal import strip_escapes

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_PROMPT = re.compile(r"\s*\[[^\]\s@]+@[^\]]*\]")
_NOTICE = re.compile(r"\s*\[[^\]]*\]\s*")
_FOOTER = re.compile(r"\s*--\s?(?:Ctrl-C|\[)")

DEFAULT_MAX_LINE_CHARS = 262_144


class _Kind(Enum):
    ENTRY = "entry"  # starts with a time stamp
    CONTINUATION = "continuation"  # wrapped text of the previous entry
    DROP = "drop"  # prompt, echo, footer, separator, notice, blank: ends an entry


class LineAssembler:
    """Chunks of follow output in, complete cleaned log entries out (see module docstring).

    ``command`` is the command typed to start following, so its echo can be dropped.
    """

    def __init__(
        self,
        *,
        command: str | None = None,
        max_line_chars: int = DEFAULT_MAX_LINE_CHARS,
    ) -> None:
        self._command = (command or "").strip()
        self._max = max(1, max_line_chars)
        self._parts: list[str] = []
        self._partial_len = 0
        self._pending: str | None = None

    @property
    def has_pending(self) -> bool:
        """True while an entry is held back waiting for a possible continuation."""
        return self._pending is not None

    def feed(self, chunk: str) -> list[str]:
        """Add ``chunk``; return the entries it completed, oldest first."""
        out: list[str] = []
        start = 0
        while True:
            newline = chunk.find("\n", start)
            if newline < 0:
                self._keep(chunk[start:])
                return out
            self._keep(chunk[start:newline])
            line = "".join(self._parts)
            self._parts = []
            self._partial_len = 0
            self._take(line, out)
            start = newline + 1

    def flush(self) -> list[str]:
        """Return the entry held back for continuations, if any; call after a quiet period.

        An unfinished physical line (no newline yet, e.g. the footer) stays buffered.
        """
        if self._pending is None:
            return []
        entry, self._pending = self._pending, None
        return [entry]

    def _keep(self, piece: str) -> None:
        room = self._max - self._partial_len
        if room <= 0 or not piece:
            return
        piece = piece[:room]
        self._parts.append(piece)
        self._partial_len += len(piece)

    def _take(self, raw: str, out: list[str]) -> None:
        text = clean_line(raw)
        kind = self._classify(text)
        if kind is _Kind.ENTRY:
            if self._pending is not None:
                out.append(self._pending)
            self._pending = text.strip()
        elif kind is _Kind.CONTINUATION:
            if self._pending is not None:
                self._pending = (self._pending + " " + text.strip())[: self._max]
        elif self._pending is not None:
            out.append(self._pending)
            self._pending = None

    def _classify(self, text: str) -> _Kind:
        if (
            not text.strip()
            or _PROMPT.match(text)
            or (self._command and self._command in text)
            or _is_separator(text)
            or _FOOTER.match(text)
            or _NOTICE.fullmatch(text)
        ):
            return _Kind.DROP
        if ENTRY_START.match(text):
            return _Kind.ENTRY
        return _Kind.CONTINUATION


def _is_separator(text: str) -> bool:
    # str methods, not a regex: "= = = ... x" would make a regex backtrack quadratically
    return "=" in text and not text.replace("=", "").strip()


def clean_line(raw: str) -> str:
    """What one physical line shows on screen: escape sequences and control characters removed,
    only the last non-blank ``\\r``-separated piece kept, trailing spaces removed."""
    text = strip_escapes(raw)
    text = _CONTROL.sub("", text.replace("\t", " "))
    if "\r" in text:
        pieces = [piece for piece in text.split("\r") if piece.strip()]
        text = pieces[-1] if pieces else ""
    return text.rstrip()
