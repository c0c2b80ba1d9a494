"""Notifier.notify: a failed write raises, and calling again mails each change exactly once."""

from __future__ import annotations

import os
import re
import stat
import sys
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from rospoll.errors import NotifyError, StoreError
from rospoll.notify import MailSettings, Notifier
from rospoll.notify.report import ChangeReport
from tests.unit.notify.reports import T0, make_report

NOW_S = T0.timestamp()


class Sent:
    """A fake ``send`` that records the subject of every message it is handed."""

    def __init__(self) -> None:
        self.subjects: list[str] = []

    def __call__(self, message: EmailMessage) -> None:
        self.subjects.append(str(message["Subject"]))


def _notifier(root: Path, **settings: object) -> Notifier:
    values: dict[str, object] = {"server": "127.0.0.1", "mail_from": "rospoll@example.net"}
    values.update(settings)
    return Notifier(root, MailSettings(**values))  # type: ignore[arg-type]


def _deliver(notifier: Notifier, send: Sent, now_s: float = NOW_S) -> list[str]:
    if notifier.digest is not None:
        notifier.digest.flush_due(now_s, notifier.outbox, mail_from="rospoll@example.net")
    sent, failed = notifier.outbox.deliver_due(now_s, send)
    assert failed == []
    return sent


def _rows(root: Path) -> list[str]:
    return re.findall(r'href="changes/([^"]+)\.html"', (root / "index.html").read_text())


def _disk_full(monkeypatch: pytest.MonkeyPatch, module: str) -> None:
    def full(path: Path, data: bytes, **kwargs: object) -> None:
        raise StoreError(f"cannot write {path}: No space left on device")

    monkeypatch.setattr(f"rospoll.notify.{module}.atomic_write", full)


def test_a_failed_outbox_write_raises_and_the_retry_mails_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notifier = _notifier(tmp_path)
    report = make_report()
    _disk_full(monkeypatch, "outbox")
    with pytest.raises(NotifyError, match="No space left"):
        notifier.notify(report, now=T0)
    assert not (tmp_path / "changes").exists()  # nothing published for a mail not queued
    monkeypatch.undo()  # the disk is fixed; recovery notifies the same change again

    assert notifier.notify(report, now=T0) is not None
    send = Sent()
    assert _deliver(notifier, send) == [report.id]
    assert len(send.subjects) == 1
    assert notifier.notify(report, now=T0) is None  # and once more after the send
    assert _deliver(notifier, send, NOW_S + 60) == [] and len(send.subjects) == 1
    assert _rows(tmp_path) == [report.id]


def test_notify_twice_before_delivery_queues_one_mail_and_one_page(tmp_path: Path) -> None:
    notifier = _notifier(tmp_path)
    report = make_report()
    notifier.notify(report, now=T0)
    notifier.notify(report, now=T0 + timedelta(minutes=5))  # killed before the user log
    assert [p.id for p in notifier.outbox.pending()] == [report.id]
    send = Sent()
    _deliver(notifier, send)
    assert len(send.subjects) == 1
    assert _rows(tmp_path) == [report.id]
    assert len(list((tmp_path / "changes").glob("*.html"))) == 1


def test_a_failed_page_write_raises_after_queuing_and_the_retry_only_publishes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notifier = _notifier(tmp_path)
    report = make_report()
    _disk_full(monkeypatch, "site")
    with pytest.raises(StoreError):
        notifier.notify(report, now=T0)
    monkeypatch.undo()
    assert [p.id for p in notifier.outbox.pending()] == [report.id]  # the mail is safe
    assert notifier.notify(report, now=T0) is None
    send = Sent()
    _deliver(notifier, send)
    assert len(send.subjects) == 1 and _rows(tmp_path) == [report.id]


@pytest.mark.skipif(sys.platform == "win32", reason="no POSIX file modes")
@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes anyway")
def test_a_read_only_outbox_raises_and_mails_once_when_writable_again(tmp_path: Path) -> None:
    notifier = _notifier(tmp_path)
    report = make_report()
    notifier.outbox.folder.mkdir(mode=0o500)
    try:
        with pytest.raises(NotifyError):
            notifier.notify(report, now=T0)
    finally:
        notifier.outbox.folder.chmod(0o700)
    notifier.notify(report, now=T0)
    send = Sent()
    _deliver(notifier, send)
    assert len(send.subjects) == 1


def test_disabled_mail_or_no_recipients_only_publishes(tmp_path: Path) -> None:
    assert _notifier(tmp_path / "a", enabled=False).notify(make_report(), now=T0) is None
    quiet = _notifier(tmp_path / "b")
    assert quiet.notify(make_report(recipients=()), now=T0) is None
    assert quiet.outbox.pending() == []
    assert _rows(tmp_path / "a") == _rows(tmp_path / "b") == [make_report().id]


# -- digest mode ------------------------------------------------------------------------------


