"""Terminal escape sequences in text that came from a router: the one place they are removed.

Pure text, no I/O; every stage that cleans router output calls :func:`strip_escapes`
(``device/output.py`` for command output, ``attribution/stream.py`` for follow lines,
``notify/clean.py`` before anything is shown). What each of them does besides (carriage
returns, control characters, length limits) stays with it.

What RouterOS sends to an interactive terminal, all removed here:

- CSI sequences: ``ESC[K`` (erase line, after every repaint), ``ESC[m`` / ``ESC[1;32m``
  (colours), ``ESC[6n`` (cursor-position query, sent without the ``t`` login flag),
  ``ESC[9999B`` (cursor down, before the first prompt), ``ESC[?25h``, ``ESC[c``;
- OSC sequences (window title), ended by BEL or ``ESC \\``, or not ended at all: then up to
  the end of the line, never further, so a stray ``ESC ]`` cannot swallow the lines after it;
- two-character escapes (``ESC c``, ``ESC 7``, ``ESC ( B``) and a lone ``ESC``, e.g. the
  start of a sequence cut off by a line limit.

>>> strip_escapes("\\r\\x1b[K\\x1b[m 2026-10-02 17:33:27 system,info \\x1b[1;32mdns\\x1b[0m")
'\\r 2026-10-02 17:33:27 system,info dns'
"""

from __future__ import annotations

import re

ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, ESC[K, cursor moves, ESC[6n
    r"|\x1b\][^\x07\x1b\r\n]*(?:\x07|\x1b\\)?"  # OSC, terminated or not (then to end of line)
    r"|\x1b[ -/]*[0-~]"  # two-character escapes: ESC c, ESC E, ESC 7, ESC ( B
    r"|\x1b"  # a lone ESC
)


def strip_escapes(text: str) -> str:
    """``text`` without terminal escape sequences; everything else, ``\\r`` included, kept."""
    if "\x1b" not in text:  # the common case: an export has none
        return text
    return ESCAPE_SEQUENCE.sub("", text)
