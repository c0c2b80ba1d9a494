"""Config model benchmark: normalise + parse + diff against routeros-diff and difflib.

Run ``python bench/bench_config.py`` (or ``make bench``); writes
``docs/benchmarks/30-config.md``. The corpus part is skipped when ../shared/corpus is absent.
"""

from __future__ import annotations

import difflib
import gc
import os
import platform
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rospoll.config import (  # noqa: E402
    ChangeSet,
    Export,
    check_shrink,
    diff_exports,
    normalise_export,
    validate_export,
)
from rospoll.config.parse import parse_normalised  # noqa: E402
from rospoll.config.validate import check_tail_cut  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
OUT = ROOT / "docs" / "benchmarks" / "30-config.md"
GOAL_S = 1.0
GOAL_RATIO = 5.0
HEADER = "# 2024-01-02 10:11:12 by RouterOS 7.16\n# software id = AB12-CD34\n#\n"


def synthetic(changed: frozenset[int] = frozenset()) -> str:
    """50k address-list entries (distinct addresses) + 50k filter rules (distinct
    comments); the comments of the items numbered in ``changed`` (0..99,999) are edited."""
    lines = [HEADER.rstrip("\n"), "/ip firewall address-list"]
    for n in range(50_000):
        comment = f"blk{n}" + ("x" if n in changed else "")
        lines.append(
            f"add address=10.{n // 65536}.{n // 256 % 256}.{n % 256} comment={comment} list=blocked"
        )
    lines.append("/ip firewall filter")
    for n in range(50_000):
        comment = f"rule {n}" + (" edited" if 50_000 + n in changed else "")
        lines.append(
            f'add action=drop chain=forward comment="{comment}" dst-port={n % 65535 + 1} '
            f"protocol=tcp src-address-list=blocked"
        )
    return "\n".join(lines) + "\n"


def scattered(share: float, seed: int = 2024) -> frozenset[int]:
    """``share`` of the 100k items at random places (seeded), as real edits fall."""
    return frozenset(random.Random(seed).sample(range(100_000), int(100_000 * share)))


def evenly(every: int) -> frozenset[int]:
    """Every ``every``-th item of each section: the regular pattern of earlier versions of
    this benchmark, which sends difflib down its slow path (see the notes it writes)."""
    return frozenset(n for n in range(100_000) if n % every == (0 if n < 50_000 else 1))


