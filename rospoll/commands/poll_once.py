"""``rospoll poll-once``: export every router once, store and journal what changed (for cron)."""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported in run(): only the command that runs pays for its imports
    from rospoll.app.change import Recorded
    from rospoll.app.concurrency import Outcome


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "poll-once",
        help="export every router once; store, journal and report what changed",
        description="Poll every router of the inventory concurrently: export, validate, diff "
        "against the last stored version, store and journal. Prints nothing when nothing "
        "changed and nothing failed (unless -v). Exit 0 when every router was polled, 1 when "
        "any failed, 2 on usage or inventory errors.",
    )
    parser.add_argument("--limit", metavar="GLOB", help="only routers (or groups) matching GLOB")
    parser.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from rospoll.app.paths import LOCK_WAIT_S, known_hosts, lock_path
    from rospoll.app.pipeline import Pipeline
    from rospoll.app.poll import poll_all
    from rospoll.app.reports import deliver_due, notifier
    from rospoll.inventory import load_inventory
    from rospoll.store import DataLock

    inventory = load_inventory(args.inventory)
    if args.limit:
        inventory = inventory.filter(args.limit)
    with DataLock(lock_path(inventory), timeout_s=LOCK_WAIT_S):
        mail = notifier(inventory)
        mail.remove_leftovers()  # under the lock: a killed run's half-written files
        pipeline = Pipeline.for_inventory(inventory, mail)
        progress = (
            _Progress(len(inventory.devices)) if sys.stdout.isatty() and not args.json else None
        )
        outcomes = poll_all(
            inventory.devices,
            known_hosts=known_hosts(inventory),
            pipeline=pipeline,
            workers=inventory.settings.poll_workers,
            on_done=progress.step if progress else None,
        )
        if progress:
            progress.done()
        deliver_due(mail, time.time())
    if args.json:
        print(json.dumps(_summary(outcomes), indent=2))
    else:
        for outcome in outcomes:
            line = _line(outcome, verbose=args.verbose)
            if line:
                print(line, file=sys.stderr if outcome.failed else sys.stdout)
    unreported = any(o.value is not None and o.value.unreported for o in outcomes)
    return 1 if unreported or any(o.failed for o in outcomes) else 0


def _line(outcome: Outcome[Recorded], *, verbose: bool) -> str:
    name = outcome.device.name
    if outcome.value is None:
        return f"{name}: FAILED: {outcome.error}"
    if not outcome.value.changes and not outcome.value.baseline:
        return f"{name}: unchanged" if verbose else ""
    from rospoll.app.change import describe

    return describe(outcome.value)


def _summary(outcomes: list[Outcome[Recorded]]) -> dict[str, Any]:
    routers = []
    for outcome in outcomes:
        record: dict[str, Any] = {"router": outcome.device.name}
        if outcome.value is None:
            record.update(status="failed", error=outcome.error)
        elif outcome.value.baseline:
            record.update(status="baseline")
        else:
            record.update(
                status="changed" if outcome.value.changes else "unchanged",
                changes=[json.loads(c.entry.to_json()) for c in outcome.value.changes],
            )
        routers.append(record)
    return {
        "routers": routers,
        "polled": sum(1 for o in outcomes if not o.failed),
        "failed": sum(1 for o in outcomes if o.failed),
        "changed": sum(1 for r in routers if r["status"] == "changed"),
    }


class _Progress:
    """``polled 12/100`` redrawn in place; only when stdout is a terminal."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.count = 0
        self._lock = threading.Lock()

    def step(self, _outcome: Outcome[Recorded]) -> None:
        with self._lock:
            self.count += 1
            sys.stdout.write(f"\rpolled {self.count}/{self.total}")
            sys.stdout.flush()

    def done(self) -> None:
        sys.stdout.write("\r" + " " * 30 + "\r")
        sys.stdout.flush()
