"""Turning a rendered mail into an RFC 5322 message. Pure: the date and id are passed in.

    rendered = render_email(report)
    message = compose_message(rendered, mail_from="rospoll@example.net",
                              recipients=report.recipients, date=now)

The message is ``multipart/alternative`` (text first, HTML last, as RFC 2046 asks) built with
``email.policy.SMTP``, which refuses CR or LF in any header; the subject is already one bounded
line (``render.subject_for``), and addresses are checked here.
"""

from __future__ import annotations

import email.policy
import uuid
from collections.abc import Sequence
from datetime import datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from rospoll.errors import NotifyError
from rospoll.notify.clean import header_text
from rospoll.notify.render import RenderedEmail

POLICY = email.policy.SMTP


def compose_message(
    rendered: RenderedEmail,
    *,
    mail_from: str,
    recipients: Sequence[str],
    date: datetime,
    message_id: str | None = None,
) -> EmailMessage:
    """A ready-to-send message; raises ``NotifyError`` for a bad sender or recipient address."""
    if not recipients:
        raise NotifyError("no recipients for this mail")
    message = EmailMessage(policy=POLICY)
    try:
        sender = _address(mail_from)
        message["From"] = sender
        message["To"] = [_address(r) for r in dict.fromkeys(recipients)]
    except (ValueError, IndexError, TypeError, HeaderParseError) as exc:  # email's parser
        raise NotifyError(f"bad mail address: {exc}") from exc
    message["Subject"] = header_text(rendered.subject, 200)
    message["Date"] = format_datetime(date)
    domain = sender.domain or "rospoll.invalid"
    message["Message-ID"] = message_id or f"<{uuid.uuid4().hex}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies, please
    message["X-Mailer"] = "rospoll"
    message.set_content(rendered.text, subtype="plain", charset="utf-8")
    message.add_alternative(rendered.html, subtype="html", charset="utf-8")
    return message


def _address(text: str) -> Address:
    """One address from settings or the inventory; rejects anything that is not one line."""
    if any(ch in text for ch in "\r\n\0") or not text.strip():
        raise ValueError(f"not a single mail address: {text!r:.80}")
    parsed = Address(addr_spec=text.strip()) if "<" not in text else None
    if parsed is None:
        # "Name <user@host>" form
        name, _, rest = text.partition("<")
        parsed = Address(display_name=name.strip().strip('"'), addr_spec=rest.rstrip(">").strip())
    if "@" not in parsed.addr_spec:
        raise ValueError(f"not a mail address: {text!r:.80}")
    return parsed
