"""Follow benchmark: ``rospoll watch`` detection latency, and RSS and threads per router.

    python bench/bench_follow.py [--latency-routers 50] [--rss 100,500] [--debounce 2]

Writes ``docs/benchmarks/50-follow.md`` (``make bench`` joins it into docs/BENCHMARKS.md).

One lab process (``bench/_lab_fleet_follow.py``) serves every router on 127.0.0.1, so that
the watch process's CPU and RSS are its own. ``rospoll watch`` runs as a subprocess on an
inventory of the first N lab routers (its own temp folder for backups, reports and
``.rospoll/``), several times:

1. over 1 router: the RSS and thread baseline;
2. over ``--latency-routers`` routers: once every follower is following and every start-up
   catch-up export is done (``.rospoll/status.json``: state ``following`` and ``polled_at``
   set for each router), the lab changes all of them at once (``/ip address add`` as
   ``alice``); latency per router = the ``time`` of its line in ``reports/changes.jsonl``
   minus the wall-clock time of its change (one machine clock);
3. over each ``--rss`` count: RSS per router = (VmRSS - VmRSS over 1 router) / (N - 1), read
   from ``/proc/<pid>/status`` once all are following and idle; threads likewise.

Every child is stopped by pid (SIGTERM, SIGKILL after 10 s) in ``finally``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

import yaml
from _limits import raise_nofile  # bench/ is sys.path[0]

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "benchmarks" / "50-follow.md"
LAB = ROOT / "bench" / "_lab_fleet_follow.py"
GOAL_RSS_MB = 2.0
AIM_RSS_MB = 0.5  # NOTES.md
PAGE_KB = 1024


def stop_process(proc: subprocess.Popen[Any] | None, grace_s: float = 10.0) -> None:
    """SIGTERM, then SIGKILL after ``grace_s``; only this pid."""
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(grace_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait(5)


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM, RssAnon (kB), Threads from /proc/<pid>/status."""
    wanted = {"VmRSS", "VmHWM", "RssAnon", "RssFile", "Threads"}
    out: dict[str, int] = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in wanted:
                out[key] = int(value.split()[0])
    return out


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class LabProcess:
    """``bench/_lab_fleet_follow.py`` as a child; answers arrive on a queue."""

    def __init__(self, routers: int, folder: Path, timeout_s: float = 120) -> None:
        self.inventory = folder / "lab.yml"
        with open(folder / "lab.err", "wb") as err:  # asyncssh's noise when sessions drop
            self.proc = subprocess.Popen(
                [sys.executable, str(LAB), "--routers", str(routers),
                 "--inventory-out", str(self.inventory)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True, cwd=folder,
            )  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, args=(self.proc.stdout,), daemon=True).start()
        self.ready = self.next_line(timeout_s)
        if not self.ready.startswith("ready"):
            raise RuntimeError(f"lab did not start: {self.ready!r}")
        self.hosts: dict[str, Any] = yaml.safe_load(self.inventory.read_text())["all"]["hosts"]

    def _read(self, stream: TextIO) -> None:
        for line in stream:
            self.lines.put(line.rstrip("\n"))
        self.lines.put("")

    def next_line(self, timeout_s: float) -> str:
        try:
            return self.lines.get(timeout=timeout_s)
        except queue.Empty:
            raise TimeoutError(f"no answer from the lab within {timeout_s:g} s") from None

    def change(self, count: int, tag: int) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"change {count} {tag}\n")
        self.proc.stdin.flush()
        answer: dict[str, Any] = json.loads(self.next_line(60))
        return answer

    def stop(self) -> None:
        if self.proc.poll() is None and self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.write("quit\n")
                self.proc.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(10)
        stop_process(self.proc)


@dataclass
class WatchRun:
    """One ``rospoll watch`` child over the first ``routers`` lab routers."""

    routers: int
    folder: Path
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    following_s: float | None = None
    polled_s: float | None = None
    idle: dict[str, int] = field(default_factory=dict)
    idle_cpu_pct: float | None = None
    ramp_cpu_s: float | None = None

    @property
    def journal(self) -> Path:
        return self.folder / "reports" / "changes.jsonl"

    @property
    def status_file(self) -> Path:
        return self.folder / ".rospoll" / "status.json"


