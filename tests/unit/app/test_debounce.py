"""The follower's debounce and coalescing, on a fake clock and a fake session (no SSH)."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import cast

from rospoll.app.debounce import Debouncer
from rospoll.app.follower import Burst, BurstStarted, Follower
from rospoll.device.session import RouterSession
from rospoll.inventory import Device, Settings


def test_a_burst_ends_after_the_quiet_period() -> None:
    burst: Debouncer[str] = Debouncer(quiet_s=2.0, max_s=15.0, now=0.0, catch_up=False)
    assert burst.due_at() is None and burst.take(100.0) is None
    assert burst.add("a", 10.0) is True
    assert burst.add("b", 11.0) is False  # the same burst
    assert burst.due_at() == 13.0
    assert burst.take(12.9) is None
    assert burst.take(13.0) == (("a", "b"), False)
    assert burst.due_at() is None


def test_a_long_burst_is_cut_at_the_cap() -> None:
    burst: Debouncer[int] = Debouncer(quiet_s=2.0, max_s=5.0, now=0.0, catch_up=False)
    for n in range(10):  # one event a second: never quiet for 2 s
        burst.add(n, 10.0 + n)
        ended = burst.take(10.0 + n)
        if ended:
            break
    assert ended == ((0, 1, 2, 3, 4, 5), False)  # due at 10 + 5
    assert burst.add(99, 16.0) is True  # the next burst starts afresh
    assert burst.due_at() == 18.0


def test_a_connection_catches_up_even_without_events() -> None:
    burst: Debouncer[str] = Debouncer(quiet_s=2.0, max_s=15.0, now=100.0)
    assert burst.due_at() == 102.0
    assert burst.take(101.0) is None
    assert burst.take(102.0) == ((), True)
    assert burst.take(200.0) is None


def test_events_during_the_catch_up_join_it() -> None:
    burst: Debouncer[str] = Debouncer(quiet_s=2.0, max_s=15.0, now=100.0)
    assert burst.add("a", 101.5) is True
    assert burst.take(102.0) is None  # the event extended the quiet period
    assert burst.take(103.5) == (("a",), True)


class FakeSession:
    """Hands out log chunks at given fake times; ``read_wait`` advances the fake clock."""

    def __init__(self, clock: list[float], chunks: dict[float, str], stop: threading.Event):
        self.clock, self.chunks, self.stop = clock, dict(chunks), stop
        self.info = None

    def start_follow(self, command: str) -> None:
        pass

    def read_wait(self, timeout_s: float) -> str:
        due = [at for at in self.chunks if at <= self.clock[0] + timeout_s]
        if due:
            at = min(due)
            self.clock[0] = max(self.clock[0], at)
            return self.chunks.pop(at)
        self.clock[0] += timeout_s
        if self.clock[0] > 60:
            self.stop.set()
        return ""

    def stop_follow(self) -> None:
        pass

    def close(self) -> None:
        pass


class Sink:
    def __init__(self) -> None:
        self.items: list[tuple[float, Burst | BurstStarted]] = []
        self.clock: list[float] = [0.0]

    def put(self, item: Burst | BurstStarted) -> None:
        self.items.append((self.clock[0], item))


V7 = "{} system,info,account ip address added by ssh:alice@10.0.0.9 (/ip address add address=10.9.0.{}/24 interface=ether1)\r\n"  # noqa: E501


def test_the_follower_coalesces_a_burst_and_exports_once() -> None:
    device = Device("r1", "127.0.0.1", settings=replace(Settings(), debounce_s=2.0))
    stop = threading.Event()
    sink = Sink()
    chunks = {10.0: V7.format("10:00:10", 1), 10.5: V7.format("10:00:10", 2),
              11.0: V7.format("10:00:11", 3), 30.0: V7.format("10:00:30", 4)}  # fmt: skip
    session = FakeSession(sink.clock, chunks, stop)
    follower = Follower(
        device,
        open_session=lambda _d: cast(RouterSession, session),
        out=sink,
        stop=stop,
        monotonic=lambda: sink.clock[0],
    )
    follower.start()
    assert follower.join(10)
    bursts = [item for _, item in sink.items if isinstance(item, Burst)]
    assert [len(b.events) for b in bursts] == [0, 3, 1]
    assert [e.user for e in bursts[1].events] == ["alice"] * 3
    assert bursts[1].events[0].command == "/ip address add address=10.9.0.1/24 interface=ether1"
    # one start per burst at its first line (lines are complete up to 0.3 s after their
    # data), and its end 2 s after its last line: once each
    started = [at for at, item in sink.items if isinstance(item, BurstStarted)]
    ended = [at for at, item in sink.items if isinstance(item, Burst) and item.events]
    assert len(started) == 2 and 10.0 <= started[0] <= 10.5 and 30.0 <= started[1] <= 30.5
    assert len(ended) == 2 and 13.0 <= ended[0] <= 13.5 and 32.0 <= ended[1] <= 32.5
