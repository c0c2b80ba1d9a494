"""poll-once against lab routers: baselines, history attribution, failures, hostile names."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import rospoll.poll as poll_module
from rospoll.store import Journal
from tests.e2e.conftest import Lab, ssh_change

pytestmark = pytest.mark.lab


def journal(lab: Lab) -> list:
    return Journal(lab.root / "reports" / "changes.jsonl").entries()


def test_history_credits_alice_and_cleared_history_credits_unknown(make_lab, capsys) -> None:
    lab = make_lab()
    lab.router("lab1").set_logging(False)  # not logged, but /system history keeps it
    assert lab.rospoll("poll-once") == 0
    out = capsys.readouterr().out
    assert [line.split(":")[0] for line in out.splitlines()] == ["lab1", "lab2", "lab3"]
    assert all(lab.authors(r) == ["rospoll"] for r in ("lab1", "lab2", "lab3"))

    ssh_change(lab, "lab1", "alice", "/ip address add address=10.77.0.1/24 interface=ether1")
    assert lab.rospoll("poll-once") == 0
    assert "lab1: changed by alice (history) /ip address" in capsys.readouterr().out
    [entry] = journal(lab)
    assert (entry.router, entry.user, entry.source) == ("lab1", "alice", "history")
    assert entry.sections == ("/ip address",) and entry.added == 1
    assert "10.77.0.1/24" in (entry.command or "")

    lab.router("lab1").clear_history()
    lab.router("lab1").apply("bob", "/ip dns set servers=9.9.9.9")
    lab.router("lab1").clear_history()  # as if the router had forgotten who did it
    assert lab.rospoll("poll-once") == 0
    assert "lab1: changed by UNKNOWN (poll) /ip dns" in capsys.readouterr().out

    assert lab.authors("lab1") == ["UNKNOWN", "alice", "rospoll"]
    assert lab.authors("lab2") == ["rospoll"]
    assert [e.user for e in journal(lab)] == ["alice", "UNKNOWN"]


def test_change_across_a_reboot_is_unknown(make_lab, capsys) -> None:
    lab = make_lab(versions=("7.16",))
    assert lab.rospoll("poll-once") == 0
    router = lab.router("lab1")
    router.apply("alice", '/ip firewall filter add chain=input action=drop comment="block"')
    router.reboot(down_s=0.5)
    router.wait_until_up(timeout_s=10)
    router.clear_history()  # RouterOS history does not survive a reboot in the lab
    capsys.readouterr()
    assert lab.rospoll("poll-once") == 0
    assert lab.authors("lab1") == ["UNKNOWN", "rospoll"]


def test_nothing_changed_prints_nothing_and_a_down_router_is_named(make_lab, capsys) -> None:
    lab = make_lab()
    assert lab.rospoll("poll-once") == 0
    capsys.readouterr()
    assert lab.rospoll("poll-once") == 0
    assert capsys.readouterr() == ("", "")

    lab.router("lab2").stop(timeout_s=5)
    assert lab.rospoll("poll-once") == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("lab2: FAILED: ") and err.count("\n") == 1

    assert lab.rospoll("poll-once", "--json") == 1
    summary = json.loads(capsys.readouterr().out)
    assert (summary["polled"], summary["failed"]) == (2, 1)
    assert [r["status"] for r in summary["routers"]] == ["unchanged", "failed", "unchanged"]


def test_cut_and_error_exports_leave_the_backup_untouched(make_lab, capsys, monkeypatch) -> None:
    lab = make_lab(versions=("7.16", "6.49.10"))
    assert lab.rospoll("poll-once") == 0
    before = {r: lab.backup(r) for r in ("lab1", "lab2")}
    capsys.readouterr()
    for router in ("lab1", "lab2"):
        lab.router(router).apply("alice", "/ip address add address=10.66.0.1/24 interface=ether1")

    # the lab's failure modes are one-shot; arm them before every fetch, so the retry fails too
    modes = {"lab1": "truncate:0.5", "lab2": "error"}
    real_fetch = poll_module.fetch

    def fetch_failing(device, known_hosts, **kwargs):
        lab.router(device.name).fail_next_export(modes[device.name])
        return real_fetch(device, known_hosts, **kwargs)

    monkeypatch.setattr(poll_module, "fetch", fetch_failing)
    assert lab.rospoll("poll-once") == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert "lab1: FAILED: export failed: session lost during '/export show-sensitive'" in err
    assert "lab2: FAILED: export rejected: CLI error text" in err
    assert {r: lab.backup(r) for r in ("lab1", "lab2")} == before
    assert lab.authors("lab1") == ["rospoll"] and lab.authors("lab2") == ["rospoll"]
    assert journal(lab) == []


def test_a_single_cut_export_is_retried_and_stored(make_lab, capsys) -> None:
    lab = make_lab(versions=("7.16",))
    assert lab.rospoll("poll-once") == 0
    lab.router("lab1").apply("alice", "/ip address add address=10.55.0.1/24 interface=ether1")
    lab.router("lab1").fail_next_export("truncate:0.3")
    capsys.readouterr()
    assert lab.rospoll("poll-once") == 0
    assert lab.authors("lab1") == ["alice", "rospoll"]


def test_two_concurrent_runs_corrupt_nothing(make_lab) -> None:
    lab = make_lab()
    for router in ("lab1", "lab2", "lab3"):
        lab.router(router).export_delay_s = 0.5
    cmd = [sys.executable, "-m", "rospoll", "-i", str(lab.inventory), "poll-once"]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    procs = [
        subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = [p.communicate(timeout=90) for p in procs]
    codes = sorted(p.returncode for p in procs)
    # both succeed (the second waited for the lock), or the second gave up with a clear message
    assert codes in ([0, 0], [0, 1])
    if codes == [0, 1]:
        assert any("another rospoll run holds" in err for _, err in results)
    fsck = subprocess.run(
        ["git", "-C", str(lab.root / "backups"), "fsck", "--strict"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert fsck.returncode == 0, fsck.stderr
    for router in ("lab1", "lab2", "lab3"):
        assert lab.authors(router) == ["rospoll"]


@pytest.mark.parametrize(
    "user", ["../../etc/x", "<script>alert(1)</script>", "u" * 300, "eve\nmallory", ".."]
)
def test_hostile_user_names_stay_inside_reports_users(make_lab, user: str) -> None:
    lab = make_lab(versions=("7.16",))
    lab.router("lab1").set_logging(False)
    assert lab.rospoll("poll-once") == 0
    lab.router("lab1").apply(user, "/ip address add address=10.44.0.1/24 interface=ether1")
    assert lab.rospoll("poll-once") == 0
    users_dir = (lab.root / "reports" / "users").resolve()
    files = [p for p in lab.root.rglob("*") if p.is_file() and "backups" not in p.parts]
    for path in files:
        resolved = path.resolve()
        assert resolved.is_relative_to(lab.root.resolve())
    logs = list(users_dir.iterdir())
    assert len(logs) == 1 and logs[0].parent == users_dir
    [entry] = journal(lab)
    assert entry.user.split() == user.split() and entry.source == "history"
    fsck = subprocess.run(
        ["git", "-C", str(lab.root / "backups"), "fsck", "--strict"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert fsck.returncode == 0, fsck.stderr
    assert len(lab.authors("lab1")) == 2
