"""Where a poll's time goes, per router: run ``poll_all`` in this process with timers around
the session phases and netmiko's ``time.sleep`` calls, print one JSON object.

    python bench/_poll_phases.py INVENTORY --workers 32 [--routers N]

Used by ``bench/bench_poll.py`` (after the measured runs, so its instrumentation never
touches the headline figures). Wraps methods at run time; the product code is unchanged.
The inventory must already have baselines, so the poll is an unchanged one.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import netmiko.base_connection as netmiko_base  # noqa: E402

from rospoll import app  # noqa: E402
from rospoll import recorder as recorder_module  # noqa: E402
from rospoll.device import session as session_module  # noqa: E402
from rospoll.inventory import load_inventory  # noqa: E402
from rospoll.poll import poll_all  # noqa: E402
from rospoll.store import atomic as atomic_module  # noqa: E402
from rospoll.store import backups as backups_module  # noqa: E402
from rospoll.store import marks as marks_module  # noqa: E402

_lock = threading.Lock()
_seconds: dict[str, float] = collections.defaultdict(float)
_sleeps: dict[str, float] = collections.defaultdict(float)
_thread_cpu: dict[str, float] = collections.defaultdict(float)


def _timed(owner: Any, name: str, label: str | None = None,
           label_of: Callable[[tuple[Any, ...]], str] | None = None) -> None:
    original = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            return original(*args, **kwargs)
        finally:
            key = label_of(args) if label_of else (label or name)
            with _lock:
                _seconds[key] += time.perf_counter() - wall
                _thread_cpu[key] += time.thread_time() - cpu

    setattr(owner, name, wrapper)


def _install() -> None:
    session = session_module.RouterSession
    _timed(netmiko_base.BaseConnection, "establish_connection", "ssh connect + auth")
    _timed(netmiko_base.BaseConnection, "_try_session_preparation", "netmiko session preparation")
    _timed(session, "open", "open (connect, prepare, 2 commands)")
    _timed(session, "run", label_of=lambda args: f"command {args[1].split(' print')[0]}")
    _timed(session, "close", "quit + close")
    _timed(recorder_module.Recorder, "record", "record (validate, parse, diff, store)")
    for name in ("validate_export", "parse_normalised", "diff_exports", "parse_history"):
        _timed(recorder_module, name, f"record: {name}")
    _timed(backups_module.Backups, "read", "record: backups read (git HEAD)")
    _timed(backups_module.Backups, "commit", "record: backups commit")
    _timed(marks_module.HistoryMarks, "save", "record: history marks save")
    _timed(atomic_module.os, "fsync", "record: fsync (inside writes)")
    original_sleep = time.sleep

    def sleep(seconds: float) -> None:
        frame = sys._getframe(1)
        key = f"{Path(frame.f_code.co_filename).stem}.{frame.f_code.co_name}"
        with _lock:
            _sleeps[key] += seconds
        original_sleep(seconds)

    time.sleep = sleep


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("inventory", type=Path)
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--routers", type=int, default=0, help="only the first N (0: all)")
    args = parser.parse_args(argv)
    inventory = load_inventory(args.inventory)
    devices = inventory.devices[: args.routers] if args.routers else inventory.devices
    _install()
    started = time.perf_counter()
    outcomes = poll_all(devices, known_hosts=app.known_hosts(inventory),
                        recorder=app.recorder(inventory), workers=args.workers)
    wall = time.perf_counter() - started
    n = len(outcomes)
    print(json.dumps({
        "routers": n, "workers": args.workers, "wall_s": wall,
        "failed": sum(1 for o in outcomes if o.failed),
        "errors": sorted({o.error or "" for o in outcomes if o.failed})[:3],
        "phases": {k: v / n for k, v in _seconds.items()},
        "phase_cpu": {k: v / n for k, v in _thread_cpu.items()},
        "sleeps": {k: v / n for k, v in sorted(_sleeps.items(), key=lambda kv: -kv[1])},
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