def timed(func: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def ours(old: str, new: str) -> dict[str, Any]:
    """One cold run: OLD is parsed from scratch, then NEW ``like=OLD`` (it takes OLD's lines;
    the recorder does the mirror image: NEW first, then the stored OLD ``like=NEW``).

    ``parse_export`` is ``parse_normalised(validate_export(text))``; the two steps are
    timed apart. The diff step includes the recorder's shrink and cut checks, which read
    the parsed exports too (they count lines; neither builds a section's items).
    """
    gc.collect()
    check_old, normal_old = timed(lambda: validate_export(old))
    old_s, a = timed(lambda: parse_normalised(normal_old))
    check_new, normal_new = timed(lambda: validate_export(new))
    new_s, b = timed(lambda: parse_normalised(normal_new, like=a))
    diff_s, changes = timed(lambda: recorded(a, b))
    old_s, new_s = old_s + check_old, new_s + check_new
    return {"parse_old": old_s, "parse_new": new_s, "parse": old_s + new_s, "diff": diff_s,
            "normalise": check_old + check_new, "total": old_s + new_s + diff_s,
            "changes": sum(changes.counts().values())}  # fmt: skip


def recorded(old: Export, new: Export) -> ChangeSet:
    """What the recorder does with two parsed exports: the shrink and cut checks, the diff."""
    check_shrink(old, new)
    check_tail_cut(old, new)
    return diff_exports(old, new)


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
    total, lines = timed(lambda: list(difflib.unified_diff(old.splitlines(), new.splitlines())))
    return {"total": total, "lines": len(lines)}


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


def best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per figure, the minimum over the repeats (the least disturbed run)."""
    if "error" in runs[0]:
        return runs[0]
    return {key: min(run[key] for run in runs) for key in runs[0]}


def case(name: str, old: str, new: str, repeats: int) -> Row:
    """All three tools, interleaved round by round, so load hits them alike."""
    print(f"-- {name}", flush=True)
    runs: tuple[list[dict[str, Any]], ...] = ([], [], [])
    for round_no in range(repeats):
        for tool, results in zip((ours, routeros_diff, line_diff), runs, strict=True):
            if results and "error" in results[0]:
                continue
            results.append(tool(old, new))
        print(f"   round {round_no + 1}: " + ", ".join(fmt(r[-1]) for r in runs), flush=True)
    mine, theirs, plain = (best(r) for r in runs)
    for label, result in zip(("rospoll", "routeros-diff", "difflib"), (mine, theirs, plain),
                             strict=True):  # fmt: skip
        print(f"   {label}: {fmt(result)} (min of {repeats})", flush=True)
    return Row(name, mine, theirs, plain)


class Row(NamedTuple):
    name: str
    mine: dict[str, Any]
    theirs: dict[str, Any]
    plain: dict[str, Any]


def ratio(slow: dict[str, Any], fast: dict[str, Any]) -> str:
    return "–" if "error" in slow else f"{slow['total'] / fast['total']:.1f}x"


def main(argv: list[str]) -> int:
    repeats = int(argv[0]) if argv else 3
    old = synthetic()
    new = synthetic(scattered(0.01))
    lines_each = old.count(chr(10))
    differing = len(set(old.splitlines()).symmetric_difference(new.splitlines()))
    rows = [
        case(f"synthetic pair, {lines_each:,} lines each, 1% of comments changed at random"
             " places", old, new, repeats)
    ]  # fmt: skip
    huge = sorted(CORPUS.glob("002_*")) if CORPUS.is_dir() else []
    if huge:
        text = huge[0].read_bytes().decode("utf-8", "surrogateescape")
        name = "corpus 002 (2.4 MB, 42,823 lines) vs its normalised copy with 3 edits"
        rows.append(case(name, text, edited(text), repeats))
    # difflib alone on the pattern earlier versions of this benchmark used.
    regular = synthetic(evenly(100))
    print("-- difflib on every 100th comment changed", flush=True)
    regular_s = min(line_diff(old, regular)["total"] for _ in range(max(1, repeats - 1)))
    scattered_row = rows[0]
    mine = scattered_row.mine
    speedup = (
        scattered_row.theirs["total"] / mine["total"] if "error" not in scattered_row.theirs
        else None
    )  # fmt: skip
    meets_time = mine["total"] <= GOAL_S
    meets_ratio = speedup is not None and speedup >= GOAL_RATIO
    lines = [
        "## Config model\n",
        "Normalise + validate + parse both exports, then the structural diff (`rospoll.config`),",
        "against routeros-diff 0.5.3 (parse both + diff) and `difflib.unified_diff` over the",
        "raw lines (no parsing). All three are measured in one run, interleaved round by round;",
        f"each figure is the minimum of {repeats} rounds (wall clock, noisy 2-core machine: read",
        "the ratios). rospoll parses OLD cold, then NEW `like=OLD`, whose lines are checked",
        "against OLD's (the recorder does the mirror image: NEW, then OLD `like=NEW`); the",
        "diff column includes the recorder's shrink and cut checks.",
        f"Command: `make bench` or `python bench/bench_config.py [rounds]`. Python"
        f" {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs.\n",
        "| case | rospoll parse OLD (cold) | parse NEW | diff | rospoll total | item changes"
        " | routeros-diff | difflib | routeros-diff / rospoll | rospoll / difflib |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, mine_r, theirs, plain in rows:
        vs_difflib = f"{mine_r['total'] / plain['total']:.1f}x"
        lines.append(
            f"| {name} | {fmt(mine_r, 'parse_old')} | {fmt(mine_r, 'parse_new')} | "
            f"{fmt(mine_r, 'diff')} | {fmt(mine_r)} | {mine_r['changes']} | {fmt(theirs)} | "
            f"{fmt(plain)} | {ratio(theirs, mine_r)} | {vs_difflib} |"
        )
    if not huge:
        lines.append("| corpus 002 | skipped: corpus not found | | | | | | | | |")
    plain_s = scattered_row.plain["total"]
    lines += [
        "",
        "Goals (synthetic pair):",
        f"- at most {GOAL_S:.0f} s for normalise + parse + diff: "
        f"{mine['total']:.2f} s, **{'pass' if meets_time else 'FAIL'}**;",
        f"- at least {GOAL_RATIO:.0f}x faster than routeros-diff: "
        + (f"{speedup:.1f}x" if speedup is not None else "baseline failed")
        + f", **{'pass' if meets_ratio else 'FAIL'}**.",
        "",
        "The synthetic pair: 50,000 `/ip firewall address-list` entries with distinct",
        "addresses and 50,000 `/ip firewall filter` rules with distinct comments; 1,000",
        "comments (1%) edited at random places (seeded). Earlier versions of this benchmark",
        "edited every 100th comment instead. difflib is slow on that pattern"
        f" ({regular_s:.2f} s here against {plain_s:.2f} s for scattered edits): all",
        "unchanged runs then have the same length, `SequenceMatcher.find_longest_match`",
        "breaks ties towards the first one, so the recursion peels one 99-line run off per",
        "level and rescans the rest each time, about n²/100 line look-ups instead of",
        "n log n. Every line is unique in both variants; the slow path is the tie, not junk.",
        "",
        "Where the time goes: normalising and validating the two texts takes"
        f" {mine['normalise']:.2f} s",
        f"of the {mine['total']:.2f} s. `parse_export` then checks every line but builds no",
        "items: it sorts the lines into sections and checks those",
        "the `like` export did not have (all of OLD, few of NEW) with one regex pass for",
        "plain `add` lines and the full parser for the others. The diff compares each",
        "section by its lines: an equal section costs a tuple comparison; in a changed one",
        f"only the differing lines ({differing:,} here) are parsed and keyed, once a look-up",
        "of their key values among the unchanged lines' values shows that no unchanged line",
        "can share a key with them (otherwise, or when lines repeat or unchanged lines",
        "moved, the section's items are all built and compared, as before). One DeepDiff",
        "call explains the changed pairs argument by argument. Section items are built",
        "only when asked for; the recorder's checks count lines.",
        "",
    ]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0 if meets_time and meets_ratio else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