def test_digest_write_failure_raises_and_the_retry_is_bundled_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notifier = _notifier(tmp_path, digest_s=600)
    report = make_report()
    _disk_full(monkeypatch, "digest")
    with pytest.raises(NotifyError, match="No space left"):
        notifier.notify(report, now=T0)
    monkeypatch.undo()
    assert notifier.notify(report, now=T0) is not None
    assert notifier.notify(report, now=T0 + timedelta(seconds=30)) is None  # still waiting
    send = Sent()
    assert _deliver(notifier, send, NOW_S + 599) == []  # the window is still open
    assert len(_deliver(notifier, send, NOW_S + 600)) == 1
    assert notifier.notify(report, now=T0) is None  # bundled and sent: not again
    assert _deliver(notifier, send, NOW_S + 1300) == []
    assert len(send.subjects) == 1 and "core-rtr1: alice changed" in send.subjects[0]


def test_a_flush_killed_after_queuing_its_digest_does_not_queue_it_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notifier = _notifier(tmp_path, digest_s=600)
    assert notifier.digest is not None
    for n in range(3):
        notifier.notify(make_report(n, user=f"user{n}"), now=T0 + timedelta(seconds=n))

    class Killed(BaseException):
        pass

    def killed(self: object, keys: object) -> None:
        raise Killed  # the process dies after the digest is in the outbox

    monkeypatch.setattr(type(notifier.outbox), "mark_done", killed)
    with pytest.raises(Killed):
        notifier.digest.flush_due(NOW_S + 600, notifier.outbox, mail_from="rospoll@example.net")
    monkeypatch.undo()
    assert len(notifier.outbox.pending()) == 1
    # a change queued before the restart sorts in among the planned ones; still mailed once
    late = make_report(9, user="late")
    notifier.notify(late, now=T0 + timedelta(seconds=1))
    for n in range(3):  # recovery tells the first three again
        assert notifier.notify(make_report(n, user=f"user{n}"), now=T0) is None

    send = Sent()
    _deliver(notifier, send, NOW_S + 600)
    assert sorted(send.subjects) == [
        "[rospoll] 3 changes on core-rtr1 by user0, user1, user2",
        "[rospoll] core-rtr1: late changed /ip firewall filter, /ip address",
    ]
    assert not (notifier.digest.folder).exists() or not any(notifier.digest.folder.iterdir())
    assert notifier.notify(late, now=T0) is None


def test_a_change_mailed_singly_is_not_bundled_when_digest_mode_is_turned_on(
    tmp_path: Path,
) -> None:
    report = make_report()
    _notifier(tmp_path).notify(report, now=T0)
    assert _notifier(tmp_path, digest_s=600).notify(report, now=T0) is None


# -- reports that hold secrets -------------------------------------------------------------------

SECRET = "s3cr3t-Pa55"


def _secret_report(n: int = 0, **overrides: object) -> ChangeReport:
    values: dict[str, object] = {
        "diff": f"+/ppp secret add name=bob password={SECRET}\n",
        "revert": f'/ppp secret set [find name=bob] password="{SECRET}"',
        "holds_secrets": True,
    }
    values.update(overrides)
    return make_report(n, **values)


@pytest.mark.skipif(sys.platform == "win32", reason="no POSIX file modes")
def test_pages_of_a_report_with_secrets_are_private_and_the_lists_quote_none(
    tmp_path: Path,
) -> None:
    notifier = _notifier(tmp_path / "reports", enabled=False)
    notifier.notify(make_report(0), now=T0)
    secret = _secret_report(1)
    notifier.notify(secret, now=T0)
    changes = tmp_path / "reports" / "changes"

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    assert SECRET in (changes / f"{secret.id}.html").read_text()
    assert mode(changes / f"{secret.id}.html") == mode(changes / f"{secret.id}.json") == 0o600
    plain = make_report(0).id
    assert mode(changes / f"{plain}.html") == mode(changes / f"{plain}.json") == 0o644
    assert mode(changes) == 0o700  # as rospoll created it
    lists = [
        tmp_path / "reports" / "index.html",
        tmp_path / "reports" / "routers" / "core-rtr1.html",
        changes / ".summaries.json",
    ]
    for path in lists:
        assert SECRET not in path.read_text(), path
        assert secret.id in path.read_text(), path


def test_a_mail_with_secrets_says_so_instead_of_claiming_they_are_masked(
    tmp_path: Path,
) -> None:
    notifier = _notifier(tmp_path)
    notifier.notify(_secret_report(1), now=T0)
    notifier.notify(make_report(2), now=T0)
    bodies = [p.read_bytes().decode() for p in sorted(notifier.outbox.folder.glob("*.eml"))]
    with_secret = [b for b in bodies if SECRET in b]
    assert len(with_secret) == 1 and "This mail shows secret values" in with_secret[0]
    assert "Secrets are masked in this mail" not in with_secret[0]
    other = next(b for b in bodies if SECRET not in b)
    assert "Secrets are masked in this mail" in other
