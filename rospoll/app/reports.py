"""From a stored change to what people read: the report record, mail settings, the notifier."""

from __future__ import annotations

from rospoll.app.change import Change
from rospoll.config import unified_diff
from rospoll.config.render import render_revert
from rospoll.inventory import Device, Inventory
from rospoll.notify import ChangeReport, MailSettings, Notifier
from rospoll.notify.mail import send_message
from rospoll.store import JournalEntry


def mail_settings(inventory: Inventory) -> MailSettings:
    """SMTP settings from the ``all`` group; mail is off until ``rospoll_mail_server`` is set."""
    s = inventory.settings
    return MailSettings(
        server=s.mail_server or "localhost",
        port=s.mail_port,
        security=s.mail_security,  # type: ignore[arg-type]
        user=s.mail_user or "",
        password=s.mail_password or "",
        mail_from=s.mail_from or "rospoll@localhost",
        enabled=s.mail_enabled and bool(s.mail_server),
        digest_s=s.mail_digest_s,
    )


def notifier(inventory: Inventory) -> Notifier:
    """The mail outbox and report site of this inventory."""
    return Notifier(inventory.report_dir, mail_settings(inventory))


def build_report(change: Change) -> ChangeReport:
    """The report of one stored change; secrets masked unless the device's settings say so."""
    device, entry, credit = change.device, change.entry, change.attribution
    show = device.settings.show_secrets_in_reports
    grouped: dict[str, list[str]] = {}
    for item, text in zip(credit.changes, change.sentences, strict=True):
        grouped.setdefault(item.section, []).append(text)
    return ChangeReport(
        id=entry.id,
        time=entry.time,
        router=device.name,
        host=device.host,
        identity=change.fetched.identity,
        version=change.fetched.version,
        user=entry.user,
        via=entry.via or "",
        address=entry.address or "",
        source=entry.source,
        inferred=entry.inferred,
        sections=entry.sections,
        sentences=tuple((path, tuple(texts)) for path, texts in grouped.items()),
        diff=unified_diff(
            change.before,
            change.after,
            show_secrets=show,
            old_name=f"{device.name}.rsc (before)",
            new_name=f"{device.name}.rsc ({entry.commit or 'after'})",
        ),
        commands=credit.commands,
        revert=render_revert(credit.changeset(change.changes), show_secrets=show),
        commit=entry.commit or "",
        counts=credit.counts(),
        recipients=device.settings.mail_to if device.settings.mail_enabled else (),
        holds_secrets=show,
    )


def warning_report(device: Device, entry: JournalEntry) -> ChangeReport:
    """The report (page and mail) of a journaled warning about a router."""
    warning = entry.warning or ""
    return ChangeReport(
        id=entry.id,
        time=entry.time,
        router=device.name,
        host=device.host,
        identity="",
        version="",
        user=entry.user,
        via="",
        address="",
        source=entry.source,
        inferred=False,
        sections=entry.sections,
        sentences=tuple((section, (warning,)) for section in entry.sections),
        diff="",
        recipients=device.settings.mail_to if device.settings.mail_enabled else (),
        warning=warning,
    )


def deliver_due(notifier: Notifier, now_s: float) -> tuple[int, int]:
    """One delivery round for short-lived runs (poll-once): due digests, then the outbox.

    Returns (sent, failed); failed mails stay in the outbox for the next run.
    """
    settings = notifier.settings
    if not settings.enabled:
        return 0, 0
    if notifier.digest is not None:
        notifier.digest.flush_due(now_s, notifier.outbox, mail_from=settings.mail_from)
    sent, failed = notifier.outbox.deliver_due(
        now_s, lambda message: send_message(message, settings)
    )
    return len(sent), len(failed)
