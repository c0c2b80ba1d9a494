"""attribute(): each item change credited to a log event, a history entry, a guess or UNKNOWN."""

from __future__ import annotations

from rospoll.attribution.attribute import UNKNOWN, Attribution, attribute
from rospoll.attribution.history import HistoryEntry
from rospoll.attribution.logline import ChangeEvent, parse_log_line
from rospoll.config import ChangeSet, diff_exports, parse_export

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
ADDRESS = "add address=10.0.1.1/24 interface=ether2"
ALICE_ADDS_ADDRESS = (
    " 2025-08-15 00:47:51 system,info address added by ssh:alice@10.1.1.2 "
    "(*3 = /ip address add address=10.0.1.1/24 interface=ether2)"
)
BOB_SETS_DNS = (
    " 2025-08-15 00:48:10 system,info dns changed by "
    "winbox-3.42/tcp-msg(winbox):bob@10.1.1.3 (/ip dns set servers=9.9.9.9)"
)


def _changes(*edits: tuple[str, str]) -> ChangeSet:
    """The changes from OLD to OLD with each ``(text, replacement)`` substituted once."""
    new = OLD
    for line, replacement in edits:
        assert line in new, line
        new = new.replace(line, replacement, 1)
    return diff_exports(parse_export(HEADER + OLD), parse_export(HEADER + new))


def _events(*lines: str) -> list[ChangeEvent]:
    events = [parse_log_line(line) for line in lines]
    assert all(isinstance(event, ChangeEvent) for event in events)
    return [event for event in events if isinstance(event, ChangeEvent)]


def _who(credit: Attribution) -> tuple[str, str, str, str, bool]:
    return (credit.user, credit.source, credit.via, credit.address, credit.inferred)


def _what(credit: Attribution) -> list[tuple[str, str, str]]:
    return [(change.section, change.key, change.kind) for change in credit.changes]


ADD_ADDRESS = ("interface=ether1\n", f"interface=ether1\n{ADDRESS}\n")
SET_DNS = ("servers=1.1.1.1", "servers=9.9.9.9")
SSH_PORT = ("dst-port=22", "dst-port=2222")
WEB_PORT = ("dst-port=80", "dst-port=8080")
RENAME = ("name=r1", "name=r2")
ALICE = ("alice", "log", "ssh", "10.1.1.2", False)
NEW_ADDRESS = ("/ip address", "address=10.0.1.1/24", "added")


def test_log_event_only_credits_its_user_with_channel_address_and_command() -> None:
    (credit,) = attribute(_changes(ADD_ADDRESS), events=_events(ALICE_ADDS_ADDRESS))
    assert _who(credit) == ("alice", "log", "ssh", "10.1.1.2", False)
    assert credit.commands == ("*3 = /ip address add address=10.0.1.1/24 interface=ether2",)
    assert _what(credit) == [("/ip address", "address=10.0.1.1/24", "added")]
    assert credit.sections == ("/ip address",)
    assert credit.counts() == {"added": 1, "removed": 0, "changed": 0, "moved": 0}


def test_history_only_credits_the_entry_user_by_action_words() -> None:
    history = [HistoryEntry("dns changed", "ops", "write", "2025-03-10 15:04:16", "", "", "U")]
    (credit,) = attribute(_changes(SET_DNS), history=history)
    assert _who(credit) == ("ops", "history", "", "", False)
    assert credit.commands == ()
    assert _what(credit) == [("/ip dns", "", "changed")]


def test_history_redo_narrows_and_is_kept_as_the_command() -> None:
    history = [
        HistoryEntry("item changed", "ops", "write", "", "/ip/dns/set servers=9.9.9.9", "", "U")
    ]
    (credit,) = attribute(_changes(SET_DNS), history=history)
    assert _who(credit) == ("ops", "history", "", "", False)
    assert credit.commands == ("/ip/dns/set servers=9.9.9.9",)


def test_log_and_history_each_credit_what_they_cover_and_log_wins_where_both_do() -> None:
    history = [  # newest first
        HistoryEntry("dns changed", "bob", "write", "", "", "", "U"),
        HistoryEntry("address added", "ops", "write", "", "", "", "U"),
    ]
    credits = attribute(
        _changes(ADD_ADDRESS, SET_DNS), events=_events(ALICE_ADDS_ADDRESS), history=history
    )
    assert [(_who(c), _what(c)) for c in credits] == [
        (ALICE, [NEW_ADDRESS]),
        (("bob", "history", "", "", False), [("/ip dns", "", "changed")]),
    ]


def test_no_events_and_no_history_give_one_unknown_poll_credit() -> None:
    changes = _changes(ADD_ADDRESS, RENAME)
    (credit,) = attribute(changes)
    assert _who(credit) == (UNKNOWN, "poll", "", "", False)
    assert credit.commands == ()
    assert _what(credit) == [
        ("/ip address", "address=10.0.1.1/24", "added"),
        ("/system identity", "", "changed"),
    ]
    assert credit.changeset(changes) == changes


def test_system_changes_and_history_without_by_credit_nobody() -> None:
    events = _events(" 2025-08-15 00:48:10 system,info dns changed")
    history = [HistoryEntry("dns changed", "", "write", "", "", "", "U")]
    (credit,) = attribute(_changes(SET_DNS), events=events, history=history)
    assert _who(credit) == (UNKNOWN, "poll", "", "", False)


def test_two_users_in_different_sections_get_one_credit_each() -> None:
    credits = attribute(
        _changes(ADD_ADDRESS, SET_DNS), events=_events(ALICE_ADDS_ADDRESS, BOB_SETS_DNS)
    )
    assert [(_who(c), _what(c), c.commands) for c in credits] == [
        (
            ("alice", "log", "ssh", "10.1.1.2", False),
            [("/ip address", "address=10.0.1.1/24", "added")],
            ("*3 = /ip address add address=10.0.1.1/24 interface=ether2",),
        ),
        (
            ("bob", "log", "winbox", "10.1.1.3", False),
            [("/ip dns", "", "changed")],
            ("/ip dns set servers=9.9.9.9",),
        ),
    ]


