"""rospoll watch against lab routers: log-followed changes credited within debounce + 1 s,
one export per burst, reboots, clean stops."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import rospoll.app.follower as follower_module
import rospoll.app.poll as poll_module
from rospoll.app.watcher import Watcher
from rospoll.inventory import load_inventory
from rospoll.store import Journal, JournalEntry
from tests.conftest import wait_until
from tests.e2e.conftest import Lab, ssh_change

pytestmark = pytest.mark.lab

DEBOUNCE_S = 1.0
WATCH_THREADS = ("follow:", "export:", "notify:")
ADD_ADDRESS = "/ip address add address=10.77.0.1/24 interface=ether1"


def journal(lab: Lab) -> list[JournalEntry]:
    return Journal(lab.root / "reports" / "changes.jsonl").entries()


def watch_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith(WATCH_THREADS)]


@contextmanager
def watching(
    lab: Lab,
    routers: tuple[str, ...],
    baselines: tuple[str, ...] | None = None,
) -> Iterator[Watcher]:
    """Run a Watcher in a thread until the block ends; yields once every router is followed
    and the start-up catch-up export (the baseline) of ``baselines`` (default: all) is stored."""
    stop = threading.Event()
    watcher = Watcher(load_inventory(lab.inventory), stop=stop)
    thread = threading.Thread(target=watcher.run, name="watch-under-test", daemon=True)
    thread.start()
    try:
        for name in routers:
            follower = wait_until(
                lambda name=name: watcher.followers.get(name), what=f"{name}'s follower"
            )
            assert follower.following.wait(5), f"{name} not followed within 5 s"
        wanted = set(routers if baselines is None else baselines)
        wait_until(lambda: polled(watcher) >= wanted, timeout_s=10, what="the baselines")
        yield watcher
    finally:
        stop.set()
        thread.join(10)
        assert not thread.is_alive(), "Watcher.run did not return within 10 s of stop"


def all_sessions_closed(lab: Lab, router: str) -> None:
    """The router logged out every session rospoll opened (the follower's, the exports')."""

    def counts() -> tuple[int, int]:
        lines = lab.router(router).log_lines()
        logins = sum("user admin logged in from 127.0.0.1 via ssh" in line for line in lines)
        logouts = sum("user admin logged out from 127.0.0.1 via ssh" in line for line in lines)
        return logins, logouts

    # the router notices a closed connection on its own time: wait, bounded
    wait_until(lambda: counts()[0] == counts()[1], what=f"{router} to log out every session")
    assert counts()[0] >= 2, lab.router(router).log_lines()  # the follower and an export


def polled(watcher: Watcher) -> set[str]:
    """Routers whose last export was stored."""
    return {r["router"] for r in watcher.status()["routers"] if r.get("polled_at")}


def entry_for(lab: Lab, router: str, user: str, *, timeout_s: float) -> JournalEntry:
    def find() -> JournalEntry | None:
        return next((e for e in journal(lab) if (e.router, e.user) == (router, user)), None)

    return wait_until(find, timeout_s=timeout_s, what=f"a journal line for {user} on {router}")


def test_ssh_changes_on_v7_and_v6_are_credited_within_debounce_plus_1s(make_lab) -> None:
    lab = make_lab(versions=("7.16", "6.49.10"), rospoll_debounce="1s")
    with watching(lab, ("lab1", "lab2")):
        changed = ssh_change(lab, "lab1", "alice", ADD_ADDRESS)
        alice = entry_for(lab, "lab1", "alice", timeout_s=DEBOUNCE_S + 3)
        latency_alice = time.monotonic() - changed

        changed = ssh_change(lab, "lab2", "bob", "/ip firewall filter set 0 comment=bob-was-here")
        bob = entry_for(lab, "lab2", "bob", timeout_s=DEBOUNCE_S + 3)
        latency_bob = time.monotonic() - changed
    print(f"latency alice (v7) {latency_alice:.2f}s, bob (v6) {latency_bob:.2f}s")
    assert latency_alice <= DEBOUNCE_S + 1 and latency_bob <= DEBOUNCE_S + 1
    assert (alice.source, alice.via, alice.address) == ("log", "ssh", "127.0.0.1")
    assert alice.command is not None and "10.77.0.1/24" in alice.command
    assert alice.sections == ("/ip address",) and alice.added == 1
    assert (bob.source, bob.sections, bob.changed) == ("log", ("/ip firewall filter",), 1)
    assert lab.authors("lab1") == ["alice", "rospoll"]
    assert lab.authors("lab2") == ["bob", "rospoll"]


@pytest.fixture
def exports(monkeypatch) -> list[str]:
    """Router names, one per export fetched by the watcher."""
    seen: list[str] = []
    real_fetch = poll_module.fetch

    def counting_fetch(device, known_hosts, **kwargs):
        seen.append(device.name)
        return real_fetch(device, known_hosts, **kwargs)

    monkeypatch.setattr(poll_module, "fetch", counting_fetch)
    return seen


def test_a_burst_of_20_changes_gives_one_export_and_one_commit(make_lab, exports) -> None:
    lab = make_lab(versions=("7.16",), rospoll_debounce="1s")
    with watching(lab, ("lab1",)):
        exports.clear()  # the start-up catch-up export has been stored
        router = lab.router("lab1")
        started = time.monotonic()
        for n in range(20):  # as alice typing over SSH, one change every 0.14 s
            if n:
                time.sleep(0.14)  # pacing the changes, not synchronisation
            router.apply("alice", f"/ip address add address=10.88.{n}.1/24 interface=ether1")
        ended = time.monotonic()
        alice = entry_for(lab, "lab1", "alice", timeout_s=DEBOUNCE_S + 3)
        # a marker change afterwards: once it is stored, everything of the burst is too
        ssh_change(lab, "lab1", "bob", "/ip dns set servers=9.9.9.9")
        entry_for(lab, "lab1", "bob", timeout_s=DEBOUNCE_S + 3)
    print(f"burst of 20 took {ended - started:.2f}s")
    assert ended - started <= 3.0
    assert exports == ["lab1", "lab1"]  # the burst, then the marker
    assert [e.user for e in journal(lab)] == ["alice", "bob"]
    assert (alice.source, alice.sections, alice.added) == ("log", ("/ip address",), 20)
    assert lab.authors("lab1") == ["bob", "alice", "rospoll"]


def test_alice_and_bob_in_one_burst_give_two_commits_with_their_sections(make_lab, exports) -> None:
    lab = make_lab(versions=("7.16",), rospoll_debounce="1s")
    router = lab.router("lab1")
    with watching(lab, ("lab1",)):
        exports.clear()
        router.apply("alice", ADD_ADDRESS)
        router.apply("bob", '/ip firewall filter add chain=input action=drop comment="bob"')
        wait_until(lambda: len(journal(lab)) >= 2, timeout_s=DEBOUNCE_S + 3, what="two entries")
    entries = {e.user: e for e in journal(lab)}
    assert exports == ["lab1"]
    assert sorted(entries) == ["alice", "bob"] and len(journal(lab)) == 2
    assert (entries["alice"].sections, entries["alice"].added) == (("/ip address",), 1)
    assert (entries["bob"].sections, entries["bob"].added) == (("/ip firewall filter",), 1)
    assert all(e.source == "log" and not e.inferred for e in entries.values())
    assert sorted(lab.authors("lab1")[:2]) == ["alice", "bob"]
    assert lab.authors("lab1")[2:] == ["rospoll"]


def test_change_during_a_reboot_is_unknown_and_following_resumes(make_lab, monkeypatch) -> None:
    attempts: list[int] = []
    real_delays = follower_module.backoff_delays

    def recording_delays(*args, **kwargs):
        delay = real_delays(*args, **kwargs)

        def recorded(attempt: int) -> float:
            attempts.append(attempt)
            return delay(attempt)

        return recorded

    monkeypatch.setattr(follower_module, "backoff_delays", recording_delays)
    lab = make_lab(versions=("7.16",), rospoll_debounce="1s")
    router = lab.router("lab1")
    with watching(lab, ("lab1",)) as watcher:
        follower = watcher.followers["lab1"]
        router.reboot(down_s=0.5)  # returns once the router is down
        router.apply("admin", '/ip firewall filter add chain=input action=drop comment="x"')
        router.clear_history()  # the lab's history survives a reboot; RouterOS' does not
        router.wait_until_up(timeout_s=5)
        wait_until(lambda: not follower.following.is_set() or attempts, what="the drop noticed")
        assert follower.following.wait(5), "not following again within 5 s of the reboot"
        unknown = entry_for(lab, "lab1", "UNKNOWN", timeout_s=DEBOUNCE_S + 3)
        assert (unknown.source, unknown.sections) == ("poll", ("/ip firewall filter",))

        changed = ssh_change(lab, "lab1", "alice", ADD_ADDRESS)
        alice = entry_for(lab, "lab1", "alice", timeout_s=DEBOUNCE_S + 3)
        latency = time.monotonic() - changed

        # a second reboot is met with the first backoff step again, not the next one
        router.reboot(down_s=0.5)
        router.wait_until_up(timeout_s=5)
        wait_until(lambda: len(attempts) >= 2, what="the second drop noticed")
        assert follower.following.wait(5), "not following again within 5 s of the 2nd reboot"
        assert follower.status.reboots >= 1  # told by the uptime, which restarted
        assert follower.status.last_reboot is not None
    print(f"after reboot: alice credited {latency:.2f}s after her change; attempts {attempts}")
    assert (alice.source, alice.via, alice.sections) == ("log", "ssh", ("/ip address",))
    assert latency <= DEBOUNCE_S + 1
    assert attempts == [1, 1]
    assert lab.authors("lab1") == ["alice", "UNKNOWN", "rospoll"]


def test_watch_stops_on_sigterm_within_5s_even_during_an_export(make_lab) -> None:
    lab = make_lab(versions=("7.16", "6.49.10"), rospoll_debounce="1s")
    lab.router("lab2").export_delay_s = 30  # its start-up export is still running at SIGTERM
    cmd = [sys.executable, "-m", "rospoll", "-i", str(lab.inventory), "watch"]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    status = lab.root / ".rospoll" / "status.json"

    def all_following() -> bool:
        try:
            routers = json.loads(status.read_text(encoding="utf-8"))["routers"]
        except (OSError, ValueError):
            return False
        return len(routers) == 2 and all(r.get("state") == "following" for r in routers)

    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(all_following, timeout_s=15, what="status.json saying following")
        proc.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        _, err = proc.communicate(timeout=5)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=5)
    print(f"exit {proc.returncode} {took:.2f}s after SIGTERM")
    assert proc.returncode == 0, err
    assert err.splitlines()[-1] == "rospoll: stopped"
    assert json.loads(status.read_text(encoding="utf-8"))["running"] is False
    for name in ("lab1", "lab2"):
        all_sessions_closed(lab, name)


def test_watcher_in_process_leaves_no_threads_and_closes_every_session(make_lab) -> None:
    lab = make_lab(versions=("7.16", "6.49.10", "7.18.2"), rospoll_debounce="1s")
    lab.router("lab3").export_delay_s = 30  # an export still running at stop
    assert watch_threads() == []
    with watching(lab, ("lab1", "lab2", "lab3"), baselines=("lab1", "lab2")) as watcher:
        assert sum(name.startswith("follow:") for name in watch_threads()) == 3
        assert "lab3" not in polled(watcher)
        stopping = time.monotonic()
    took = time.monotonic() - stopping
    print(f"in-process stop took {took:.2f}s")
    assert took <= 5
    assert watch_threads() == []
    for name in ("lab1", "lab2", "lab3"):
        all_sessions_closed(lab, name)


def test_a_crashed_follower_reconnects_and_the_change_is_still_credited(
    make_lab, monkeypatch
) -> None:
    lab = make_lab(versions=("7.16",), rospoll_debounce="1s")
    crash = threading.Event()

    real_note = follower_module.Follower._note

    def crash_once(self: follower_module.Follower, line: str):  # type: ignore[no-untyped-def]
        event = real_note(self, line)
        if crash.is_set() and event is not None:
            crash.clear()
            raise RuntimeError("reading the change line blew up")
        return event

    monkeypatch.setattr(follower_module.Follower, "_note", crash_once)
    with watching(lab, ("lab1",)) as watcher:
        crash.set()
        lab.router("lab1").apply("alice", ADD_ADDRESS)
        # the burst is lost with the crash; the reconnect's catch-up finds it in history
        alice = entry_for(lab, "lab1", "alice", timeout_s=DEBOUNCE_S + 5)
        assert not crash.is_set()
        assert watcher.followers["lab1"].following.wait(5)
        changed = ssh_change(lab, "lab1", "bob", "/ip dns set servers=9.9.9.9")
        bob = entry_for(lab, "lab1", "bob", timeout_s=DEBOUNCE_S + 3)
        latency = time.monotonic() - changed
    print(f"after the crash: bob credited {latency:.2f}s after his change")
    assert (alice.source, alice.sections) == ("history", ("/ip address",))
    assert (bob.source, bob.sections) == ("log", ("/ip dns",))
    assert lab.authors("lab1") == ["bob", "alice", "rospoll"]


def test_a_router_down_at_start_is_followed_once_it_comes_up(make_lab) -> None:
    lab = make_lab(versions=("7.16", "6.49.10"), rospoll_debounce="1s")
    lab.router("lab2").reboot(down_s=1.5)
    with watching(lab, ("lab1", "lab2")):
        changed = ssh_change(lab, "lab2", "bob", "/ip firewall filter set 0 comment=bob")
        bob = entry_for(lab, "lab2", "bob", timeout_s=DEBOUNCE_S + 3)
        latency = time.monotonic() - changed
    print(f"router down at start: bob credited {latency:.2f}s after his change")
    assert (bob.source, bob.sections) == ("log", ("/ip firewall filter",))
    assert lab.authors("lab2") == ["bob", "rospoll"]


def test_a_router_that_stops_logging_changes_gets_a_warning_once(make_lab) -> None:
    lab = make_lab(versions=("7.16", "6.49.10"), rospoll_debounce=f"{DEBOUNCE_S:g}s")
    lab.router("lab1").set_logging(False)
    with watching(lab, ("lab1", "lab2")) as watcher:

        def checked() -> dict[str, Any]:
            routers = {r["router"]: r for r in watcher.status()["routers"]}
            return routers if all("warning" in r for r in routers.values()) else {}

        status = wait_until(checked, what="the logging check of both routers")
        assert "only found by the scheduled poll" in status["lab1"]["warning"]
        assert status["lab2"]["warning"] == ""
        [entry] = journal(lab)  # in the journal, once
        assert (entry.router, entry.warning) == ("lab1", status["lab1"]["warning"])
        assert (entry.added, entry.removed, entry.changed, entry.moved) == (0, 0, 0, 0)
        index = lab.root / "reports" / "index.html"
        wait_until(
            lambda: index.exists() and "Warning" in index.read_text("utf-8"),
            what="the warning in the report index",
        )
        page = (lab.root / "reports" / "changes" / f"{entry.id}.html").read_text("utf-8")
        assert "only found by the scheduled poll" in page
        watcher.export(watcher.inventory.device("lab1"))  # a later poll of lab1
        assert [e.warning for e in journal(lab)] == [entry.warning]  # not again
        lab.router("lab1").apply("alice", "/system logging set 0 disabled=no")
        lab.router("lab1").apply("alice", ADD_ADDRESS)  # logged again: starts a burst
        wait_until(
            lambda: {r["router"]: r for r in watcher.status()["routers"]}["lab1"]["warning"] == "",
            timeout_s=10,
            what="the warning to clear once logging is back",
        )


def test_a_follower_thread_that_dies_is_started_again(make_lab, monkeypatch) -> None:
    lab = make_lab(versions=("7.16",), rospoll_debounce=f"{DEBOUNCE_S:g}s")
    runs: list[str] = []
    real_run = follower_module.Follower._run

    def dies_the_first_time(self: follower_module.Follower) -> None:
        runs.append(self.device.name)
        if len(runs) > 1:
            real_run(self)  # the thread simply ends the first time, as if it had crashed

    monkeypatch.setattr(follower_module.Follower, "_run", dies_the_first_time)
    stop = threading.Event()
    watcher = Watcher(load_inventory(lab.inventory), stop=stop)
    thread = threading.Thread(target=watcher.run, name="watch-under-test", daemon=True)
    thread.start()
    try:
        wait_until(
            lambda: len(runs) >= 2 and watcher.followers["lab1"].following.is_set(),
            timeout_s=10,
            what="the watcher to start lab1's follower again",
        )
        wait_until(lambda: polled(watcher) >= {"lab1"}, timeout_s=10, what="the baseline")
        changed = ssh_change(lab, "lab1", "alice", ADD_ADDRESS)
        alice = wait_until(
            lambda: [e for e in journal(lab) if e.user == "alice"],
            timeout_s=DEBOUNCE_S + 5,
            what="alice's change, followed by the restarted follower",
        )[0]
        latency = time.monotonic() - changed
    finally:
        stop.set()
        thread.join(10)
    assert runs[:2] == ["lab1", "lab1"]
    assert (alice.source, alice.via) == ("log", "ssh") and latency <= DEBOUNCE_S + 1
