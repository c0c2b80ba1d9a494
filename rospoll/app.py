"""Wiring shared by the commands: where an inventory's data and state files live."""

from __future__ import annotations

from pathlib import Path

from rospoll.device.hostkeys import KnownHosts
from rospoll.inventory import Inventory
from rospoll.notify import Notifier
from rospoll.recorder import Change, Recorder
from rospoll.reporting import build_report


def state_dir(inventory: Inventory) -> Path:
    """Bookkeeping (host-key pins, run lock, seen history): ``.rospoll/`` beside the inventory."""
    return inventory.path.parent / ".rospoll"


def known_hosts(inventory: Inventory) -> KnownHosts:
    """The pinned SSH host keys of this inventory's routers."""
    return KnownHosts(state_dir(inventory) / "known_hosts")


def lock_path(inventory: Inventory) -> Path:
    """The lock that keeps two poll-once/watch runs of one inventory from writing at once."""
    return state_dir(inventory) / "run.lock"


def recorder(inventory: Inventory, notifier: Notifier | None = None) -> Recorder:
    """The recorder writing this inventory's backups, journal and user logs.

    With a ``notifier``, every stored change is also mailed (or queued) and published.
    """

    def report(change: Change) -> None:
        assert notifier is not None
        notifier.notify(build_report(change), now=change.entry.time)

    return Recorder.for_inventory(
        inventory,
        history_dir=state_dir(inventory) / "history",
        on_change=report if notifier is not None else None,
    )
