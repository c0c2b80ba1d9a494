"""Lab fleet in its own process for benchmarks: N routers with a slow ``/export``.

    python bench/_lab_process.py --routers 100 --export-delay 1.0 --inventory-out inv.yml

Starts ``lab1..labN`` on 127.0.0.1 (free ports), sets every router's ``export_delay_s``,
writes the inventory, prints ``ready <pid>`` and serves until stdin reaches EOF or SIGTERM.
``rospoll lab`` has no export-delay flag, hence this runner. The soft RLIMIT_NOFILE is raised
to the hard limit first (each router holds a listening socket, each session one more).
"""

from __future__ import annotations

import argparse
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


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--routers", type=int, default=100)
    parser.add_argument("--export-delay", type=float, default=1.0)
    parser.add_argument("--inventory-out", type=Path, required=True)
    args = parser.parse_args(argv)

    nofile = raise_nofile()
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)

    def watch_stdin() -> None:
        try:  # os.read, not sys.stdin: a buffered read would block interpreter shutdown
            while os.read(0, 4096):
                pass
        except OSError:
            pass
        stop.set()

    threading.Thread(target=watch_stdin, name="stdin-eof", daemon=True).start()
    started = time.monotonic()
    fleet = LabFleet(count=args.routers, users={"admin": "admin"})
    try:
        for router in fleet.routers:
            router.export_delay_s = args.export_delay
        fleet.start(ready_timeout_s=30)
        fleet.write_inventory(args.inventory_out)
        print(f"ready pid={os.getpid()} routers={len(fleet.routers)} nofile={nofile} "
              f"start_s={time.monotonic() - started:.2f}", flush=True)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        try:
            fleet.stop(timeout_s=5)
        except Exception as exc:  # leaving anyway; the OS closes the sockets
            print(f"stop: {exc!r}", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
