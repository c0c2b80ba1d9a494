"""parse_history: v6 and v7 `print` tables and `print detail`, newest first as printed."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rospoll.attribution.history import HistoryEntry, parse_history


def _read(logs_dir: Path, name: str) -> str:
    return (logs_dir / name).read_text(encoding="utf-8")


def test_v6_print_table(logs_dir: Path) -> None:
    entries = parse_history(_read(logs_dir, "history_v6_print.txt"))
    assert [(e.flags, e.action, e.by, e.policy) for e in entries] == [
        ("U", "filter rule added", "admin", "write"),
        ("U", "address added", "admin", "write"),
        ("R", "mangle rule changed", "ops", "write"),
        ("F", "static dns entry added", "admin", "write"),
    ]
    assert all(e.time_text == e.redo == e.undo == "" for e in entries)


def test_v7_print_table_with_time_empty_by_and_wrapped_policy(logs_dir: Path) -> None:
    entries = parse_history(_read(logs_dir, "history_v7_print.txt"))
    assert entries == [
        HistoryEntry("device changed", "admin", "write", "2025-03-10 15:04:16", "", "", "U"),
        HistoryEntry(
            "disk and smb server config changed", "", "write", "2025-03-10 11:59:20", "", "", "U"
        ),
        HistoryEntry("user admin changed", "", "write,policy", "2025-03-10 11:59:20", "", "", "U"),
        HistoryEntry("config changed", "", "write", "2025-03-10 11:59:20", "", "", "U"),
        HistoryEntry("filter rule added", "", "write", "2025-03-10 11:59:19", "", "", "U"),
    ]


def test_print_detail_with_unquoted_commands_and_quoted_values(logs_dir: Path) -> None:
    entries = parse_history(_read(logs_dir, "history_v7_detail.txt"))
    assert entries[0] == HistoryEntry(
        action="filter rule added",
        by="admin",
        policy="write",
        time_text="oct/10/2019 18:49:03",
        redo="/ip firewall filter add action=accept chain=forward",
        undo="/ip firewall filter remove *3",
        flags="F",
    )
    assert (entries[1].action, entries[1].by, entries[1].time_text) == (
        "filter rule changed",
        "ops",
        "oct/10/2019 18:51:40",
    )
    assert entries[1].redo == '/ip firewall filter set *3 action=drop comment="say \\"hi\\" (now)"'
    assert entries[1].undo == '/ip firewall filter set *3 action=accept comment=""'
    # a command's own time= is not taken for the entry's time
    assert entries[2].time_text == "oct/10/2019 18:52:00"
    assert entries[2].redo == "/system clock set time=12:00:00 time-zone-name=Europe/Riga"
    assert entries[2].policy == "write,policy"


def test_detail_with_quoted_commands_indexes_and_escapes() -> None:
    text = (
        "Flags: U - undoable, R - redoable, F - floating-undo\n"
        ' 0 U action="address added" by="admin" policy=write time=2025-03-10 15:04:16\n'
        '     redo="/ip address add address=10.1.1.1/24 comment=\\"a\\\\b\\" interface=ether1"\n'
        '     undo="/ip address remove *3"\n'
        ' 1 R action="dns changed" by="" policy=write time=2025-03-10 15:00:00 redo="" undo=""\n'
        "[admin@MikroTik] > \n"
    )
    entries = parse_history(text)
    assert entries[0] == HistoryEntry(
        "address added",
        "admin",
        "write",
        "2025-03-10 15:04:16",
        '/ip address add address=10.1.1.1/24 comment="a\\b" interface=ether1',
        "/ip address remove *3",
        "U",
    )
    assert (entries[1].action, entries[1].by, entries[1].flags) == ("dns changed", "", "R")
    assert len(entries) == 2


def test_detail_entry_without_flags_starts_at_a_repeated_key() -> None:
    text = (
        "   redo=/ip dns set servers=1.1.1.1\n"
        '    undo=/ip dns set servers="" action="dns changed" by="admin"\n'
        "    policy=write time=oct/10/2019 18:49:03\n"
        "   redo=/system identity set name=r2\n"
        '    undo=/system identity set name=r1 action="system identity changed" by="ops"\n'
        "    policy=write time=oct/10/2019 18:50:00\n"
    )
    assert [(e.action, e.by) for e in parse_history(text)] == [
        ("dns changed", "admin"),
        ("system identity changed", "ops"),
    ]


def test_v6_table_with_safe_mode_marker_and_index_column() -> None:
    text = (
        "Flags: U - undoable, R - redoable, F - floating-undo\n"
        " #   ACTION                  BY       POLICY\n"
        " 0 U ---                              write\n"
        " 1 F nat rule added          admin    write\n"
    )
    assert [(e.flags, e.action, e.by) for e in parse_history(text)] == [
        ("U", "---", ""),
        ("F", "nat rule added", "admin"),
    ]


@pytest.mark.parametrize("text", ["", "\n\n", "Flags: U - undoable\n", "[admin@MikroTik] > "])
def test_empty_history_gives_no_entries(text: str) -> None:
    assert parse_history(text) == []


@pytest.mark.fuzz
@given(st.text())
def test_parse_history_never_raises(text: str) -> None:
    parse_history(text)


@pytest.mark.fuzz
@given(
    st.lists(
        st.sampled_from(
            [
                "  ACTION  BY  POLICY  TIME\n",
                "U ",
                " F ",
                " 0 ",
                "redo=",
                "undo=",
                "action=",
                "by=",
                "policy=",
                "time=",
                '"',
                "\\",
                "x",
                " ",
                "\n",
                "    ",
                "write",
                "12:00:00",
            ]
        )
    )
)
def test_parse_history_never_raises_on_near_misses(parts: list[str]) -> None:
    parse_history("".join(parts))
