"""Poll benchmark: ``rospoll poll-once`` against lab routers whose ``/export`` takes 1 s.

Run ``python bench/bench_poll.py [--routers 100] [--big 500]`` (or ``make bench``); writes
``docs/benchmarks/40-poll.md``.

The lab routers run in their own process (``bench/_lab_process.py``), so the CPU time and
peak RSS taken from ``os.wait4`` on the ``rospoll poll-once`` process are rospoll's alone.
Small fleet: a baseline poll and two unchanged polls at ``--workers``. Big fleet: a
baseline and an unchanged poll at the default 32 workers, then an unchanged poll at
``--big-workers``. Afterwards ``bench/_poll_phases.py`` polls the small fleet once more with
timers around each phase (loaded, then one router at a time) to show where the time goes.
Everything listens on 127.0.0.1 and lives in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "benchmarks" / "40-poll.md"
LAB = ROOT / "bench" / "_lab_process.py"
PHASES = ROOT / "bench" / "_poll_phases.py"
GOAL_RATIO = 1.3
DEFAULT_WORKERS = 32
LAB_READY_TIMEOUT_S = 120.0


@dataclass
class Run:
    """One measured ``rospoll poll-once`` process."""

    label: str
    routers: int
    workers: int
    latency_s: float
    wall_s: float = math.nan
    cpu_s: float = math.nan  # user + sys of the rospoll process
    user_s: float = math.nan
    sys_s: float = math.nan
    maxrss_mb: float = math.nan
    lab_cpu_s: float = math.nan
    other_cpu_s: float = math.nan  # every other process on the machine during the poll
    loadavg: str = ""
    exit_code: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    error: str = ""

    @property
    def ideal_s(self) -> float:
        return math.ceil(self.routers / self.workers) * self.latency_s

    @property
    def ratio(self) -> float:
        return self.wall_s / self.ideal_s

    @property
    def cpu_per_router_ms(self) -> float:
        return self.cpu_s / self.routers * 1000

    def marginal_ms(self, startup_cpu_s: float) -> float:
        """CPU per router once the fixed start-up (interpreter, imports) is taken off."""
        return (self.cpu_s - startup_cpu_s) / self.routers * 1000


# --- processes ------------------------------------------------------------------------------


class Lab:
    """``bench/_lab_process.py`` as a child: started, waited for, always stopped by pid."""

    def __init__(self, routers: int, latency_s: float, folder: Path) -> None:
        self.routers, self.latency_s = routers, latency_s
        self.inventory = folder / "inventory.yml"
        self.proc: subprocess.Popen[str] | None = None
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.ready_line = ""
        self.start_s = math.nan

    def start(self) -> None:
        started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, str(LAB), "--routers", str(self.routers),
             "--export-delay", str(self.latency_s), "--inventory-out", str(self.inventory)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, cwd=ROOT)
        assert self.proc.stdout is not None
        threading.Thread(target=self._pump, args=(self.proc.stdout,), daemon=True).start()
        deadline = time.monotonic() + LAB_READY_TIMEOUT_S
        seen = []
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                raise RuntimeError(f"lab process exited: {''.join(seen)[-800:]}")
            seen.append(line)
            if line.startswith("ready"):
                self.ready_line = line.strip()
                self.start_s = time.monotonic() - started
                return
        raise RuntimeError(f"lab not ready within {LAB_READY_TIMEOUT_S:g} s: "
                           f"{''.join(seen)[-800:]}")

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.put(line)
        self.lines.put(None)

    def cpu_s(self) -> float:
        """user + sys of the lab process so far (Linux /proc; NaN elsewhere)."""
        if self.proc is None:
            return math.nan
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return math.nan
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        if self.proc is None:
            return math.nan
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return math.nan

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        try:
            assert proc.stdin is not None
            proc.stdin.close()  # EOF: the runner stops its routers and exits
        except OSError:
            pass
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def machine_busy_s() -> float:
    """CPU seconds the whole machine has been busy since boot (Linux /proc/stat; else NaN)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return math.nan
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def configure(inventory: Path, workers: int) -> None:
    """Add the rospoll settings the bench needs to the lab's inventory."""
    data = yaml.safe_load(inventory.read_text(encoding="utf-8"))
    data["all"]["vars"] = {
        "rospoll_poll_workers": workers,
        "rospoll_export_timeout": "60s",
        "rospoll_connect_timeout": "30s",
        "rospoll_mail_enabled": False,
    }
    inventory.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def wait_child(proc: subprocess.Popen[str], timeout_s: float) -> tuple[int, Any]:
    """Reap ``proc`` with its own rusage (``os.wait4``); kill it after ``timeout_s``.

    Where ``os.wait4`` is missing (Windows) the rusage is None: CPU and RSS are not measured
    there (psutil could supply them; it is not a dependency).
    """
    deadline = time.monotonic() + timeout_s
    if not hasattr(os, "wait4"):
        try:
            return proc.wait(timeout=timeout_s), None
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait(), None
    killed = False
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            code = os.waitstatus_to_exitcode(status)
            proc.returncode = code
            return (-9 if killed else code), usage
        if not killed and time.monotonic() > deadline:
            os.kill(proc.pid, signal.SIGKILL)
            killed = True
        time.sleep(0.01)


