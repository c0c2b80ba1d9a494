r"""Escaped non-ASCII text (``\D0\9E`` = "О") reads the same in log lines, history and exports.

RouterOS prints bytes outside ASCII as ``\XX`` escapes, a multi-byte character as a run of
them. Attribution decodes them with the config package's ``decode_value`` (the product's one
unquoter), so a value a command names equals the value the export holds and the change is
credited to the user whose command names it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rospoll.attribution.attribute import attribute
from rospoll.attribution.history import HistoryEntry, parse_history
from rospoll.attribution.logline import ChangeEvent, LoginEvent, parse_log_line
from rospoll.attribution.objects import parse_command, unquote_value
from rospoll.config import ChangeSet, diff_exports, normalise_export, parse_export, split_line
from rospoll.config import unquote as config_unquote

HEADER = "# 2025-05-30 11:07:28 by RouterOS 7.16\n# software id = \n#\n"
OFFICE = r"\D0\9E\D1\84\D0\B8\D1\81"  # "Офис"
ANYA = r"\D0\90\D0\BD\D1\8F"  # "Аня"
GRIN = r"\F0\9F\98\80"  # "😀", four bytes
CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus"


def _change(line: str) -> ChangeEvent:
    event = parse_log_line(line)
    assert isinstance(event, ChangeEvent), event
    return event


def _note_changes(old_note: str, new_note: str) -> ChangeSet:
    """``/system note`` changed from OLD to NEW, both spelled as RouterOS prints them."""
    old = parse_export(f"{HEADER}/system note\nset note={old_note} show-at-login=no\n")
    new = parse_export(f"{HEADER}/system note\nset note={new_note} show-at-login=no\n")
    return diff_exports(old, new)


# ---- literal texts ------------------------------------------------------------------


def test_command_arguments_decode_multibyte_escapes() -> None:
    (ref,) = parse_command(f'/ip address add address=10.0.1.1/24 comment="{OFFICE} {GRIN}"')
    assert dict(ref.args)["comment"] == "Офис 😀"
    (ref,) = parse_command(f"/system identity set name={OFFICE}\\_{ANYA}")  # bare, escaped
    assert dict(ref.args)["name"] == "Офис Аня"


def test_unquote_value_decodes_quoted_and_keeps_bare_text() -> None:
    assert unquote_value(f'"{OFFICE}"') == "Офис"
    assert unquote_value(f'"{GRIN}" tail') == "😀 tail"
    assert unquote_value(f"/ip address add comment={OFFICE}") == f"/ip address add comment={OFFICE}"


def test_v7_log_line_with_escaped_user_and_cyrillic_comment() -> None:
    event = _change(
        f" 2025-08-15 00:47:51 system,info address added by ssh:{ANYA}@10.1.1.2 "
        f'(*3 = /ip address add address=10.0.1.1/24 comment="{OFFICE}" interface=ether2)'
    )
    assert (event.user, event.via, event.address) == ("Аня", "ssh", "10.1.1.2")
    (ref,) = parse_command(event.command)
    export = parse_export(
        f'{HEADER}/ip address\nadd address=10.0.1.1/24 comment="{OFFICE}" interface=ether2\n'
    )
    (item,) = export.sections["/ip address"].items
    assert (
        dict(ref.args)
        == dict(item.args)
        == {
            "address": "10.0.1.1/24",
            "comment": "Офис",
            "interface": "ether2",
        }
    )


def test_v6_change_and_login_lines_decode_the_user() -> None:
    assert _change(f"12:00:00 system,info filter rule added by {ANYA}").user == "Аня"
    login = parse_log_line(f"12:00:01 system,info,account user {ANYA} logged in via winbox")
    assert isinstance(login, LoginEvent)
    assert (login.user, login.logged_in, login.via) == ("Аня", True, "winbox")
    failure = parse_log_line(f"login failure for user {GRIN} from 10.0.0.9 via ssh")
    assert isinstance(failure, LoginEvent)
    assert (failure.user, failure.failed, failure.address) == ("😀", True, "10.0.0.9")


def test_history_detail_decodes_user_and_keeps_commands_for_their_own_parse() -> None:
    text = (
        "Flags: U - undoable, R - redoable, F - floating-undo\n"
        f' 0 U action="address added" by="{ANYA}" policy=write time=2025-03-10 15:04:16\n'
        f'     redo="/ip address add address=10.0.1.1/24 comment=\\"{OFFICE}\\" interface=ether2"\n'
        '     undo="/ip address remove *3"\n'
        f' 1 U action="note changed" by="{GRIN}" policy=write time=2025-03-10 15:05:00\n'
        f'     redo=/system note set note="{OFFICE} {GRIN}"\n'
        "     undo=/system note set note=old\n"
    )
    first, second = parse_history(text)
    assert (first.by, first.action) == ("Аня", "address added")
    assert dict(parse_command(first.redo)[0].args)["comment"] == "Офис"
    assert second.by == "😀"
    assert second.redo == f'/system note set note="{OFFICE} {GRIN}"'  # bare: as printed
    assert dict(parse_command(second.redo)[0].args)["note"] == "Офис 😀"


def test_history_table_decodes_by_and_action() -> None:
    action = f"user {ANYA} changed"
    text = f"  {'ACTION':<38}{'BY':<22}POLICY\nU {action:<38}{ANYA:<22}write\n"
    (entry,) = parse_history(text)
    assert (entry.action, entry.by, entry.policy) == ("user Аня changed", "Аня", "write")


def test_log_event_naming_the_escaped_value_gets_the_credit() -> None:
    changes = _note_changes("old", f'"{OFFICE} {GRIN}"')
    events = [
        _change(
            f'system note changed by ssh:{ANYA}@10.0.0.1 (/system note set note="{OFFICE} {GRIN}")'
        ),
        _change("system note changed by ssh:bob@10.0.0.2 (/system note set note=other)"),
    ]
    (credit,) = attribute(changes, events=events)
    assert (credit.user, credit.source, credit.address, credit.inferred) == (
        "Аня",
        "log",
        "10.0.0.1",
        False,
    )
    assert credit.commands == (f'/system note set note="{OFFICE} {GRIN}"',)
    assert [(c.section, c.kind) for c in credit.changes] == [("/system note", "changed")]


def test_history_entry_naming_the_escaped_value_gets_the_credit() -> None:
    changes = _note_changes("old", f'"{OFFICE}"')
    history = [  # newest first, as printed
        HistoryEntry("note changed", "bob", "write", "", "/system note set note=other", "", "U"),
        HistoryEntry(
            "note changed", "Аня", "write", "", f'/system note set note="{OFFICE}"', "", "U"
        ),
    ]
    (credit,) = attribute(changes, history=history)
    assert (credit.user, credit.source, credit.inferred) == ("Аня", "history", False)


# ---- real escaped texts from the shared corpus ---------------------------------------

_HEX_RUN = re.compile(r"\\[C-F][0-9A-F]\\[89AB][0-9A-F]")
_QUOTED_ARG = re.compile(r'(?<![^\s])([\w.-]+)=("[^"\\]*(?:\\.[^"\\]*)*")')


Token = tuple[str, str, str, str, str]  # file, section, key, raw quoted token, decoded value


@pytest.fixture(scope="module")
def corpus_tokens() -> list[Token]:
    """Every quoted argument of the corpus exports that holds a multi-byte escape, with the
    value the export parser decoded for it. Values are never printed: they may hold secrets.
    """
    if not CORPUS.is_dir():
        pytest.skip(f"no corpus at {CORPUS}")
    found = []
    for path in sorted(CORPUS.glob("*.rsc")):
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        if not _HEX_RUN.search(text):
            continue
        export = parse_export(text)
        section = ""
        for line in normalise_export(text).lines:
            if line.startswith("/"):
                section = split_line(line)[0] or section
            if not _HEX_RUN.search(line):
                continue
            for match in _QUOTED_ARG.finditer(line):
                key, raw = match.groups()
                if _HEX_RUN.search(raw):
                    decoded = config_unquote(raw)
                    items = export.sections[section].items
                    in_export = any(item.args.get(key) == decoded for item in items)
                    assert in_export, f"{path.name}: {section} {key}: export holds another value"
                    found.append((path.name, section, key, raw, decoded))
    if not found:
        pytest.skip("no escaped multi-byte text in the corpus")
    return found


def test_corpus_escaped_values_decode_to_real_text(corpus_tokens: list[Token]) -> None:
    for name, section, key, raw, decoded in corpus_tokens:
        where = f"{name}: {section} {key}"
        assert not _HEX_RUN.search(decoded), f"{where}: escapes left after decoding"
        assert any(ord(char) > 0x7F for char in decoded), f"{where}: no character beyond ASCII"
        assert not any(0xD800 <= ord(char) <= 0xDFFF for char in decoded), f"{where}: bad UTF-8"
        (ref,) = parse_command(f"{section} set *1 {key}={raw}")
        same = dict(ref.args).get(key) == decoded  # compared quietly: values may hold secrets
        assert same, f"{where}: a command's value differs from the export's"


def test_corpus_phrase_is_decoded_to_cyrillic(corpus_tokens: list[Token]) -> None:
    tokens = [t for t in corpus_tokens if t[0].startswith("003_")]
    if not tokens:
        pytest.skip("corpus export 003 not present")
    assert any("и т.д." in decoded for *_, decoded in tokens)  # "\D0\B8 \D1\82.\D0\B4."


def test_corpus_escaped_values_attribute_to_the_user_naming_them(
    corpus_tokens: list[Token],
) -> None:
    tokens = sorted(corpus_tokens, key=lambda token: len(token[3]))[:5]
    for name, _section, _key, raw, decoded in tokens:
        changes = _note_changes("old", raw)
        same = next(changes.items()).new_args == {"note": decoded, "show-at-login": "no"}
        assert same, f"{name}: the export's note differs from the corpus value"
        events = [
            _change(f"system note changed by ssh:{ANYA}@10.0.0.1 (/system note set note={raw})"),
            _change("system note changed by ssh:bob@10.0.0.2 (/system note set note=other)"),
        ]
        credits = attribute(changes, events=events)
        assert [c.user for c in credits] == ["Аня"], f"{name}: log event not matched"
        history = parse_history(
            "Flags: U - undoable, R - redoable, F - floating-undo\n"
            ' 0 U action="note changed" by="bob" policy=write time=2025-03-10 15:05:00\n'
            "     redo=/system note set note=other\n"
            f' 1 U action="note changed" by="{ANYA}" policy=write time=2025-03-10 15:04:00\n'
            f"     redo=/system note set note={raw}\n"
        )
        assert [entry.by for entry in history] == ["bob", "Аня"], f"{name}: history misread"
        credits = attribute(changes, history=history)
        assert [(c.user, c.source) for c in credits] == [("Аня", "history")], name
