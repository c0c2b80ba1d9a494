"""Fault and attack suite, bad input side: what routers, the network and operators hand rospoll.

Scenarios (docs/RELIABILITY.md): 2 cut, wrong and foreign exports; 5 hostile router data;
6 SSH host keys; 7 broken inventories through the CLI; 8 unreachable routers; 9 secrets.
Every lab router and mail sink listens on 127.0.0.1 and is stopped by the test that
started it. Each test ends by checking the journal, the git history and the mail.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import asyncssh
import pytest

import rospoll.app.poll as poll_module
import rospoll.lab
from rospoll.app.follower import Burst, Follower
from rospoll.app.watcher import Watcher
from rospoll.attribution.logline import ChangeEvent, parse_log_line
from rospoll.attribution.stream import LineAssembler
from rospoll.device.output import SessionInfo
from rospoll.device.poller import Fetched
from rospoll.device.session import RouterSession
from rospoll.errors import ConnectError
from rospoll.inventory import load_inventory
from rospoll.lab import LabFleet, LabRouter
from rospoll.store import Journal
from tests.conftest import wait_until
from tests.e2e.conftest import USERS, Lab, write_hosts
from tests.notify.conftest import SmtpServer, free_port
from tests.unit.inventory.test_errors import CASES as BROKEN_INVENTORIES

pytestmark = pytest.mark.lab

REPO = Path(__file__).resolve().parents[2]
DEFAULT_V7 = Path(rospoll.lab.__file__).parent / "default_configs" / "v7.rsc"


# helpers ---------------------------------------------------------------------------------
def journal(lab: Lab) -> list:
    return Journal(lab.root / "reports" / "changes.jsonl").entries()


def outbox(lab: Lab) -> list[Path]:
    folder = lab.root / "reports" / "outbox"
    return sorted(folder.glob("*.eml")) if folder.is_dir() else []


def mail_settings(smtp: SmtpServer) -> dict[str, object]:
    return {
        "rospoll_mail_server": f"127.0.0.1:{smtp.port}",
        "rospoll_mail_security": "none",
        "rospoll_mail_from": "rospoll@example.net",
        "rospoll_mail_to": ["noc@example.net"],
    }


def mails(smtp: SmtpServer) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(e.data, policy=email.policy.SMTP)  # type: ignore[misc]
        for e in smtp.sink.envelopes
    ]


def mail_texts(message: email.message.Message) -> list[str]:
    """Every decoded text part of a mail (base64 and quoted-printable undone)."""
    texts = []
    for part in message.walk():
        if part.get_content_maintype() == "text":
            texts.append(part.get_content())  # type: ignore[attr-defined]
    return texts


def run_cli(*args: str, timeout_s: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "rospoll", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )


@dataclass
class Fleet:
    """Lab routers started by one test; stopped at its end whatever happened."""

    routers: list[LabRouter]

    def stop(self) -> None:
        for router in self.routers:
            router.stop(timeout_s=5)


@pytest.fixture
def fleet() -> Iterator[Fleet]:
    started = Fleet([])
    try:
        yield started
    finally:
        started.stop()


def other_router_config(tmp_path: Path, name: str) -> Path:
    """The lab's v7 default config as exported by another box: other serial and software id."""
    text = DEFAULT_V7.read_text(encoding="utf-8")
    text = text.replace("serial number = HE30AB1C2D3E", "serial number = HF99ZZ8Y7X6W")
    text = text.replace("software id = QMLS-64F2", "software id = ZZZZ-0001")
    text = text.replace("comment=defconf name=router.lan", f"comment=defconf name={name}.lan")
    path = tmp_path / f"{name}.rsc"
    path.write_text(text, encoding="utf-8")
    return path


# 2 · cut, wrong, empty and foreign exports ----------------------------------------------
CUTS = {
    "lab1": "truncate:0.1",
    "lab2": "truncate:0.5",
    "lab3": "truncate:0.99",
    "lab4": "error",
    "lab5": "empty",
}


