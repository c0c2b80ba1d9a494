"""``make bench``: run every ``bench/bench_*.py`` and assemble docs/BENCHMARKS.md.

Each benchmark script runs on its own (``python bench/bench_x.py``), measures in one
process so figures compare as ratios, and writes its section to
``docs/benchmarks/<x>.md``. This script runs them in name order and joins the sections.
``python bench/run.py config`` runs only the scripts whose name contains ``config``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = ROOT / "docs" / "benchmarks"


def main(argv: list[str]) -> int:
    scripts = sorted((ROOT / "bench").glob("bench_*.py"))
    if argv:
        scripts = [s for s in scripts if any(a in s.stem for a in argv)]
    failed = []
    for script in scripts:
        print(f"== {script.name}", flush=True)
        started = time.monotonic()
        proc = subprocess.run([sys.executable, str(script)], cwd=ROOT, check=False)
        print(f"   {script.name}: exit {proc.returncode} in {time.monotonic() - started:.1f} s")
        if proc.returncode:
            failed.append(script.name)
    parts = [
        "# Benchmarks\n",
        "Produced by `make bench` (`python bench/run.py`), which runs each `bench/bench_*.py`"
        " and joins the sections below. Machines here are noisy: compare figures as ratios"
        " within one section, which were all measured in one run.\n",
    ]
    parts += [p.read_text(encoding="utf-8") for p in sorted(SECTIONS.glob("*.md"))]
    (ROOT / "docs" / "BENCHMARKS.md").write_text("\n".join(parts), encoding="utf-8")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
