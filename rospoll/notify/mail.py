"""Handing a message to an SMTP server: the only module that imports smtplib.

    settings = MailSettings(server="smtp.example.net", security="starttls", user="rospoll",
                            password="…", mail_from="rospoll@example.net")
    send_message(message, settings)      # raises NotifyError; the outbox retries later

Errors:

    NotifyError                  server unreachable, TLS failed, login refused, 4xx: retry later
    └── MailRejectedError        the server refused sender, every recipient or the data with a
                                 5xx: retrying the same message will not help
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Literal

from rospoll.errors import NotifyError

log = logging.getLogger(__name__)

Security = Literal["starttls", "ssl", "none"]
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


class MailRejectedError(NotifyError):
    """Raised when the server refuses the message for good (5xx): retrying will not help."""


@dataclass(frozen=True)
class MailSettings:
    """How to reach the SMTP server and whether to mail at all.

    ``port`` 0 means the usual port for ``security`` (587, 465 or 25). ``enabled=False`` (the
    original tool's ``enable_email = false``) sends nothing but still writes reports.
    ``digest_s`` > 0 bundles changes per recipient set into one mail per window.
    ``password`` is left out of ``repr`` so it never reaches a log line.
    """

    server: str = "localhost"
    port: int = 0
    security: Security = "starttls"
    user: str = ""
    password: str = ""
    mail_from: str = "rospoll@localhost"
    enabled: bool = True
    digest_s: float = 0.0
    timeout_s: float = 30.0
    verify_tls: bool = True  # False accepts self-signed server certificates

    def __post_init__(self) -> None:
        if self.security not in DEFAULT_PORTS:
            raise ValueError(f"security must be starttls, ssl or none: {self.security!r}")
        if self.digest_s < 0 or self.timeout_s <= 0:
            raise ValueError("digest_s must be >= 0 and timeout_s > 0")

    def __repr__(self) -> str:
        return (
            f"MailSettings(server={self.server!r}, port={self.effective_port}, "
            f"security={self.security!r}, user={self.user!r}, "
            f"password={'***' if self.password else ''!r}, "
            f"mail_from={self.mail_from!r}, enabled={self.enabled}, digest_s={self.digest_s}, "
            f"timeout_s={self.timeout_s}, verify_tls={self.verify_tls})"
        )

    @property
    def effective_port(self) -> int:
        """``port``, or the usual one for ``security`` when it is 0."""
        return self.port or DEFAULT_PORTS[self.security]


def tls_context(settings: MailSettings) -> ssl.SSLContext:
    """A client context; verifies the server unless ``verify_tls`` is off."""
    context = ssl.create_default_context()
    if not settings.verify_tls:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def send_message(message: EmailMessage, settings: MailSettings) -> None:
    """Deliver ``message`` to its From/To/Cc/Bcc addresses; returns once the server said 250.

    Raises ``NotifyError`` (retry later) or ``MailRejectedError`` (do not retry). The password
    never appears in an error message.
    """
    where = f"{settings.server}:{settings.effective_port}"
    try:
        with _connect(settings) as smtp:
            if settings.security == "starttls":
                smtp.ehlo()
                if not smtp.has_extn("starttls"):
                    raise NotifyError(
                        f"SMTP server {where} does not offer STARTTLS; set security to 'ssl' "
                        f"or 'none' if that is intended (will retry)"
                    )
                smtp.starttls(context=tls_context(settings))
                smtp.ehlo()
            if settings.user:
                smtp.login(settings.user, settings.password)
            refused = smtp.send_message(message)
            if refused:
                log.warning("%s refused some recipients: %s", where, ", ".join(refused))
    except NotifyError:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise NotifyError(
            f"SMTP server {where} refused login for user {settings.user!r}: "
            f"{exc.smtp_code} {_text(exc.smtp_error)}"
        ) from exc
    except smtplib.SMTPNotSupportedError as exc:
        raise NotifyError(f"SMTP server {where}: {exc} (check security and user settings)") from exc
    except smtplib.SMTPRecipientsRefused as exc:
        codes = {code for code, _ in exc.recipients.values()}
        text = ", ".join(f"{r} ({c})" for r, (c, _) in exc.recipients.items())
        error = MailRejectedError if all(c >= 500 for c in codes) else NotifyError
        raise error(f"SMTP server {where} refused every recipient: {text}") from exc
    except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
        error = MailRejectedError if exc.smtp_code >= 500 else NotifyError
        raise error(
            f"SMTP server {where} refused the message: {exc.smtp_code} {_text(exc.smtp_error)}"
        ) from exc
    except smtplib.SMTPException as exc:
        raise NotifyError(f"SMTP with {where} failed: {exc}") from exc
    except ssl.SSLError as exc:
        raise NotifyError(f"TLS with SMTP server {where} failed: {exc.reason or exc}") from exc
    except OSError as exc:  # refused, unreachable, timed out
        raise NotifyError(f"cannot reach SMTP server {where}: {exc}") from exc


def _connect(settings: MailSettings) -> smtplib.SMTP:
    if settings.security == "ssl":
        return smtplib.SMTP_SSL(
            settings.server,
            settings.effective_port,
            timeout=settings.timeout_s,
            context=tls_context(settings),
        )
    return smtplib.SMTP(settings.server, settings.effective_port, timeout=settings.timeout_s)


def _text(error: bytes | str) -> str:
    return error.decode("utf-8", "replace") if isinstance(error, bytes) else str(error)
