"""Where an inventory's state files live, beside the inventory (``.rospoll/``)."""

from __future__ import annotations

from pathlib import Path

from rospoll.device.hostkeys import KnownHosts
from rospoll.inventory import Inventory

LOCK_WAIT_S = 10.0  # how long a run waits for another run of the same inventory


def state_dir(inventory: Inventory) -> Path:
    """Bookkeeping (host-key pins, run lock, seen history): ``.rospoll/`` beside the inventory."""
    return inventory.path.parent / ".rospoll"


def known_hosts(inventory: Inventory) -> KnownHosts:
    """The pinned SSH host keys of this inventory's routers."""
    return KnownHosts(state_dir(inventory) / "known_hosts")


def lock_path(inventory: Inventory) -> Path:
    """The lock that keeps two poll-once/watch runs of one inventory from writing at once."""
    return state_dir(inventory) / "run.lock"
