"""Lab fleet in its own process for the follow benchmark, with a "change now" trigger.

    python bench/_lab_fleet_follow.py --routers 500 --inventory-out inv.yml

Starts ``lab1..labN`` on 127.0.0.1 (free ports; users ``admin`` and ``alice``, password
``admin``), writes the inventory (``LabFleet.write_inventory``), prints ``ready ...`` and then
reads commands from stdin, one a line, answering each with one line of JSON:

``change <count> <tag>``
    On routers lab1..lab<count>, one after another as fast as the shared loop allows, run
    ``/ip address add address=10.<tag>.<n>.1/24 interface=ether1`` as ``alice`` (``n``: the
    router number modulo 256). Answers ``{"changes": {"lab1": <wall-clock time just before
    that router's change>, ...}, "spread_s": <seconds from first to last change>}``.
``quit`` (or EOF, or SIGTERM)
    Stops the routers and exits.

The soft RLIMIT_NOFILE is raised to the hard limit first (a listening socket per router
and one per session). Used by ``bench/bench_follow.py``; benchmarks run it as a child so
that the watch process's CPU and RSS are its own.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _limits import raise_nofile  # noqa: E402  (bench/ is sys.path[0])

from rospoll.lab import LabFleet  # noqa: E402


def change_command(tag: int, number: int) -> str:
    return f"/ip address add address=10.{tag % 256}.{number % 256}.1/24 interface=ether1"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--routers", type=int, default=50)
    parser.add_argument("--inventory-out", type=Path, required=True)
    args = parser.parse_args(argv)

    nofile = raise_nofile()
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()
        os.close(0)  # wake the stdin reader

    signal.signal(signal.SIGTERM, on_signal)
    started = time.monotonic()
    fleet = LabFleet(count=args.routers, users={"admin": "admin", "alice": "admin"})
    try:
        fleet.start(ready_timeout_s=30)
        fleet.write_inventory(args.inventory_out)
        print(
            f"ready pid={os.getpid()} routers={len(fleet.routers)} nofile={nofile} "
            f"start_s={time.monotonic() - started:.2f}",
            flush=True,
        )
        for raw in sys.stdin:
            words = raw.split()
            if not words:
                continue
            if words[0] == "quit":
                break
            if words[0] == "change" and len(words) == 3:
                count, tag = int(words[1]), int(words[2])
                times: dict[str, float] = {}
                first = time.time()
                for number, router in enumerate(fleet.routers[:count], start=1):
                    times[f"lab{number}"] = time.time()  # just before: latency not understated
                    router.apply("alice", change_command(tag, number))
                answer = {"changes": times, "spread_s": round(time.time() - first, 4)}
            else:
                answer = {"error": f"unknown command {raw.strip()!r}"}
            print(json.dumps(answer), flush=True)
    except (KeyboardInterrupt, OSError, ValueError):
        pass
    finally:
        try:
            fleet.stop(timeout_s=5)
        except Exception as exc:  # leaving anyway; the OS closes the sockets
            print(f"stop: {exc!r}", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