def poll_once(lab: Lab, run: Run, folder: Path) -> Run:
    """One ``rospoll poll-once --json`` process, measured."""
    configure(lab.inventory, run.workers)
    timeout_s = 60 + 5 * run.ideal_s
    out_path, err_path = folder / f"{run.label}.json", folder / f"{run.label}.err"
    lab_cpu, busy, run.loadavg = lab.cpu_s(), machine_busy_s(), loadavg()
    with out_path.open("w") as out, err_path.open("w") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "rospoll", "-i", str(lab.inventory), "poll-once", "--json"],
            stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=ROOT, text=True)
        code, usage = wait_child(proc, timeout_s)
        run.wall_s = time.perf_counter() - started
    run.lab_cpu_s = lab.cpu_s() - lab_cpu
    busy = machine_busy_s() - busy
    run.exit_code = code
    if usage is not None:
        run.user_s, run.sys_s = usage.ru_utime, usage.ru_stime
        run.cpu_s = usage.ru_utime + usage.ru_stime
        run.maxrss_mb = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
        run.other_cpu_s = max(0.0, busy - run.cpu_s - run.lab_cpu_s)
    try:
        summary = json.loads(out_path.read_text())
        statuses = [r["status"] for r in summary["routers"]]
        run.counts = {s: statuses.count(s) for s in sorted(set(statuses))}
        errors = sorted({r.get("error", "") for r in summary["routers"] if r.get("error")})
        if errors:
            run.error = "; ".join(errors[:2])
    except (OSError, ValueError, KeyError) as exc:
        run.error = f"no summary ({exc}); stderr: {err_path.read_text()[-300:]}"
    if code == -9:
        run.error = f"killed after {timeout_s:.0f} s. " + run.error
    print(f"   {run.label}: {run.routers} routers, {run.workers} workers: "
          f"{run.wall_s:.2f} s (ideal {run.ideal_s:.0f} s, {run.ratio:.2f}x), "
          f"cpu {run.cpu_s:.2f} s ({run.cpu_per_router_ms:.1f} ms/router), "
          f"rss {run.maxrss_mb:.0f} MB, lab cpu {run.lab_cpu_s:.2f} s, "
          f"others {run.other_cpu_s:.1f} s, load {run.loadavg}, {run.counts} "
          f"{run.error}", flush=True)
    return run


