"""Wiring shared by the commands: where the data files of an inventory live."""

from __future__ import annotations

from pathlib import Path

from rospoll.device.hostkeys import KnownHosts
from rospoll.inventory import Inventory


def known_hosts_path(inventory: Inventory) -> Path:
    """The pinned SSH host keys: ``known_hosts`` beside the backups folder."""
    return inventory.backup_dir.parent / "known_hosts"


def known_hosts(inventory: Inventory) -> KnownHosts:
    """The host-key pins for this inventory's routers."""
    return KnownHosts(known_hosts_path(inventory))
