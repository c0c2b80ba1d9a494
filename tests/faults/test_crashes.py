"""Fault suite, crash side: routers that reboot or crawl, and rospoll itself killed with -9.

Scenarios (docs/RELIABILITY.md): 1 router reboots mid-follow, mid-export, mid-burst and ten in a
row; 3 one slow router delays no other; 4 ``kill -9`` of ``rospoll watch`` during 20 changes,
and the same kill placed exactly between each step of storing a change. Every lab router and
mail sink listens on 127.0.0.1 and is stopped by the test that started it; every ``rospoll``
process is started here and stopped by its pid. Each test ends by checking the journal, the
git history and the mail.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from rospoll.app.watcher import Watcher
from rospoll.inventory import load_inventory
from rospoll.notify.site import ReportSite
from rospoll.store import Journal, JournalEntry
from tests.conftest import wait_until
from tests.e2e.conftest import Lab
from tests.notify.conftest import SmtpServer

pytestmark = pytest.mark.lab

REPO = Path(__file__).resolve().parents[2]
DEBOUNCE_S = 1.0
TRAILER = "Rospoll-Entry: "


# helpers -----------------------------------------------------------------------------------
def journal(lab: Lab) -> list[JournalEntry]:
    return Journal(lab.root / "reports" / "changes.jsonl").entries()


def address(n: int) -> str:
    return f"10.99.{n}.1/24"


def add_address(n: int) -> str:
    return f"/ip address add address={address(n)} interface=ether1"


def git(lab: Lab, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(lab.root / "backups"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def commits(lab: Lab) -> list[dict[str, Any]]:
    """Every commit, newest first: id, author, trailer entry id (or None), added/removed lines."""
    out = git(lab, "log", "-p", "--format=@@COMMIT %H %an%n%B@@END").stdout
    result = []
    for chunk in out.split("@@COMMIT ")[1:]:
        head, _, rest = chunk.partition("\n")
        body, _, patch = rest.partition("@@END")
        sha, _, author = head.partition(" ")
        trailer = [line for line in body.splitlines() if line.startswith(TRAILER)]
        lines = patch.splitlines()
        result.append(
            {
                "id": sha,
                "author": author,
                "entry": json.loads(trailer[-1][len(TRAILER) :])["id"] if trailer else None,
                "added": [
                    ln[1:] for ln in lines if ln.startswith("+") and not ln.startswith("+++")
                ],
                "removed": [
                    ln[1:] for ln in lines if ln.startswith("-") and not ln.startswith("---")
                ],
            }
        )
    return result


def mails(smtp: SmtpServer) -> list[str]:
    """The plain-text part of every mail the sink accepted."""
    texts = []
    for envelope in list(smtp.sink.envelopes):
        message = email.message_from_bytes(envelope.data, policy=email.policy.SMTP)
        texts.append(message.get_body(("plain",)).get_content())
    return texts


def mail_settings(smtp: SmtpServer) -> dict[str, object]:
    return {
        "rospoll_mail_server": f"127.0.0.1:{smtp.port}",
        "rospoll_mail_security": "none",
        "rospoll_mail_from": "rospoll@example.net",
        "rospoll_mail_to": ["noc@example.net"],
    }


def assert_store_sound(lab: Lab) -> None:
    """git fsck --strict clean, no half-written or temporary file, every record parses.

    A kill mid-write may leave temporaries of the reports site and outbox; the next run
    removes them under the data-folder lock before it writes (Notifier.remove_leftovers).
    """
    fsck = git(lab, "fsck", "--strict", "--no-dangling")
    assert fsck.returncode == 0 and "error" not in fsck.stderr.lower(), fsck.stdout + fsck.stderr
    assert git(lab, "status", "--porcelain").stdout == ""
    backups, reports = lab.root / "backups", lab.root / "reports"
    leftovers = [p for p in backups.iterdir() if p.name.endswith(".tmp")]
    leftovers += [  # git's own lock files; rospoll's flock file stays by design
        p for p in (backups / ".git").glob("**/*.lock") if p.name != "rospoll-commit.lock"
    ]
    leftovers += [p for p in (reports / "users").iterdir() if not p.name.endswith(".log")]
    assert leftovers == [], leftovers
    raw = (reports / "changes.jsonl").read_bytes()
    assert raw.endswith(b"\n")
    for line in raw.splitlines():
        json.loads(line)
    for page in (reports / "changes").glob("*.json"):
        if not page.name.startswith("."):
            json.loads(page.read_bytes())
    notify_leftovers = [p for p in reports.rglob("*") if p.name.endswith(".tmp")]
    assert notify_leftovers == [], notify_leftovers


def assert_each_change_once(lab: Lab, wanted: dict[str, str], smtp: SmtpServer) -> Counter[str]:
    """Each of ``wanted`` (address → router) is in exactly one journal entry and one commit
    diff, nothing else was journaled, every change commit is journaled exactly once, and
    every entry has its user-log block, its report page and at least one mail.

    Returns how many mails each commit got.
    """
    entries = journal(lab)
    assert sum(e.added for e in entries) == len(wanted), entries
    assert all(e.removed == e.changed == e.moved == 0 for e in entries), entries
    assert len({e.id for e in entries}) == len(entries)
    assert len({e.commit for e in entries}) == len(entries)
    history = commits(lab)
    by_id = {c["id"]: c for c in history}
    for addr, router in wanted.items():
        holders = [c for c in history if any(f"address={addr} " in ln for ln in c["added"])]
        assert len(holders) == 1, (addr, [c["id"] for c in holders])
        assert not any(f"address={addr} " in ln for c in history for ln in c["removed"])
        [entry] = [e for e in entries if e.commit == holders[0]["id"]]
        assert entry.router == router
    journaled = {e.id for e in entries}
    assert {c["entry"] for c in history if c["entry"]} == journaled
    for entry in entries:
        assert by_id[entry.commit]["entry"] == entry.id
        assert by_id[entry.commit]["author"] == entry.user
    users = "".join(p.read_text("utf-8") for p in (lab.root / "reports" / "users").glob("*.log"))
    site = ReportSite(lab.root / "reports")
    for entry in entries:
        assert users.count(f"commit: {entry.commit}\n") == 1, entry
        assert (site.changes / f"{entry.id}.json").is_file(), entry
        assert (site.changes / f"{entry.id}.html").is_file(), entry
    wait_until(
        lambda: all(any(e.commit in m for m in mails(smtp)) for e in entries),
        timeout_s=20,
        what="a mail for every journaled change",
    )
    return Counter(e.commit for e in entries for m in mails(smtp) if e.commit and e.commit in m)


@contextmanager
def watching(lab: Lab, followed: tuple[str, ...]) -> Iterator[Watcher]:
    """A Watcher in a thread; yields once ``followed`` are followed and their baselines stored.
    Stopping it must take at most 5 s."""
    stop = threading.Event()
    watcher = Watcher(load_inventory(lab.inventory), stop=stop)
    thread = threading.Thread(target=watcher.run, name="watch-under-test", daemon=True)
    thread.start()
    try:
        for name in followed:
            follower = wait_until(lambda n=name: watcher.followers.get(n), what=f"{name} follower")
            assert follower.following.wait(10), f"{name} not followed within 10 s"
        wait_until(
            lambda: all((lab.root / "backups" / f"{n}.rsc").exists() for n in followed),
            timeout_s=15,
            what="the baselines",
        )
        yield watcher
    finally:
        stop.set()
        stopping = time.monotonic()
        thread.join(10)
        took = time.monotonic() - stopping
        assert not thread.is_alive(), "Watcher.run did not return within 10 s of stop"
    print(f"watcher stopped in {took:.2f}s")
    assert took <= 5.5, f"stopping took {took:.2f}s"


def reconnected(watcher: Watcher, name: str, since: float, timeout_s: float = 15) -> None:
    """The follower lost the router at ``since`` (wall clock) and follows it again."""
    follower = watcher.followers[name]
    wait_until(
        lambda: follower.following.is_set() and follower.status.since > since,
        timeout_s=timeout_s,
        what=f"{name}'s follower to follow again after the reboot",
    )


def entry_holding(lab: Lab, addr: str, timeout_s: float) -> JournalEntry:
    def find() -> JournalEntry | None:
        for entry in journal(lab):
            if entry.commit and any(
                f"address={addr} " in ln for ln in _added_lines(lab, entry.commit)
            ):
                return entry
        return None

    return wait_until(find, timeout_s=timeout_s, what=f"a journal entry adding {addr}")


def _added_lines(lab: Lab, commit: str) -> list[str]:
    out = git(lab, "show", "--format=", commit).stdout
    return [ln for ln in out.splitlines() if ln.startswith("+")]


# 1 · reboots ----------------------------------------------------------------------------------
def test_reboots_mid_follow_mid_export_mid_burst_and_ten_in_a_row_lose_and_invent_nothing(
    make_lab, smtp
) -> None:
    lab = make_lab(versions=("7.16", "6.49.10"), rospoll_debounce="1s", **mail_settings(smtp))
    router = lab.router("lab1")
    wanted: dict[str, str] = {}
    with watching(lab, ("lab1", "lab2")) as watcher:
        # mid-follow: the router goes down while idle; a change is made while it is down
        down = time.time()
        router.reboot(down_s=0.5)
        router.apply("alice", add_address(0))
        router.clear_history()  # RouterOS forgets its history on reboot; the lab does not
        wanted[address(0)] = "lab1"
        router.wait_until_up(timeout_s=5)
        reconnected(watcher, "lab1", down)
        assert entry_holding(lab, address(0), timeout_s=10).user == "UNKNOWN"

        # mid-burst: alice's changes are logged, the router reboots inside the debounce
        down = time.time()
        router.apply("alice", add_address(1))
        router.apply("alice", add_address(2))
        router.reboot(down_s=0.5)
        wanted |= {address(1): "lab1", address(2): "lab1"}
        router.wait_until_up(timeout_s=5)
        reconnected(watcher, "lab1", down)
        burst = entry_holding(lab, address(1), timeout_s=10)
        assert burst.user == "alice" and burst.source == "history"  # the log was lost

        # mid-export: the export crawls, the router reboots while it is read
        router.export_delay_s = 3
        down = time.time()
        router.apply("alice", add_address(3))
        wanted[address(3)] = "lab1"
        exporting = watcher.exporting["lab1"]  # held while lab1's export runs
        wait_until(exporting.locked, timeout_s=DEBOUNCE_S + 3, what="lab1's export to start")
        time.sleep(0.5)  # into the 3 s export; the reboot must cut it
        router.reboot(down_s=0.5)
        router.export_delay_s = 0
        router.wait_until_up(timeout_s=5)
        reconnected(watcher, "lab1", down)
        entry_holding(lab, address(3), timeout_s=10)

        # ten in a row, a change made during each downtime
        for n in range(10, 20):
            down = time.time()
            router.reboot(down_s=0.3)
            router.apply("bob", add_address(n))
            router.clear_history()
            wanted[address(n)] = "lab1"
            router.wait_until_up(timeout_s=5)
            reconnected(watcher, "lab1", down)
            assert entry_holding(lab, address(n), timeout_s=10).user == "UNKNOWN"
        assert watcher.followers["lab2"].following.is_set()
        wait_until(
            lambda: not list((lab.root / "reports" / "outbox").glob("*.eml")),
            timeout_s=20,
            what="the outbox to drain",
        )
    per_commit = assert_each_change_once(lab, wanted, smtp)
    assert set(per_commit.values()) == {1}, per_commit  # exactly one mail per change
    assert lab.authors("lab2") == ["rospoll"]  # nothing invented for the router left alone
    assert_store_sound(lab)
    print(
        f"{len(journal(lab))} entries, {len(mails(smtp))} mails, users "
        f"{Counter(e.user for e in journal(lab))}"
    )


# 3 · a slow router ---------------------------------------------------------------------------
def test_a_60s_export_delays_no_other_routers_follow_or_poll_and_stop_stays_bounded(
    make_lab, smtp
) -> None:
    lab = make_lab(
        versions=("7.16", "6.49.10"),
        rospoll_debounce="1s",
        rospoll_export_timeout="90s",
        rospoll_poll_interval="2s",  # scheduled polls of the slow router pile up meanwhile
        rospoll_poll_workers=4,
        **mail_settings(smtp),
    )
    slow, fast = lab.router("lab1"), lab.router("lab2")
    with watching(lab, ("lab1", "lab2")) as watcher:
        slow.export_delay_s = 60
        slow.apply("alice", add_address(1))
        exporting = watcher.exporting["lab1"]  # held while lab1's export runs
        wait_until(exporting.locked, timeout_s=DEBOUNCE_S + 5, what="lab1's slow export")
        latencies = []
        for n in (2, 3):
            if n == 3:  # several scheduled polls of both routers have come due meanwhile
                polled = watcher.status()["routers"][1].get("polled_at", 0)
                wait_until(
                    lambda p=polled: watcher.status()["routers"][1].get("polled_at", 0) > p,
                    timeout_s=10,
                    what="a scheduled poll of lab2 during lab1's export",
                )
            made = time.monotonic()
            fast.apply("bob", add_address(n))
            entry_holding(lab, address(n), timeout_s=DEBOUNCE_S + 4)
            latencies.append(time.monotonic() - made)
        assert exporting.locked(), "the slow export should still be running"
        assert watcher.followers["lab1"].following.is_set()
        assert watcher.followers["lab2"].following.is_set()
        wait_until(lambda: len(mails(smtp)) >= 2, timeout_s=20, what="the two mails")
    print(f"lab2 changes journaled {[round(t, 2) for t in latencies]} s after they were made")
    assert all(t <= DEBOUNCE_S + 3 for t in latencies), latencies
    entries = journal(lab)
    assert [(e.router, e.user) for e in entries] == [("lab2", "bob"), ("lab2", "bob")]
    assert lab.authors("lab1") == ["rospoll"]  # the cut slow export stored nothing
    assert lab.authors("lab2") == ["bob", "bob", "rospoll"]
    per_commit = assert_each_change_once(lab, {address(2): "lab2", address(3): "lab2"}, smtp)
    assert set(per_commit.values()) == {1}
    assert_store_sound(lab)


# 4 · rospoll killed ---------------------------------------------------------------------------
class Killed(BaseException):
    """Stands for SIGKILL inside the process: nothing after the raise runs, no handler sees it."""


def _raise_killed(*args: object, **kwargs: object) -> None:
    raise Killed


CRASH_POINTS = {  # where the kill falls → what raises there; the change is mailed once
    "after the commit, before the journal line": "rospoll.store.journal.Journal.append",
    "after the journal line, before the mail is queued": "rospoll.notify.outbox.Outbox.put",
    "after the mail is queued, before the pages": "rospoll.notify.site.ReportSite.publish",
    "after mail and pages, before the user log": "rospoll.store.userlog.UserLog.append",
}


@pytest.mark.parametrize("point", list(CRASH_POINTS))
def test_a_run_killed_between_two_steps_of_storing_a_change_is_finished_by_the_next(
    make_lab, smtp, monkeypatch, point: str
) -> None:
    target = CRASH_POINTS[point]
    lab = make_lab(versions=("7.16",), **mail_settings(smtp))
    router = lab.router("lab1")
    assert lab.rospoll("poll-once") == 0  # baseline
    router.apply("alice", add_address(0))
    assert lab.rospoll("poll-once") == 0
    router.apply("bob", add_address(1))
    with monkeypatch.context() as patch:
        patch.setattr(target, _raise_killed)
        with pytest.raises(Killed):
            lab.rospoll("poll-once")
    assert lab.authors("lab1") == ["bob", "alice", "rospoll"]  # the commit stands
    assert lab.rospoll("poll-once") == 0  # the next run finishes bob's change

    per_commit = assert_each_change_once(lab, {address(0): "lab1", address(1): "lab1"}, smtp)
    bob = next(e for e in journal(lab) if e.user == "bob")
    assert (bob.source, bob.sections, bob.added) == ("history", ("/ip address",), 1)
    assert bob.command is not None and address(1) in bob.command
    assert per_commit[bob.commit] == 1, per_commit  # exactly once, wherever the kill fell
    assert [e.user for e in journal(lab)] == ["alice", "bob"]
    assert_store_sound(lab)
    assert lab.rospoll("poll-once") == 0  # and a third run adds nothing
    assert len(journal(lab)) == 2 and len(mails(smtp)) == 2


def test_a_rotated_journal_replays_no_old_change(make_lab, smtp) -> None:
    """Recovery must not take an emptied journal for a run killed before every change."""
    lab = make_lab(versions=("7.16",), **mail_settings(smtp))
    router = lab.router("lab1")
    assert lab.rospoll("poll-once") == 0
    for n in (0, 1):
        router.apply("alice", add_address(n))
        assert lab.rospoll("poll-once") == 0
    journal_path = lab.root / "reports" / "changes.jsonl"
    journal_path.rename(journal_path.with_suffix(".jsonl.1"))  # as logrotate does
    assert lab.rospoll("poll-once") == 0
    assert journal(lab) == [] and len(mails(smtp)) == 2
    router.apply("bob", add_address(2))
    assert lab.rospoll("poll-once") == 0
    assert [e.user for e in journal(lab)] == ["bob"] and len(mails(smtp)) == 3


KILL_SEED = 20240501


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_kill_9_at_random_moments_during_20_changes_loses_and_doubles_nothing(
    make_lab, smtp
) -> None:
    rng = random.Random(KILL_SEED)
    lab = make_lab(versions=("7.16", "6.49.10"), rospoll_debounce="1s", **mail_settings(smtp))
    cmd = [sys.executable, "-m", "rospoll", "-i", str(lab.inventory), "watch"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    status = lab.root / ".rospoll" / "status.json"
    procs: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        out = (lab.root / f"watch-{len(procs)}.log").open("wb")
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
        out.close()
        procs.append(proc)
        return proc

    def following() -> bool:
        try:
            routers = json.loads(status.read_text(encoding="utf-8"))["routers"]
        except (OSError, ValueError):
            return False
        return all(r.get("state") == "following" and r.get("polled_at") for r in routers)

    kill_after = set(rng.sample(range(20), 6))
    kills: list[str] = []
    wanted = {address(n): ("lab1", "lab2")[n % 2] for n in range(20)}
    proc = start()
    try:
        wait_until(following, timeout_s=20, what="status.json: both routers followed")
        for n in range(20):
            lab.router(wanted[address(n)]).apply("alice", add_address(n))
            if n in kill_after:
                delay = rng.uniform(0.0, 3.0)  # debounce, export, record or mail: anywhere
                time.sleep(delay)  # placing the kill, not synchronisation
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=10)
                kills.append(f"{delay:.2f}s after change {n}")
                proc = start()
            else:
                time.sleep(rng.uniform(0.2, 1.2))  # pacing the changes
        wait_until(
            lambda: sum(e.added for e in journal(lab)) >= 20,
            timeout_s=60,
            what="every change journaled after the last restart",
        )
        wait_until(
            lambda: all(any(e.commit in m for m in mails(smtp)) for e in journal(lab)),
            timeout_s=30,
            what="a mail for every journaled change",
        )
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        for each in procs:  # only the processes this test started, by pid
            if each.poll() is None:
                each.kill()
                each.wait(timeout=10)
    per_commit = assert_each_change_once(lab, wanted, smtp)
    entries = journal(lab)
    doubled = {commit: count for commit, count in per_commit.items() if count > 1}
    print(f"kills: {kills}")
    print(
        f"{len(entries)} entries, users {Counter(e.user for e in entries)}, "
        f"sources {Counter(e.source for e in entries)}, {len(mails(smtp))} mails, "
        f"{len(doubled)} changes mailed twice"
    )
    recovered = sum(
        "left unfinished by a run that stopped or failed"
        in (lab.root / f"watch-{k}.log").read_text()
        for k in range(len(procs))
    )
    print(f"runs that finished a killed run's change: {recovered}")
    assert_store_sound(lab)