def test_two_users_in_one_section_are_told_apart_by_the_values_they_set() -> None:
    events = _events(
        "filter rule changed by ssh:alice@10.0.0.1 (/ip firewall filter set *1 dst-port=2222)",
        "filter rule changed by ssh:bob@10.0.0.2 (/ip firewall filter set *2 dst-port=8080)",
    )
    credits = attribute(_changes(SSH_PORT, WEB_PORT), events=events)
    assert [(c.user, _what(c)) for c in credits] == [
        ("alice", [("/ip firewall filter", 'comment="allow ssh"', "changed")]),
        ("bob", [("/ip firewall filter", 'comment="allow web"', "changed")]),
    ]


def test_winbox_full_property_list_does_not_claim_the_other_users_rule() -> None:
    # Winbox logs every property of the rule it saved; most of them (action, chain,
    # protocol) equal the other rule's too. The values that changed, and the comment
    # that differs, say whose rule is whose.
    events = _events(
        "filter rule changed by winbox-3.42/tcp-msg(winbox):alice@10.0.0.5 "
        '(/ip firewall filter set *1 action=accept chain=input comment="allow ssh" '
        "disabled=no dst-port=2222 log=no protocol=tcp)",
        "filter rule changed by ssh:bob@10.0.0.6 (/ip firewall filter set *2 dst-port=8080)",
    )
    credits = attribute(_changes(SSH_PORT, WEB_PORT), events=events)
    assert [(c.user, c.via, _what(c)) for c in credits] == [
        ("alice", "winbox", [("/ip firewall filter", 'comment="allow ssh"', "changed")]),
        ("bob", "ssh", [("/ip firewall filter", 'comment="allow web"', "changed")]),
    ]


def test_same_section_without_telling_values_goes_to_the_latest_event() -> None:
    events = _events(
        "filter rule changed by alice",  # v6: no command, only the object words
        "filter rule changed by bob",
    )
    (credit,) = attribute(_changes(SSH_PORT, WEB_PORT), events=events)
    assert _who(credit) == ("bob", "log", "", "", False)
    assert len(credit.changes) == 2


def test_change_no_event_explains_is_inferred_from_the_latest_event() -> None:
    credits = attribute(
        _changes(ADD_ADDRESS, RENAME), events=_events(ALICE_ADDS_ADDRESS, BOB_SETS_DNS)
    )
    assert [(_who(c), _what(c), c.commands) for c in credits] == [
        (
            ("alice", "log", "ssh", "10.1.1.2", False),
            [("/ip address", "address=10.0.1.1/24", "added")],
            ("*3 = /ip address add address=10.0.1.1/24 interface=ether2",),
        ),
        (("bob", "log", "winbox", "10.1.1.3", True), [("/system identity", "", "changed")], ()),
    ]


def test_unexplained_change_prefers_an_event_that_names_no_section() -> None:
    events = _events(
        "12:00:00 system,info item changed by carol",  # "item": cannot be narrowed
        ALICE_ADDS_ADDRESS,
    )
    credits = attribute(_changes(ADD_ADDRESS, RENAME), events=events)
    assert [(_who(c), _what(c)) for c in credits] == [
        (ALICE, [NEW_ADDRESS]),
        (("carol", "log", "", "", True), [("/system identity", "", "changed")]),
    ]


def test_history_alone_never_guesses() -> None:
    history = [HistoryEntry("dns changed", "ops", "write", "", "", "", "U")]
    credits = attribute(_changes(SET_DNS, RENAME), history=history)
    assert [(_who(c), _what(c)) for c in credits] == [
        (("ops", "history", "", "", False), [("/ip dns", "", "changed")]),
        ((UNKNOWN, "poll", "", "", False), [("/system identity", "", "changed")]),
    ]


def test_commands_are_masked_and_listed_once_per_credit() -> None:
    old = "/ppp secret\nadd name=u1 password=old1 service=pppoe\n"
    new = "/ppp secret\nadd name=u1 password=new1 service=pppoe\nadd name=u2 password=p2\n"
    changes = diff_exports(parse_export(HEADER + old), parse_export(HEADER + new))
    set_u1 = "ppp secret changed by ssh:alice@10.0.0.1 (/ppp secret set *1 password=new1)"
    events = _events(
        set_u1,
        set_u1,
        "ppp secret added by ssh:alice@10.0.0.1 (*2 = /ppp secret add name=u2 password=p2)",
    )
    (credit,) = attribute(changes, events=events)
    assert credit.user == "alice"
    assert credit.commands == (
        "/ppp secret set *1 password=******",
        "*2 = /ppp secret add name=u2 password=******",
    )


def test_changeset_narrows_to_the_credit_and_keeps_both_metas() -> None:
    changes = _changes(ADD_ADDRESS, SET_DNS)
    alice, bob = attribute(changes, events=_events(ALICE_ADDS_ADDRESS, BOB_SETS_DNS))
    mine = alice.changeset(changes)
    assert (mine.old_meta, mine.new_meta) == (changes.old_meta, changes.new_meta)
    assert [(s.path, len(s.added), len(s.changed)) for s in mine.sections] == [
        ("/ip address", 1, 0)
    ]
    assert [s.path for s in bob.changeset(changes).sections] == ["/ip dns"]


def test_no_changes_give_no_credits() -> None:
    assert attribute(_changes(), events=_events(ALICE_ADDS_ADDRESS)) == []