def test_cut_error_and_empty_exports_are_never_stored(make_lab, smtp, capsys, monkeypatch) -> None:
    lab = make_lab(versions=("7.16", "6.49.10", "7.18.2", "6.49.10", "7.16"), **mail_settings(smtp))
    assert lab.rospoll("poll-once") == 0
    before = {r: lab.backup(r) for r in CUTS}
    capsys.readouterr()
    for n, router in enumerate(CUTS, start=1):
        lab.router(router).apply(
            "alice", f"/ip address add address=10.66.{n}.1/24 interface=ether1"
        )

    real_fetch = poll_module.fetch

    def fetch_failing(device, known_hosts, **kwargs):  # the lab's modes are one-shot: re-arm
        lab.router(device.name).fail_next_export(CUTS[device.name])
        return real_fetch(device, known_hosts, **kwargs)

    monkeypatch.setattr(poll_module, "fetch", fetch_failing)
    assert lab.rospoll("poll-once") == 1
    out, err = capsys.readouterr()
    assert out == ""
    failed = dict(line.split(": FAILED: ", 1) for line in err.splitlines())
    assert sorted(failed) == sorted(CUTS)
    for router in ("lab1", "lab2", "lab3"):  # the lab drops the connection mid-export
        assert failed[router].startswith("export failed:"), failed[router]
    assert failed["lab4"].startswith("export rejected: CLI error text")
    assert failed["lab5"].startswith("export rejected: empty export")

    assert {r: lab.backup(r) for r in CUTS} == before
    assert all(lab.authors(r) == ["rospoll"] for r in CUTS)
    assert journal(lab) == [] and smtp.sink.count() == 0 and outbox(lab) == []

    monkeypatch.setattr(poll_module, "fetch", real_fetch)  # the routers answer again
    assert lab.rospoll("poll-once") == 0
    stored = sorted((e.router, e.user, e.added) for e in journal(lab))  # polled concurrently
    assert stored == [(r, "alice", 1) for r in CUTS]
    assert all(lab.authors(r) == ["alice", "rospoll"] for r in CUTS)
    wait_until(lambda: smtp.sink.count() == 5, timeout_s=10, what="one mail per stored change")
    assert outbox(lab) == []


def _lines_cut(text: str, fraction: float) -> str:
    lines = text.splitlines(keepends=True)
    return "".join(lines[: max(1, int(len(lines) * fraction))])


def test_cut_at_a_line_boundary_is_caught_by_shrink_or_validation(
    make_lab, smtp, capsys, monkeypatch
) -> None:
    lab = make_lab(versions=("7.16",), **mail_settings(smtp))
    assert lab.rospoll("poll-once") == 0
    before = lab.backup("lab1")
    real_fetch = poll_module.fetch
    cuts: list[Callable[[str], str]] = []
    seen: list[str] = []

    def fetch_cut(device, known_hosts, **kwargs):
        fetched = real_fetch(device, known_hosts, **kwargs)
        cut = cuts.pop(0) if cuts else (lambda text: text)
        seen.append(cut(fetched.export))
        return Fetched(seen[-1], fetched.history, fetched.identity, fetched.version)

    monkeypatch.setattr(poll_module, "fetch", fetch_cut)
    capsys.readouterr()

    # a valid prefix (10 % or 50 % of the lines) twice, cut differently: sudden shrink
    cuts[:] = [lambda t: _lines_cut(t, 0.1), lambda t: _lines_cut(t, 0.5)]
    assert lab.rospoll("poll-once") == 1
    assert "lab1: FAILED: export rejected: sudden shrink" in capsys.readouterr().err
    assert all(validate_ok(text) for text in seen[-2:])  # really syntactically valid

    # cut inside a '\' continuation, twice the same: validation, whatever the retry says
    def inside_continuation(text: str) -> str:
        lines = text.splitlines(keepends=True)
        index = next(i for i, line in enumerate(lines) if line.rstrip().endswith("\\"))
        return "".join(lines[: index + 1])

    cuts[:] = [inside_continuation, inside_continuation]
    assert lab.rospoll("poll-once") == 1
    assert "export rejected: ends inside a '\\' continuation" in capsys.readouterr().err

    assert lab.authors("lab1") == ["rospoll"] and lab.backup("lab1") == before
    assert journal(lab) == [] and smtp.sink.count() == 0 and outbox(lab) == []


