"""Lab fixtures: routers on 127.0.0.1 port 0, netmiko sessions, cleanup in ``finally``."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from netmiko import ConnectHandler

from rospoll.lab import LabRouter

USERS = {"admin": "pw", "alice": "pw"}


@pytest.fixture
def lab_router() -> Iterator[Callable[..., LabRouter]]:
    """Factory: ``lab_router(version="6.49.10", repaint="ros649")`` → a started router."""
    started: list[LabRouter] = []

    def make(**kwargs: Any) -> LabRouter:
        kwargs.setdefault("users", dict(USERS))
        kwargs.setdefault("name", "r1")
        router = LabRouter(**kwargs)
        router.start(host="127.0.0.1", port=0, ready_timeout_s=5)
        started.append(router)
        return router

    try:
        yield make
    finally:
        for router in started:
            router.stop(timeout_s=5)


@pytest.fixture
def netmiko_session() -> Iterator[Callable[..., Any]]:
    """Factory: ``netmiko_session(router, user="alice")`` → a connected netmiko handler."""
    sessions: list[Any] = []

    def connect(router: LabRouter, user: str = "admin", **kwargs: Any) -> Any:
        conn = ConnectHandler(device_type="mikrotik_routeros", host="127.0.0.1",
                              port=router.port, username=user, password=USERS[user],
                              conn_timeout=5, **kwargs)
        sessions.append(conn)
        return conn

    try:
        yield connect
    finally:
        for conn in sessions:
            with contextlib.suppress(Exception):  # the router may have dropped it (reboot)
                conn.disconnect()
