"""Backups: one dulwich commit per change, authored by the RouterOS user; git stays healthy."""

from __future__ import annotations

import os
import re
import stat
import sys
from datetime import datetime
from pathlib import Path

import pytest

from rospoll.errors import StoreError
from rospoll.store import Backups, safe_name
from rospoll.store.names import ident_name

from .conftest import assert_repo_healthy, at, git

V1 = "# 2024-05-01 by RouterOS 7.16\n/ip address\nadd address=10.0.0.1/24 interface=ether1\n"
V2 = V1 + "add address=10.0.1.1/24 interface=ether2\n"
V3 = V2.replace("10.0.1.1", "10.0.2.1")


@pytest.fixture
def backups(tmp_path: Path) -> Backups:
    return Backups(tmp_path / "backups")


def test_baseline_then_changes_are_authored_by_the_routeros_user(backups: Backups) -> None:
    backups.commit("core-rtr1", V1, user=None, message="baseline", when=at(0))
    backups.commit("core-rtr1", V2, user="alice", message="alice added an address", when=at(1))
    last = backups.commit("core-rtr1", V3, user="UNKNOWN", message="address changed", when=at(2))

    assert git(backups.root, "log", "--format=%an", "--", "core-rtr1.rsc").split() == [
        "UNKNOWN",
        "alice",
        "rospoll",
    ]
    emails = git(backups.root, "log", "--format=%ae|%cn <%ce>", "--", "core-rtr1.rsc").split("\n")
    assert emails[:3] == [
        f"{safe_name('UNKNOWN')}@core-rtr1|rospoll <rospoll@localhost>",
        "alice@core-rtr1|rospoll <rospoll@localhost>",
        "rospoll@localhost|rospoll <rospoll@localhost>",
    ]
    assert git(backups.root, "rev-parse", "HEAD").strip() == last
    assert git(backups.root, "log", "-1", "--format=%aI|%s").strip() == (
        "2024-05-01T12:02:00+00:00|address changed"
    )
    assert (backups.root / "core-rtr1.rsc").read_text() == V3
    assert_repo_healthy(backups.root)


def _modes(root: Path) -> dict[str, int]:
    """Every folder and file under ``root`` (itself included) and its permission bits."""
    found = {".": stat.S_IMODE(root.stat().st_mode)}
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            path = Path(folder, name)
            found[str(path.relative_to(root))] = stat.S_IMODE(path.lstat().st_mode)
    return found


@pytest.mark.skipif(sys.platform == "win32", reason="no POSIX file modes")
def test_backup_files_objects_and_folders_are_private(backups: Backups) -> None:
    backups.commit("core-rtr1", V1, user=None, message="baseline", when=at(0))
    backups.commit("core-rtr1", V2, user="alice", message="added", when=at(1))
    backups.commit("edge-rtr2", V1, user=None, message="baseline", when=at(2))
    modes = _modes(backups.root)
    assert modes["core-rtr1.rsc"] == 0o600
    assert modes[".git/index"] == modes[".git/refs/heads/main"] == 0o600
    assert modes[".git/logs/refs/heads/main"] == 0o600
    objects = [p for p in modes if re.fullmatch(r"\.git/objects/[0-9a-f]{2}/[0-9a-f]{38}", p)]
    assert len(objects) == 2 + 3 + 3  # blobs V1 and V2, a tree and a commit per commit
    assert {modes[p] for p in objects} == {0o400}  # read-only, as git keeps them
    folders = [p for p in modes if (backups.root / p).is_dir()]
    assert {p: modes[p] for p in folders if modes[p] != 0o700} == {}
    assert {p: m for p, m in modes.items() if m & 0o077} == {}


@pytest.mark.skipif(sys.platform == "win32", reason="no POSIX file modes")
def test_a_repository_made_readable_becomes_private_when_opened(tmp_path: Path) -> None:
    root = tmp_path / "backups"
    Backups(root).commit("r1", V1, user=None, message="baseline", when=at(0))
    for path in [root, *root.rglob("*")]:  # as an older rospoll or a person's git left it
        path.chmod(0o755 if path.is_dir() else 0o644)
    Backups(root).commit("r1", V2, user="alice", message="added", when=at(1))
    assert {p: m for p, m in _modes(root).items() if m & 0o077 and p != "."} == {}
    assert_repo_healthy(root)


def test_read_and_recent_answer_from_git(backups: Backups) -> None:
    assert backups.read("core-rtr1") is None
    assert backups.recent(10) == []
    first = backups.commit("core-rtr1", V1, user=None, message="baseline", when=at(0))
    edge = backups.commit("edge-rtr2", V1, user=None, message="baseline", when=at(1))
    second = backups.commit("core-rtr1", V2, user="alice", message="added", when=at(2))

    assert backups.read("core-rtr1") == V2
    assert backups.read("core-rtr1", at=first) == V1
    assert backups.read("edge-rtr2", at=first) is None
    assert backups.read("edge-rtr2") == V1
    assert backups.read("nowhere") is None
    recent = backups.recent(10)
    assert [(c.id, c.author_name, c.author_email, c.message) for c in recent] == [
        (second, "alice", "alice@core-rtr1", "added"),
        (edge, "rospoll", "rospoll@localhost", "baseline"),
        (first, "rospoll", "rospoll@localhost", "baseline"),
    ]
    assert recent[0].time == at(2) and recent[0].parents == (edge,)
    assert [c.id for c in backups.recent(1)] == [second]