def compile_package() -> None:
    """Byte-compile rospoll as pip does when it installs it: an editable checkout run with
    PYTHONDONTWRITEBYTECODE (as on these machines) would compile it on every start."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "rospoll")],
                   check=True, timeout=300)


HELP_ARGS = ["--help"]
POLL_IMPORTS_ARGS = ["-i", "missing.yml", "poll-once"]  # imports what a poll needs, exit 2


def startup_cost(folder: Path, args: list[str] = POLL_IMPORTS_ARGS) -> tuple[float, float]:
    """Wall and CPU seconds of ``python -m rospoll ARGS``: the interpreter and the imports.

    By default ``-i missing.yml poll-once``, which imports everything a poll needs (the
    commands import lazily) and stops at the missing inventory: poll-once's fixed cost.
    """
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "rospoll", *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, cwd=folder, text=True)
    _, usage = wait_child(proc, 60)
    wall = time.perf_counter() - started
    return wall, (usage.ru_utime + usage.ru_stime) if usage is not None else math.nan


def phases(lab: Lab, workers: int, routers: int = 0) -> dict[str, Any]:
    configure(lab.inventory, workers)
    cmd = [sys.executable, str(PHASES), str(lab.inventory), "--workers", str(workers)]
    if routers:
        cmd += ["--routers", str(routers)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=180,
                              check=False)
        return dict(json.loads(proc.stdout.strip().splitlines()[-1]))
    except (subprocess.TimeoutExpired, ValueError, IndexError) as exc:
        return {"error": repr(exc)}


# --- the benchmark --------------------------------------------------------------------------


def fleet(routers: int, latency_s: float, plan: list[tuple[str, int]],
          phase_plan: list[tuple[int, int]]) -> dict[str, Any]:
    """Start a lab of ``routers``, run the planned polls, stop the lab."""
    result: dict[str, Any] = {"routers": routers, "runs": [], "error": "", "phases": []}
    with tempfile.TemporaryDirectory(prefix=f"bench-poll-{routers}-") as tmp:
        folder = Path(tmp)
        lab = Lab(routers, latency_s, folder)
        try:
            lab.start()
            result["lab_start_s"], result["lab_ready"] = lab.start_s, lab.ready_line
            result["lab_rss_mb"] = lab.rss_mb()
            print(f"   lab: {lab.ready_line} (in {lab.start_s:.1f} s, "
                  f"{result['lab_rss_mb']:.0f} MB)", flush=True)
            for label, workers in plan:
                result["runs"].append(poll_once(lab, Run(label, routers, workers, latency_s),
                                                folder))
            result["lab_rss_after_mb"] = lab.rss_mb()
            for workers, count in phase_plan:
                result["phases"].append(phases(lab, workers, routers=count))
        except Exception as exc:  # a fleet that cannot start is a result to report
            result["error"] = f"{type(exc).__name__}: {exc}"
            print(f"   fleet of {routers}: {result['error']}", flush=True)
        finally:
            lab.stop()
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--routers", type=int, default=100, help="small fleet (default 100)")
    parser.add_argument("--big", type=int, default=500, help="big fleet, 0 to skip (500)")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    parser.add_argument("--big-workers", type=int, default=128,
                        help="workers of the extra big-fleet poll, 0 to skip (128)")
    parser.add_argument("--latency", type=float, default=1.0, help="export delay (1.0 s)")
    parser.add_argument("--no-phases", action="store_true", help="skip the phase breakdown")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    command = "python bench/bench_poll.py" + (" " + " ".join(argv) if argv else "")

    started = time.monotonic()
    compile_package()
    with tempfile.TemporaryDirectory(prefix="bench-poll-") as tmp:
        startup = startup_cost(Path(tmp))
        cli_startup = startup_cost(Path(tmp), HELP_ARGS)
    print(f"   startup: {startup[0]:.2f} s wall, {startup[1]:.2f} s cpu (poll-once imports); "
          f"--help {cli_startup[0]:.2f} s wall", flush=True)
    small = fleet(args.routers, args.latency,
                  [("baseline", args.workers), ("unchanged-1", args.workers),
                   ("unchanged-2", args.workers)],
                  [] if args.no_phases else [(args.workers, 0), (1, 6)])
    big = None
    if args.big:
        plan = [("big-baseline", DEFAULT_WORKERS), ("big-unchanged", DEFAULT_WORKERS)]
        if args.big_workers:
            plan.append((f"big-unchanged-{args.big_workers}w", args.big_workers))
        big = fleet(args.big, args.latency, plan,
                    [] if args.no_phases else [(args.big_workers or DEFAULT_WORKERS, 0)])
    total = time.monotonic() - started
    text = render(args, command, startup, small, big, total, cli_startup)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"   wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}"
          f" in {total:.0f} s")
    runs = small["runs"] + (big["runs"] if big else [])
    ok = not small["error"] and all(r.exit_code == 0 for r in runs)
    return 0 if ok else 1


# --- the section ----------------------------------------------------------------------------


def _f(value: float, spec: str = ".2f", unit: str = "") -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:{spec}}{unit}"


def _met(ok: bool | None) -> str:
    return "—" if ok is None else ("yes" if ok else "**no**")


def _unchanged(runs: list[Run]) -> list[Run]:
    return [r for r in runs if "unchanged" in r.label]


def render(args: argparse.Namespace, command: str, startup: tuple[float, float],
           small: dict[str, Any], big: dict[str, Any] | None, total_s: float,
           cli_startup: tuple[float, float]) -> str:
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cores = os.cpu_count()
    lines = [
        "## Poll",
        "",
        f"`rospoll poll-once` against lab routers whose `/export` takes {args.latency:g} s "
        "(`export_delay_s`), the lab in its own process (`bench/_lab_process.py`) so the CPU "
        "time and peak RSS (`os.wait4` on the rospoll process) are rospoll's alone. Wall time "
        "is the whole `poll-once` process, interpreter start-up included.",
        "",
        f"Measured {now} with `{command}` (or `make bench`) on {cores} cores, Python "
        f"{platform.python_version()}, {platform.system()} {platform.machine()}; "
        f"{total_s:.0f} s in all.",
        "",
        "**Ideal** = ceil(routers / workers) x export latency: at most `workers` routers are "
        "polled at once and each export takes the full latency, so no schedule can finish "
        "in fewer rounds (routers / workers x latency, e.g. 3.1 s for 100/32, could only be "
        "reached if a router's export could be split across workers).",
        "",
        "| figure | value | goal | met? |",
        "|---|---|---|---|",
    ]
    rows: list[tuple[str, str, str, bool | None]] = []
    for run in small["runs"] + (big["runs"] if big else []):
        name = (f"{run.routers} routers, {run.workers} workers, {run.label}: wall "
                f"(ideal {run.ideal_s:g} s)")
        if run.error and not run.counts:
            rows.append((name, f"failed: {run.error[:120]}", f"<= {GOAL_RATIO}x ideal", False))
            continue
        failed = run.counts.get("failed", 0)
        value = f"{run.wall_s:.1f} s = **{run.ratio:.2f}x** ideal"
        if failed:
            value += f" ({failed} routers failed: {run.error[:100]})"
        if run.routers == args.routers and run.workers == DEFAULT_WORKERS:
            rows.append((name, value, f"<= {GOAL_RATIO}x ideal ({GOAL_RATIO * run.ideal_s:.1f} s)",
                         run.ratio <= GOAL_RATIO and not failed))
        else:  # the goal is set for the small fleet at the default workers; the rest is scale
            rows.append((name, value, "— (scale)", None))
    for fleet_result in (small, big):
        if not fleet_result or not fleet_result["runs"]:
            continue
        unchanged = _unchanged(fleet_result["runs"])
        n = fleet_result["routers"]
        if unchanged:
            cpu = [r.cpu_per_router_ms for r in unchanged]
            rows.append((f"{n} routers: rospoll CPU per router, unchanged poll",
                         " / ".join(f"{c:.1f} ms" for c in cpu)
                         + " (" + ", ".join(f"{r.workers} w" for r in unchanged) + "); "
                         + " / ".join(_f(r.marginal_ms(startup[1]), ".1f", " ms")
                                      for r in unchanged) + " beyond start-up",
                         "— (recorded)", None))
        baseline = fleet_result["runs"][0]
        rows.append((f"{n} routers: rospoll CPU per router, baseline poll",
                     f"{baseline.cpu_per_router_ms:.1f} ms; "
                     f"{_f(baseline.marginal_ms(startup[1]), '.1f', ' ms')} beyond start-up",
                     "— (recorded)", None))
        rss = [r.maxrss_mb for r in fleet_result["runs"]]
        rows.append((f"{n} routers: rospoll peak RSS per poll",
                     " / ".join(_f(m, ".0f", " MB") for m in rss), "— (recorded)", None))
    if big and big["error"]:
        rows.append((f"{big['routers']} routers", f"lab did not run: {big['error'][:200]}",
                     "starts", False))
    lines += [f"| {a} | {b} | {c} | {_met(d)} |" for a, b, c, d in rows]

    lines += [
        "",
        "Every poll, as measured (CPU = user + sys of the `rospoll` process; lab CPU = the "
        "lab process during the same poll; other processes' CPU = the rest of the machine's "
        "busy time meanwhile, from /proc/stat — this machine is shared, so read the walls "
        "with it):",
        "",
        "| run | routers | workers | result | wall | ideal | ratio | CPU (user+sys) "
        "| CPU/router | CPU/router beyond start-up | peak RSS | lab CPU | other processes' CPU "
        "| load avg before |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for fleet_result in (small, big):
        for run in (fleet_result or {}).get("runs", []):
            result = ", ".join(f"{v} {k}" for k, v in run.counts.items()) or run.error[:60]
            lines.append(
                f"| {run.label} | {run.routers} | {run.workers} | {result} "
                f"| {run.wall_s:.2f} s | {run.ideal_s:g} s | {run.ratio:.2f}x "
                f"| {_f(run.cpu_s)} s ({_f(run.user_s)} + {_f(run.sys_s)}) "
                f"| {_f(run.cpu_per_router_ms, '.1f', ' ms')} "
                f"| {_f(run.marginal_ms(startup[1]), '.1f', ' ms')} "
                f"| {_f(run.maxrss_mb, '.0f', ' MB')} "
                f"| {_f(run.lab_cpu_s)} s | {_f(run.other_cpu_s, '.1f')} s | {run.loadavg} |")
    lines += [
        "",
        f"Fixed cost in every run: `python -m rospoll -i missing.yml poll-once` (interpreter, "
        f"parser and every import a poll needs, stopped by the missing inventory) takes "
        f"{startup[0]:.2f} s wall and {_f(startup[1])} s CPU here. CLI start-up, "
        f"`python -m rospoll --help` (the commands import lazily): {cli_startup[0]:.2f} s wall, "
        f"{_f(cli_startup[1])} s CPU.",
    ]
    for fleet_result in (small, big):
        if fleet_result and fleet_result.get("lab_ready"):
            lines.append(
                f"Lab of {fleet_result['routers']}: ready in {fleet_result['lab_start_s']:.1f} s "
                f"(`{fleet_result['lab_ready']}`), RSS {_f(fleet_result['lab_rss_mb'], '.0f')} MB "
                f"at start, {_f(fleet_result.get('lab_rss_after_mb', math.nan), '.0f')} MB "
                "after the polls.")
    lines += _render_phases(small, big, args.latency)
    lines += _render_limits(small, big, startup, args.latency)
    return "\n".join(lines) + "\n"


LOGIN = "log in (connect, auth, identity + resource)"
SLOT = "export slot (start export, next login meanwhile, read, close)"
RECORD = "record (validate, parse, diff, store)"
PHASE_ORDER = [LOGIN, "ssh connect + auth", "start /system identity", "read /system identity",
               SLOT, "start /export show-sensitive", "read /export show-sensitive", "close",
               RECORD, "record: validate_export", "record: parse_normalised",
               "record: diff_exports", "record: parse_history",
               "record: backups read (git HEAD)", "record: backups commit",
               "record: history marks save", "record: fsync (inside writes)"]
TOP_PHASES = [LOGIN, SLOT, RECORD]


def _phase_runs(small: dict[str, Any], big: dict[str, Any] | None) -> list[dict[str, Any]]:
    found = []
    for fleet_result in (small, big):
        for item in (fleet_result or {}).get("phases", []):
            if "phases" in item:
                found.append(dict(item, fleet=fleet_result["routers"]))  # type: ignore[index]
    return found


def _render_phases(small: dict[str, Any], big: dict[str, Any] | None,
                   latency_s: float) -> list[str]:
    runs = _phase_runs(small, big)
    if not runs:
        return []
    keys = list(dict.fromkeys(k for r in runs for k in r["phases"]))
    keys = [k for k in PHASE_ORDER if k in keys] + [k for k in keys if k not in PHASE_ORDER]
    heads = [f"{r['fleet']} routers, {r['workers']} w" + (
        f" (first {r['routers']})" if r["routers"] != r["fleet"] else "") for r in runs]
    lines = [
        "",
        "### Where a router's time goes",
        "",
        "Extra unchanged polls after the measured ones, in-process with timers around each "
        "phase (`bench/_poll_phases.py`; the product code is unchanged, methods are wrapped "
        "at run time). Wall seconds per router, the mean over the routers; indented rows are "
        f"part of the row above them. The router itself spends {latency_s:g} s in `/export`. "
        "Pool wall time: " + ", ".join(
            f"{h}: {r['wall_s']:.1f} s" + (f" ({r['failed']} failed: {r['errors'][:1]})"
                                           if r["failed"] else "")
            for h, r in zip(heads, runs, strict=True)) + ".",
        "",
        "| phase | " + " | ".join(heads) + " |",
        "|---|" + "---|" * len(runs),
    ]
    for key in keys:
        nested = key not in TOP_PHASES
        name = ("&nbsp;&nbsp;" + key.removeprefix("record: ")) if nested else key
        lines.append(f"| {name} | " + " | ".join(
            _f(r["phases"].get(key, math.nan), ".3f") for r in runs) + " |")
    lines.append("| of the slot, not the export latency | " + " | ".join(
        f"{r['phases'].get(SLOT, math.nan) - latency_s:.3f}" for r in runs) + " |")
    for key in [k for k in ("record: backups read (git HEAD)", RECORD) if k in keys]:
        lines.append(f"| CPU of the calling thread in {key.removeprefix('record: ')} | "
                     + " | ".join(_f(r["phase_cpu"].get(key, math.nan), ".4f") for r in runs)
                     + " |")
    lines += ["", "The slot's rows overlap: the login of the worker's next router runs "
              "between the start of an export and the read of its output, and the read waits "
              "for the router. A slot holds one of the `workers` export places; the login of "
              "a worker's first router and the recording (in the calling thread) do not."]
    return lines


def _render_limits(small: dict[str, Any], big: dict[str, Any] | None,
                   startup: tuple[float, float], latency_s: float) -> list[str]:
    runs = _unchanged(small["runs"])
    if not runs:
        return []
    run = runs[-1]
    rounds = math.ceil(run.routers / run.workers)
    cores = os.cpu_count() or 1
    lines = ["", "### What limits it", ""]
    for item in _phase_runs(small, big):
        p = item["phases"]
        slot, rounds_here = p.get(SLOT, math.nan), math.ceil(item["routers"] / item["workers"])
        predicted = item["first_logins_done_s"] + rounds_here * slot
        lines.append(
            f"- {item['fleet']} routers, {item['workers']} w: a worker logs in to its first "
            f"router (all {min(item['workers'], item['routers'])} first logins done after "
            f"{item['first_logins_done_s']:.2f} s: SSH handshakes and identity + resource, "
            f"CPU-bound when they all start at once), then runs {rounds_here} export slots "
            f"of {slot:.2f} s in a row for a {latency_s:g} s export: first logins + "
            f"{rounds_here} x slot = {predicted:.2f} s predicted, "
            f"{item['last_slot_done_s']:.2f} s until the last slot ended, "
            f"{item['wall_s']:.2f} s for the pool with the last recording. A slot's "
            f"{slot - latency_s:.2f} s beyond the export: starting the exec channel "
            f"{p.get('start /export show-sensitive', 0):.3f} s, a login meanwhile that "
            "outlasts the export, reading, closing.")
    spare = (GOAL_RATIO - 1) * rounds * latency_s
    lines.append(
        f"- Start-up: the interpreter and imports take {startup[0]:.2f} s wall "
        f"({startup[1]:.2f} CPU-s, `python -m rospoll -i missing.yml poll-once`) before the "
        "first login; "
        f"the inventory, the lock and the git repository add little. With {rounds} rounds "
        f"of {latency_s:g} s, the {GOAL_RATIO}x goal leaves {spare:.1f} s for start-up, "
        "first logins, slot overheads and the last recording together.")
    cpu = run.cpu_s + run.lab_cpu_s
    share = cpu / (run.wall_s * cores) * 100
    lines.append(
        f"- {run.routers} routers, {run.workers} workers: rospoll {_f(run.cpu_s)} + lab "
        f"{_f(run.lab_cpu_s)} CPU-s = {share:.0f}% of {cores} cores over the poll"
        + ("; other processes on the machine took " + _f(run.other_cpu_s) + " CPU-s"
           if not math.isnan(run.other_cpu_s) else "") + ".")
    for brun in _unchanged((big or {}).get("runs", [])):
        bcpu = brun.cpu_s + brun.lab_cpu_s
        bshare = bcpu / (brun.wall_s * cores) * 100
        lines.append(
            f"- {brun.routers} routers, {brun.workers} workers: {brun.wall_s:.1f} s "
            f"({brun.ratio:.2f}x of {brun.ideal_s:g} s); rospoll {_f(brun.cpu_s)} + lab "
            f"{_f(brun.lab_cpu_s)} CPU-s = {bshare:.0f}% of {cores} cores"
            + ("; other processes took " + _f(brun.other_cpu_s) + " CPU-s"
               if not math.isnan(brun.other_cpu_s) else "") + ".")
    return lines


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
