"""Lazy sections and the line diff give exactly what parsing and comparing every item gives.

The reference is ``parse_eagerly`` (every line parsed and keyed at once): its sections
carry no lines, so ``diff_exports`` compares all their items. Random sections and edits
aim at what the line diff must get right: keys shared between changed and unchanged
lines, repeated comments and lines, unkeyed rules, moves, escapes, odd lines.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rospoll.config import (
    ChangeSet,
    Export,
    check_shrink,
    diff_exports,
    parse_export,
    validate_export,
)
from rospoll.config.lines import SIMPLE
from rospoll.config.parse import parse_eagerly
from rospoll.config.syntax import parse_command, quote_value
from rospoll.config.validate import check_tail_cut
from rospoll.errors import ExportInvalidError

HEADER = "# 2024-01-02 10:11:12 by RouterOS 7.16\n"
PATHS = (
    "/ip firewall filter",  # ordered, keyed by comment or content
    "/ip firewall address-list",  # keyed by list + address
    "/ip pool",  # keyed by name
    "/interface bridge port",  # keyed by bridge + interface, or interface
)
NAMES = ("comment", "address", "list", "name", "interface", "bridge", "action", "disabled")
VALUES = ("a", "b", "a b", "", "10.0.0.1", "10.0.0.2", 'say "hi"', "back\\slash", "$x", "é")


def spellings(value: str, plain: bool) -> list[str]:
    """Ways RouterOS text can spell ``value`` (``plain``: without escapes)."""
    ways = [quote_value(value)]
    if '"' not in value and "\\" not in value:
        ways.append(f'"{value}"')
    if " " in value and not plain:
        ways.append(value.replace(" ", "\\_"))
    return [way for way in ways if not plain or "\\" not in way]


_VALUES = st.one_of(st.sampled_from(VALUES), st.integers(0, 99).map(lambda n: f"v{n}"))
_PLAIN_VALUES = _VALUES.filter(lambda value: '"' not in value and "\\" not in value)
_ARGS = {
    False: st.dictionaries(st.sampled_from(NAMES), _VALUES, max_size=4),
    True: st.dictionaries(st.sampled_from(NAMES), _PLAIN_VALUES, min_size=1, max_size=4),
}
_HEADS = {
    False: st.sampled_from(["add", "add passive", "set", "set ether1"]),
    True: st.just("add"),
}


@st.composite
def lines(draw: st.DrawFn, plain: bool = False) -> str:
    """A command line; ``plain``: an ``add`` the line diff reads (``lines.SIMPLE``)."""
    tokens = []
    for name, value in draw(_ARGS[plain]).items():
        ways = spellings(value, plain)
        tokens.append(f"{name}={ways[draw(st.integers(0, len(ways) - 1))]}")
    return " ".join([draw(_HEADS[plain]), *tokens])


@st.composite
def edited(draw: st.DrawFn, old: list[str], plain: bool) -> list[str]:
    """``old`` after a few removals, insertions, edits, moves (of edited lines too) and
    copies."""
    new = list(old)
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(["remove", "insert", "edit", "move", "edit+move", "copy"]))
        if not new and op != "insert":
            continue
        at = draw(st.integers(0, max(0, len(new) - 1)))
        if op == "remove":
            del new[at]
        elif op == "insert":
            new.insert(draw(st.integers(0, len(new))), draw(lines(plain)))
        elif op == "edit":
            new[at] = draw(st.sampled_from([draw(lines(plain)), new[at] + " disabled=yes"]))
        elif op == "move":
            new.insert(draw(st.integers(0, len(new) - 1)), new.pop(at))
        elif op == "edit+move":
            new.insert(draw(st.integers(0, len(new) - 1)), new.pop(at) + " log=yes")
        else:
            new.insert(draw(st.integers(0, len(new))), new[at])
    return new


@st.composite
def pairs(draw: st.DrawFn, readable: bool = False) -> tuple[str, str]:
    """Two versions of an export: some sections edited, some dropped or added.

    ``readable``: the old sections are all distinct SIMPLE lines, as the line diff wants.
    """
    old, new = [], []
    for path in draw(st.permutations(PATHS)):
        plain = readable or draw(st.integers(0, 3)) > 0  # mostly lines the line diff reads
        before = draw(st.lists(lines(plain), max_size=8, unique=readable))
        after = draw(edited(before, plain))
        if draw(st.integers(0, 9)):
            old.append("\n".join([path, *before]))
        if draw(st.integers(0, 9)):
            new.append("\n".join([path, *after]))
    return HEADER + "\n".join(old) + "\n", HEADER + "\n".join(new) + "\n"


def eager(text: str) -> Export | str:
    try:
        return parse_eagerly(validate_export(text))
    except ExportInvalidError as exc:
        return str(exc)


def lazy(text: str, like: Export | str | None = None) -> Export | str:
    try:
        return parse_export(text, like=like if isinstance(like, Export) else None)
    except ExportInvalidError as exc:
        return str(exc)


def diff(old: Export | str, new: Export | str) -> ChangeSet | None:
    if isinstance(old, str) or isinstance(new, str):
        return None
    return diff_exports(old, new)


def check(old_text: str, new_text: str) -> None:
    """The lazy path, cold and warm in either order, against the eager reference."""
    reference = eager(old_text), eager(new_text)
    expected = diff(*reference)
    older = lazy(old_text)
    runs = [(older, lazy(new_text, like=older))]  # NEW like OLD (bench, rospoll diff)
    newer = lazy(new_text)
    runs.append((lazy(old_text, like=newer), newer))  # OLD like NEW (the recorder)
    runs.append((lazy(old_text), lazy(new_text)))  # both cold
    for pair in runs:
        assert pair == reference
        assert diff(*pair) == expected
    old, new = runs[0]
    if not isinstance(old, str) and not isinstance(new, str):
        for path, section in new.sections.items():
            assert section.by_key == reference[1].sections[path].by_key  # type: ignore[union-attr]
        assert diff(old, old) == diff(reference[0], reference[0])


@given(pairs())
def test_the_line_diff_gives_the_item_diff(texts: tuple[str, str]) -> None:
    check(*texts)


@given(pairs(readable=True))
def test_the_line_diff_gives_the_item_diff_where_it_reads_the_lines(
    texts: tuple[str, str],
) -> None:
    check(*texts)


@pytest.mark.fuzz
@pytest.mark.timeout(3600)  # the "fuzz" profile runs 10,000 examples
@given(pairs(), pairs())
def test_the_line_diff_gives_the_item_diff_also_between_unrelated_exports(
    first: tuple[str, str], second: tuple[str, str]
) -> None:
    check(first[0], second[1])


def big(edits: dict[int, str]) -> str:
    rules = [f'add action=drop chain=forward comment="rule {n}" dst-port={n}' for n in range(300)]
    entries = [f"add address=10.0.{n // 256}.{n % 256} list=blocked" for n in range(300)]
    body = ["/ip firewall filter", *rules, "/ip firewall address-list", *entries]
    for index, line in edits.items():
        body[index] = line
    return HEADER + "\n".join(body) + "\n"


@pytest.mark.parametrize(
    "edits",
    [
        {5: 'add action=accept chain=forward comment="rule 5" dst-port=5'},  # same key, changed
        {5: 'add action=drop chain=forward comment="rule 7" dst-port=5'},  # comment now repeated
        {5: "add action=drop chain=forward dst-port=5"},  # comment dropped: content key
        {5: 'add action=drop chain=forward comment="rule 9" dst-port=9'},  # a copy of rule 9
        {9: 'add action=drop chain=forward comment="rule 3" dst-port=3', 4: "add chain=x"},
        {305: "add address=10.0.0.7 list=blocked comment=x"},  # key of an unchanged line
        {305: "add address=10.0.0.4 list=other"},
        {305: "add address=10.0.0.4 list=blocked disabled=yes"},
    ],
)
def test_edits_that_touch_the_keys_of_unchanged_lines(edits: dict[int, str]) -> None:
    check(big({}), big(edits))
    check(big(edits), big({}))


def test_the_recorder_path_finds_a_changed_rule_that_moved_without_building_items() -> None:
    old_text = big({})
    new_text = big({4: 'add action=drop chain=forward comment="rule 3" dst-port=3 log=yes'})
    lines = new_text.splitlines()
    lines.insert(11, lines.pop(5))  # the changed rule 3 moves below rule 9
    new_text = "\n".join(lines) + "\n"
    check(old_text, new_text)
    new = parse_export(new_text)
    old = parse_export(old_text, like=new)
    check_shrink(old, new)  # the recorder's checks count lines
    check_tail_cut(old, new)
    kinds = sorted(change.kind for change in diff_exports(old, new).items())
    assert kinds == ["changed", "moved"]
    assert all(s._built is None for e in (old, new) for s in e.sections.values())


def test_the_corpus_pairs_diff_the_same_both_ways(corpus_dir: Path) -> None:
    for name in ("pair1", "pair2", "pair3", "pair4"):
        [old] = corpus_dir.glob(f"{name}_a_*")
        [new] = corpus_dir.glob(f"{name}_b_*")
        texts = [p.read_bytes().decode("utf-8", "surrogateescape") for p in (old, new)]
        check(*texts)


def test_each_corpus_export_against_a_copy_with_edits(corpus_dir: Path) -> None:
    for path in sorted(corpus_dir.glob("0*")):
        text = path.read_bytes().decode("utf-8", "surrogateescape")
        lines = text.splitlines()
        adds = [i for i, line in enumerate(lines) if line.startswith("add ")]
        for index in adds[1::7]:
            lines[index] += " comment=edited"
        for index in reversed(adds[3::11]):
            del lines[index]
        check(text, "\n".join(lines) + "\n")


SIMPLE_PIECES = st.sampled_from(
    ["add", " ", "  ", "a", "name", "=", '"', "x y", "\\", "\t", "\xa0", "\u3000", "é", "\x00",
     "[", "!", "$", "\n", "10.0.0.1/24", "-", "ü=", ","]
)  # fmt: skip


@given(st.lists(SIMPLE_PIECES, max_size=14).map("".join))
def test_a_simple_line_is_a_plain_add_with_its_values_spelled_verbatim(text: str) -> None:
    if not SIMPLE.fullmatch(text):
        return
    command, selector, args = parse_command(text)
    assert (command, selector) == ("add", None)
    for name, value in args.items():
        assert f" {name}={value}" in text or f' {name}="{value}"' in text


def test_no_whitespace_in_a_bare_simple_value() -> None:
    for char in map(chr, range(0x3001)):  # U+3000 is the last whitespace character
        if char.isspace():
            assert not SIMPLE.fullmatch(f"add a=x{char}y")
