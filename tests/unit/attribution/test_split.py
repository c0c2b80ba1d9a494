"""split_texts(): one export text per credit, each adding only that credit's changes."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rospoll.attribution.attribute import Attribution, attribute
from rospoll.attribution.logline import ChangeEvent, parse_log_line
from rospoll.attribution.split import split_texts
from rospoll.config import ItemChange, diff_exports, normalise_export, parse_export

HEADER = "# 2025-05-30 11:07:28 by RouterOS 7.16\n# software id = \n#\n"
OLD = """\
/ip address
add address=10.0.0.1/24 interface=ether1
/ip firewall filter
add action=accept chain=input comment="allow ssh" dst-port=22 protocol=tcp
add action=accept chain=input comment="allow web" dst-port=80 protocol=tcp
add action=drop chain=input comment="drop rest"
/ip dns
set servers=1.1.1.1
/system identity
set name=r1
"""
ALICE_SSH = "filter rule changed by ssh:alice@10.0.0.1 (/ip firewall filter set *1 dst-port=2222)"
BOB_WEB = "filter rule changed by ssh:bob@10.0.0.2 (/ip firewall filter set *2 dst-port=8080)"
BOB_DNS = "dns changed by ssh:bob@10.0.0.2 (/ip dns set servers=9.9.9.9)"

Key = tuple[str, str, str]


def _text(body: str) -> str:
    """The normalised export text, as the recorder stores and splits it."""
    return normalise_export(HEADER + body).text()


def _keys(old_text: str, new_text: str) -> list[Key]:
    changes = diff_exports(parse_export(old_text), parse_export(new_text))
    return sorted((c.section, c.key, c.kind) for c in changes.items())


def _credits(old_body: str, new_body: str, *lines: str) -> list[Attribution]:
    changes = diff_exports(parse_export(HEADER + old_body), parse_export(HEADER + new_body))
    events = [parse_log_line(line) for line in lines]
    return attribute(changes, events=[e for e in events if isinstance(e, ChangeEvent)])


def _steps(old_text: str, texts: Sequence[str]) -> list[list[Key]]:
    """What each text changed against the one before it."""
    before = [old_text, *texts[:-1]]
    return [_keys(a, b) for a, b in zip(before, texts, strict=True)]


def _owned(credits: Sequence[Attribution]) -> list[list[Key]]:
    return [sorted((c.section, c.key, c.kind) for c in credit.changes) for credit in credits]


def _edit(*edits: tuple[str, str]) -> str:
    body = OLD
    for text, replacement in edits:
        assert text in body, text
        body = body.replace(text, replacement, 1)
    return body


def test_one_credit_or_none_gives_the_new_text() -> None:
    new_body = _edit(("dst-port=22", "dst-port=2222"))
    (credit,) = _credits(OLD, new_body, ALICE_SSH)
    assert split_texts(_text(OLD), _text(new_body), [credit]) == [_text(new_body)]
    assert split_texts(_text(OLD), _text(new_body), []) == [_text(new_body)]


def test_users_in_different_sections_each_add_only_their_changes() -> None:
    new_body = _edit(("dst-port=22", "dst-port=2222"), ("servers=1.1.1.1", "servers=9.9.9.9"))
    credits = _credits(OLD, new_body, ALICE_SSH, BOB_DNS)
    assert [c.user for c in credits] == ["alice", "bob"]
    texts = split_texts(_text(OLD), _text(new_body), credits)
    assert texts[0] == _text(_edit(("dst-port=22", "dst-port=2222")))
    assert texts[-1] == _text(new_body)
    assert _steps(_text(OLD), texts) == _owned(credits)


def test_users_on_adjacent_lines_of_one_section_each_add_only_their_changes() -> None:
    new_body = _edit(("dst-port=22", "dst-port=2222"), ("dst-port=80", "dst-port=8080"))
    credits = _credits(OLD, new_body, ALICE_SSH, BOB_WEB)
    assert [c.user for c in credits] == ["alice", "bob"]
    texts = split_texts(_text(OLD), _text(new_body), credits)
    assert texts[0] == _text(_edit(("dst-port=22", "dst-port=2222")))
    assert texts[1] == _text(new_body)


def test_quoted_and_escaped_values_tell_users_in_one_section_apart() -> None:
    office, home = r"\D0\9E\D1\84\D0\B8\D1\81", r"\D0\94\D0\BE\D0\BC"  # "Офис", "Дом"
    old_body = (
        "/ip firewall address-list\n"
        'add address=10.0.0.1 comment="a b" list=lan\n'
        'add address=10.0.0.2 comment="c d" list=lan\n'
        'add address=10.0.0.3 comment="e f" list=lan\n'
    )
    new_body = old_body.replace('comment="a b"', f'comment="{office}"')
    new_body = new_body.replace('comment="e f"', f'comment="{home}"')
    credits = _credits(
        old_body,
        new_body,
        "address list entry changed by ssh:alice@10.0.0.1 "
        f'(/ip firewall address-list set *1 comment="{office}")',
        "address list entry changed by ssh:bob@10.0.0.2 "
        f'(/ip firewall address-list set *3 comment="{home}")',
    )
    assert [c.user for c in credits] == ["alice", "bob"]
    texts = split_texts(_text(old_body), _text(new_body), credits)
    assert texts[0] == _text(old_body.replace('comment="a b"', f'comment="{office}"'))
    assert texts[1] == _text(new_body)


def test_a_new_section_next_to_another_users_change_stays_with_its_user() -> None:
    old_body = (
        "/ip address\nadd address=10.0.0.1/24 interface=ether1\n/system identity\nset name=r1\n"
    )
    new_body = (
        "/ip address\nadd address=10.0.0.1/24 interface=ether2\n"
        "/ip dns\nset servers=9.9.9.9\n"
        "/system identity\nset name=r1\n"
    )
    credits = _credits(
        old_body,
        new_body,
        "address changed by ssh:alice@10.0.0.1 (/ip address set *1 interface=ether2)",
        BOB_DNS,
    )
    assert [c.user for c in credits] == ["alice", "bob"]
    texts = split_texts(_text(old_body), _text(new_body), credits)
    assert texts[0] == _text(old_body.replace("ether1", "ether2"))
    assert texts[1] == _text(new_body)


def test_removed_section_and_added_items_in_terse_form() -> None:
    old_body = (
        "/ip address add address=10.0.0.1/24 interface=ether1\n"
        "/ip dns static add address=10.0.0.5 name=nas.lan\n"
        "/system identity set name=r1\n"
    )
    new_body = (
        "/ip address add address=10.0.0.1/24 interface=ether1\n"
        "/ip address add address=10.0.1.1/24 interface=ether2\n"
        "/system identity set name=r1\n"
    )
    credits = _credits(
        old_body,
        new_body,
        "static dns entry removed by ssh:bob@10.0.0.2 (/ip dns static remove *1)",
        "address added by ssh:alice@10.0.0.1 "
        "(*2 = /ip address add address=10.0.1.1/24 interface=ether2)",
    )
    assert [c.user for c in credits] == ["alice", "bob"]
    texts = split_texts(_text(old_body), _text(new_body), credits)
    added = "/ip address add address=10.0.1.1/24 interface=ether2\n"
    assert texts[0] == _text(old_body.replace("interface=ether1\n", "interface=ether1\n" + added))
    assert texts[1] == _text(new_body)
    assert _steps(_text(old_body), texts) == _owned(credits)


def test_a_credit_without_lines_of_its_own_repeats_the_text_before_it() -> None:
    new_body = _edit(("dst-port=22", "dst-port=2222"), ("servers=1.1.1.1", "servers=9.9.9.9"))
    alice, bob = _credits(OLD, new_body, ALICE_SSH, BOB_DNS)
    idle = Attribution(user="carol", source="log", changes=())
    texts = split_texts(_text(OLD), _text(new_body), [alice, idle, bob])
    assert texts[0] == texts[1] == _text(_edit(("dst-port=22", "dst-port=2222")))
    assert texts[2] == _text(new_body)


def test_header_and_comment_lines_go_with_the_last_credit() -> None:
    old_text = _text(OLD)
    new_body = _edit(("dst-port=22", "dst-port=2222"), ("servers=1.1.1.1", "servers=9.9.9.9"))
    new_text = _text(new_body).replace("by RouterOS 7.16", "by RouterOS 7.18")
    new_text = new_text.replace("/ip dns\n", "# note to self\n/ip dns\n")
    credits = _credits(OLD, new_body, ALICE_SSH, BOB_DNS)
    texts = split_texts(old_text, new_text, credits)
    assert texts[0] == _text(_edit(("dst-port=22", "dst-port=2222")))
    assert texts[1] == new_text


def test_every_step_holds_only_its_credits_changes_for_three_users() -> None:
    new_body = _edit(
        ("dst-port=22", "dst-port=2222"),
        ("dst-port=80", "dst-port=8080"),
        ("servers=1.1.1.1", "servers=9.9.9.9"),
        ("name=r1", "name=r2"),
    )
    credits = _credits(
        OLD,
        new_body,
        ALICE_SSH,
        BOB_WEB,
        "system identity changed by ssh:carol@10.0.0.3 (/system identity set name=r2)",
        BOB_DNS,
    )
    assert [c.user for c in credits] == ["alice", "bob", "carol"]
    texts = split_texts(_text(OLD), _text(new_body), credits)
    assert texts[-1] == _text(new_body)
    assert _steps(_text(OLD), texts) == _owned(credits)
    for text in texts:
        assert normalise_export(text).text() == text  # each step is a stored-form export


def test_kept_lines_stay_under_their_own_section_path() -> None:
    old_body = (
        "/ip address\nadd address=10.0.0.1/24 interface=ether1\n"
        "/ip dns static\nadd address=10.0.0.5 name=nas.lan\n"
    )
    new_body = (
        "/ip address\nadd address=10.0.0.1/24 interface=ether1\n"
        "add address=10.0.1.1/24 interface=ether2\n"
    )
    changes = diff_exports(parse_export(HEADER + old_body), parse_export(HEADER + new_body))
    added = tuple(c for c in changes.items() if c.kind == "added")
    removed = tuple(c for c in changes.items() if c.kind == "removed")
    adds = Attribution(user="alice", source="log", changes=added)
    removes = Attribution(user="bob", source="log", changes=removed)
    texts = split_texts(_text(old_body), _text(new_body), [adds, removes])
    assert texts[0] == _text(
        old_body.replace("ether1\n", "ether1\nadd address=10.0.1.1/24 interface=ether2\n")
    )
    texts = split_texts(_text(old_body), _text(new_body), [removes, adds])
    assert texts[0] == _text("/ip address\nadd address=10.0.0.1/24 interface=ether1\n")
    assert texts[1] == _text(new_body)


def test_a_move_goes_with_its_user() -> None:
    web = 'add action=accept chain=input comment="allow web" dst-port=80 protocol=tcp\n'
    drop = 'add action=drop chain=input comment="drop rest"\n'
    new_body = _edit((web, ""), (drop, drop + web), ("servers=1.1.1.1", "servers=9.9.9.9"))
    changes = diff_exports(parse_export(HEADER + OLD), parse_export(HEADER + new_body))
    moved = tuple(c for c in changes.items() if c.kind == "moved")
    assert moved, "the rule's move is a change"
    mover = Attribution(user="alice", source="log", changes=moved)
    dns = Attribution(
        user="bob", source="log", changes=tuple(c for c in changes.items() if c.kind != "moved")
    )
    texts = split_texts(_text(OLD), _text(new_body), [mover, dns])
    assert texts[0] == _text(new_body.replace("servers=9.9.9.9", "servers=1.1.1.1"))
    assert texts[1] == _text(new_body)


EDITS = [  # (text in BASE, replacement): each gives one or two item changes
    ("interface=ether1\n", "interface=ether1\nadd address=10.0.1.1/24 interface=ether2\n"),
    ("add address=10.0.2.1/24 interface=ether3\n", ""),
    ("dst-port=22", "dst-port=2222"),
    ('add action=accept chain=input comment="allow web" dst-port=80 protocol=tcp\n', ""),
    ('comment="drop rest"\n', 'comment="drop rest"\nadd action=drop chain=forward comment=fwd\n'),
    ("/ip dns static\nadd address=10.0.0.5 name=nas.lan\n", ""),
    ("/system identity\n", "/system note\nset note=hi show-at-login=no\n/system identity\n"),
    ("name=r1", 'name="\\D0\\9E\\D1\\84\\D0\\B8\\D1\\81"'),
]
BASE = """\
/ip address
add address=10.0.0.1/24 interface=ether1
add address=10.0.2.1/24 interface=ether3
/ip firewall filter
add action=accept chain=input comment="allow ssh" dst-port=22 protocol=tcp
add action=accept chain=input comment="allow web" dst-port=80 protocol=tcp
add action=drop chain=input comment="drop rest"
/ip dns static
add address=10.0.0.5 name=nas.lan
/system identity
set name=r1
"""


def _terse(body: str) -> str:
    lines, section = [], ""
    for line in body.splitlines():
        if line.startswith("/"):
            section = line
        else:
            lines.append(f"{section} {line}")
    return "\n".join(lines) + "\n"


@pytest.mark.fuzz
@given(
    chosen=st.lists(st.booleans(), min_size=len(EDITS), max_size=len(EDITS)),
    owners=st.lists(st.integers(0, 3), min_size=16, max_size=16),
    terse=st.booleans(),
)
def test_any_split_applies_exactly_each_credits_changes(
    chosen: list[bool], owners: list[int], terse: bool
) -> None:
    new_body = BASE
    for (text, replacement), use in zip(EDITS, chosen, strict=True):
        if use:
            new_body = new_body.replace(text, replacement, 1)
    old_body = _terse(BASE) if terse else BASE
    new_body = _terse(new_body) if terse else new_body
    changes = diff_exports(parse_export(HEADER + old_body), parse_export(HEADER + new_body))
    held: list[list[ItemChange]] = [[], [], [], []]
    for change, owner in zip(changes.items(), owners * 2, strict=False):
        held[owner].append(change)
    credits = [
        Attribution(user=f"u{n}", source="log", changes=tuple(h)) for n, h in enumerate(held)
    ]
    old_text, new_text = _text(old_body), _text(new_body)
    texts = split_texts(old_text, new_text, credits)
    assert texts[-1] == new_text
    assert _steps(old_text, texts) == _owned(credits)
    for text in texts:
        assert normalise_export(text).text() == text
