"""Where a poll's time goes, per router: run ``poll_all`` in this process with timers around
the session phases, print one JSON object.

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

from rospoll import files as atomic_module  # noqa: E402
from rospoll.app import paths  # noqa: E402
from rospoll.app import pipeline as pipeline_module  # noqa: E402
from rospoll.app import poll as poll_module  # noqa: E402
from rospoll.device import exec_session as exec_module  # noqa: E402
from rospoll.device import hostkeys as hostkeys_module  # noqa: E402
from rospoll.inventory import load_inventory  # noqa: E402
from rospoll.store import backups as backups_module  # noqa: E402
from rospoll.store import marks as marks_module  # noqa: E402

_lock = threading.Lock()
_seconds: dict[str, float] = collections.defaultdict(float)
_thread_cpu: dict[str, float] = collections.defaultdict(float)
_marks: dict[str, list[float]] = collections.defaultdict(list)  # end times, pool-relative
_started = [0.0]

LOGIN = "log in (connect, auth, identity + resource)"
SLOT = "export slot (start export, next login meanwhile, read, close)"


def _timed(
    owner: Any,
    name: str,
    label: str | None = None,
    label_of: Callable[[tuple[Any, ...]], str] | None = None,
) -> None:
    original = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            return original(*args, **kwargs)
        finally:
            key = label_of(args) if label_of else (label or name)
            now = time.perf_counter()
            with _lock:
                _seconds[key] += now - wall
                _thread_cpu[key] += time.thread_time() - cpu
                _marks[key].append(now - _started[0])

    setattr(owner, name, wrapper)


def _command(args: tuple[Any, ...]) -> str:
    text = args[1] if isinstance(args[1], str) else args[0]._command
    return "command " + text.split(";")[0].split(" print")[0].strip()


def _install() -> None:
    session = exec_module.ExecSession
    _timed(session, "open", LOGIN)
    _timed(hostkeys_module.PinningClient, "connect", "ssh connect + auth")
    _timed(session, "start", label_of=lambda args: "start " + _command(args).split(" ", 1)[1])
    _timed(
        exec_module.Running,
        "output",
        label_of=lambda args: "read " + _command((args[0], args[0]._command)).split(" ", 1)[1],
    )
    _timed(session, "close", "close")
    _timed(poll_module, "fetch", SLOT)
    _timed(pipeline_module.Pipeline, "record", "record (validate, parse, diff, store)")
    for name in ("validate_export", "parse_normalised", "diff_exports", "parse_history"):
        _timed(pipeline_module, name, f"record: {name}")
    _timed(backups_module.Backups, "read", "record: backups read (git HEAD)")
    _timed(backups_module.Backups, "commit", "record: backups commit")
    _timed(marks_module.HistoryMarks, "save", "record: history marks save")
    _timed(atomic_module.os, "fsync", "record: fsync (inside writes)")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("inventory", type=Path)
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--routers", type=int, default=0, help="only the first N (0: all)")
    args = parser.parse_args(argv)
    inventory = load_inventory(args.inventory)
    devices = inventory.devices[: args.routers] if args.routers else inventory.devices
    _install()
    _started[0] = time.perf_counter()
    outcomes = poll_module.poll_all(
        devices,
        known_hosts=paths.known_hosts(inventory),
        pipeline=pipeline_module.Pipeline.for_inventory(inventory),
        workers=args.workers,
    )
    wall = time.perf_counter() - _started[0]
    n = len(outcomes)
    logins = sorted(_marks[LOGIN])
    first_round = logins[: min(args.workers, n)]
    print(
        json.dumps(
            {
                "routers": n,
                "workers": args.workers,
                "wall_s": wall,
                "failed": sum(1 for o in outcomes if o.failed),
                "errors": sorted({o.error or "" for o in outcomes if o.failed})[:3],
                "phases": {k: v / n for k, v in _seconds.items()},
                "phase_cpu": {k: v / n for k, v in _thread_cpu.items()},
                "first_logins_done_s": first_round[-1] if first_round else 0.0,
                "last_slot_done_s": max(_marks[SLOT], default=0.0),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
