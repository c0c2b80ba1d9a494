"""UserLog: one readable file per user, hostile names kept inside reports/users/."""

from __future__ import annotations

import sys
from pathlib import Path

from rospoll.store import JournalEntry, UserLog, render_block, safe_name

from .conftest import at

HOSTILE_USERS = [
    "../../etc/x",
    "<script>",
    "u" * 300,
    "a\nb",
    "nul\x00x",
    "..",
    ".",
    "CON",
    "con",
    "",
    "jürgen",
    "Alice",
    "alice",
    "/abs",
    "C:\\Windows",
]


def test_hostile_user_names_stay_inside_the_folder_and_never_share_a_file(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "reports" / "users"
    users = UserLog(folder)
    paths = [users.append(u, f"change by {u!r}") for u in HOSTILE_USERS]

    assert all(p.parent == folder for p in paths)
    assert len({str(p).casefold() for p in paths}) == len(HOSTILE_USERS)
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in paths)
    assert [p.name for p in tmp_path.iterdir()] == ["reports"]
    assert [p.name for p in (tmp_path / "reports").iterdir()] == ["users"]
    for user, path in zip(HOSTILE_USERS, paths, strict=True):
        assert path.read_text(encoding="utf-8") == f"change by {user!r}\n\n"


def test_blocks_are_appended_to_the_same_file(tmp_path: Path) -> None:
    users = UserLog(tmp_path / "users")
    first = users.append("alice", "one\n")
    second = users.append("alice", "two")
    assert first == second == tmp_path / "users" / "alice.log"
    assert first.read_text() == "one\n\ntwo\n\n"
    if sys.platform != "win32":
        assert first.stat().st_mode & 0o777 == 0o600
        assert first.parent.stat().st_mode & 0o777 == 0o700


def test_render_block_is_readable_and_one_line_per_fact() -> None:
    e = JournalEntry(
        time=at(0),
        router="core-rtr1",
        user="alice",
        source="log",
        via="ssh",
        address="10.0.0.5",
        command="/ip address add address=10.0.1.1/24\r\nforged line",
        sections=("/ip address",),
        added=1,
        removed=0,
        changed=0,
        moved=0,
        commit="9ecc30cd",
    )
    assert render_block(e, ["added address 10.0.1.1/24 on ether2"]) == (
        "2024-05-01T12:00:00Z core-rtr1 by alice (source: log)\n"
        "  via ssh from 10.0.0.5\n"
        "  command: /ip address add address=10.0.1.1/24\\r\\nforged line\n"
        "  commit: 9ecc30cd\n"
        "  - added address 10.0.1.1/24 on ether2\n"
    )


def test_file_name_is_the_safe_name() -> None:
    assert UserLog(Path("users")).path_for("<x>") == Path("users") / (safe_name("<x>") + ".log")
