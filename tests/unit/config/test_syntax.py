"""RouterOS escapes: ``decode_value`` and ``unquote``, the product's one unquoter.

Hand-made cases, a round trip through ``quote_value``, and values with escapes from the
real exports in ../shared/corpus (skipped where it is absent). Corpus values may hold
secrets: the checks compute booleans and never show a value.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rospoll.config import Export, parse_export
from rospoll.config.syntax import decode_value, quote_value, unquote


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("\\D0\\9E", "О"),  # Cyrillic O: two bytes
        ("\\D0\\9E\\D0\\B1\\D0\\B0", "Оба"),
        ("Sincroniza\\C3\\A7\\C3\\A3o", "Sincronização"),
        ("\\E2\\9C\\85 ok", "✅ ok"),  # three bytes
        ("\\F0\\9F\\98\\80", "😀"),  # four bytes
        ('a\\_b\\\\c\\$d\\?e\\"f', 'a b\\c$d?e"f'),
        ("\\r\\n\\t\\a\\b\\f\\v", "\r\n\t\a\b\f\v"),
        ("\\\\E2\\\\9C\\\\85", "\\E2\\9C\\85"),  # an escaped backslash, then plain text
        ("\\41\\00", "A\x00"),
        ("\\CA", "\udcca"),  # not UTF-8: the byte stays a surrogate escape
        ("\\E9\\D0\\9E", "\udce9О"),
        ("\\é\\x", "éx"),  # any other escaped character stands for itself
        ("\\d0", "d0"),  # lower case is no hex escape
        ("a\udcff\\_b", "a\udcff b"),  # a raw undecodable byte is left as it was read
        ("trailing\\", "trailing\\"),
    ],
)
def test_decode_value(raw: str, value: str) -> None:
    assert decode_value(raw) == value


@pytest.mark.parametrize(
    ("token", "value"),
    [
        ('"a \\"b\\""', 'a "b"'),
        ('"\\D0\\9E"', "О"),
        ("a\\_b", "a b"),
        ("plain", "plain"),
        ('""', ""),
        ("", ""),
        ('"cut \\D0\\9E', "cut О"),  # a quote never closed
        ('"x"y', "xy"),
    ],
)
def test_unquote(token: str, value: str) -> None:
    assert unquote(token) == value


def test_values_that_are_not_utf8_are_spelled_as_escapes_again() -> None:
    assert quote_value("\udcca") == '"\\CA"'
    assert quote_value("x\udcffy") == '"x\\FFy"'
    assert quote_value("Оба") == "Оба"


TEXT = st.text(st.characters(codec="utf-8") | st.sampled_from('\udc80\udcca\udcff\\"$?_'))


@given(TEXT)
def test_unquote_reads_back_what_quote_value_spells(value: str) -> None:
    assert unquote(quote_value(value)) == value


def _corpus_export(corpus_dir: Path, pattern: str) -> Export:
    found = sorted(corpus_dir.glob(pattern))
    if not found:
        pytest.skip(f"no corpus export {pattern}")
    return parse_export(found[0].read_bytes().decode("utf-8", "surrogateescape"))


def _values(export: Export) -> list[str]:
    return [v for s in export.sections.values() for i in s.items for v in i.args.values()]


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        ("003_*", ("Оба", "и т.д.")),  # \D0\9E\D0\B1\D0\B0, \D0\B8 \D1\82.\D0\B4.
        ("016_*", ("Sincronização", "VERSÃO")),  # \C3\A7\C3\A3, \C3\83
    ],
)
def test_corpus_utf8_escapes_decode_to_their_characters(
    corpus_dir: Path, pattern: str, words: tuple[str, ...]
) -> None:
    values = _values(_corpus_export(corpus_dir, pattern))
    missing = [word for word in words if not any(word in value for value in values)]
    assert not missing, f"{pattern}: decoded words not found: {missing}"


def test_corpus_script_escapes_decode_one_level_at_a_time(corpus_dir: Path) -> None:
    """pair4's scripts hold ``\\\\E2\\\\9C\\\\85`` (✅): the export level gives ``\\E2…``,
    the script's own string level then the emoji."""
    values = _values(_corpus_export(corpus_dir, "pair4_a_*"))
    for escaped, emoji in (("\\E2\\9C\\85", "✅"), ("\\E2\\9D\\8C", "❌")):
        holding = [value for value in values if escaped in value]
        assert holding, f"pair4: no value holds {escaped}"
        assert not any(emoji in value for value in holding), "decoded two levels at once"
        assert all(emoji in decode_value(value) for value in holding), f"{emoji} not decoded"


def test_corpus_values_decode_to_utf8_and_read_back_as_spelled(corpus_dir: Path) -> None:
    for pattern in ("003_*", "016_*", "pair3_a_*", "pair4_a_*"):
        values = _values(_corpus_export(corpus_dir, pattern))
        undecoded = sum(any("\udc80" <= c <= "\udcff" for c in value) for value in values)
        assert undecoded == 0, f"{pattern}: {undecoded} values with bytes that are not UTF-8"
        changed = sum(unquote(quote_value(value)) != value for value in values)
        assert changed == 0, f"{pattern}: {changed} values do not read back as spelled"
