"""Object descriptions and command texts -> configuration sections."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rospoll.attribution.objects import (
    CommandRef,
    parse_command,
    section_matches,
    sections_for_object,
    split_outside,
    unquote_value,
)

# Every object description named in routeros.md §3.2/§3.3 (log texts and the v7.18.2
# history fixture), plus the ones the brief names.
DESCRIBED = {
    "filter rule": ("/ip firewall filter",),
    "nat rule": ("/ip firewall nat",),
    "mangle rule": ("/ip firewall mangle",),
    "device": ("/interface*",),
    "log rule": ("/system logging",),
    "SNTP client configuration": ("/system ntp client",),
    "dns": ("/ip dns",),
    "address": ("/ip address",),
    "address list entry": ("/ip firewall address-list",),
    "bridge port": ("/interface bridge port",),
    "dhcp client": ("/ip dhcp-client",),
    "static dns entry": ("/ip dns static",),
    "filter6 rule": ("/ipv6 firewall filter",),
    "interface list member": ("/interface list member",),
    "pool default-dhcp": ("/ip pool",),
    "dhcp server defconf": ("/ip dhcp-server",),
    "user admin": ("/user",),
    "user ops": ("/user",),
    "mac winbox setting": ("/tool mac-server mac-winbox",),
    "disk and smb server config": ("/disk*", "/ip smb*"),
    "system identity": ("/system identity",),
    "scheduled script": ("/system scheduler",),
    # known but too general to narrow
    "item": (),
    "config": (),
}


@pytest.mark.parametrize(("description", "sections"), DESCRIBED.items())
def test_every_documented_object_description_has_its_sections(
    description: str, sections: tuple[str, ...]
) -> None:
    assert sections_for_object(description) == sections


def test_lookup_ignores_case_and_spacing_and_unknown_gives_empty() -> None:
    assert sections_for_object("  Filter   Rule ") == ("/ip firewall filter",)
    assert sections_for_object("flux capacitor") == ()
    assert sections_for_object("") == ()


def test_wildcard_section_matching() -> None:
    assert section_matches("/interface*", "/interface")
    assert section_matches("/interface*", "/interface bridge port")
    assert not section_matches("/interface*", "/interfaces")
    assert not section_matches("/interface*", "/ip address")
    assert section_matches("/ip address", "/ip address")
    assert not section_matches("/ip address", "/ip address x")


@pytest.mark.parametrize(
    ("text", "section", "verb", "selector", "args", "item_id"),
    [
        (
            "/ip firewall filter set *5 disabled=yes",
            "/ip firewall filter",
            "set",
            "*5",
            (("disabled", "yes"),),
            "*5",
        ),
        (
            "/ip/firewall/filter/set *5 disabled=yes",
            "/ip firewall filter",
            "set",
            "*5",
            (("disabled", "yes"),),
            "*5",
        ),
        (
            "*3 = /ip address add address=10.1.1.1/24 interface=ether1",
            "/ip address",
            "add",
            "",
            (("address", "10.1.1.1/24"), ("interface", "ether1")),
            "*3",
        ),
        ("/user remove *2", "/user", "remove", "*2", (), "*2"),
        (
            "/ip firewall filter move *5 destination=*2",
            "/ip firewall filter",
            "move",
            "*5",
            (("destination", "*2"),),
            "*5",
        ),
        (
            '/ip firewall address-list add list=block comment="from (ticket) \\"42\\"; x"',
            "/ip firewall address-list",
            "add",
            "",
            (("list", "block"), ("comment", 'from (ticket) "42"; x')),
            "",
        ),
        (
            "/interface ethernet set [ find default-name=ether3 ] mtu=1500",
            "/interface ethernet",
            "set",
            "[ find default-name=ether3 ]",
            (("mtu", "1500"),),
            "",
        ),
        ("/ip/dns/set servers=1.1.1.1", "/ip dns", "set", "", (("servers", "1.1.1.1"),), ""),
        (
            "/system identity set name=core1",
            "/system identity",
            "set",
            "",
            (("name", "core1"),),
            "",
        ),
        ("/ip dns static disable 0", "/ip dns static", "disable", "0", (), ""),
    ],
)
def test_parse_command_forms(
    text: str,
    section: str,
    verb: str,
    selector: str,
    args: tuple[tuple[str, str], ...],
    item_id: str,
) -> None:
    (ref,) = parse_command(text)
    assert (ref.section, ref.verb, ref.selector, ref.args, ref.item_id) == (
        section,
        verb,
        selector,
        args,
        item_id,
    )


def test_several_commands_separated_by_semicolons() -> None:
    refs = parse_command(
        "/interface set ether3 disabled=no l2mtu=1598 mtu=1500 name=ether3; "
        "/interface ethernet set [ find ] advertise=10M-half mtu=1500 name=ether3; "
        "/queue interface set ether3"
    )
    assert [(r.section, r.verb, r.selector) for r in refs] == [
        ("/interface", "set", "ether3"),
        ("/interface ethernet", "set", "[ find ]"),
        ("/queue interface", "set", "ether3"),
    ]
    assert dict(refs[0].args)["l2mtu"] == "1598"


def test_relative_command_continues_previous_menu() -> None:
    refs = parse_command("/ip firewall filter; add chain=input; remove *3")
    assert [(r.section, r.verb) for r in refs] == [
        ("/ip firewall filter", ""),
        ("/ip firewall filter", "add"),
        ("/ip firewall filter", "remove"),
    ]


def test_command_ref_keeps_text() -> None:
    (ref,) = parse_command("  /user remove *2 ")
    assert ref == CommandRef("/user", "remove", "*2", (), "*2", "/user remove *2")


def test_quoting_helpers() -> None:
    assert unquote_value('"a \\"b\\" \\\\ \\_\\4A"') == 'a "b" \\  J'
    assert unquote_value("plain") == "plain"
    assert unquote_value('"unterminated') == "unterminated"
    assert split_outside('a "b c" [d e] (f g)', None) == ["a", '"b c"', "[d e]", "(f g)"]
    assert split_outside('x; "y;z"; [ :put 1; ]', ";") == ["x", ' "y;z"', " [ :put 1; ]"]


@pytest.mark.fuzz
@given(st.text())
def test_parse_command_and_lookup_never_raise(text: str) -> None:
    for ref in parse_command(text):
        assert isinstance(ref.section, str)
    sections_for_object(text)
    unquote_value(text)
