"""``LabFleet``: several lab routers and the Ansible inventory that points at them."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

import yaml

from rospoll.lab.router import LabRouter


class LabFleet:
    """``count`` routers named lab1..labN (or the given ``routers``), all on one loop."""

    def __init__(
        self,
        count: int = 3,
        version: str = "7.16",
        users: dict[str, str] | None = None,
        base_port: int = 0,
        config_path: str | Path | None = None,
        routers: list[LabRouter] | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.base_port, self.host = base_port, host
        self.routers = (
            routers
            if routers is not None
            else [
                LabRouter(name=f"lab{n}", version=version, users=users, config_path=config_path)
                for n in range(1, count + 1)
            ]
        )

    def start(self, ready_timeout_s: float = 5) -> None:
        for n, router in enumerate(self.routers):
            port = self.base_port + n if self.base_port else 0
            router.start(host=self.host, port=port, ready_timeout_s=ready_timeout_s)

    def stop(self, timeout_s: float = 5) -> None:
        for router in self.routers:
            router.stop(timeout_s)

    def __enter__(self) -> LabFleet:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def write_inventory(self, path: str | Path, password_env: str | None = None) -> Path:
        """Write an Ansible YAML inventory (``all: hosts: lab1..labN``) for the fleet."""
        hosts = {}
        for n, router in enumerate(self.routers, start=1):
            user = "admin" if "admin" in router.users else next(iter(router.users))
            password = (
                f"{{{{ lookup('env', '{password_env}') }}}}" if password_env else router.users[user]
            )
            hosts[f"lab{n}"] = {
                "ansible_host": self.host,
                "ansible_port": router.port,
                "ansible_user": user,
                "ansible_password": password,
            }
        out = Path(path)
        out.write_text(yaml.safe_dump({"all": {"hosts": hosts}}, sort_keys=False), encoding="utf-8")
        return out
