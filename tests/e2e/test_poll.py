"""poll-once against lab routers: baselines, history attribution, failures, hostile names."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import rospoll.app.poll as poll_module
from rospoll.device.exec_session import ExecSession, Running
from rospoll.device.output import SessionInfo
from rospoll.store import Journal
from tests.e2e.conftest import Lab, ssh_change

pytestmark = pytest.mark.lab


def journal(lab: Lab) -> list:
    return Journal(lab.root / "reports" / "changes.jsonl").entries()


@pytest.mark.parametrize("transport", ["exec", "shell"])
def test_history_credits_alice_and_cleared_history_credits_unknown(
    make_lab, capsys, transport: str
) -> None:
    lab = make_lab(rospoll_export_transport=transport)
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


def test_workers_bound_the_exports_and_log_in_to_the_next_router_meanwhile(
    make_lab, monkeypatch
) -> None:
    """2 workers, 5 routers: never more than 2 exports at once nor 2 sessions per worker,
    and a worker logs in to its next router after starting an export, before reading it."""
    lab = make_lab(versions=("7.16",) * 5, rospoll_poll_workers=2)
    for router in lab.fleet.routers:
        router.export_delay_s = 0.3
    lock = threading.Lock()
    events: list[tuple[int, str, str]] = []  # (thread, what, router)
    now = {"exports": 0, "sessions": 0}
    most = {"exports": 0, "sessions": 0}

    def note(what: str, router: str, count: str = "", step: int = 0) -> None:
        with lock:
            events.append((threading.get_ident(), what, router))
            if count:
                now[count] += step
                most[count] = max(most[count], now[count])

    real_open, real_close = ExecSession.open, ExecSession.close
    real_start, real_output = ExecSession.start_export, Running.output

    def open_(self: ExecSession) -> SessionInfo:
        note("login", self.device.name, "sessions", 1)
        return real_open(self)

    def close(self: ExecSession) -> None:
        if self._client is not None:
            note("close", self.device.name, "sessions", -1)
        real_close(self)

    def start_export(self: ExecSession, **kwargs: bool) -> Running:
        note("export", self.device.name, "exports", 1)
        return real_start(self, **kwargs)

    def output(self: Running) -> str:
        try:
            return real_output(self)
        finally:
            if self.marker is not None:  # the export (and history) of a fetch
                note("read", self._session.device.name, "exports", -1)

    monkeypatch.setattr(ExecSession, "open", open_)
    monkeypatch.setattr(ExecSession, "close", close)
    monkeypatch.setattr(ExecSession, "start_export", start_export)
    monkeypatch.setattr(Running, "output", output)

    assert lab.rospoll("poll-once") == 0
    assert most["exports"] <= 2 and most["sessions"] <= 4  # at most 2 per worker
    assert now == {"exports": 0, "sessions": 0}  # every session closed
    assert sorted(r for _, what, r in events if what == "login") == [f"lab{n}" for n in range(1, 6)]
    by_thread: dict[int, list[tuple[str, str]]] = {}
    for thread, what, router in events:
        by_thread.setdefault(thread, []).append((what, router))
    assert len(by_thread) == 2
    for mine in by_thread.values():
        routers = [router for what, router in mine if what == "export"]
        for current, following in itertools.pairwise(routers):
            start, read = mine.index(("export", current)), mine.index(("read", current))
            assert ("login", following) in mine[start:read]  # logged in while it exported
    assert all(lab.authors(f"lab{n}") == ["rospoll"] for n in range(1, 6))