def test_export_cut_at_99_percent_once_is_fetched_again(make_lab, smtp, monkeypatch) -> None:
    """Valid syntax, 1 % of the items gone: neither shrink nor syntax catches it alone."""
    lab = make_lab(versions=("7.16",), **mail_settings(smtp))
    assert lab.rospoll("poll-once") == 0
    real_fetch = poll_module.fetch
    cuts = [0.99]

    def fetch_cut_once(device, known_hosts, **kwargs):
        fetched = real_fetch(device, known_hosts, **kwargs)
        text = _lines_cut(fetched.export, cuts.pop()) if cuts else fetched.export
        return Fetched(text, fetched.history, fetched.identity, fetched.version)

    monkeypatch.setattr(poll_module, "fetch", fetch_cut_once)
    lab.router("lab1").apply("alice", "/ip address add address=10.67.0.1/24 interface=ether1")
    assert lab.rospoll("poll-once") == 0
    [entry] = journal(lab)
    assert (entry.user, entry.added, entry.removed, entry.changed) == ("alice", 1, 0, 0)
    assert lab.authors("lab1") == ["alice", "rospoll"]
    assert "10.67.0.1/24" in lab.backup("lab1") and "show-at-login" in lab.backup("lab1")
    wait_until(lambda: smtp.sink.count() == 1, timeout_s=10, what="the one change mail")
    assert outbox(lab) == []


def test_check_tail_cut_tells_a_cut_from_a_removal() -> None:
    from rospoll.config import parse_export
    from rospoll.config.validate import check_tail_cut
    from rospoll.errors import ExportInvalidError

    text = DEFAULT_V7.read_text(encoding="utf-8")
    whole = parse_export(text)
    lines = text.splitlines(keepends=True)
    with pytest.raises(ExportInvalidError, match="ends early"):
        check_tail_cut(whole, parse_export("".join(lines[:-1])))  # the last line cut off
    with pytest.raises(ExportInvalidError, match="ends early"):
        check_tail_cut(whole, parse_export("".join(lines[:-3]) + "set time-zone-name=Eu\n"))
    check_tail_cut(whole, whole)
    removed_inside = text.replace("add comment=defconf interface=ether1\n", "")
    check_tail_cut(whole, parse_export(removed_inside))  # a removal, not a cut
    check_tail_cut(whole, parse_export(text + "/ip dns static\nadd name=x address=1.1.1.1\n"))


def validate_ok(text: str) -> bool:
    from rospoll.config import validate_export
    from rospoll.errors import ExportInvalidError

    try:
        validate_export(text)
    except ExportInvalidError:
        return False
    return True


def test_replaced_router_needs_hostkey_accept_and_replaced(
    make_lab, smtp, tmp_path, fleet, capsys
) -> None:
    """Scenarios 2 and 6: another box at lab1's address, with its own host key and ids."""
    lab = make_lab(versions=("7.16", "7.16"), **mail_settings(smtp))
    assert lab.rospoll("poll-once") == 0
    capsys.readouterr()
    old_lab1 = lab.router("lab1")
    port, old_fp = old_lab1.port, old_lab1.host_key_fingerprint
    old_lab1.stop(timeout_s=5)
    box = LabRouter(
        name="lab1-new", version="7.16", users=USERS, config_path=other_router_config(tmp_path, "b")
    )
    fleet.routers.append(box)
    box.start(port=port)
    lab.router("lab2").apply("bob", "/ip dns set servers=9.9.9.9")

    # the new box offers another key: refused, naming the router and both fingerprints
    assert lab.rospoll("poll-once") == 1
    out, err = capsys.readouterr()
    assert "lab2: changed by bob (history) /ip dns" in out
    assert err.strip() == (
        f"lab1: FAILED: SSH host key changed: pinned {old_fp}, offered "
        f"{box.host_key_fingerprint}; if the change is expected run: rospoll hostkey accept lab1"
    )

    # the operator accepts the key: the export is still another router's, and says so
    assert lab.rospoll("hostkey", "accept", "lab1") == 0
    assert capsys.readouterr().out.strip() == (
        f"lab1: pinned {box.host_key_fingerprint} (was {old_fp})"
    )
    assert lab.rospoll("poll-once") == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("lab1: FAILED: export comes from another router (")
    assert "serial number HE30AB1C2D3E -> HF99ZZ8Y7X6W" in err
    assert "software id QMLS-64F2 -> ZZZZ-0001" in err
    assert err.endswith("run: rospoll hostkey accept lab1 --replaced")
    assert lab.authors("lab1") == ["rospoll"] and "HE30AB1C2D3E" in lab.backup("lab1")

    # --replaced: the next export is stored once; the one after is judged against it
    assert lab.rospoll("hostkey", "accept", "lab1", "--replaced") == 0
    assert "the next export may come from another router" in capsys.readouterr().out
    assert lab.rospoll("poll-once") == 0
    assert "HF99ZZ8Y7X6W" in lab.backup("lab1") and "name=b.lan" in lab.backup("lab1")
    assert not (lab.root / ".rospoll" / "replaced" / "lab1").exists()
    assert lab.rospoll("poll-once") == 0
    assert capsys.readouterr().err == ""

    assert lab.authors("lab1") == ["UNKNOWN", "rospoll"]
    assert lab.authors("lab2") == ["bob", "rospoll"]
    assert [(e.router, e.user) for e in journal(lab)] == [("lab2", "bob"), ("lab1", "UNKNOWN")]
    wait_until(lambda: smtp.sink.count() == 2, timeout_s=10, what="two change mails")
    assert outbox(lab) == []

    assert lab.rospoll("hostkey", "list") == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[0].split() == ["lab1", f"127.0.0.1:{port}", box.host_key_fingerprint]
    assert listing[1].split()[-1] == lab.router("lab2").host_key_fingerprint


