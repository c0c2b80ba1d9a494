"""Hypothesis: the normaliser, validator and parser only ever raise ExportInvalidError.

Run with the active profile: "ci" (300 examples) by default, "fuzz" via ``make fuzz``.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from rospoll.config import (
    diff_exports,
    normalise_export,
    parse_export,
    render_export,
    validate_export,
)
from rospoll.config.syntax import render_arguments
from rospoll.errors import ExportInvalidError

HEADER = "# 2024-01-02 10:11:12 by RouterOS 7.16\n"
PIECES = st.sampled_from(
    [
        "/ip address", "/ip firewall filter", "/ip dns ", "add ", "set ", "move ", "remove ",
        "[ find default-name=ether1 ]", "[", "]", "name=", "comment=", "x", "0", "*1", " ",
        "\n", "\r\n", "\\\n    ", '"', '\\"', "\\", "\\_", "\\D0\\9E", "\\$", "!keepalive",
        "#", "# inactive time", "[admin@MikroTik] > ", "\x1b[K", ":local", "=", "\t", "é",
        "expected end of command", "by RouterOS 6.49", "# model = x",
    ]
)  # fmt: skip
EXPORTISH = st.lists(PIECES, max_size=40).map("".join)


def must_not_crash(text: str) -> None:
    normalise_export(text)
    try:
        validate_export(text)
        export = parse_export(text)
    except ExportInvalidError as exc:
        assert exc.reason
        return
    assert parse_export(render_export(export)) == export
    assert not diff_exports(export, export)


@pytest.mark.fuzz
@pytest.mark.timeout(3600)  # the "fuzz" profile runs 10,000 examples
@given(st.text())
def test_any_text_only_raises_the_typed_error(text: str) -> None:
    must_not_crash(text)
    must_not_crash(HEADER + text)


@pytest.mark.fuzz
@pytest.mark.timeout(3600)  # the "fuzz" profile runs 10,000 examples
@given(EXPORTISH)
@example("/ip address\\ add ")  # regression: the path rendered as a continuation line
@example("/ip address\\ set /ip address")
def test_export_like_text_only_raises_the_typed_error(text: str) -> None:
    must_not_crash(HEADER + text)
    must_not_crash(HEADER + "/ip firewall filter\n" + text)


@pytest.mark.fuzz
@pytest.mark.timeout(3600)  # the "fuzz" profile runs 10,000 examples
@given(st.dictionaries(st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True), st.text()))
def test_any_argument_values_survive_render_and_parse(args: dict[str, str]) -> None:
    line = "add " + render_arguments(args) if args else "add"
    text = HEADER + "/ip firewall filter\n" + line + "\n"
    try:
        export = parse_export(text)
    except ExportInvalidError:
        return
    assert parse_export(render_export(export)) == export
