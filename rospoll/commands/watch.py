"""``rospoll watch``: follow every router's log, poll on schedule, report each change."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from rospoll import app
from rospoll.commands.poll_once import LOCK_WAIT_S, describe
from rospoll.inventory import load_inventory
from rospoll.recorder import Recorded
from rospoll.store import DataLock


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "watch",
        help="follow every router's log and poll on schedule until stopped",
        description="One follower per router on /log print follow-only, a scheduled full "
        "poll (rospoll_poll_interval), mails and reports per change. Prints one line per "
        "change. SIGINT or SIGTERM stop it within 5 s.",
    )
    parser.add_argument("--limit", metavar="GLOB", help="only routers (or groups) matching GLOB")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from rospoll.watch import Watcher  # imports netmiko: not on every command's start

    inventory = load_inventory(args.inventory)
    if args.limit:
        inventory = inventory.filter(args.limit)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    def on_recorded(recorded: Recorded) -> None:
        line = describe(recorded)
        if line:
            print(line, flush=True)

    with DataLock(app.lock_path(inventory), timeout_s=LOCK_WAIT_S):
        print(f"rospoll: watching {len(inventory.devices)} routers", file=sys.stderr, flush=True)
        Watcher(inventory, stop=stop, on_recorded=on_recorded).run()
    print("rospoll: stopped", file=sys.stderr, flush=True)
    return 0
