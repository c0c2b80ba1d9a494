"""Normalising, validating and parsing rules, one small export each."""

from __future__ import annotations

import pytest

from rospoll.config import (
    check_shrink,
    normalise_export,
    parse_export,
    render_export,
    validate_export,
)
from rospoll.errors import ExportInvalidError

V7 = (
    "# 2024-01-02 10:11:12 by RouterOS 7.16\n# software id = AB12-CD34\n#\n"
    "# model = RB5009UG+S+\n# serial number = HD0123456789\n"
)
V6 = "# jan/02/2024 10:11:12 by RouterOS 6.49.10\n# software id = ABCD-1234\n#\n"


def items(text: str, path: str) -> list[tuple[str, str | None, dict[str, str]]]:
    export = parse_export(text)
    return [(i.command, i.selector, dict(i.args)) for i in export.sections[path].items]


def test_header_date_dropped_and_metadata_kept_in_both_formats() -> None:
    v7 = normalise_export(V7 + "/ip dns\nset servers=1.1.1.1\n")
    assert v7.meta is not None
    assert (v7.meta.version, v7.meta.major, v7.meta.model, v7.meta.serial) == (
        "7.16", 7, "RB5009UG+S+", "HD0123456789",
    )  # fmt: skip
    assert v7.meta.software_id == "AB12-CD34"
    assert v7.lines == ("/ip dns", "set servers=1.1.1.1")
    v6 = normalise_export(V6 + "/ip dns\nset servers=1.1.1.1\n")
    assert v6.meta is not None and v6.meta.major == 6 and v6.lines == v7.lines
    chr7 = normalise_export("# 2025-01-01 00:00:00 by RouterOS 7.18.1\n# system id = dXenfEIkTIJ\n")
    assert chr7.meta is not None and chr7.meta.system_id == "dXenfEIkTIJ"


def test_crlf_lf_ansi_prompts_and_trailing_space_are_normalised() -> None:
    raw = V7 + "/ip dns\nset servers=1.1.1.1   \n"
    noisy = "[admin@MikroTik] > \r\n" + raw.replace("\n", "\r\n").replace(
        "/ip dns", "\x1b[m/ip dns"
    )
    noisy += "[admin@MikroTik] >\r\n"
    assert normalise_export(noisy) == normalise_export(raw)


def test_continuations_are_joined_also_inside_quotes_keeping_escaped_space() -> None:
    text = V7 + (
        "/ip firewall filter\n"
        'add action=drop chain=input comment="drop all not\\\n    \\_coming from LAN" \\\n'
        "    in-interface-list=!LAN\n"
        "/system script\n"
        'add name=s source=":local a 1;\\r\\\n    \\n:put \\$a"\n'
    )
    assert items(text, "/ip firewall filter") == [
        ("add", None, {"action": "drop", "chain": "input",
                       "comment": "drop all not coming from LAN", "in-interface-list": "!LAN"}),
    ]  # fmt: skip
    assert items(text, "/system script")[0][2]["source"] == ":local a 1;\r\n:put $a"


def test_transient_comments_are_dropped_and_configurable() -> None:
    text = (
        V6 + "/interface wireless\n# managed by CAPsMAN\n# channel: 2412/20-Ce/gn(20dBm), SSID: x\n"
        "set [ find default-name=wlan1 ] ssid=x\n"
    )
    assert normalise_export(text).lines == (
        "/interface wireless",
        "set [ find default-name=wlan1 ] ssid=x",
    )
    kept = normalise_export(text, transient=["inactive time"]).lines
    assert "# managed by CAPsMAN" in kept


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty export"),
        ("  \n\n", "empty export"),
        ("expected end of command (line 1 column 9)\n", "CLI error"),
        (V7 + "/ip address\nbad command name exprot (line 1 column 1)\n", "CLI error"),
        ("/ip address\nadd address=10.0.0.1/24\n", "not an export"),
        (":local a 1\n:put $a\n", "not an export"),
        (V7 + "/ip address\nadd address=10.0.0.1/24 \\\n", "continuation"),
        (V7 + '/ip address\nadd comment="unfinished\n', "open quote"),
        (V7 + "/ip firewall filter\nadd chain=input\n:delay 1s\n", "script command"),
        (V7 + "add chain=input\n", "before any section"),
        (V7 + "/ip address\nhello world\n", "unknown command"),
        (V7 + "/ip address\\ add\n", "backslash in section path"),  # rendered "/ip address\\"
        (V7 + "/ip address\\ set /ip address\n", "backslash in section path"),
    ],
)
def test_invalid_exports_are_rejected_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(ExportInvalidError) as caught:
        parse_export(text)
    assert reason in caught.value.reason


