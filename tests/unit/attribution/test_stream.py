"""LineAssembler: the same entries whatever the chunking; noise dropped; never raises."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rospoll.attribution.logline import ChangeEvent, parse_log_line
from rospoll.attribution.stream import LineAssembler, clean_line

V6_COMMAND = '/log print follow-only where topics~"system"'
V7_COMMAND = '/log/print follow-only where topics~"system"'


def _stream(name: str, logs_dir: Path) -> str:
    # decoded exactly as the follower does
    return (logs_dir / f"{name}.raw").read_bytes().decode("utf-8", errors="replace")


def _expected(name: str, logs_dir: Path) -> list[str]:
    return (logs_dir / f"{name}.expected").read_text(encoding="utf-8").splitlines()


def _run(text: str, cuts: list[int] | None = None, *, command: str | None = None) -> list[str]:
    assembler = LineAssembler(command=command)
    out: list[str] = []
    if cuts is None:
        out += assembler.feed(text)
    else:
        start = 0
        for cut in [*sorted(cuts), len(text)]:
            out += assembler.feed(text[start:cut])
            start = max(start, cut)
    return out + assembler.flush()


def _bytewise(text: str, *, command: str | None = None) -> list[str]:
    assembler = LineAssembler(command=command)
    out: list[str] = []
    for char in text:
        out += assembler.feed(char)
    return out + assembler.flush()


@pytest.mark.parametrize(
    ("name", "command"), [("follow_v6_649", V6_COMMAND), ("follow_v7", V7_COMMAND)]
)
def test_follow_output_gives_exactly_the_log_entries(
    name: str, command: str, logs_dir: Path
) -> None:
    text = _stream(name, logs_dir)
    expected = _expected(name, logs_dir)
    assert _run(text, command=command) == expected
    assert _bytewise(text, command=command) == expected


@pytest.mark.parametrize("name", ["follow_v6_649", "follow_v7"])
def test_prompt_pattern_alone_drops_echo_without_the_command(name: str, logs_dir: Path) -> None:
    assert _bytewise(_stream(name, logs_dir)) == _expected(name, logs_dir)


def test_v7_follow_entries_parse_to_events(logs_dir: Path) -> None:
    entries = _run(_stream("follow_v7", logs_dir), command=V7_COMMAND)
    events = [parse_log_line(entry) for entry in entries]
    device = events[2]
    assert isinstance(device, ChangeEvent)
    assert (device.user, device.via, device.address) == ("admin", "winbox", "192.168.100.50")
    assert device.sections == ("/interface", "/queue interface")
    assert all(event is not None for event in events)


def test_entry_is_held_until_next_line_or_flush() -> None:
    assembler = LineAssembler()
    assert assembler.feed("12:00:01 system,info dns changed by admin\r\n") == []
    assert assembler.has_pending
    assert assembler.feed("12:00:02 system,info nat rule added by admin\r\n") == [
        "12:00:01 system,info dns changed by admin"
    ]
    assert assembler.flush() == ["12:00:02 system,info nat rule added by admin"]
    assert assembler.flush() == []


def test_footer_line_ends_the_entry_without_flush() -> None:
    assembler = LineAssembler()
    assert assembler.feed("12:00:01 system,info dns changed by admin\n-- Ctrl-C to quit.\n") == [
        "12:00:01 system,info dns changed by admin"
    ]


def test_wrapped_continuation_is_joined_and_orphans_dropped() -> None:
    text = (
        "interrupted\n"
        " 19:57:44 system,info filter rule added by ssh:a@10.0.0.1 (*1 = /ip firewall filter\n"
        "    add chain=input)\n"
    )
    assert _run(text) == [
        "19:57:44 system,info filter rule added by ssh:a@10.0.0.1 "
        "(*1 = /ip firewall filter add chain=input)"
    ]


@pytest.mark.parametrize(
    "noise",
    [
        "[admin@MikroTik] > ",
        "[admin@MikroTik] /ip address> ",
        "[xxxx@cpe0.11941 (Primary)] > /log print",
        "[admin@MikroTik] <SAFE> ",
        "[Safe mode released by another user]",
        "-- Ctrl-C to quit.",
        "-- Ctrl-C to quit. Space prints separator. New entries will appear at bottom.",
        "\r\x1b[K-- Ctrl-C to quit.",
        " = = =   = = =   = = =      = = =   = = =   = = =      = = =   = = =   = = =",
        "=" * 80,
        "-- [Q quit|D dump|C-z pause]",
        "      ",
        V6_COMMAND,
    ],
)
def test_noise_lines_are_dropped(noise: str) -> None:
    text = f"12:00:01 system,info dns changed by admin\n{noise}\n12:00:02 system,info dns changed\n"
    assert _run(text, command=V6_COMMAND) == [
        "12:00:01 system,info dns changed by admin",
        "12:00:02 system,info dns changed",
    ]


def test_repaint_keeps_what_the_screen_shows() -> None:
    line = (
        "-- Ctrl-C to quit.\r\x1b[K\x1b[1;32m"
        "sep/15 12:34:26 system,info mangle rule added by admin \x1b[0m"
    )
    assert clean_line(line) == "sep/15 12:34:26 system,info mangle rule added by admin"
    assert clean_line("entry text\r      \r") == "entry text"
    assert clean_line("\x00a\x07b\tc\x1b]0;title\x07d\x1bc") == "ab cd"


def test_crlf_split_across_chunks_and_ansi_split_across_chunks() -> None:
    text = (
        "12:00:01 system,info \x1b[31mdns\x1b[0m changed by admin\r\n"
        "12:00:02 system,info x added by b\r\n"
    )
    whole = _run(text)
    assert whole == [
        "12:00:01 system,info dns changed by admin",
        "12:00:02 system,info x added by b",
    ]
    for cut in range(len(text)):
        assert _run(text, [cut]) == whole


def test_hostile_input_never_raises_and_long_lines_are_capped() -> None:
    assembler = LineAssembler(max_line_chars=4096)
    huge = "12:00:01 system,info " + "x" * 1_000_000 + " changed by admin\n"
    out = (
        assembler.feed(huge)
        + assembler.feed("\x00\ufffd\ud800\x1b[\x1b]\r\r\n")
        + assembler.flush()
    )
    assert len(out) == 1
    assert len(out[0]) <= 4096
    assembler = LineAssembler()
    out = assembler.feed("12:00:01 system,info " + "(" * 1_000_000 + "\n") + assembler.flush()
    assert len(out) == 1


def test_megabyte_line_fed_in_small_chunks_stays_fast() -> None:
    text = "12:00:01 system,info dns changed by " + "a" * 1_000_000 + "\n"
    assembler = LineAssembler(max_line_chars=2_000_000)
    out: list[str] = []
    for start in range(0, len(text), 7):
        out += assembler.feed(text[start : start + 7])
    assert out + assembler.flush() == [text.strip()]


_ALPHABET = st.sampled_from(
    [
        "12:00:01 ",
        " 2026-10-02 17:34:34 ",
        "system,info ",
        "dns changed by admin",
        "x",
        "\r",
        "\n",
        "\r\n",
        "\x1b[K",
        "\x1b[",
        "\x1b",
        "\x00",
        "\ufffd",
        "[admin@MikroTik] > ",
        "-- Ctrl-C to quit.",
        " = = = ",
        "    ",
        "(",
        ")",
        '"',
    ]
)


@given(st.lists(_ALPHABET, max_size=60), st.lists(st.integers(min_value=0, max_value=2000)))
def test_random_chunking_gives_the_same_entries(parts: list[str], cuts: list[int]) -> None:
    text = "".join(parts)
    cuts = [cut % (len(text) + 1) for cut in cuts]
    assert _run(text, cuts) == _run(text)


@pytest.mark.fuzz
@given(st.text(), st.lists(st.integers(min_value=0, max_value=500)))
def test_arbitrary_text_never_raises_and_chunking_is_irrelevant(text: str, cuts: list[int]) -> None:
    cuts = [cut % (len(text) + 1) for cut in cuts]
    whole = _run(text, command=V6_COMMAND)
    assert _run(text, cuts, command=V6_COMMAND) == whole
    assert all(entry == entry.strip() and entry and "\n" not in entry for entry in whole)
