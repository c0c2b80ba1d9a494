"""``rospoll status``: what the running ``rospoll watch`` says about each router."""

from __future__ import annotations

import argparse
import json
import time
from datetime import datetime, timezone
from typing import Any

STALE_AFTER_S = 15.0


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "status",
        help="show each router as the running watch sees it",
        description="Each router: following, reconnecting since when, last change, last "
        "error, as written by the running `rospoll watch`. Exit 1 when watch is not running.",
    )
    parser.add_argument("--json", action="store_true", help="print the raw status JSON")
    parser.set_defaults(run=run)


def _when(epoch: Any) -> str:
    if not isinstance(epoch, (int, float)):
        return "-"
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")


def run(args: argparse.Namespace) -> int:
    from rospoll.app.paths import state_dir
    from rospoll.inventory import load_inventory

    inventory = load_inventory(args.inventory)
    path = state_dir(inventory) / "status.json"
    try:
        status = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        print(f"rospoll watch is not running (no status in {path})")
        return 1
    if args.json:
        print(json.dumps(status, indent=2))
    age = time.time() - float(status.get("updated", 0))
    running = bool(status.get("running")) and age < STALE_AFTER_S
    if not args.json:
        print(f"watch: {'running' if running else 'not running'} (status {age:.0f} s old)")
        for r in status.get("routers", []):
            error = r.get("error") or r.get("follow_error") or r.get("warning") or ""
            print(
                f"{r.get('router', '?'):20} {r.get('state', '?'):14} since {_when(r.get('since'))}"
                f"  last change {_when(r.get('changed_at'))}"
                + (f"  error: {error}" if error else "")
            )
    return 0 if running else 1