def start_watch(lab: LabProcess, routers: int, base: Path, debounce_s: float) -> WatchRun:
    folder = base / f"watch-{routers}"
    folder.mkdir()
    hosts = dict(list(lab.hosts.items())[:routers])
    inventory = {
        "all": {
            "vars": {"rospoll_debounce": f"{debounce_s:g}s", "rospoll_poll_interval": "1h"},
            "hosts": hosts,
        }
    }
    (folder / "inventory.yml").write_text(yaml.safe_dump(inventory, sort_keys=False))
    run = WatchRun(routers, folder)
    with open(folder / "watch.out", "wb") as out, open(folder / "watch.err", "wb") as err:
        run.proc = subprocess.Popen(
            [sys.executable, "-m", "rospoll", "-i", str(folder / "inventory.yml"), "watch"],
            stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=folder,
        )  # fmt: skip
    run.started = time.monotonic()
    return run


def read_status(run: WatchRun) -> list[dict[str, Any]]:
    try:
        routers: list[dict[str, Any]] = json.loads(run.status_file.read_text())["routers"]
    except (OSError, ValueError, KeyError):
        return []
    return routers


def wait_ready(run: WatchRun, timeout_s: float) -> None:
    """Until every router is following and its start-up export is done."""
    assert run.proc is not None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if run.proc.poll() is not None:
            raise RuntimeError(f"watch exited {run.proc.returncode}: {tail(run)}")
        routers = read_status(run)
        if len(routers) == run.routers:
            now = time.monotonic() - run.started
            if run.following_s is None and all(r.get("state") == "following" for r in routers):
                run.following_s = now
            if (
                run.following_s is not None
                and run.polled_s is None
                and all(r.get("polled_at") for r in routers)
            ):
                run.polled_s = now
                run.ramp_cpu_s = cpu_seconds(run.proc.pid)
                return
        time.sleep(0.5)
    run.ramp_cpu_s = cpu_seconds(run.proc.pid)
    states: dict[str, int] = {}
    for r in read_status(run):
        key = f"{r.get('state')}{'+polled' if r.get('polled_at') else ''}"
        states[key] = states.get(key, 0) + 1
    raise TimeoutError(f"watch over {run.routers} not ready in {timeout_s:g} s: {states}")


def measure_idle(run: WatchRun, settle_s: float, cpu_window_s: float) -> None:
    """Let it settle, then RSS/threads, and CPU over ``cpu_window_s`` while idle."""
    assert run.proc is not None
    time.sleep(settle_s)
    before = cpu_seconds(run.proc.pid)
    time.sleep(cpu_window_s)
    run.idle_cpu_pct = 100 * (cpu_seconds(run.proc.pid) - before) / cpu_window_s
    run.idle = proc_status(run.proc.pid)


def tail(run: WatchRun, lines: int = 5) -> str:
    try:
        text = (run.folder / "watch.err").read_text(errors="replace")
    except OSError:
        return ""
    return " | ".join(text.strip().splitlines()[-lines:])


def journal_lines(run: WatchRun) -> list[dict[str, Any]]:
    try:
        text = run.journal.read_text()
    except FileNotFoundError:
        return []
    out = []
    for line in text.splitlines():
        with contextlib.suppress(ValueError):
            out.append(json.loads(line))
    return out


def measure_latency(
    lab: LabProcess, run: WatchRun, tag: int, timeout_s: float, count: int = 0
) -> dict[str, Any]:
    """Change ``count`` (default: every) watched routers at once; latency of each journal line."""
    assert run.proc is not None
    already = len(journal_lines(run))
    answer = lab.change(count or run.routers, tag)
    changed: dict[str, float] = answer["changes"]
    found: dict[str, float] = {}
    credits: dict[str, int] = {}
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and len(found) < len(changed):
        for entry in journal_lines(run)[already:]:
            router = entry.get("router")
            if router in changed and router not in found:
                when = datetime.fromisoformat(entry["time"].replace("Z", "+00:00"))
                found[router] = when.timestamp() - changed[router]
                credit = f"{entry.get('user')} by {entry.get('source')}"
                credits[credit] = credits.get(credit, 0) + 1
        time.sleep(0.05)
    lat = sorted(found.values())
    return {
        "changed": len(changed),
        "found": len(found),
        "spread_s": answer["spread_s"],
        "p50": percentile(lat, 50),
        "p95": percentile(lat, 95),
        "max": lat[-1] if lat else None,
        "min": lat[0] if lat else None,
        "credits": credits,
    }


