"""``rospoll watch``: follow every router's log, poll on schedule, report each change."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported in run(): only the command that runs pays for its imports
    from rospoll.app.change import Recorded


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
    from rospoll.app.change import describe
    from rospoll.app.paths import LOCK_WAIT_S, lock_path
    from rospoll.app.watcher import Watcher
    from rospoll.inventory import load_inventory
    from rospoll.store import DataLock

    inventory = load_inventory(args.inventory)
    if args.limit:
        inventory = inventory.filter(args.limit)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    if hasattr(signal, "SIGBREAK"):  # Windows: Ctrl-Break, and what a service manager sends
        signal.signal(signal.SIGBREAK, on_signal)

    def on_recorded(recorded: Recorded) -> None:
        line = describe(recorded)
        if line:
            print(line, flush=True)

    with DataLock(lock_path(inventory), timeout_s=LOCK_WAIT_S):
        print(f"rospoll: watching {len(inventory.devices)} routers", file=sys.stderr, flush=True)
        Watcher(inventory, stop=stop, on_recorded=on_recorded).run()
    print("rospoll: stopped", file=sys.stderr, flush=True)
    return 0
