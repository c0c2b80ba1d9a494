"""``make demo``: the whole loop on 127.0.0.1, in about a minute.

Starts three lab routers (6.49, 7.16 and 7.18 style), an SMTP sink that keeps every mail
as an ``.eml`` file, and ``rospoll watch`` on a generated inventory; then makes scripted
changes as alice (logged, over SSH) and bob (with logging off, so only the scheduled
poll and ``/system history`` can credit him). Prints where the reports, the git history
and the mails are, and stops after ``--seconds`` or on Ctrl-C.

    python -m rospoll.lab.demo [--seconds 60] [--folder demo-run]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from aiosmtpd.controller import Controller

from rospoll.lab import LabFleet, LabRouter

PASSWORD = "demo-pass"  # noqa: S105 (lab routers on 127.0.0.1 only)
ROUTERS = (("core-v649", "6.49.10"), ("edge-v716", "7.16"), ("branch-v718", "7.18.2"))


class MailSink:
    """An aiosmtpd handler writing each accepted mail to ``folder/NNN.eml``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self.count += 1
            path = self.folder / f"{self.count:03d}.eml"
        path.write_bytes(envelope.original_content)
        print(f"  mail {path.name} to {', '.join(envelope.rcpt_tos)}", flush=True)
        return "250 kept"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_inventory(path: Path, fleet: LabFleet, smtp_port: int) -> None:
    hosts = {r.name: {"ansible_host": "127.0.0.1", "ansible_port": r.port} for r in fleet.routers}
    inventory = {
        "all": {
            "vars": {
                "ansible_user": "admin",
                "ansible_password": "{{ lookup('env', 'ROSPOLL_DEMO_PASSWORD') }}",
                "rospoll_debounce": "2s",
                "rospoll_poll_interval": "20s",
                "rospoll_mail_server": f"127.0.0.1:{smtp_port}",
                "rospoll_mail_security": "none",
                "rospoll_mail_from": "rospoll@demo.example",
                "rospoll_mail_to": ["noc@demo.example"],
            },
            "children": {
                "core": {
                    "vars": {"rospoll_mail_to": ["noc@demo.example", "core@demo.example"]},
                    "hosts": {ROUTERS[0][0]: hosts[ROUTERS[0][0]]},
                },
                "edge": {"hosts": {name: hosts[name] for name, _ in ROUTERS[1:]}},
            },
        }
    }
    path.write_text(yaml.safe_dump(inventory, sort_keys=False), encoding="utf-8")


def script(fleet: LabFleet, say: Callable[[str], None], stop: threading.Event) -> None:
    """The scripted changes, spaced so each shows on its own."""
    core, edge, branch = fleet.routers
    steps: list[tuple[float, str, Callable[[], object]]] = [
        (
            6,
            "alice adds an address on edge-v716 over SSH (logged: v7 line with command)",
            lambda: edge.apply("alice", "/ip address add address=10.20.0.1/24 interface=ether2"),
        ),
        (
            4,
            "alice adds a firewall rule on core-v649 (logged: v6 line, user only)",
            lambda: core.apply(
                "alice",
                "/ip firewall filter add chain=input action=drop "
                'comment="drop telnet" dst-port=23 protocol=tcp',
            ),
        ),
        (
            4,
            "bob turns logging off on branch-v718 (this change itself is logged)",
            lambda: branch.apply("bob", "/system logging set 0 disabled=yes"),
        ),
        (
            4,
            "bob changes DNS on branch-v718 with logging off: only history knows",
            lambda: branch.apply("bob", "/ip dns set servers=9.9.9.9,1.1.1.1"),
        ),
        (
            4,
            "alice and bob change two sections of edge-v716 in one burst",
            lambda: (
                edge.apply("alice", "/ip dns set servers=8.8.8.8"),
                edge.apply("bob", "/system identity set name=edge-renamed"),
            ),
        ),
    ]
    for delay, text, action in steps:
        if stop.wait(delay):
            return
        say(f"change: {text}")
        action()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--folder", type=Path, default=Path("demo-run"))
    args = parser.parse_args(argv)

    folder = args.folder.resolve()
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "mail").mkdir(parents=True)
    start = time.monotonic()

    def say(text: str) -> None:
        print(f"[{time.monotonic() - start:5.1f}s] {text}", flush=True)

    users = {"admin": PASSWORD, "alice": PASSWORD, "bob": PASSWORD}
    fleet = LabFleet(routers=[LabRouter(name=n, version=v, users=users) for n, v in ROUTERS])
    sink = MailSink(folder / "mail")
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port(), ready_timeout=5)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    watch: subprocess.Popen[bytes] | None = None
    try:
        fleet.start()
        smtp.start()
        inventory = folder / "inventory.yml"
        write_inventory(inventory, fleet, smtp.port)
        for router in fleet.routers:
            say(f"lab router {router.name}: RouterOS {router.version} on 127.0.0.1:{router.port}")
        say(f"SMTP sink on 127.0.0.1:{smtp.port}; starting rospoll watch")
        env = {**os.environ, "ROSPOLL_DEMO_PASSWORD": PASSWORD}
        watch = subprocess.Popen(
            [sys.executable, "-m", "rospoll", "-i", str(inventory), "watch"], env=env
        )
        changes = threading.Thread(target=script, args=(fleet, say, stop), daemon=True)
        changes.start()
        stop.wait(args.seconds)
    finally:
        stop.set()
        if watch is not None:
            watch.terminate()
            try:
                watch.wait(timeout=10)
            except subprocess.TimeoutExpired:
                watch.kill()
        smtp.stop()
        fleet.stop()
    summary(folder, sink.count)
    return 0


def summary(folder: Path, mails: int) -> None:
    journal = folder / "reports" / "changes.jsonl"
    print("\nWhat rospoll recorded:")
    if journal.exists():
        for line in journal.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            how = f"via {entry['via']}" if entry.get("via") else f"source {entry['source']}"
            print(
                f"  {entry['router']:12} {entry['user']:8} {how:12} {', '.join(entry['sections'])}"
            )
    print(f"\n  reports:      {folder / 'reports' / 'index.html'}")
    print(f"  journal:      {journal}")
    print(f"  git history:  git -C {folder / 'backups'} log --format='%an  %s'")
    print(f"  mails ({mails}):    {folder / 'mail'}/*.eml")


if __name__ == "__main__":
    raise SystemExit(main())
