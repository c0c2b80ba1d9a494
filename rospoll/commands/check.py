"""``rospoll check``: log in to every router and show identity and version, or the error."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported in run(): only the command that runs pays for its imports
    from rospoll.app.concurrency import Outcome
    from rospoll.device.output import SessionInfo
    from rospoll.inventory import Device


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "check",
        help="log in to every router; print identity and RouterOS version, or the error",
        description="Log in to every router of the inventory and print its name, address, "
        "identity and RouterOS version, or why it failed. Exit 1 if any router failed.",
    )
    parser.add_argument("--limit", metavar="GLOB", help="only routers (or groups) matching GLOB")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from rospoll.app.concurrency import run_each
    from rospoll.app.paths import known_hosts
    from rospoll.device.session import RouterSession
    from rospoll.inventory import load_inventory

    inventory = load_inventory(args.inventory)
    if args.limit:
        inventory = inventory.filter(args.limit)
    pins = known_hosts(inventory)

    def probe(device: Device) -> SessionInfo:
        session = RouterSession(device, known_hosts=pins)
        try:
            return session.open()
        finally:
            session.close()

    workers = max((d.settings.poll_workers for d in inventory.devices), default=1)
    outcomes = run_each(inventory.devices, probe, workers=workers)
    for outcome in outcomes:
        print(_line(outcome), file=sys.stderr if outcome.failed else sys.stdout)
    return 1 if any(o.failed for o in outcomes) else 0


def _line(outcome: Outcome[SessionInfo]) -> str:
    dev = outcome.device
    where = f"{dev.name} ({dev.host}:{dev.port})"
    if outcome.value is None:
        return f"FAIL {where}: {outcome.error}"
    return f"ok   {where}: identity {outcome.value.identity!r}, RouterOS {outcome.value.version}"
