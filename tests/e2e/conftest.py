"""End-to-end fixtures: lab routers on 127.0.0.1 and an inventory pointing at them."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from netmiko import ConnectHandler

from rospoll.cli import main
from rospoll.lab import LabFleet, LabRouter
from tests.notify.conftest import SmtpServer, free_port

PASSWORD = "lab-pass"
USERS = {"admin": PASSWORD, "alice": PASSWORD, "bob": PASSWORD}


@dataclass
class Lab:
    """A running fleet, its inventory file, and helpers to run rospoll on it."""

    fleet: LabFleet
    inventory: Path

    @property
    def root(self) -> Path:
        return self.inventory.parent

    def router(self, name: str) -> LabRouter:
        return self.fleet.routers[int(name.removeprefix("lab")) - 1]

    def rospoll(self, *args: str) -> int:
        return main(["-i", str(self.inventory), *args])

    def authors(self, router: str) -> list[str]:
        out = subprocess.run(
            ["git", "-C", str(self.root / "backups"), "log", "--format=%an", "--", f"{router}.rsc"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        return out.stdout.splitlines()

    def backup(self, router: str) -> str:
        return (self.root / "backups" / f"{router}.rsc").read_text(encoding="utf-8")


def write_inventory(fleet: LabFleet, path: Path, **settings: object) -> Path:
    hosts: dict[str, dict[str, object]] = {
        router.name: {"ansible_host": "127.0.0.1", "ansible_port": router.port}
        for router in fleet.routers
    }
    return write_hosts(path, hosts, **settings)


def write_hosts(path: Path, hosts: dict[str, dict[str, object]], **settings: object) -> Path:
    """An inventory of ``hosts`` logging in as admin, short timeouts, plus ``settings``."""
    data = {
        "all": {
            "vars": {
                "ansible_user": "admin",
                "ansible_password": PASSWORD,
                "rospoll_export_timeout": "5s",
                "rospoll_connect_timeout": "5s",
                **settings,
            },
            "hosts": hosts,
        }
    }
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def ssh_change(lab: Lab, router: str, user: str, command: str) -> float:
    """Make a change the way an operator does: an SSH session as ``user``.

    Returns the monotonic time right after the command's prompt came back.
    """
    conn = ConnectHandler(
        device_type="mikrotik_routeros",
        host="127.0.0.1",
        port=lab.router(router).port,
        username=user,
        password=PASSWORD,
        conn_timeout=5,
    )
    try:
        out = str(conn.send_command(command, read_timeout=10))
        changed = time.monotonic()
    finally:
        conn.disconnect()
    assert "failure" not in out and "bad command" not in out, out
    return changed


@pytest.fixture
def make_lab(tmp_path: Path) -> Iterator[Callable[..., Lab]]:
    """Start routers (``versions`` gives one per router) and write their inventory."""
    fleets: list[LabFleet] = []

    def make(versions: tuple[str, ...] = ("7.16", "6.49.10", "7.18.2"), **settings: object) -> Lab:
        routers = [
            LabRouter(name=f"lab{n}", version=version, users=USERS)
            for n, version in enumerate(versions, start=1)
        ]
        fleet = LabFleet(routers=routers)
        fleets.append(fleet)
        fleet.start()
        return Lab(fleet, write_inventory(fleet, tmp_path / "inventory.yml", **settings))

    try:
        yield make
    finally:
        for fleet in fleets:
            fleet.stop(timeout_s=5)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps every mail."""
    server = SmtpServer(free_port()).start()
    try:
        yield server
    finally:
        server.stop()
