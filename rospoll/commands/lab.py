"""``rospoll lab``: run N simulated RouterOS routers on 127.0.0.1 and write an inventory."""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Any


def add_parser(subparsers: Any) -> None:
    """Register ``lab`` on the top-level sub-parsers."""
    parser = subparsers.add_parser(
        "lab",
        help="run simulated RouterOS routers on 127.0.0.1",
        description="Run lab RouterOS routers on 127.0.0.1, write an inventory for them and "
        "serve until Ctrl-C or SIGTERM.",
    )
    parser.add_argument(
        "--routers", type=int, default=3, metavar="N", help="how many routers (default: 3)"
    )
    parser.add_argument(
        "--base-port",
        type=int,
        default=0,
        metavar="P",
        help="first port, then P+1, ... (default: 0 = free ports)",
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        metavar="FILE",
        help="export file every router starts from (default: built-in)",
    )
    parser.add_argument(
        "--version",
        dest="ros_version",
        default="7.16",
        metavar="V",
        help="RouterOS version to simulate (default: 7.16)",
    )
    parser.add_argument(
        "--password",
        default="admin",
        metavar="PW",
        help='password of admin and extra users (default: "admin")',
    )
    parser.add_argument(
        "--users", default="", metavar="NAMES", help="extra users, comma separated (e.g. alice,bob)"
    )
    parser.add_argument(
        "--inventory-out",
        type=Path,
        default=None,
        metavar="PATH",
        help="where to write the inventory (default: the global -i path)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Start the routers, write the inventory, print them, serve until interrupted."""
    from rospoll.lab import LabFleet

    users = {"admin": args.password}
    users.update({u.strip(): args.password for u in args.users.split(",") if u.strip()})
    fleet = LabFleet(
        count=args.routers,
        version=args.ros_version,
        users=users,
        base_port=args.base_port,
        config_path=args.config,
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        fleet.start()
        out = args.inventory_out or getattr(args, "inventory", None) or Path("inventory.yml")
        fleet.write_inventory(out)
        for n, router in enumerate(fleet.routers, start=1):
            print(f"lab{n}  127.0.0.1:{router.port}  RouterOS {router.version}", flush=True)
        print(f"inventory written to {out}; Ctrl-C to stop", flush=True)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:  # Ctrl-C is how the lab is meant to stop
        pass
    finally:
        fleet.stop()
        signal.signal(signal.SIGTERM, previous)
    return 0
