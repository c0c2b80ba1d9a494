"""safe_name: plain, bounded, Windows-safe file names; one-to-one, even ignoring case."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rospoll.store.names import ident_name, safe_name

PLAIN = re.compile(r"[A-Za-z0-9._~-]+")
DEVICES = {
    "con",
    "prn",
    "aux",
    "nul",
    *(f"com{i}" for i in range(10)),
    *(f"lpt{i}" for i in range(10)),
}
HOSTILE = [
    "../../etc/x",
    "<script>",
    "x" * 300,
    "a\nb",
    "nul\x00byte",
    "..",
    ".",
    "CON",
    "con",
    "con.txt",
    "",
    "jürgen",
    "用户",
    "a/b",
    "a\\b",
    ".hidden",
    "trailing.",
    "a..b",
    "C:evil",
]


def assert_plain(name: str, max_len: int = 64) -> None:
    assert PLAIN.fullmatch(name), name
    assert 0 < len(name) <= max_len
    assert not name.startswith(".") and not name.endswith(".")
    assert ".." not in name
    assert name.split(".", 1)[0].lower() not in DEVICES


@pytest.mark.parametrize("name", ["alice", "admin", "core-rtr1", "rtr_2.example.net", "a"])
def test_safe_names_are_kept_as_they_are(name: str) -> None:
    assert safe_name(name) == name


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_become_plain_file_names(name: str) -> None:
    result = safe_name(name)
    assert_plain(result)
    assert "~" in result  # changed names always carry the hash


def test_hostile_names_keep_a_readable_prefix() -> None:
    assert safe_name("../../etc/x") == "_._etc_x~56da1a2ef2"
    assert safe_name("CON").startswith("_CON~")
    assert safe_name("x" * 300).startswith("x" * 53 + "~")


def test_names_differing_only_in_case_get_different_files() -> None:
    assert safe_name("Alice").casefold() != safe_name("alice").casefold()


def test_a_hashed_name_cannot_be_forged_by_a_literal_name() -> None:
    forged = safe_name("<x>")
    assert safe_name(forged) != forged  # "~" is never kept, so the forgery is hashed again


def test_max_len_is_honoured_and_bounded_below() -> None:
    assert len(safe_name("y" * 100, max_len=20)) == 20
    with pytest.raises(ValueError, match="at least 16"):
        safe_name("x", max_len=15)


@given(st.text())
def test_any_text_gives_a_plain_safe_file_name(text: str) -> None:
    assert_plain(safe_name(text))


@given(st.lists(st.text(max_size=80), unique=True, max_size=40))
def test_mapping_is_injective_even_ignoring_case(texts: list[str]) -> None:
    names = {safe_name(t).casefold() for t in texts}
    assert len(names) == len(texts)


@given(st.text())
def test_ident_name_never_breaks_a_git_ident_line(text: str) -> None:
    name = ident_name(text)
    assert name and name == name.strip()
    assert not set(name) & {"<", ">", "\n", "\r", "\x00"}
    assert len(name) <= 128


def test_ident_name_keeps_ordinary_names() -> None:
    assert ident_name("alice") == "alice"
    assert ident_name("Jürgen Müller") == "Jürgen Müller"
    assert ident_name("<script>") == "_script_"
    assert ident_name("") == safe_name("")