def test_hostkey_accept_keeps_the_old_pin_when_the_router_is_down(make_lab, capsys) -> None:
    lab = make_lab(versions=("7.16",))
    assert lab.rospoll("check") == 0
    fingerprint = lab.router("lab1").host_key_fingerprint
    lab.router("lab1").stop(timeout_s=5)
    capsys.readouterr()
    assert lab.rospoll("hostkey", "accept", "lab1") == 1
    assert "no key pinned, old pin kept" in capsys.readouterr().err
    assert lab.rospoll("hostkey", "accept", "nosuch") == 2
    assert capsys.readouterr().err.strip().startswith("rospoll: no router named 'nosuch'")
    assert lab.rospoll("hostkey", "list") == 0
    assert capsys.readouterr().out.split()[-1] == fingerprint
    assert journal(lab) == [] and not (lab.root / "backups").exists()


# 5 · hostile router data -----------------------------------------------------------------
SCRIPT = "<script>alert(1)</script>"
HOSTILE_USERS = [
    "a/b",
    "../../etc/passwd",
    "nul\x00byte",
    "eve\nmallory",
    "x" * 10_000,
    SCRIPT,
    "\x1b[31mred\x1b[0m",
]
BIG_COMMENT = "A" * 1_000_000


def report_files(lab: Lab) -> list[Path]:
    return [p for p in (lab.root / "reports").rglob("*") if p.is_file()]