def percentile(values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile of sorted ``values``."""
    if not values:
        return None
    rank = max(1, -(-len(values) * pct // 100))
    return values[int(rank) - 1]


def mb(kb: float) -> float:
    return kb / 1024


def fmt_s(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} s"


def code_version() -> str:
    """``rospoll at <commit>`` plus the product files changed but not committed."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "rospoll"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        return "rospoll outside git"
    changed = [line[3:] for line in dirty if line.strip()]
    extra = f" with uncommitted changes to {', '.join(changed)}" if changed else ""
    return f"rospoll at commit {head}{extra}"


def write_section(results: dict[str, Any], args: argparse.Namespace) -> str:
    base: WatchRun = results["baseline"]
    rows = []
    for key in ("latency", "latency_big"):
        lat = results.get(key)
        if lat is None:
            continue
        debounce = args.debounce
        p50, p95 = lat["p50"], lat["p95"]
        rows.append(
            f"| detection latency p50, {lat['found']}/{lat['changed']} routers changed at once, "
            f"{lat['followed']} followed | {fmt_s(p50)} | — | — |"
        )
        rows.append(f"| detection latency p95 | {fmt_s(p95)} | — | — |")
        rows.append(
            f"| latency minus debounce ({debounce:g} s), p50 / p95 | "
            f"{fmt_s(None if p50 is None else p50 - debounce)} / "
            f"{fmt_s(None if p95 is None else p95 - debounce)} | — | — |"
        )
    for run in results["rss"]:
        per_kb = (run.idle["VmRSS"] - base.idle["VmRSS"]) / (run.routers - base.routers)
        per_anon = (run.idle["RssAnon"] - base.idle["RssAnon"]) / (run.routers - base.routers)
        threads = (run.idle["Threads"] - base.idle["Threads"]) / (run.routers - base.routers)
        met = "yes" if mb(per_kb) <= GOAL_RSS_MB else "**no**"
        aim = "yes" if mb(per_kb) <= AIM_RSS_MB else "no"
        rows.append(
            f"| RSS per followed router, {run.routers} routers "
            f"(anon {mb(per_anon):.2f} MB) | {mb(per_kb):.2f} MB "
            f"| ≤ {GOAL_RSS_MB:g} MB (NOTES.md: ≤ {AIM_RSS_MB:g} MB) | {met} (aim: {aim}) |"
        )
        cpu = (run.idle_cpu_pct or 0.0) - (base.idle_cpu_pct or 0.0)
        rows.append(f"| threads per router, {run.routers} routers | {threads:.2f} | — | — |")
        rows.append(
            f"| idle CPU per followed router, {run.routers} routers "
            f"| {cpu / (run.routers - base.routers):.3f} % of one CPU | — | — |"
        )
        rows.append(
            f"| {run.routers} routers: all following / all start-up exports done "
            f"| {fmt_s(run.following_s)} / {fmt_s(run.polled_s)} | — | — |"
        )
    lines = [
        "## Follow\n",
        "`rospoll watch` (one netmiko session and thread per router on `/log print "
        "follow-only`) against lab routers served by a separate process "
        "(`bench/_lab_fleet_follow.py`), so the figures below are the watch process's own. "
        f"Debounce `rospoll_debounce: {args.debounce:g}s`, `rospoll_poll_workers` default "
        "(32). Latency = the journal line's `time` minus the wall-clock time of that "
        "router's change (one clock), measured after every follower was following and every "
        "start-up catch-up export was done. RSS per router = (VmRSS over N routers - VmRSS "
        f"over 1 router) / (N - 1), idle, all following.\n",
        f"Command: `make bench` or `python bench/bench_follow.py --latency-routers "
        f"{args.latency_routers} --rss {args.rss}`. Measured {results['date']} on "
        f"{os.cpu_count()} CPUs (nproc), Python {platform.python_version()}, "
        f"{platform.machine()}; RLIMIT_NOFILE {results['nofile']}; {results['code']}.\n",
        "| figure | value | goal | met? |",
        "|---|---|---|---|",
        *rows,
        "",
        "Each watch run, idle and all following:\n",
        "| routers | VmRSS | VmHWM (peak) | RssAnon | threads | idle CPU | CPU until ready |",
        "|---|---|---|---|---|---|---|",
    ]
    for run in [base, *results["all_runs"]]:
        if not run.idle:
            continue
        lines.append(
            f"| {run.routers} | {mb(run.idle['VmRSS']):.1f} MB | {mb(run.idle['VmHWM']):.1f} MB "
            f"| {mb(run.idle['RssAnon']):.1f} MB | {run.idle['Threads']} "
            f"| {run.idle_cpu_pct:.1f} % of one CPU | {run.ramp_cpu_s or 0:.1f} s |"
        )
    if lat is not None:
        lines.append(
            f"\nLatency spread: fastest {fmt_s(lat['min'])}, slowest {fmt_s(lat['max'])}; "
            f"the lab made the {lat['changed']} changes within {lat['spread_s'] * 1000:.0f} ms. "
            "Journal lines credited: "
            + ", ".join(f"{n} to {who}" for who, n in sorted(lat["credits"].items()))
            + "."
        )
    if results["rss"]:
        big = results["rss"][-1]
        per_cpu = ((big.idle_cpu_pct or 0.0) - (base.idle_cpu_pct or 0.0)) / (
            big.routers - base.routers
        )
        per_kb = (big.idle["VmRSS"] - base.idle["VmRSS"]) / (big.routers - base.routers)
        lines.append(
            f"\nExtrapolated to 1,000 routers (NOTES.md's aim for one process) from the "
            f"{big.routers}-router run: {mb(per_kb) * 1000:.0f} MB of RSS for the followers, "
            f"and {per_cpu * 1000 / 100:.1f} CPUs busy while every router is idle."
        )
    lines += ["", *results.get("notes", [])]
    text = "\n".join(lines).rstrip() + "\n"
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    return text


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency-routers", type=int, default=50)
    parser.add_argument("--rss", default="100,500", help="router counts, comma separated")
    parser.add_argument("--debounce", type=float, default=2.0, help="seconds (default 2)")
    parser.add_argument(
        "--ready-timeout", type=float, default=0, help="per watch run, s (default 0.6 s a router)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = parser.parse_args(argv)
    rss_counts = [int(n) for n in args.rss.split(",") if n.strip()]
    nofile = raise_nofile()
    base = Path(tempfile.mkdtemp(prefix="rospoll-bench-follow-"))
    started = time.monotonic()
    results: dict[str, Any] = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nofile": nofile,
        "rss": [],
        "all_runs": [],
        "notes": [],
        "code": code_version(),
    }
    lab: LabProcess | None = None
    run: WatchRun | None = None
    try:
        lab = LabProcess(max([args.latency_routers, *rss_counts, 1]), base)
        print(f"lab: {lab.ready}", flush=True)
        plan = [1, args.latency_routers, *rss_counts]
        for count in plan:
            run = start_watch(lab, count, base, args.debounce)
            timeout_s = args.ready_timeout or max(60.0, 0.6 * count)
            try:
                wait_ready(run, timeout_s)
            except TimeoutError as exc:  # measure anyway, and say so
                results["notes"].append(f"- {exc}; figures for {count} routers taken anyway.")
                print(exc, flush=True)
            measure_idle(run, settle_s=3.0 if count > 1 else 2.0, cpu_window_s=4.0)
            print(
                f"watch {count}: following {fmt_s(run.following_s)}, exports done "
                f"{fmt_s(run.polled_s)}, {run.idle}, idle CPU {run.idle_cpu_pct:.1f} %",
                flush=True,
            )
            if count == 1 and "baseline" not in results:
                results["baseline"] = run
            else:
                results["all_runs"].append(run)
            if count == args.latency_routers and "latency" not in results:
                results["latency"] = measure_latency(lab, run, tag=count % 250 + 1, timeout_s=90)
                results["latency"]["followed"] = count
                print(f"latency: {results['latency']}", flush=True)
            elif count == max(rss_counts, default=0) and count > args.latency_routers:
                big = measure_latency(
                    lab, run, tag=count % 250 + 2, timeout_s=120, count=args.latency_routers
                )
                results["latency_big"] = {**big, "followed": count}
                print(f"latency with {count} followed: {big}", flush=True)
            if count in rss_counts and count > 1:
                results["rss"].append(run)
            stop_process(run.proc)
            run = None
    finally:
        if run is not None:
            stop_process(run.proc)
        if lab is not None:
            lab.stop()
        if args.keep:
            print(f"kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    results["notes"].append(f"Whole run: {time.monotonic() - started:.0f} s.")
    print(write_section(results, args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
