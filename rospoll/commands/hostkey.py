"""``rospoll hostkey list|accept``: show the pinned SSH host keys; accept a changed one.

``accept ROUTER`` forgets the pin for the router's ``host:port``, connects once (which pins
the key the router offers now) and prints the new fingerprint. If that connection does not
get as far as the key exchange, the old pin is put back: nothing is accepted blindly.
``--replaced`` also lets the next export through when its serial number, software id or
system id differ from the stored version's (see :mod:`rospoll.app.identity`).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported in the run functions: a command pays only for its own imports
    from rospoll.device.hostkeys import KnownHosts
    from rospoll.inventory import Device, Inventory

EXIT_UNKNOWN_ROUTER = 2


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "hostkey",
        help="list pinned SSH host keys; accept a changed one",
        description="Pinned SSH host keys (.rospoll/known_hosts). `list` shows each router's "
        "pinned fingerprint; `accept ROUTER` forgets the pin, connects once to pin the key the "
        "router offers now and prints it.",
    )
    actions = parser.add_subparsers(dest="hostkey_action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="each router's pinned fingerprint")
    listing.add_argument("--limit", metavar="GLOB", help="only routers (or groups) matching GLOB")
    listing.set_defaults(run=run_list)
    accept = actions.add_parser(
        "accept",
        help="forget ROUTER's pinned key and pin the one it offers now",
        description="Forget ROUTER's pinned SSH host key, connect once to pin the key it "
        "offers now, print the new fingerprint. Exit 0 when pinned, 1 when the router could "
        "not be reached (the old pin is kept), 2 when ROUTER is not in the inventory.",
    )
    accept.add_argument("router", metavar="ROUTER", help="the router's inventory name")
    accept.add_argument(
        "--replaced",
        action="store_true",
        help="the router was replaced: also accept a new serial number / software id once",
    )
    accept.set_defaults(run=run_accept)
    for sub in (listing, accept):  # -v and --debug also after the action, as after commands
        sub.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS)
        sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS)


def run_list(args: argparse.Namespace) -> int:
    from rospoll.app.paths import known_hosts
    from rospoll.device.hostkeys import fingerprint, host_id
    from rospoll.inventory import load_inventory

    inventory = load_inventory(args.inventory)
    if getattr(args, "limit", None):
        inventory = inventory.filter(args.limit)
    pins = known_hosts(inventory)
    for device in inventory.devices:
        key = pins.get(host_id(device.host, device.port))
        shown = fingerprint(key) if key is not None else "not pinned yet"
        print(f"{device.name:20} {device.host}:{device.port}  {shown}")
    return 0


def _find(inventory: Inventory, name: str) -> Device | None:
    return next((d for d in inventory.devices if d.name == name), None)


def run_accept(args: argparse.Namespace) -> int:
    from rospoll.app.identity import ReplacedMarks
    from rospoll.app.paths import LOCK_WAIT_S, known_hosts, lock_path, state_dir
    from rospoll.inventory import load_inventory
    from rospoll.store import DataLock

    inventory = load_inventory(args.inventory)
    device = _find(inventory, args.router)
    if device is None:
        print(f"rospoll: no router named {args.router!r} in {args.inventory}", file=sys.stderr)
        return EXIT_UNKNOWN_ROUTER
    # a running watch or poll-once writes the pins too: accept waits for it like they do
    with DataLock(lock_path(inventory), timeout_s=LOCK_WAIT_S):
        code, pinned = _accept(device, known_hosts(inventory))
        if pinned and args.replaced:
            marker = ReplacedMarks(state_dir(inventory) / "replaced").mark(device.name)
            print(f"{device.name}: the next export may come from another router ({marker})")
    return code


def _accept(device: Device, pins: KnownHosts) -> tuple[int, bool]:
    """Forget the router's pin, connect once to pin its key now: (exit code, pinned)."""
    from rospoll.device.exec_session import ExecSession
    from rospoll.device.hostkeys import fingerprint, host_id
    from rospoll.errors import DeviceError

    name = host_id(device.host, device.port)
    old = pins.keys(name)  # every key type pinned for it
    pins.forget(name)
    session = ExecSession(device, known_hosts=pins)
    error: DeviceError | None = None
    try:
        session.open()
    except DeviceError as exc:  # a login failure still pinned the key: it comes first
        error = exc
    finally:
        session.close()
    new = pins.get(name)
    if new is None:
        if old:
            pins.restore(name, old)
        print(f"rospoll: {device.name}: no key pinned, old pin kept: {error}", file=sys.stderr)
        return 1, False
    was = ", ".join(fingerprint(key) for key in old) or "nothing"
    print(f"{device.name}: pinned {fingerprint(new)} (was {was})")
    if error is not None:
        print(f"rospoll: {device.name}: key pinned, but: {error.message}", file=sys.stderr)
    return (0 if error is None else 1), True
