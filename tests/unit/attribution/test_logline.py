"""parse_log_line: v6 and v7 texts from routeros.md §3.2/§3.3 give the right event."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rospoll.attribution.logline import (
    ChangeEvent,
    LoginEvent,
    RebootEvent,
    parse_log_line,
    split_actor,
)


def _change(line: str) -> ChangeEvent:
    event = parse_log_line(line)
    assert isinstance(event, ChangeEvent), event
    return event


# (line, object, verb, user, via, address, command)
V6_CHANGES = [
    ("sep/15 12:33:18 system,info item added by admin ", "item", "added", "admin"),
    ("sep/15 12:34:26 system,info mangle rule added by admin", "mangle rule", "added", "admin"),
    ("sep/15 12:34:29 system,info mangle rule moved by admin", "mangle rule", "moved", "admin"),
    ("sep/15 12:35:34 system,info mangle rule changed by admin", "mangle rule", "changed", "admin"),
    ("jan/01/1970 20:19:28 system,info nat rule added by admin", "nat rule", "added", "admin"),
    ("jan/04/1970 23:03:48 system,info log rule added by admin", "log rule", "added", "admin"),
    (
        "jan/04/1970 23:07:23 system,info SNTP client configuration changed by admin",
        "SNTP client configuration",
        "changed",
        "admin",
    ),
    ("00:54:06 system,info device changed by admin", "device", "changed", "admin"),
    ("00:54:07 system,info filter rule disabled by ops", "filter rule", "disabled", "ops"),
    ("00:54:08 system,info filter rule enabled by ops", "filter rule", "enabled", "ops"),
]


@pytest.mark.parametrize(("line", "obj", "verb", "user"), V6_CHANGES)
def test_v6_change_names_object_verb_and_user(line: str, obj: str, verb: str, user: str) -> None:
    event = _change(line)
    assert (event.object, event.verb, event.user) == (obj, verb, user)
    assert (event.via, event.address, event.command) == ("", "", "")
    assert event.topics == "system,info"
    assert event.raw == line.strip()


def test_v6_time_forms_are_kept_as_printed() -> None:
    assert _change("12:52:24 system,info dns changed by a").time_text == "12:52:24"
    assert _change("sep/15 12:34:26 system,info dns changed by a").time_text == "sep/15 12:34:26"
    assert (
        _change("jan/02/1970 02:00:09 system,info dns changed by a").time_text
        == "jan/02/1970 02:00:09"
    )
    assert _change("10-02 17:34:34 system,info dns changed by a").time_text == "10-02 17:34:34"
    assert (
        _change("Oct/02/2026 16:49:36 system,info dns changed by a").time_text
        == "Oct/02/2026 16:49:36"
    )


V7_CHANGES = [
    (
        " 2025-08-15 00:47:51 system,info filter rule added by ssh:aether@10.1.1.2 "
        "(*22 = /ip firewall filter add action=accept chain=input "
        "in-interface-list=LINK-TO-CRS326 protocol=ospf)",
        ("filter rule", "added", "aether", "ssh", "10.1.1.2"),
        "*22 = /ip firewall filter add action=accept chain=input "
        "in-interface-list=LINK-TO-CRS326 protocol=ospf",
        ("/ip firewall filter",),
    ),
    (
        " 2025-08-15 00:48:03 system,info filter rule moved by ssh:aether@10.1.1.2 ()",
        ("filter rule", "moved", "aether", "ssh", "10.1.1.2"),
        "",
        ("/ip firewall filter",),
    ),
    (
        " 2026-10-02 17:33:27 system,info static dns entry added by scheduler:add-nas-dns "
        "(*2 = /ip dns static add address=192.168.88.20 name=nas.lan)",
        ("static dns entry", "added", "add-nas-dns", "scheduler", ""),
        "*2 = /ip dns static add address=192.168.88.20 name=nas.lan",
        ("/ip dns static",),
    ),
    (
        "device changed by winbox-3.42/tcp-msg(winbox):admin@192.168.100.50 "
        "(/interface set ether3 disabled=no l2mtu=1598 mtu=1500 name=ether3; "
        "/interface ethernet set [ find ] advertise=10M-half mtu=1500 name=ether3 "
        "rx-flow-control=off; /queue interface set ether3)",
        ("device", "changed", "admin", "winbox", "192.168.100.50"),
        "/interface set ether3 disabled=no l2mtu=1598 mtu=1500 name=ether3; "
        "/interface ethernet set [ find ] advertise=10M-half mtu=1500 name=ether3 "
        "rx-flow-control=off; /queue interface set ether3",
        ("/interface", "/interface ethernet", "/queue interface"),
    ),
    (
        "user ops added by ssh:-2@172.31.88.5 (*2 = /user add group=full name=ops)",
        ("user ops", "added", "-2", "ssh", "172.31.88.5"),
        "*2 = /user add group=full name=ops",
        ("/user",),
    ),
    (
        "user ops removed by ssh:-2@172.31.88.5/action:0 (/user remove *2)",
        ("user ops", "removed", "-2", "ssh", "172.31.88.5"),
        "/user remove *2",
        ("/user",),
    ),
]


@pytest.mark.parametrize(("line", "who", "command", "sections"), V7_CHANGES)
def test_v7_change_names_actor_channel_address_and_command(
    line: str, who: tuple[str, ...], command: str, sections: tuple[str, ...]
) -> None:
    event = _change(line)
    assert (event.object, event.verb, event.user, event.via, event.address) == who
    assert event.command == command
    assert event.sections == sections


def test_seed_tool_trap_user_is_not_last_token() -> None:
    event = _change(
        "filter rule changed by tcp-msg(winbox):admin@10.0.0.9 "
        "(/ip firewall filter set *5 disabled=yes)"
    )
    assert event.user == "admin"
    assert event.via == "winbox"
    assert event.address == "10.0.0.9"
    assert event.command == "/ip firewall filter set *5 disabled=yes"
    assert event.sections == ("/ip firewall filter",)


def test_command_with_parentheses_and_quotes_is_taken_whole() -> None:
    command = (
        '/system script add name=a source=":if ([/ping 8.8.8.8 count=1] = 0) do={:log info '
        '\\"down (by admin)\\"}" comment="x) by evil (y"'
    )
    event = _change(
        f" 2026-10-02 17:34:12 system,info script added by ssh:ops@10.0.0.1 ({command})"
    )
    assert event.command == command
    assert (event.object, event.user, event.address) == ("script", "ops", "10.0.0.1")
    assert event.sections == ("/system script",)


def test_command_containing_by_words_does_not_move_the_actor() -> None:
    event = _change(
        "filter rule added by ssh:alice@10.0.0.9 "
        '(*3 = /ip firewall filter add chain=input comment="changed by bob")'
    )
    assert event.user == "alice"


def test_v6_user_is_token_after_last_by() -> None:
    event = _change("12:00:00 system,info pool x removed by evil added by admin")
    assert (event.object, event.verb, event.user) == ("pool x removed by evil", "added", "admin")


def test_ipv6_address_and_mac_address_are_split_from_user() -> None:
    event = _change("filter rule added by ssh:bob@2001:db8::7 (/ip firewall filter add)")
    assert (event.user, event.address) == ("bob", "2001:db8::7")
    event = _change("device changed by tcp-msg(winbox):admin@AA:BB:CC:00:11:22 ()")
    assert (event.user, event.via, event.address) == ("admin", "winbox", "AA:BB:CC:00:11:22")


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ("ssh:alice@10.0.0.9", ("alice", "ssh", "10.0.0.9")),
        ("tcp-msg(winbox):admin@10.0.0.9", ("admin", "winbox", "10.0.0.9")),
        ("winbox-3.42/tcp-msg(winbox):admin@192.168.100.50", ("admin", "winbox", "192.168.100.50")),
        ("scheduler:add-nas-dns", ("add-nas-dns", "scheduler", "")),
        ("ssh:-2@172.31.88.5/action:0", ("-2", "ssh", "172.31.88.5")),
        ("api:netops@10.9.9.9", ("netops", "api", "10.9.9.9")),
        ("rest-api:netops@10.9.9.9", ("netops", "rest-api", "10.9.9.9")),
        ("web:admin@10.9.9.9", ("admin", "web", "10.9.9.9")),
        ("telnet:admin@10.9.9.9", ("admin", "telnet", "10.9.9.9")),
        ("local:admin", ("admin", "local", "")),
        ("ssh:mail@example.com@10.0.0.1", ("mail@example.com", "ssh", "10.0.0.1")),
        ("ssh:user@example.com", ("user@example.com", "ssh", "")),
        ("admin", ("admin", "", "")),
    ],
)
def test_actor_forms(actor: str, expected: tuple[str, str, str]) -> None:
    assert split_actor(actor) == expected


def test_system_change_without_by_has_empty_user_and_via_system() -> None:
    event = _change("00:54:10 system,info dns changed")
    assert (event.object, event.verb, event.user, event.via) == ("dns", "changed", "", "system")
    assert event.sections == ("/ip dns",)


def test_truncated_v7_line_keeps_actor_and_partial_command() -> None:
    event = _change(
        " 2026-10-02 17:34:12 system,info script changed by ssh:ops@10.0.0.1 "
        '(/system script set *1 source=":log info \\"a'
    )
    assert (event.user, event.via, event.address) == ("ops", "ssh", "10.0.0.1")
    assert event.command.startswith("/system script set *1")
    assert event.sections == ("/system script",)


def test_logging_rule_prefix_is_skipped() -> None:
    event = parse_log_line(
        "system,info,account mk_MDZi: user example logged out from 10.0.0.1 via winbox"
    )
    assert isinstance(event, LoginEvent)
    assert (event.user, event.address, event.logged_in) == ("example", "10.0.0.1", False)
    assert _change("12:00:00 system,info core1: nat rule added by admin").user == "admin"


def test_scheduler_phrases_map_to_scheduled_script() -> None:
    event = _change("12:00:00 system,info new script scheduled by admin")
    assert (event.object, event.verb, event.user) == ("scheduled script", "added", "admin")
    event = _change("12:00:00 system,info changed scheduled script settings by admin")
    assert (event.verb, event.sections) == ("changed", ("/system scheduler",))
    event = _change("12:00:00 system,info script removed from scheduler by admin")
    assert event.verb == "removed"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "sep/15 09:54:33 system,info,account user admin logged in from 10.1.101.212 via winbox",
            LoginEvent("admin", "10.1.101.212", "winbox", True, False),
        ),
        (
            "sep/15 12:42:55 system,info,account user admin logged out from 10.1.101.212 "
            "via telnet",
            LoginEvent("admin", "10.1.101.212", "telnet", False, False),
        ),
        (
            "jan/01/1970 20:07:41 system,info,account user admin logged in via winbox",
            LoginEvent("admin", "", "winbox", True, False),
        ),
        (
            "jan/01/1970 20:19:01 system,info,account user admin logged in via local",
            LoginEvent("admin", "", "local", True, False),
        ),
        (
            "2026-10-02 17:35:45 system,error,critical login failure for user admin "
            "from 192.168.88.17 via ssh",
            LoginEvent("admin", "192.168.88.17", "ssh", False, True),
        ),
        (
            "2026-10-02 17:35:45 system,error,critical login failure for user guest from "
            "192.168.88.17 via ssh app=ssh duser=guest outcome=failure src=192.168.88.17",
            LoginEvent("guest", "192.168.88.17", "ssh", False, True),
        ),
        (
            "12:00:00 system,error,critical login failure for user x from 9.9.9.9 via ssh "
            "from 10.0.0.5 via ssh",
            LoginEvent("x from 9.9.9.9 via ssh", "10.0.0.5", "ssh", False, True),
        ),
    ],
)
def test_login_logout_and_failure(line: str, expected: LoginEvent) -> None:
    event = parse_log_line(line)
    assert isinstance(event, LoginEvent)
    got = (event.user, event.address, event.via, event.logged_in, event.failed)
    assert got == (
        expected.user,
        expected.address,
        expected.via,
        expected.logged_in,
        expected.failed,
    )


def test_reboot_lines() -> None:
    clean = parse_log_line("jan/02/1970 02:00:09 system,info router rebooted ")
    unclean = parse_log_line(
        "jan/01/1970 20:04:09 system,error,critical router was rebooted without proper shutdown"
    )
    assert clean == RebootEvent(
        True,
        "jan/02/1970 02:00:09",
        "system,info",
        "jan/02/1970 02:00:09 system,info router rebooted",
    )
    assert isinstance(unclean, RebootEvent)
    assert not unclean.clean


@pytest.mark.parametrize(
    "line",
    [
        "12:00:00 script,info filter rule changed by admin",  # forged with :log info
        " 2026-10-02 17:34:34 interface,info lo link up",
        " 2026-10-02 17:34:47 dhcp,info bridge on bridge got IP address 192.168.88.36",
        "12:00:00 system,info filter rule changed by",
        "2026-10-02 17:34:34 system,info,account publickey accepted for user: admin",
        "",
        "   ",
        "-- Ctrl-C to quit.",
    ],
)
def test_lines_that_report_nothing_tracked_give_none(line: str) -> None:
    assert parse_log_line(line) is None


def test_every_sample_line_in_data_files_parses(logs_dir: Path) -> None:
    for name in ("v6_system.log", "v7_system.log"):
        for line in (logs_dir / name).read_text(encoding="utf-8").splitlines():
            assert parse_log_line(line) is not None, line


def test_hostile_long_line_is_fast_and_safe() -> None:
    junk = "a added by x " * 80_000 + "(" * 1000 + '"' * 999
    assert parse_log_line("12:00:00 system,info " + junk) is not None
    assert parse_log_line("12:00:00 system,info " + "= " * 500_000) is None
    assert parse_log_line("user " + "x logged in via y " * 60_000) is not None


@pytest.mark.fuzz
@given(st.text())
def test_parse_log_line_never_raises(text: str) -> None:
    parse_log_line(text)


@pytest.mark.fuzz
@given(
    st.lists(
        st.sampled_from(
            [
                "12:00:00",
                "system,info",
                " by ",
                "ssh:",
                "@",
                "10.0.0.1",
                "(",
                ")",
                '"',
                "\\",
                "changed",
                "added",
                " ",
                "x",
                "user",
                "logged in",
                "via",
                "from",
                "/action:1",
                ";",
            ]
        )
    )
)
def test_parse_log_line_never_raises_on_near_misses(parts: list[str]) -> None:
    parse_log_line("".join(parts))
