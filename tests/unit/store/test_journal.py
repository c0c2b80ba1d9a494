"""Journal: one fsynced JSON line per change; torn tails ignored on read, cut before append."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from rospoll.store import Journal, JournalEntry

from .conftest import at


def entry(**changes: object) -> JournalEntry:
    base = JournalEntry(
        time=at(0),
        router="core-rtr1",
        user="alice",
        source="log",
        via="ssh",
        address="10.0.0.5",
        command="/ip address add address=10.0.1.1/24 interface=ether2",
        sections=("/ip address",),
        added=1,
        removed=0,
        changed=0,
        moved=0,
        commit="9ecc30cd45e4815d1462be7a1febb9600c3b8d37",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_entry_round_trips_through_json() -> None:
    e = entry(time=at(0) + timedelta(microseconds=250), inferred=True, via=None)
    assert JournalEntry.from_json(e.to_json()) == e


def test_json_line_has_the_documented_shape() -> None:
    e = entry(time=datetime(2024, 5, 1, 14, 0, tzinfo=timezone(timedelta(hours=2))))
    data = json.loads(e.to_json())
    assert list(data) == [
        "v", "id", "time", "router", "user", "source", "via", "address", "command",
        "sections", "added", "removed", "changed", "moved", "commit", "inferred", "warning",
    ]  # fmt: skip
    assert data["time"] == "2024-05-01T12:00:00Z"
    assert data["sections"] == ["/ip address"]
    assert data["v"] == 1 and data["inferred"] is False
    assert len(data["id"]) == 32 and entry().id != entry().id
    assert "\n" not in entry(command="a\nb").to_json()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"time": datetime(2024, 5, 1)}, "timezone-aware"),
        ({"source": "guess"}, "source must be one of"),
        ({"added": -1}, "added must be a count"),
        ({"moved": True}, "moved must be a count"),
    ],
)
def test_bad_entries_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        entry(**changes)


def test_entries_come_back_in_order(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "reports" / "changes.jsonl")
    written = [entry(user=u, time=at(i)) for i, u in enumerate(["alice", "UNKNOWN", "bob"])]
    for e in written:
        journal.append(e)
    assert journal.entries() == written
    assert Journal(journal.path).entries() == written
    if sys.platform != "win32":
        assert journal.path.stat().st_mode & 0o777 == 0o600
        assert journal.path.parent.stat().st_mode & 0o777 == 0o700


def test_missing_journal_has_no_entries(tmp_path: Path) -> None:
    assert Journal(tmp_path / "changes.jsonl").entries() == []


def test_every_line_is_fsynced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    journal = Journal(tmp_path / "changes.jsonl")
    synced: list[int] = []
    real_fsync = os.fsync

    def counting_fsync(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", counting_fsync)
    for i in range(3):
        journal.append(entry(time=at(i)))
        assert len(synced) == i + 1
    assert len(journal.path.read_bytes().splitlines()) == 3


def test_torn_tail_is_ignored_then_cut_by_the_next_writer(tmp_path: Path) -> None:
    path = tmp_path / "changes.jsonl"
    first, second = entry(time=at(0)), entry(time=at(1))
    Journal(path).append(first)
    torn = second.to_json()[:40].encode()  # the writer died mid-line
    with path.open("ab") as f:
        f.write(torn)

    assert Journal(path).entries() == [first]

    third = entry(time=at(2))
    Journal(path).append(third)
    assert path.read_bytes() == (first.to_json() + "\n" + third.to_json() + "\n").encode()
    assert Journal(path).entries() == [first, third]


def test_torn_first_line_is_cut_entirely(tmp_path: Path) -> None:
    path = tmp_path / "changes.jsonl"
    path.write_bytes(b'{"v":1,"id":"ab')
    only = entry()
    Journal(path).append(only)
    assert path.read_bytes() == (only.to_json() + "\n").encode()
    assert Journal(path).entries() == [only]


def test_unreadable_line_in_the_middle_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "changes.jsonl"
    good = entry()
    path.write_text(good.to_json() + "\nnot json\n" + '{"v":1}\n' + good.to_json() + "\n")
    assert Journal(path).entries() == [good, good]
