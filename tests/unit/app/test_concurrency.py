"""Workers, run_each and the reader/writer lock, without SSH."""

from __future__ import annotations

import queue
import threading
import time

from rospoll.app.concurrency import KeyedLocks, ReadWriteLock, Workers, run_each
from rospoll.errors import ConnectError
from rospoll.inventory import Device, Settings


def device(name: str) -> Device:
    return Device(name=name, host="127.0.0.1", port=22, user="u", password="p",
                  groups=("all",), settings=Settings())  # fmt: skip


def test_run_each_keeps_device_order_and_turns_failures_into_outcomes() -> None:
    devices = [device(f"r{n}") for n in range(6)]

    def task(d: Device) -> str:
        time.sleep(0.01 * (6 - int(d.name[1:])))  # later routers finish first
        if d.name == "r2":
            raise ConnectError(d.name, "refused")
        if d.name == "r4":
            raise ValueError("a bug")
        return d.name.upper()

    outcomes = run_each(devices, task, workers=3)
    assert [o.device.name for o in outcomes] == [d.name for d in devices]
    assert [o.value for o in outcomes] == ["R0", "R1", None, "R3", None, "R5"]
    assert outcomes[2].error == "refused"
    assert outcomes[4].error == "unexpected error: ValueError('a bug')"


def test_run_each_runs_at_most_workers_at_once() -> None:
    running, peak, lock = [0], [0], threading.Lock()

    def task(d: Device) -> None:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.02)
        with lock:
            running[0] -= 1

    run_each([device(f"r{n}") for n in range(12)], task, workers=4)
    assert peak[0] == 4


def test_workers_survive_a_failing_job_and_stop_in_time() -> None:
    jobs: queue.SimpleQueue[int | None] = queue.SimpleQueue()
    done: list[int] = []

    def handle(n: int) -> None:
        if n == 1:
            raise RuntimeError("boom")
        done.append(n)

    workers = Workers(jobs, handle, count=1, name="test")
    for n in range(4):
        jobs.put(n)
    assert workers.stop(time.monotonic() + 5, drop_queued=False)
    assert done == [0, 2, 3]


def test_stopping_drops_queued_jobs() -> None:
    jobs: queue.SimpleQueue[int | None] = queue.SimpleQueue()
    gate = threading.Event()
    started: list[int] = []

    def handle(n: int) -> None:
        started.append(n)
        gate.wait(5)

    workers = Workers(jobs, handle, count=1, name="test")
    for n in range(5):
        jobs.put(n)
    deadline = time.monotonic() + 2
    while not started and time.monotonic() < deadline:
        time.sleep(0.01)
    gate.set()
    assert workers.stop(time.monotonic() + 5)
    assert started == [0]


def test_reader_writer_lock_shares_readers_and_excludes_the_writer() -> None:
    lock = ReadWriteLock()
    events: list[str] = []
    readers_in = threading.Barrier(2, timeout=5)

    def reader(name: str) -> None:
        with lock.shared():
            events.append(f"{name} in")
            readers_in.wait()  # both readers hold it at once, or this times out
            time.sleep(0.05)
            events.append(f"{name} out")

    def writer() -> None:
        with lock.exclusive():
            events.append("writer in")
            events.append("writer out")

    threads = [threading.Thread(target=reader, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    time.sleep(0.02)
    w = threading.Thread(target=writer)
    w.start()
    for t in [*threads, w]:
        t.join(5)
    assert sorted(events[:2]) == ["a in", "b in"]
    assert events[-2:] == ["writer in", "writer out"]  # only after both readers left


def test_a_waiting_writer_goes_before_new_readers() -> None:
    lock = ReadWriteLock()
    order: list[str] = []
    first = threading.Event()
    release = threading.Event()

    def long_reader() -> None:
        with lock.shared():
            first.set()
            release.wait(5)
        order.append("long reader out")

    def writer() -> None:
        with lock.exclusive():
            order.append("writer")

    def late_reader() -> None:
        with lock.shared():
            order.append("late reader")

    t1 = threading.Thread(target=long_reader)
    t1.start()
    first.wait(5)
    t2 = threading.Thread(target=writer)
    t2.start()
    time.sleep(0.05)  # the writer is waiting now
    t3 = threading.Thread(target=late_reader)
    t3.start()
    time.sleep(0.05)
    assert order == []  # the late reader waits behind the waiting writer
    release.set()
    for t in (t1, t2, t3):
        t.join(5)
    assert order.index("writer") < order.index("late reader")


def test_keyed_locks_give_one_lock_per_key() -> None:
    locks = KeyedLocks()
    assert locks["a"] is locks["a"]
    assert locks["a"] is not locks["b"]