def test_unchanged_text_makes_no_commit(backups: Backups) -> None:
    first = backups.commit("core-rtr1", V1, user=None, message="baseline", when=at(0))
    again = backups.commit("core-rtr1", V1, user="alice", message="nothing", when=at(1))
    assert again == first
    assert len(backups.recent(10)) == 1


def test_existing_repository_is_reopened(tmp_path: Path) -> None:
    Backups(tmp_path / "b").commit("r1", V1, user=None, message="baseline", when=at(0))
    reopened = Backups(tmp_path / "b")
    reopened.commit("r1", V2, user="bob", message="second", when=at(1))
    assert [c.author_name for c in reopened.recent(10)] == ["bob", "rospoll"]


def test_naive_time_is_refused(backups: Backups) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        backups.commit("r1", V1, user=None, message="x", when=datetime(2024, 5, 1))


def test_unusable_root_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="cannot"):
        Backups(blocker / "backups")


def test_hostile_device_name_stays_inside_the_repository(backups: Backups) -> None:
    backups.commit("../../etc/passwd", V1, user=None, message="baseline", when=at(0))
    files = sorted(p.name for p in backups.root.iterdir() if p.name != ".git")
    assert files == [safe_name("../../etc/passwd") + ".rsc"]
    assert backups.read("../../etc/passwd") == V1
    assert_repo_healthy(backups.root)


HOSTILE_USERS = [
    "../../etc/x",
    "<script>",
    "u" * 300,
    "a\nb",
    "nul\x00x",
    "..",
    "CON",
    "",
    "jürgen",
]


def test_hostile_user_names_never_break_git(backups: Backups) -> None:
    backups.commit("core-rtr1", V1, user=None, message="baseline", when=at(0))
    for minute, user in enumerate(HOSTILE_USERS, start=1):
        text = V1 + f"# change {minute}\n"
        backups.commit("core-rtr1", text, user=user, message=f"change {minute}", when=at(minute))
    log = git(backups.root, "log", "--reverse", "--format=%an%x1f%ae", "--", "core-rtr1.rsc")
    authors = [tuple(line.split("\x1f")) for line in log.splitlines()[1:]]
    assert authors == [(ident_name(u), f"{safe_name(u)}@core-rtr1") for u in HOSTILE_USERS]
    assert [c.author_name for c in reversed(backups.recent(100)[:-1])] == [
        ident_name(u) for u in HOSTILE_USERS
    ]
    assert_repo_healthy(backups.root)


def test_failed_commit_keeps_the_last_version(
    backups: Backups, monkeypatch: pytest.MonkeyPatch
) -> None:
    backups.commit("core-rtr1", V1, user=None, message="baseline", when=at(0))

    def refuse(*args: object, **kwargs: object) -> bool:
        raise OSError(13, "Permission denied")

    monkeypatch.setattr(type(backups._repo.refs), "set_if_equals", refuse)
    with pytest.raises(StoreError, match="cannot commit backup of core-rtr1"):
        backups.commit("core-rtr1", V2, user="alice", message="lost", when=at(1))
    assert backups.read("core-rtr1") == V1
    monkeypatch.undo()
    # the next poll sees the change again and commits it; the tree heals
    backups.commit("core-rtr1", V2, user="alice", message="added", when=at(2))
    assert backups.read("core-rtr1") == V2
    assert_repo_healthy(backups.root)


def test_ref_moved_by_another_writer_is_retried(
    backups: Backups, monkeypatch: pytest.MonkeyPatch
) -> None:
    backups.commit("r1", V1, user=None, message="baseline", when=at(0))
    refs = backups._repo.refs
    real = refs.set_if_equals
    calls: list[bool] = []

    def racing(*args: object, **kwargs: object) -> bool:
        if not calls:  # plain git commits after we read HEAD, before our ref move
            ident = ["-c", "user.name=ext", "-c", "user.email=ext@example.net"]
            git(backups.root, *ident, "commit", "-q", "--allow-empty", "-m", "external")
        calls.append(real(*args, **kwargs))  # type: ignore[arg-type]
        return calls[-1]

    monkeypatch.setattr(refs, "set_if_equals", racing)
    backups.commit("r1", V2, user="alice", message="added", when=at(2))
    assert calls == [False, True]  # the stale compare-and-swap lost, the rebuilt one won
    assert backups.read("r1") == V2
    assert git(backups.root, "log", "--format=%s").split() == ["added", "external", "baseline"]
    assert_repo_healthy(backups.root)


def test_locked_index_does_not_fail_the_commit(
    backups: Backups, caplog: pytest.LogCaptureFixture
) -> None:
    backups.commit("r1", V1, user=None, message="baseline", when=at(0))
    stale = backups.root / ".git" / "index.lock"
    stale.write_bytes(b"")  # e.g. a git command killed mid-way in backups/
    commit_id = backups.commit("r1", V2, user="alice", message="added", when=at(1))
    assert backups.recent(1)[0].id == commit_id
    assert "index not refreshed for r1.rsc" in caplog.text
    stale.unlink()