def test_validate_returns_normalised_lines() -> None:
    assert validate_export(V7 + "/ip dns\nset servers=1.1.1.1").lines[-1] == "set servers=1.1.1.1"


def test_standard_and_terse_exports_give_the_same_model() -> None:
    standard = V7 + (
        "/interface ethernet\nset [ find default-name=ether1 ] comment=wan\n"
        "/ip address\nadd address=10.0.0.1/24 comment=\\\n    lan interface=ether2 network=\\\n"
        "    10.0.0.0\n/ip service\nset telnet disabled=yes\n"
    )
    terse = V7 + (
        "/interface ethernet set [ find default-name=ether1 ] comment=wan\n"
        "/ip address add address=10.0.0.1/24 comment=lan interface=ether2 network=10.0.0.0\n"
        "/ip service set telnet disabled=yes\n"
    )
    assert parse_export(standard) == parse_export(terse)


def test_set_forms_selectors_and_keys() -> None:
    text = V7 + (
        "/interface ethernet\nset [ find default-name=ether1 ] name=wan\n"
        "/ip service\nset telnet disabled=yes\n"
        "/system logging\nset 0 action=disk\n"
        '/interface list\nset "lan A" comment=x\n'
        "/ip dns\nset allow-remote-requests=yes servers=1.1.1.1\n"
    )
    export = parse_export(text)
    assert [(i.selector, i.key) for s in export.sections.values() for i in s.items] == [
        ("[ find default-name=ether1 ]", "[ find default-name=ether1 ]"),
        ("telnet", "telnet"),
        ("0", "0"),
        ('"lan A"', '"lan A"'),
        (None, ""),
    ]


def test_escapes_are_decoded_including_utf8_hex_bytes() -> None:
    text = (
        V7 + '/system script\nadd name=s source="\\D0\\9E\\D0\\BA \\"q\\" \\\\ \\$x \\? a\\_b\\n"\n'
    )
    assert items(text, "/system script")[0][2]["source"] == 'Ок "q" \\ $x ? a b\n'


def test_repeated_section_is_merged_and_duplicate_lines_are_kept() -> None:
    text = V7 + (
        "/ip firewall nat\nadd action=masquerade chain=srcnat\n"
        "/ip address\nadd address=10.0.0.1/24 interface=ether1\n"
        "/ip firewall nat\nadd action=masquerade chain=srcnat\n"
    )
    export = parse_export(text)
    assert list(export.sections) == ["/ip firewall nat", "/ip address"]
    nat = export.sections["/ip firewall nat"].items
    assert len(nat) == 2 and nat[0].args == nat[1].args
    assert nat[1].key == nat[0].key + " ~2" and [i.position for i in nat] == [0, 1]


def test_verbose_unset_markers_flags_internal_ids_and_other_commands() -> None:
    text = V7 + (
        "/interface 6to4\nadd !keepalive mtu=1280 name=t1\n"
        "/routing ospf interface-template\nadd area=backbone networks=10.0.0.1 passive\n"
        "/queue interface\nset *0 queue=only-hardware-queue\n"
        "/ip firewall filter\nmove 3 destination=1\nremove [ find where comment=x ]\n"
    )
    assert items(text, "/interface 6to4")[0][2] == {"!keepalive": "", "mtu": "1280", "name": "t1"}
    template = items(text, "/routing ospf interface-template")[0][2]
    assert template["passive"] == "yes"
    assert items(text, "/queue interface")[0][1] == "*0"
    moves = parse_export(text).sections["/ip firewall filter"].items
    assert [(i.command, i.is_keyed) for i in moves] == [("move", False), ("remove", False)]
    assert parse_export(render_export(parse_export(text))) == parse_export(text)


def test_hand_edited_file_blank_lines_separator_comments_no_trailing_newline() -> None:
    text = V7 + (
        "\n# ==== VRF ====\n/ip vrf add interfaces=ether2 name=v1\n\n   \n"
        "/routing bgp connection\nadd name=a\n/routing bgp connection\nadd name=b"
    )
    export = parse_export(text)
    assert [i.key for i in export.sections["/routing bgp connection"].items] == [
        "name=a",
        "name=b",
    ]


def test_check_shrink_flags_a_sudden_loss_of_items() -> None:
    many = parse_export(
        V7 + "/ip address\n" + "".join(f"add address=10.0.{n}.1/24\n" for n in range(20))
    )
    few = parse_export(V7 + "/ip address\nadd address=10.0.0.1/24\n")
    assert check_shrink(many, many) is None
    assert check_shrink(few, many) is None
    with pytest.raises(ExportInvalidError, match="sudden shrink"):
        check_shrink(many, few)
    assert check_shrink(many, few, max_loss=0.99) is None
