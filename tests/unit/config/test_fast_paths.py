"""The shortcuts that make big exports fast give exactly what the careful paths give.

Fast tokenizers against the regex tokenizer, a parse ``like`` another export against a
cold parse, the key and secret tables against their patterns, and DeepDiff's explanation
when a changed item keeps few argument names.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rospoll.config import diff_exports, normalise_export, parse_export, render_export, split_line
from rospoll.config.keys import NATURAL_KEYS, ORDERED_SECTIONS, is_ordered, key_spec
from rospoll.config.normalise import (
    _CONTINUATION,
    _DEFAULT_TRANSIENT,
    _META_LINE,
    _PROMPT,
    HEADER,
    clean_text,
    join_continuations,
)
from rospoll.config.secrets import SENSITIVE_ARGS, is_sensitive
from rospoll.config.syntax import (
    _TOKEN,
    _TOKENS,
    _split_quoted,
    fast_arguments,
    parse_arguments,
)
from rospoll.errors import ExportInvalidError

V7 = "# 2024-01-02 10:11:12 by RouterOS 7.16\n"
WORDS = st.sampled_from(
    [
        "name", "comment", "list", "a", "!keep", "x-y", "=", "==", '"', '""', '"a b"', " ",
        "  ", "\t", "\xa0", "\x1f", "[", "]", "[ find ]", "\\", '\\"', "é", "0", "*1", "$",
        "yes", "\udcff",
    ]
)  # fmt: skip
ARGUMENT_TEXT = st.lists(WORDS, max_size=12).map("".join)


def careful(text: str) -> tuple[str | None, dict[str, str]] | str:
    try:
        return parse_arguments(text)
    except ExportInvalidError as exc:
        return exc.reason


@given(ARGUMENT_TEXT)
def test_fast_arguments_agree_with_the_careful_parser_or_step_aside(text: str) -> None:
    fast = fast_arguments(text)
    slow = careful(text)
    if fast is not None:
        assert slow == (None, fast)
        assert isinstance(slow, tuple) and list(slow[1].items()) == list(fast.items())


@given(ARGUMENT_TEXT, ARGUMENT_TEXT)
def test_quoted_split_gives_the_regex_tokens_or_steps_aside(head: str, tail: str) -> None:
    text = (head + '"' + tail).replace("\\", "").strip()  # quotes, no escapes
    tokens = _split_quoted(text)
    if tokens is not None:
        assert _TOKENS.fullmatch(text)
        assert tokens == _TOKEN.findall(text)


def test_common_lines_take_the_fast_paths() -> None:
    assert fast_arguments('action=drop comment="a b" chain=forward') == {
        "action": "drop", "comment": "a b", "chain": "forward"
    }  # fmt: skip
    assert fast_arguments("action=drop chain=") == {"action": "drop", "chain": ""}
    for text in ("ether1 comment=x", "!keep=1", '"lan A" comment=x', "comment=a\\_b", "a=1 =2"):
        assert fast_arguments(text) is None
    assert _split_quoted('set "lan A" comment="x y"') == [
        ("set", "", "", ""), ("", "", "", '"lan A"'), ("comment", "=", '"x y"', "")
    ]  # fmt: skip


def test_the_key_tables_answer_as_the_patterns_say() -> None:
    paths = [p for p, _ in NATURAL_KEYS] + list(ORDERED_SECTIONS)
    paths += ["/ip route x", "/ip", "", "*", "/IP ADDRESS", "/ip firewall filter "]
    for path in paths:
        first = next(alts for pattern, alts in NATURAL_KEYS if fnmatchcase(path, pattern))
        assert key_spec(path) == tuple(tuple(alt.split(",")) for alt in first)
        assert is_ordered(path) == any(fnmatchcase(path, p) for p in ORDERED_SECTIONS)


NAME_PIECES = st.sampled_from(
    ["password", "secret", "key", "psk", "-", ".", "x", "wpa2", "pre-shared", "static-key",
     "auth", "token", "*", "?", "[", "\n", "é"]
)  # fmt: skip


@given(st.lists(NAME_PIECES, max_size=5).map("".join))
def test_the_secret_names_regex_is_the_fnmatch_patterns(name: str) -> None:
    assert is_sensitive(name) == any(fnmatchcase(name, p) for p in SENSITIVE_ARGS)


SECTIONS = (
    "/ip address\nadd address=10.0.0.1/24 interface=ether1 name=x\n"
    "/ip pool\nadd address=10.0.0.1/24 interface=ether1 name=x\n"
    "/ip firewall filter\n"
    'add action=drop chain=input comment="drop invalid"\n'
    'add action=drop chain=input comment="drop invalid"\n'
    "add action=accept chain=input\n"
)
OTHER = (
    "/ip pool\nadd address=10.0.0.1/24 interface=ether1 name=x\n"
    "/ip firewall filter\n"
    "add action=accept chain=input\n"
    'add action=drop chain=input comment="drop invalid"\n'
    "/ip address\nadd address=10.0.0.1/24 interface=ether1 name=x\n"
)


@pytest.mark.parametrize(("first", "second"), [(SECTIONS, OTHER), (OTHER, SECTIONS)])
def test_reusing_another_exports_lines_gives_the_cold_result(first: str, second: str) -> None:
    cold = parse_export(V7 + second)
    warm = parse_export(V7 + second, like=parse_export(V7 + first))
    assert warm == cold
    assert [s.by_key for s in warm.sections.values()] == [s.by_key for s in cold.sections.values()]
    keys = {path: [item.key for item in s.items] for path, s in warm.sections.items()}
    assert keys["/ip address"] == ["address=10.0.0.1/24"]  # same line, per-section keys
    assert keys["/ip pool"] == ["name=x"]


def test_duplicate_comments_fall_back_to_content_keys_also_when_reused() -> None:
    export = None
    for _ in range(2):
        export = parse_export(V7 + SECTIONS, like=export)
        keys = [item.key for item in export.sections["/ip firewall filter"].items]
        assert keys[0].startswith("@") and keys[1] == keys[0] + " ~2"
        assert keys[2].startswith("@") and keys[2] != keys[0]


def test_a_changed_rule_that_keeps_no_argument_name_is_explained_name_by_name() -> None:
    rule = '/ip firewall filter\nadd {} comment="r1"\nadd chain=forward\n'
    old = parse_export(V7 + rule.format("action=drop chain=input"))
    new = parse_export(V7 + rule.format("dst-port=22 protocol=tcp"))
    [change] = diff_exports(old, new).items()
    assert [(a.name, a.kind) for a in change.args] == [
        ("action", "removed"), ("chain", "removed"), ("dst-port", "added"),
        ("protocol", "added"),
    ]  # fmt: skip


@given(
    st.lists(st.sampled_from(["\\", "\n", " ", "\t", "a", '"', "\\_"]), max_size=30).map("".join)
)
def test_continuations_are_joined_as_the_look_behind_rule_says(text: str) -> None:
    assert join_continuations(text) == _CONTINUATION.sub(r"\1", text)


def test_doubled_spaces_in_a_section_path_are_tidied_so_it_round_trips() -> None:
    assert split_line("/ip dns  add ") == ("/ip dns", "add ")
    assert split_line("/ip  dns") == ("/ip dns", "")
    export = parse_export(V7 + "/ip dns  add \n")  # found by test_fuzz
    assert list(export.sections) == ["/ip dns"]
    assert parse_export(render_export(export)) == export


def careful_lines(text: str) -> list[str]:
    """The normaliser's line loop, one line at a time (its shortcut skips plain lines)."""
    body = join_continuations(clean_text(text).rstrip("\n"))
    lines: list[str] = []
    in_header = seen_header = False
    for line in body.split("\n"):
        if not line or line.isspace():
            continue
        if line[0] == "#":
            if in_header and (_META_LINE.fullmatch(line) or line.strip() == "#"):
                continue
            in_header = False
            if not seen_header and not lines and HEADER.match(line):
                in_header = seen_header = True
                continue
            if _DEFAULT_TRANSIENT.fullmatch(line):
                continue
        elif line[0] == "[" and _PROMPT.match(line):
            continue
        else:
            in_header = False
        lines.append(line)
    return lines


LINE_PIECES = st.sampled_from(
    ["add a=1", "/ip dns", "#", "# x", "# by RouterOS 7.1", "# model = y", " ", "\t", "\xa0",
     "\x1c", "", "[admin@r] > ", "[x]", "\\", "\r", "# inactive time"]
)  # fmt: skip


@given(st.lists(st.lists(LINE_PIECES, max_size=3).map("".join), max_size=12).map("\n".join))
def test_the_normaliser_keeps_the_lines_its_line_loop_keeps(text: str) -> None:
    assert list(normalise_export(text).lines) == careful_lines(text)
