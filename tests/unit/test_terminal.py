"""strip_escapes on what RouterOS really sends to a terminal, and the three cleaners using it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from rospoll.attribution import stream
from rospoll.device.output import clean_output
from rospoll.notify import clean
from rospoll.terminal import strip_escapes

ESC = "\x1b"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        # v7 follow stream (tests/data/logs/follow_v7.raw): footer erased, colours reset
        (
            "-- Ctrl-C to quit.\r\x1b[K\x1b[m 2026-10-02 17:33:27 system,info dns changed",
            "-- Ctrl-C to quit.\r 2026-10-02 17:33:27 system,info dns changed",
        ),
        # login without the `t` flag: cursor-position query, then cursor-down before the prompt
        # (rConfig issue #45 capture)
        (
            "\x1b[6n\r\x1b[9999B\r\x1b[9999B\r\r\r\x1b[9999B[admin@MikroTik] > ",
            "\r\r\r\r\r[admin@MikroTik] > ",
        ),
        # colours: bold green, reset, bare reset
        ("\x1b[1;32mmangle rule added\x1b[0m by \x1b[madmin", "mangle rule added by admin"),
        # netmiko's list: erase screen/line, private modes, Safe-Mode ESC[c, scroll region
        ("\x1b[2J\x1b[2K\x1b[J\x1b[1M\x1b[?25h\x1b[?7l\x1b[?2004hx\x1b[c\x1b[1;24r", "x"),
        # 6.49 full-line repaint (research/routeros.md 1.10): \r and spaces stay
        (
            "\r\r[u@id] > /ip" + " " * 8 + "\x1b[K\r[u@id] > /ip",
            "\r\r[u@id] > /ip" + " " * 8 + "\r[u@id] > /ip",
        ),
    ],
)
def test_routeros_terminal_sequences_are_removed_and_carriage_returns_kept(
    raw: str, shown: str
) -> None:
    assert strip_escapes(raw) == shown


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("a\x1b]0;title\x07b", "ab"),  # OSC ended by BEL
        ("a\x1b]0;title\x1b\\b", "ab"),  # OSC ended by ST
        ("a\x1b]0;title\nnext line", "a\nnext line"),  # not ended: up to the end of the line
        ("a\x1b]0;title\r\nnext", "a\r\nnext"),
        ("a\x1bcb\x1b7c\x1b8d\x1b(Be", "abcde"),  # two-character escapes
        ("cut\x1b[3", "cut3"),  # a CSI cut short: ESC [ goes, the digit is plain text
        ("end\x1b", "end"),  # a lone ESC
        ("\x1b\x1b[K", ""),
    ],
)
def test_other_escape_forms(raw: str, shown: str) -> None:
    assert strip_escapes(raw) == shown


def test_text_without_escapes_is_returned_as_is() -> None:
    export = (
        '# 2026-10-02 by RouterOS 7.16\r\n/ip address\r\nadd address=10.0.0.1/24 comment="[x]"\r\n'
    )
    assert strip_escapes(export) is export


_CLEANERS: dict[str, Callable[[str], str]] = {
    "device.output.clean_output": clean_output,
    "attribution.stream.clean_line": stream.clean_line,
    "notify.clean.clean_line": clean.clean_line,
    "notify.clean.clean_block": clean.clean_block,
}
_HOSTILE = (
    "\x1b[6n\x1b[1;31mdns\x1b[0m \x1b]0;owned\x07changed\x1b[K\x1bc by \x1b(Badmin\x1b[?25h\x1b"
)


@pytest.mark.parametrize("name", sorted(_CLEANERS))
def test_every_cleaner_removes_the_same_sequences(name: str) -> None:
    assert _CLEANERS[name](_HOSTILE).strip() == "dns changed by admin"


def test_each_cleaner_keeps_its_own_carriage_return_handling() -> None:
    repaint = "\r\r[u@id] > /ip  \x1b[K\r[u@id] > /ip\r\n 12:00:01 system,info x\x1b[m\r\n"
    assert clean_output(repaint) == " 12:00:01 system,info x\n"  # prompt lines dropped
    assert stream.clean_line("-- Ctrl-C to quit.\r\x1b[K\x1b[m 12:00:01 a") == " 12:00:01 a"
    assert clean.clean_block("a\x1b[K\r\nb\rc") == "a\nb\nc"  # CRLF and CR become LF
