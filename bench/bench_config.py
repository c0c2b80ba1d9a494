"""Config model benchmark: normalise + parse + diff against routeros-diff and difflib.

Run ``python bench/bench_config.py`` (or ``make bench``); writes
``docs/benchmarks/30-config.md``. The corpus part is skipped when ../shared/corpus is absent.
"""

from __future__ import annotations

import difflib
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rospoll.config import diff_exports, normalise_export, parse_export  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
OUT = ROOT / "docs" / "benchmarks" / "30-config.md"
GOAL_S = 1.0
GOAL_RATIO = 5.0
HEADER = "# 2024-01-02 10:11:12 by RouterOS 7.16\n# software id = AB12-CD34\n#\n"


def synthetic(changed_every: int | None) -> str:
    """50k address-list entries + 50k filter rules; every Nth comment changed."""
    lines = [HEADER.rstrip("\n"), "/ip firewall address-list"]
    for n in range(50_000):
        comment = f"blk{n}" + ("x" if changed_every and n % changed_every == 0 else "")
        lines.append(
            f"add address=10.{n // 65536}.{n // 256 % 256}.{n % 256} comment={comment} list=blocked"
        )
    lines.append("/ip firewall filter")
    for n in range(50_000):
        comment = f"rule {n}" + (" edited" if changed_every and n % changed_every == 1 else "")
        lines.append(
            f'add action=drop chain=forward comment="{comment}" dst-port={n % 65535 + 1} '
            f"protocol=tcp src-address-list=blocked"
        )
    return "\n".join(lines) + "\n"


def timed(func: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def ours(old: str, new: str) -> dict[str, Any]:
    parse_s, (a, b) = timed(lambda: (parse_export(old), parse_export(new)))
    diff_s, changes = timed(lambda: diff_exports(a, b))
    return {"parse": parse_s, "diff": diff_s, "total": parse_s + diff_s,
            "changes": sum(changes.counts().values())}  # fmt: skip


def routeros_diff(old: str, new: str) -> dict[str, Any]:
    try:
        from routeros_diff.parser import RouterOSConfig
    except ImportError as exc:  # pragma: no cover - baseline missing
        return {"error": f"not installed ({exc})"}
    try:
        parse_s, (a, b) = timed(lambda: (RouterOSConfig.parse(old), RouterOSConfig.parse(new)))
        diff_s, _ = timed(lambda: b.diff(a))
    except Exception as exc:  # the baseline's own failure is a result to record
        reason = str(exc).split(":")[0][:60]  # never the config text it quotes
        return {"error": f"fails: {type(exc).__name__}: {reason}"}
    return {"parse": parse_s, "diff": diff_s, "total": parse_s + diff_s}


def line_diff(old: str, new: str) -> dict[str, Any]:
    total, _ = timed(lambda: list(difflib.unified_diff(old.splitlines(), new.splitlines())))
    return {"total": total}


def edited(text: str) -> str:
    """The normalised export with a few edits: two items disabled, one command dropped."""
    lines = normalise_export(text).text().splitlines()
    adds = [i for i, line in enumerate(lines) if line.startswith("add ") and "name=" in line]
    for index in adds[len(adds) // 3 :: max(1, len(adds) // 3)][:2]:
        lines[index] += " disabled=yes"
    del lines[adds[len(adds) // 2]]
    return "\n".join(lines) + "\n"


def fmt(result: dict[str, Any], key: str = "total") -> str:
    return result["error"] if "error" in result else f"{result[key]:.2f} s"


def case(
    name: str, old: str, new: str
) -> tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]:
    print(f"-- {name}", flush=True)
    results = ours(old, new), routeros_diff(old, new), line_diff(old, new)
    for label, result in zip(("rospoll", "routeros-diff", "difflib"), results, strict=True):
        print(f"   {label}: {fmt(result)}", flush=True)
    return (name, *results)


def main() -> int:
    old, new = synthetic(None), synthetic(100)
    rows = [
        case(f"synthetic pair, {old.count(chr(10)):,} lines each, 1% of comments changed", old, new)
    ]
    huge = sorted(CORPUS.glob("002_*")) if CORPUS.is_dir() else []
    if huge:
        text = huge[0].read_bytes().decode("utf-8", "surrogateescape")
        name = "corpus 002 (2.4 MB, 42,823 lines) vs its normalised copy with 3 edits"
        rows.append(case(name, text, edited(text)))
    synthetic_row = rows[0]
    ratio = (
        synthetic_row[2]["total"] / synthetic_row[1]["total"]
        if "error" not in synthetic_row[2]
        else None
    )
    meets_time = synthetic_row[1]["total"] <= GOAL_S
    meets_ratio = ratio is not None and ratio >= GOAL_RATIO
    lines = [
        "## Config model\n",
        "Normalise + validate + parse both exports, then the structural diff (`rospoll.config`),",
        "against routeros-diff 0.5.3 (parse both + diff) and `difflib.unified_diff` over the",
        "raw lines (no parsing), all measured in one run. Command: `make bench` or",
        f"`python bench/bench_config.py`. Python {platform.python_version()},"
        f" {platform.machine()}.\n",
        "| case | rospoll parse | rospoll diff | rospoll total | item changes"
        " | routeros-diff | difflib |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, mine, theirs, plain in rows:
        lines.append(
            f"| {name} | {fmt(mine, 'parse')} | {fmt(mine, 'diff')} | {fmt(mine)} | "
            f"{mine['changes']} | {fmt(theirs)} | {fmt(plain)} |"
        )
    if not huge:
        lines.append("| corpus 002 | skipped: corpus not found | | | | | |")
    lines += [
        "",
        "Goals (synthetic pair):",
        f"- at most {GOAL_S:.0f} s for normalise + parse + diff: "
        f"{synthetic_row[1]['total']:.2f} s, **{'pass' if meets_time else 'FAIL'}**;",
        f"- at least {GOAL_RATIO:.0f}x faster than routeros-diff: "
        + (f"{ratio:.1f}x" if ratio is not None else "baseline failed")
        + f", **{'pass' if meets_ratio else 'FAIL'}**.",
        "",
    ]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0 if meets_time and meets_ratio else 1


if __name__ == "__main__":
    raise SystemExit(main())
