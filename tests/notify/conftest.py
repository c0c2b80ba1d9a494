"""A real SMTP server (aiosmtpd) on 127.0.0.1 for the mail tests."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def free_port() -> int:
    """A port nothing listens on right now (aiosmtpd's Controller cannot bind port 0)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Envelope:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


@dataclass
class Sink:
    """An aiosmtpd handler that keeps every accepted envelope."""

    envelopes: list[Envelope] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.envelopes.append(
                Envelope(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
            )
        return "250 Message accepted for delivery"

    def count(self) -> int:
        with self.lock:
            return len(self.envelopes)


class SmtpServer:
    """Start and stop an aiosmtpd server on a fixed 127.0.0.1 port, bounded waits."""

    def __init__(self, port: int, **kwargs: Any) -> None:
        self.port = port
        self.sink = Sink()
        self._controller = Controller(
            self.sink, hostname="127.0.0.1", port=port, ready_timeout=5, **kwargs
        )

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port()).start()
    try:
        yield server
    finally:
        server.stop()


def refuse_everyone(
    server: Any, session: Any, envelope: Any, mechanism: str, data: Any
) -> AuthResult:
    """An aiosmtpd authenticator that refuses every login."""
    return AuthResult(success=False, handled=False)
