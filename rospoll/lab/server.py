"""asyncssh glue: the SSH listener of one lab router and its connection/auth handling.

All lab routers of a process share ONE asyncio loop in one daemon thread (``rospoll.lab.loop``);
everything here runs on that loop. The per-channel shell/exec logic lives in
``rospoll.lab.session``.
"""

from __future__ import annotations

import asyncio

import asyncssh

from rospoll.lab.device import Actor, Device
from rospoll.lab.loop import call, run_coro
from rospoll.lab.session import Knobs, Session

__all__ = ["Knobs", "LabListener", "Session", "call", "run_coro"]


class LabListener:
    """The SSH side of one lab router: listener, connections, sessions (loop thread only)."""

    def __init__(
        self, device: Device, users: dict[str, str], knobs: Knobs, host_key: asyncssh.SSHKey
    ) -> None:
        self.device, self.users, self.knobs, self.host_key = device, users, knobs, host_key
        self.acceptor: asyncssh.SSHAcceptor | None = None
        self.connections: set[asyncssh.SSHServerConnection] = set()
        self.host, self.port = "127.0.0.1", 0

    async def listen(self, host: str, port: int) -> int:
        self.acceptor = await asyncssh.listen(
            host,
            port,
            server_factory=lambda: _Server(self),
            server_host_keys=[self.host_key],
            encoding=None,
            server_version="ROSSSH",
            reuse_address=True,
            login_timeout=30,
        )
        self.host, self.port = host, self.acceptor.sockets[0].getsockname()[1]
        return self.port

    async def close(self, drop_sessions: bool = True) -> None:
        if self.acceptor is not None:
            self.acceptor.close()
            await self.acceptor.wait_closed()
            self.acceptor = None
        if drop_sessions:
            for conn in list(self.connections):
                conn.abort()
            self.connections.clear()
            await asyncio.sleep(0)

    async def reboot(self, down_s: float, up: asyncio.Event) -> None:
        await self.close()
        self.device.logbook.clear()

        async def come_back() -> None:
            await asyncio.sleep(down_s)
            await self.listen(self.host, self.port)
            self.device.rebooted()
            up.set()

        asyncio.get_running_loop().create_task(come_back())

    def set_host_key(self, key: asyncssh.SSHKey) -> None:
        self.host_key = key
        if self.acceptor is not None:
            self.acceptor.update(server_host_keys=[key])


class _Server(asyncssh.SSHServer):
    def __init__(self, lab: LabListener) -> None:
        self.lab = lab
        self.conn: asyncssh.SSHServerConnection | None = None
        self.actor: Actor | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        self.lab.connections.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.conn is not None:
            self.lab.connections.discard(self.conn)
        if self.actor is not None:
            self.lab.device.session_closed(self.actor)

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        user = username.split("+", 1)[0]
        return user in self.lab.users and self.lab.users[user] == password

    def auth_completed(self) -> None:
        assert self.conn is not None
        user = str(self.conn.get_extra_info("username")).split("+", 1)[0]
        peer = self.conn.get_extra_info("peername") or ("127.0.0.1", 0)
        self.actor = Actor(user, "ssh", str(peer[0]))
        self.lab.device.session_opened(self.actor)

    def session_requested(self) -> asyncssh.SSHServerSession[bytes]:
        assert self.actor is not None and self.conn is not None
        return Session(self.lab, self.actor, self.conn)
