"""``rospoll diff OLD NEW``: output formats and diff(1) exit codes."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from rospoll.commands import diff

OLD = (
    "# 2024-01-02 10:11:12 by RouterOS 7.16\n/ip dns\nset servers=1.1.1.1\n"
    "/ppp secret\nadd name=a password=old-pw\n"
)
NEW = OLD.replace("1.1.1.1", "9.9.9.9").replace("old-pw", "new-pw")


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    diff.add_parser(parser.add_subparsers())
    args = parser.parse_args(["diff", *argv])
    code: int = args.run(args)
    return code


@pytest.fixture
def files(tmp_path: Path) -> tuple[str, str, str]:
    paths = []
    for name, text in (
        ("old.rsc", OLD),
        ("new.rsc", NEW),
        ("redated.rsc", OLD.replace("2024", "2030")),
    ):
        path = tmp_path / name
        path.write_text(text.replace("\n", "\r\n"), encoding="utf-8")
        paths.append(str(path))
    return paths[0], paths[1], paths[2]


def test_equal_exports_exit_0_and_print_nothing(
    files: tuple[str, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    old, _, redated = files
    assert run(old, redated) == 0
    assert capsys.readouterr().out == ""


def test_different_exports_exit_1_with_masked_sentences_and_diff(
    files: tuple[str, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    old, new, _ = files
    assert run(old, new) == 1
    out = capsys.readouterr().out
    assert "/ip dns: settings changed: servers 1.1.1.1 -> 9.9.9.9" in out
    assert "/ppp secret: name a changed: password changed" in out
    assert "-set servers=1.1.1.1" in out and "pw" not in out
    assert run(old, new, "--show-secrets") == 1
    assert "old-pw -> new-pw" in capsys.readouterr().out


def test_json_and_html_formats(
    files: tuple[str, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    old, new, _ = files
    assert run("--format", "json", old, new) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["schema"] == "rospoll.diff/1" and document["counts"]["changed"] == 2
    assert document["sections"][1]["changes"][0]["args"][0] == {
        "name": "password", "kind": "changed", "secret": True, "old": "******", "new": "******",
    }  # fmt: skip
    assert run("--format", "html", old, new) == 1
    assert capsys.readouterr().out.startswith("<!DOCTYPE html>")


def test_unreadable_or_invalid_file_exits_2_with_one_line_naming_it(
    files: tuple[str, str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, _, _ = files
    missing = str(tmp_path / "missing.rsc")
    assert run(old, missing) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and missing in err and "cannot read" in err
    script = tmp_path / "script.rsc"
    script.write_text(":local a 1\n:put $a\n", encoding="utf-8")
    assert run(str(script), old) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(script) in err and "not an export" in err