def test_hostile_names_and_comments_are_contained_and_escaped(make_lab, smtp, capsys) -> None:
    lab = make_lab(versions=("7.16",), **mail_settings(smtp))
    router = lab.router("lab1")
    assert lab.rospoll("poll-once") == 0
    for n, user in enumerate(HOSTILE_USERS, start=1):
        router.apply(user, f"/ip address add address=10.88.{n}.1/24 interface=ether1")
    router.apply("alice", f'/interface bridge set bridge comment="{SCRIPT}"')
    router.apply("alice", '/interface list add name="<b>lan2</b>"')
    router.apply("bob", f'/ip dns static add name=big.lan address=10.1.1.1 comment="{BIG_COMMENT}"')
    capsys.readouterr()
    assert lab.rospoll("poll-once") == 0
    assert capsys.readouterr().err == ""

    # journal: one JSON object per line, nothing split by a newline in a user name
    entries = journal(lab)
    raw_lines = (lab.root / "reports" / "changes.jsonl").read_bytes().splitlines()
    assert len(raw_lines) == len(entries) == len(HOSTILE_USERS) + 2
    assert all(json.loads(line)["router"] == "lab1" for line in raw_lines)
    users = {e.user for e in entries}
    assert SCRIPT in users and "alice" in users and "bob" in users
    assert {"a/b", "../../etc/passwd", "x" * 10_000} <= users

    # files: nothing outside the data folder, one user log per user, all inside users/
    root = lab.root.resolve()
    files = [p for p in lab.root.rglob("*") if p.is_file()]
    assert all(p.resolve().is_relative_to(root) for p in files)
    users_dir = (lab.root / "reports" / "users").resolve()
    logs = list(users_dir.iterdir())
    assert len(logs) == len(users) and all(p.parent == users_dir for p in logs)
    assert all(len(p.name) <= 100 for p in files)
    for path in report_files(lab):
        data = path.read_bytes()
        assert b"\x00" not in data and b"\x1b" not in data, path  # no NUL, no terminal escape

    # HTML everywhere: the script is shown as text, never as markup
    pages = [p for p in report_files(lab) if p.suffix == ".html"]
    assert pages
    escaped = 0
    for page in pages:
        html = page.read_text("utf-8")
        assert SCRIPT not in html and "<b>lan2</b>" not in html, page
        escaped += "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert escaped >= 2  # the change page and the index at least

    wait_until(lambda: smtp.sink.count() == len(entries), timeout_s=15, what="one mail each")
    for message in mails(smtp):
        assert "\n" not in str(message["Subject"]) and "\x00" not in str(message["Subject"])
        html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
        assert SCRIPT not in html and "<b>lan2</b>" not in html
    assert outbox(lab) == []

    fsck = subprocess.run(
        ["git", "-C", str(lab.root / "backups"), "fsck", "--strict"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert fsck.returncode == 0, fsck.stderr
    # every journal line names a commit of lab1 (several users in one section share one
    # commit today, authored by the first of them: see docs/RELIABILITY.md)
    commits = subprocess.run(
        ["git", "-C", str(lab.root / "backups"), "log", "--format=%H", "--", "lab1.rsc"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout.split()
    assert {e.commit for e in entries} <= set(commits) and len(commits) >= 4
    assert BIG_COMMENT in lab.backup("lab1")


class HostileSession:
    """Stands in for a RouterSession: hands out canned follow output chunk by chunk."""

    def __init__(self, chunks: list[str]) -> None:
        self.chunks = chunks
        self.closed = False
        self.info = SessionInfo(identity="lab1", version="7.16", uptime_s=60.0)

    def start_follow(self, command: str) -> None:
        pass

    def stop_follow(self) -> None:
        pass

    def read_wait(self, wait_s: float) -> str:
        if self.closed:
            raise ConnectError("lab1", "session closed")
        if self.chunks:
            return self.chunks.pop(0)
        time.sleep(min(wait_s, 0.01))  # nothing more will come; don't spin
        return ""

    def close(self) -> None:
        self.closed = True


def hostile_stream() -> bytes:
    """Follow output with a 1 MB line, invalid UTF-8, ANSI escapes, NUL and HTML."""
    return b"".join(
        [
            b"\x1b[?25l\x1b]0;title\x07",
            b" 2026-10-02 17:35:45 system,info " + b"A" * 1_000_000 + b"\r\n",
            b"\xff\xfe 2026-10-02 17:35:46 system,info dns changed by b\xc3(ob\r\n",
            b"\x1b[31m 2026-10-02 17:35:47 system,info\x1b[0m filter rule changed by "
            b"\x1b[1m" + SCRIPT.encode() + b"\x1b[0m\r\n",
            b" 2026-10-02 17:35:48 system,info address added by ssh:eve@10.0.0.9 "
            b"(/ip address add comment=" + b"x" * 1_000_000 + b" interface=ether1)\r\n",
            b" 2026-10-02 17:35:49 system,info mangle rule changed by ma\x00llory\r\n",
            b"-- Ctrl-C to quit.\r\x1b[K",
        ]
    )


class Collected:
    """A follower's sink keeping the bursts (not the burst-started notes)."""

    def __init__(self, bursts: list[Burst]) -> None:
        self.bursts = bursts

    def put(self, item: object) -> None:
        if isinstance(item, Burst):
            self.bursts.append(item)


def test_follower_survives_a_hostile_log_stream(tmp_path: Path) -> None:
    """1 MB lines, invalid UTF-8 (decoded as netmiko does), ANSI, NUL: events, bounded."""
    text = hostile_stream().decode("utf-8", "ignore")  # netmiko's read_channel
    chunks = [text[i : i + 65_536] for i in range(0, len(text), 65_536)]
    inventory = write_hosts(
        tmp_path / "inventory.yml",
        {"lab1": {"ansible_host": "127.0.0.1", "ansible_port": 1}},
        rospoll_debounce="1s",
    )
    device = load_inventory(inventory).devices[0]
    bursts: list[Burst] = []
    stop = threading.Event()
    session = cast(RouterSession, HostileSession(chunks))
    follower = Follower(device, open_session=lambda _d: session, out=Collected(bursts), stop=stop)
    started = time.monotonic()
    follower.start()
    try:
        wait_until(
            lambda: sum(len(b.events) for b in bursts) >= 4,
            timeout_s=20,
            what="the four change events of the hostile stream",
        )
    finally:
        stop.set()
        assert follower.join(5)
    assert time.monotonic() - started < 20
    events: list[ChangeEvent] = [e for b in bursts for e in b.events]
    assert [e.user for e in events] == ["b(ob", SCRIPT, "eve", "mallory"]
    assert events[2].via == "ssh" and events[2].address == "10.0.0.9"
    assert all(len(e.command or "") <= 262_144 for e in events)
    assert follower.status.error == ""

    # the same entries whatever the chunking, and the parser never raises on any of them
    for size in (1, 4096):
        if size == 1:
            sample = text[:2000] + text[-3000:]
            assembler = LineAssembler()
            whole = assembler.feed(sample) + assembler.flush()
            assembler = LineAssembler()
            pieces = [line for ch in sample for line in assembler.feed(ch)] + assembler.flush()
            assert pieces == whole
        else:
            assembler = LineAssembler()
            lines = [
                line
                for i in range(0, len(text), size)
                for line in assembler.feed(text[i : i + size])
            ]
            lines += assembler.flush()
            assert len(lines) == 5 and all(len(line) <= 262_144 for line in lines)
            for line in lines:
                parse_log_line(line)


# 7 · broken inventories through the CLI --------------------------------------------------
EXTRA_INVENTORIES = [
    ("non-utf8", "all:\n  vars:\n    note: caf\xe9\n".encode("latin-1"), 0, "not UTF-8 text"),
    (
        "referenced-missing-env",
        b"all:\n  vars:\n    secret: \"{{ lookup('env', 'RTR_PW_X') }}\"\n"
        b'    ansible_password: "{{ secret }}"\n  hosts:\n    core1:\n',
        3,
        "environment variable RTR_PW_X is not set (needed by ansible_password)",
    ),
    (
        "children-is-list",
        b"all:\n  children:\n    - core\n",
        2,
        "",
    ),
    ("binary-garbage", b"\x00\x01\x02all:", 0, ""),
]


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (c[1].encode("utf-8") if isinstance(c[1], str) else c[1], c[2], c[3])
        for c in BROKEN_INVENTORIES
    ]
    + [c[1:] for c in EXTRA_INVENTORIES],
    ids=[c[0] for c in BROKEN_INVENTORIES] + [c[0] for c in EXTRA_INVENTORIES],
)
def test_broken_inventory_is_one_stderr_line_and_exit_2(
    tmp_path: Path, capsys, monkeypatch, text: bytes, line: int, words: str
) -> None:
    for name in ("NOPE_X", "RTR_PW", "RTR_PW_X"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "inventory.yml"
    path.write_bytes(text)
    from rospoll.cli import main

    assert main(["-i", str(path), "check"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and "Traceback" not in err, err
    prefix = f"rospoll: {path}:{line}: " if line else f"rospoll: {path}"
    assert err.startswith(prefix), err
    assert words in err, err


def test_broken_inventory_as_a_process_on_every_command(tmp_path: Path) -> None:
    path = tmp_path / "inventory.yml"
    path.write_text("all:\n  hosts:\n    core1:\n    core1:\n", encoding="utf-8")
    missing = tmp_path / "absent.yml"
    for inventory, expected in ((path, f"{path}:4: "), (missing, f"{missing}: cannot read")):
        for command in (["check"], ["poll-once"], ["status"], ["hostkey", "list"]):
            done = run_cli("-i", str(inventory), *command)
            assert done.returncode == 2, (command, done.stderr)
            assert done.stdout == "" and "Traceback" not in done.stderr
            assert done.stderr.count("\n") == 1 and done.stderr.startswith(f"rospoll: {expected}")
    assert not (tmp_path / ".rospoll").exists() and not (tmp_path / "backups").exists()


# 8 · wrong password, refused, unresolvable; 6 · changed host key, in poll-once and status --
def test_unreachable_routers_fail_alone_and_show_in_poll_once_and_status(
    smtp, tmp_path, fleet, capsys
) -> None:
    for n in (1, 2, 3):
        fleet.routers.append(LabRouter(name=f"lab{n}", version="7.16", users=USERS))
        fleet.routers[-1].start()
    lab1, lab2, lab3 = fleet.routers
    closed_port = free_port()
    hosts: dict[str, dict[str, object]] = {
        r.name: {"ansible_host": "127.0.0.1", "ansible_port": r.port} for r in fleet.routers
    }
    hosts["badpw"] = {"ansible_host": "127.0.0.1", "ansible_port": lab1.port,
                      "ansible_password": "wrong"}  # fmt: skip
    hosts["refused"] = {"ansible_host": "127.0.0.1", "ansible_port": closed_port}
    hosts["nowhere"] = {"ansible_host": "rospoll-test.invalid"}
    inventory = write_hosts(tmp_path / "inventory.yml", hosts, **mail_settings(smtp))
    lab = Lab(LabFleet(routers=fleet.routers), inventory)
    expected = {
        "badpw": "login refused for user 'admin'",
        "refused": f"cannot connect to 127.0.0.1:{closed_port} (refused, filtered or unreachable)",
        "nowhere": "host name 'rospoll-test.invalid' not resolvable",
    }

    assert lab.rospoll("poll-once") == 1
    out, err = capsys.readouterr()
    assert sorted(out.splitlines()) == [f"lab{n}: baseline stored" for n in (1, 2, 3)]
    assert dict(line.split(": FAILED: ") for line in err.splitlines()) == expected

    lab1.apply("alice", "/ip address add address=10.99.1.1/24 interface=ether1")
    lab2.apply("bob", "/ip dns set servers=9.9.9.9")
    old_fp = lab3.host_key_fingerprint
    lab3.set_host_key(asyncssh.generate_private_key("ssh-ed25519"))
    lab3.apply("alice", "/ip dns set servers=1.1.1.1")  # must not be stored: key not trusted
    expected["lab3"] = (
        f"SSH host key changed: pinned {old_fp}, offered {lab3.host_key_fingerprint}; "
        "if the change is expected run: rospoll hostkey accept lab3"
    )
    assert lab.rospoll("poll-once") == 1
    out, err = capsys.readouterr()
    assert sorted(out.splitlines()) == [
        "lab1: changed by alice (history) /ip address",
        "lab2: changed by bob (history) /ip dns",
    ]
    assert dict(line.split(": FAILED: ") for line in err.splitlines()) == expected

    # watch: every failing router's error is in status.json and `rospoll status`
    stop = threading.Event()
    watcher = Watcher(load_inventory(inventory), stop=stop)
    thread = threading.Thread(target=watcher.run, name="test-watch")
    thread.start()
    status_path = tmp_path / ".rospoll" / "status.json"

    def status_errors() -> dict[str, str]:
        try:
            status = json.loads(status_path.read_text("utf-8"))
        except (FileNotFoundError, ValueError):
            return {}
        return {
            r["router"]: r.get("error") or r.get("follow_error") or ""
            for r in status["routers"]
            if r.get("error") or r.get("follow_error")
        }

    try:
        wait_until(
            lambda: (
                status_errors().keys() == expected.keys()
                and all(watcher.followers[n].following.is_set() for n in ("lab1", "lab2"))
            ),
            timeout_s=30,
            what="status.json to name the four failing routers, lab1 and lab2 following",
        )
        assert lab.rospoll("status") == 0
        lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[1:]}
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    errors = status_errors()
    for name, message in expected.items():
        assert message in errors[name], (name, errors[name])
        assert f"error: {name}: {message}" in lines[name] or f"error: {message}" in lines[name]
    assert "following" in lines["lab1"] and "error" not in lines["lab1"]

    assert lab.rospoll("hostkey", "accept", "lab3") == 0
    assert lab.rospoll("poll-once", "--limit", "lab3") == 0
    assert [(e.router, e.user) for e in journal(lab)] == [
        ("lab1", "alice"),
        ("lab2", "bob"),
        ("lab3", "alice"),
    ] or sorted((e.router, e.user) for e in journal(lab)) == [
        ("lab1", "alice"),
        ("lab2", "bob"),
        ("lab3", "alice"),
    ]
    assert [lab.authors(f"lab{n}") for n in (1, 2, 3)] == [
        ["alice", "rospoll"],
        ["bob", "rospoll"],
        ["alice", "rospoll"],
    ]
    assert not (tmp_path / "backups" / "badpw.rsc").exists()
    wait_until(lambda: smtp.sink.count() == 3, timeout_s=10, what="three change mails")
    assert outbox(lab) == []


# 9 · secrets never reach reports or mail ------------------------------------------------
OLD_WG_KEY = "kAbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdeE="
NEW_WG_KEY = "NnEeWwKkEeYy0123456789abcdefghijklmnopqrsT="
SECRETS = ("s3cret", "n3wS3cret", "Car0lPw9", OLD_WG_KEY, NEW_WG_KEY)


@pytest.mark.parametrize(
    "credited",
    [
        pytest.param(False, id="diff-only"),
        pytest.param(True, id="with-commands"),
    ],
)
def test_secret_values_never_reach_reports_or_mail(make_lab, smtp, capsys, credited) -> None:
    """``diff-only``: no history, no log, so only the diff can carry a secret (UNKNOWN)."""
    lab = make_lab(**mail_settings(smtp))  # 7.16, 6.49.10, 7.18.2
    assert lab.rospoll("poll-once") == 0
    for name in ("lab1", "lab2", "lab3"):
        router = lab.router(name)
        if not credited:
            router.set_history(False)
            router.set_logging(False)
        router.apply("alice", "/ppp secret set vpnuser password=n3wS3cret")
        router.apply("bob", "/ppp secret add name=carol password=Car0lPw9 service=l2tp")
        if not router.version.startswith("6"):
            router.apply("alice", f'/interface wireguard set wg0 private-key="{NEW_WG_KEY}"')
    capsys.readouterr()
    assert lab.rospoll("poll-once") == 0
    out, err = capsys.readouterr()
    assert err == ""
    for secret in SECRETS:
        assert secret not in out

    # the backups do hold them (a restore needs them): the test can see secrets at all
    for name in ("lab1", "lab2", "lab3"):
        assert "n3wS3cret" in lab.backup(name) and "Car0lPw9" in lab.backup(name)
    assert NEW_WG_KEY in lab.backup("lab1")

    entries = journal(lab)
    users = ("alice", "bob") if credited else ("UNKNOWN",)
    assert {(e.router, e.user) for e in entries} == {
        (r, u) for r in ("lab1", "lab2", "lab3") for u in users
    }
    wait_until(lambda: smtp.sink.count() == len(entries), timeout_s=15, what="one mail each")
    assert outbox(lab) == []

    leaks = []
    for path in report_files(lab):
        texts = [path.read_bytes().decode("utf-8", "replace")]
        if path.suffix == ".eml":
            texts += mail_texts(
                email.message_from_bytes(path.read_bytes(), policy=email.policy.SMTP)
            )
        leaks += [(str(path), s) for s in SECRETS for text in texts if s in text]
    for envelope in smtp.sink.envelopes:
        message = email.message_from_bytes(envelope.data, policy=email.policy.SMTP)
        texts = [envelope.data.decode("utf-8", "replace"), str(message["Subject"])]
        texts += mail_texts(message)
        leaks += [("mail " + str(message["Subject"]), s) for s in SECRETS for t in texts if s in t]
    assert leaks == [], "\n".join(map(str, leaks))
    assert any("/ppp secret" in "".join(mail_texts(m)) for m in mails(smtp))
