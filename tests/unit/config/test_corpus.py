"""The model against the 31 real exports of ../shared/corpus (skipped where absent).

Assertions name files and counts only: corpus contents (and their secrets) never reach
test output.
"""

from __future__ import annotations

import difflib
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from rospoll.config import (
    Export,
    diff_exports,
    normalise_export,
    parse_command,
    parse_export,
    render_export,
    split_line,
)
from rospoll.errors import ExportInvalidError

NON_EXPORT = "900_"
PAIRS = ("pair1", "pair2", "pair3", "pair4")


def exports(corpus: Path) -> list[Path]:
    return sorted(
        p for p in corpus.iterdir() if p.suffix in (".rsc", ".txt") and not p.name.startswith("9")
    )


@cache
def read(path: Path) -> str:
    return path.read_bytes().decode("utf-8", "surrogateescape")


@cache
def parsed(path: Path) -> Export:
    return parse_export(read(path))


def pair(corpus: Path, name: str) -> tuple[Path, Path]:
    [old] = corpus.glob(f"{name}_a_*")
    [new] = corpus.glob(f"{name}_b_*")
    return old, new


def test_every_export_parses_round_trips_and_diffs_empty_against_itself(corpus_dir: Path) -> None:
    files = exports(corpus_dir)
    assert len(files) == 30
    failures = []
    for path in files:
        export = parsed(path)
        if export.item_count() == 0:
            failures.append(f"{path.name}: no items")
        if parse_export(render_export(export)) != export:
            failures.append(f"{path.name}: rendering does not parse back to an equal model")
        if diff_exports(export, export):
            failures.append(f"{path.name}: diff with itself is not empty")
    assert failures == []


def test_a_stored_text_normalises_to_itself(corpus_dir: Path) -> None:
    """Stored versions are ``normalise_export(raw).text()``; ``unified_diff`` compares them
    as given, which loses nothing only because normalising them again changes nothing."""
    changed = []
    for path in exports(corpus_dir):
        normalised = normalise_export(read(path))
        if normalise_export(normalised.text()) != normalised:
            changed.append(path.name)
    assert changed == []


def test_only_the_date_header_changed_diffs_empty(corpus_dir: Path) -> None:
    for path in exports(corpus_dir):
        text = read(path)
        header, _, body = text.partition("by RouterOS")
        redated = "# 1999-12-31 23:59:59 by RouterOS" + body
        assert not diff_exports(parsed(path), parse_export(redated)), path.name
        assert header.startswith("#"), path.name


def test_the_non_export_script_is_rejected_with_a_clear_reason(corpus_dir: Path) -> None:
    [script] = corpus_dir.glob(f"{NON_EXPORT}*")
    with pytest.raises(ExportInvalidError) as caught:
        parse_export(read(script))
    assert "not an export" in caught.value.reason


def _changed_lines(old: str, new: str) -> tuple[Counter[tuple[str, str]], Counter[tuple[str, str]]]:
    """(section, command) lines only in OLD and only in NEW, per a plain line diff."""

    def logical(text: str) -> list[tuple[str, str]]:
        section, out = "", []
        for line in normalise_export(text).lines:
            if line.startswith("#"):
                continue
            path, command = split_line(line)
            section = path or section
            if command:
                out.append((section, command))
        return out

    old_lines, new_lines = logical(old), logical(new)
    minus, plus = Counter[tuple[str, str]](), Counter[tuple[str, str]]()
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            minus.update(old_lines[i1:i2])
            plus.update(new_lines[j1:j2])
    moved = minus & plus  # lines that only moved within the text
    return minus - moved, plus - moved


@pytest.mark.parametrize("name", PAIRS)
def test_every_line_the_line_diff_shows_is_accounted_for(corpus_dir: Path, name: str) -> None:
    old_path, new_path = pair(corpus_dir, name)
    changes = diff_exports(parsed(old_path), parsed(new_path))
    assert changes
    touched_old, touched_new = set(), set()
    for change in changes.items():
        if change.old is not None:
            touched_old.add((change.section, tuple(sorted(change.old.args.items()))))
        if change.new is not None:
            touched_new.add((change.section, tuple(sorted(change.new.args.items()))))
    minus, plus = _changed_lines(read(old_path), read(new_path))
    assert minus or plus
    missing = 0
    for lines, touched in ((minus, touched_old), (plus, touched_new)):
        for section, command in lines:
            args = tuple(sorted(parse_command(command)[2].items()))
            missing += (section, args) not in touched
    assert missing == 0, f"{name}: {missing} changed lines not explained by the ChangeSet"


def test_small_change_in_big_file_gives_few_named_changes(corpus_dir: Path) -> None:
    changes = diff_exports(*(parsed(p) for p in pair(corpus_dir, "pair3")))
    items = list(changes.items())
    assert 1 <= len(items) <= 11
    sentences = changes.sentences()
    for change in items:
        assert any(s.startswith(f"{change.section}: {change.label} ") for s in sentences)


def test_v6_to_v7_upgrade_reports_hidden_secrets_not_removed_passwords(corpus_dir: Path) -> None:
    old_path, new_path = pair(corpus_dir, "pair2")
    # The published v6 export had its secrets stripped; put back what v6 would have shown.
    old_text = read(old_path).replace("\r\n", "\n")
    for anchor, secret in (
        ("/interface pppoe-client\nadd ", "password=injected-one "),
        ("/interface wireless security-profiles\nset [ find default=yes ] ",
         "wpa2-pre-shared-key=injected-two "),
    ):  # fmt: skip
        assert anchor in old_text
        old_text = old_text.replace(anchor, anchor + secret)
    old, new = parse_export(old_text), parsed(new_path)
    assert (old.meta.major, new.meta.major) == (6, 7)
    changes = diff_exports(old, new)
    kinds = Counter(
        (arg.name, arg.kind) for change in changes.items() for arg in change.args if arg.is_secret
    )
    assert kinds == {("password", "hidden"): 1, ("wpa2-pre-shared-key", "hidden"): 1}
    text = "\n".join(changes.sentences())
    assert "password hidden by export" in text and "injected" not in text
    assert "removed" not in " ".join(s for s in changes.sentences() if "password" in s)
