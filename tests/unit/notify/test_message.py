from __future__ import annotations

import email.policy
from email.parser import BytesParser

import pytest

from rospoll.errors import NotifyError
from rospoll.notify.message import compose_message
from rospoll.notify.render import render_email
from tests.unit.notify.reports import T0, make_report


def _compose(report, recipients=None):  # type: ignore[no-untyped-def]
    return compose_message(
        render_email(report), mail_from="rospoll <rospoll@example.net>",
        recipients=recipients or report.recipients, date=T0,
    )


def test_message_is_multipart_alternative_text_then_html() -> None:
    parsed = BytesParser(policy=email.policy.default).parsebytes(_compose(make_report()).as_bytes())
    assert parsed.get_content_type() == "multipart/alternative"
    parts = [p.get_content_type() for p in parsed.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["Message-ID"].endswith("@example.net>")
    assert parsed["Date"] == "Wed, 01 May 2024 12:34:56 +0000"


def test_newline_in_user_name_injects_no_header() -> None:
    report = make_report(user="mallory\r\nBcc: victim@example.net\nX-Evil: 1")
    raw = _compose(report).as_bytes()
    parsed = BytesParser(policy=email.policy.default).parsebytes(raw)
    assert parsed["Bcc"] is None and parsed["X-Evil"] is None
    assert "core-rtr1: mallory Bcc: victim@example.net X-Evil" in str(parsed["Subject"])


@pytest.mark.parametrize("bad", ["noc@example.net\nBcc: x@example.net", "not-an-address", ""])
def test_a_bad_recipient_is_a_notify_error(bad: str) -> None:
    with pytest.raises(NotifyError, match="address"):
        _compose(make_report(), recipients=[bad])


def test_no_recipients_is_a_notify_error() -> None:
    with pytest.raises(NotifyError, match="no recipients"):
        _compose(make_report(recipients=()), recipients=())
