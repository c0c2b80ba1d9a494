from __future__ import annotations

import email.policy
import re
from datetime import datetime, timezone
from email.parser import BytesParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rospoll.errors import NotifyError
from rospoll.notify.message import compose_message
from rospoll.notify.render import render_email
from tests.unit.notify.reports import HOSTILE_USER, make_report


def test_subject_names_router_user_and_sections() -> None:
    subject, _, _ = render_email(make_report())
    assert subject == "[rospoll] core-rtr1: alice changed /ip firewall filter, /ip address"


def test_subject_shortens_many_sections() -> None:
    names = ("vlan", "bridge", "wireguard", "list", "eoip")
    sections = tuple(f"/interface {name}" for name in names)
    subject, _, _ = render_email(make_report(sections=sections))
    assert subject.endswith("/interface vlan, /interface bridge, /interface wireguard and 2 more")


def test_subject_of_a_poll_change_says_unknown() -> None:
    subject, text, html = render_email(make_report(source="poll", user=""))
    assert "UNKNOWN changed" in subject
    assert "UNKNOWN (not logged)" in text
    assert "UNKNOWN (not logged)" in html


def test_subject_is_one_bounded_line_whatever_the_user_name() -> None:
    user = "\x1b[31mevil\x1b[0m\r\nBcc: victim@example.net\n" + "x" * 10_000
    subject, _, _ = render_email(make_report(user=user, router="r" * 5000))
    assert "\n" not in subject and "\r" not in subject and "\x1b" not in subject
    assert len(subject) <= 200
    assert "evil Bcc: victim@example.net" in subject


def test_html_and_text_carry_the_same_facts() -> None:
    report = make_report(inferred=True)
    _, text, html = render_email(report)
    for fact in (
        "alice", "ssh", "198.51.100.7", "core-rtr1", "192.0.2.1", "core", "7.16",
        "2024-05-01 12:34:56 UTC", "2024-05-01T12:34:56+00:00", "/ip firewall filter",
        "address 192.0.2.9/24 added on ether2", "action=drop chain=input dst-port=22",
        "3f2a9c1d", "inferred", "1 added, 1 changed",
    ):
        assert fact in text, fact
        assert fact.replace('"', "&#34;") in html, fact
    assert "/ip firewall filter set [find comment=\"drop ssh\"] action=drop" in text  # command
    assert "remove [find address=192.0.2.9/24]" in text  # revert


def test_hostile_strings_are_escaped_in_html() -> None:
    report = make_report(
        user=HOSTILE_USER,
        router="<b>rtr</b>",
        sentences=(("/system script", ('comment "<script>alert(1)</script>" set',)),),
        diff="+<svg onload=alert(1)>\n",
    )
    _, text, html = render_email(report)
    for raw in ("<img", "<script", "<svg", "<b>rtr"):
        assert raw not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert HOSTILE_USER in text  # the text part shows it literally


def test_ansi_and_control_characters_are_removed() -> None:
    report = make_report(user="bo\x1b[1mb\x07\u202e", diff="+\x1b[32mgreen\x1b[0m line\r\n")
    subject, text, html = render_email(report)
    for part in (subject, text, html):
        assert "\x1b" not in part and "\x07" not in part and "\u202e" not in part
    assert "bob" in subject
    assert "+green line" in text


def test_diff_lines_are_coloured_inline() -> None:
    _, _, html = render_email(make_report())
    added = re.search(r'<div style="[^"]*background:#e6ffec[^"]*">\+/ip address add', html)
    removed = re.search(r'<div style="[^"]*background:#ffebe9[^"]*">-/ip firewall filter', html)
    assert added and removed
    file_header = re.search(r'<div style="[^"]*font-weight:bold;">--- core-rtr1', html)
    assert file_header  # the "---" header is not shown as a removed line


def test_html_uses_inline_styles_only_and_fits_a_phone() -> None:
    _, _, html = render_email(make_report())
    assert "<style" not in html and "<link" not in html and "<script" not in html
    assert "max-width:680px" in html
    assert "white-space:pre-wrap" in html and "overflow-x:auto" in html
    assert 'name="viewport"' in html


def test_a_list_renders_one_digest_oldest_first() -> None:
    reports = [
        make_report(3, user="carol"), make_report(1, user="bob"), make_report(2, router="edge")
    ]
    subject, text, html = render_email(reports)
    assert subject == "[rospoll] 3 changes on core-rtr1, edge by bob, alice, carol"
    assert text.index("bob changed") < text.index("alice changed") < text.index("carol changed")
    assert html.count("changed /ip firewall filter, /ip address on") == 6  # summary + cards


def test_an_empty_list_is_a_notify_error() -> None:
    with pytest.raises(NotifyError):
        render_email([])


def test_long_content_is_bounded() -> None:
    report = make_report(diff="+" + "x" * 300_000, user="u" * 10_000)
    _, text, html = render_email(report)
    assert "more characters not shown" in text
    assert len(html) < 400_000
    assert "u" * 201 not in html


@settings(max_examples=max(25, settings().max_examples // 10))  # ~30 ms per render
@given(user=st.text(max_size=300), router=st.text(max_size=100))
def test_any_user_name_gives_a_parseable_message_with_only_our_headers(
    user: str, router: str
) -> None:
    report = make_report(user=user, router=router)
    message = compose_message(
        render_email(report), mail_from="rospoll@example.net", recipients=report.recipients,
        date=datetime(2024, 5, 1, tzinfo=timezone.utc),
    )
    parsed = BytesParser(policy=email.policy.default).parsebytes(message.as_bytes())
    assert sorted(parsed.keys()) == sorted(
        ["From", "To", "Subject", "Date", "Message-ID", "Auto-Submitted", "X-Mailer",
         "MIME-Version", "Content-Type"]
    )
    assert parsed["To"] == "noc@example.net"
