"""The shared event-loop thread: all lab routers of a process run on ONE asyncio loop.

``call`` and ``run_coro`` hand work from any thread to that loop and wait for the result.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class _LoopThread:
    """One daemon thread running one asyncio loop, started on first use."""

    _lock = threading.Lock()
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None

    @classmethod
    def loop(cls) -> asyncio.AbstractEventLoop:
        with cls._lock:
            if cls._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="lab:loop", daemon=True)
                thread.start()
                cls._loop, cls._thread = loop, thread
            return cls._loop

    @classmethod
    def on_loop(cls) -> bool:
        return threading.current_thread() is cls._thread


def run_coro(coro: Any, timeout_s: float) -> Any:
    """Run a coroutine on the shared loop and wait for its result (``TimeoutError``)."""
    future = asyncio.run_coroutine_threadsafe(coro, _LoopThread.loop())
    return future.result(timeout=timeout_s)


def call(fn: Callable[[], T], timeout_s: float = 10.0) -> T:
    """Call ``fn`` on the loop thread (so state has a single writer) and return its result."""
    if _LoopThread.on_loop():
        return fn()

    async def wrapper() -> T:
        return fn()

    result: T = run_coro(wrapper(), timeout_s)
    return result
