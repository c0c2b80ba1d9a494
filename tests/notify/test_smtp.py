"""Mail delivery against a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import email.policy
import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import timedelta
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from rospoll.errors import NotifyError
from rospoll.notify import (
    Backoff,
    DeliveryThread,
    MailSettings,
    Notifier,
    Outbox,
    compose_message,
    render_email,
    send_message,
)
from tests.conftest import REPO, wait_until
from tests.notify.conftest import SmtpServer, free_port, refuse_everyone
from tests.unit.notify.reports import HOSTILE_USER, T0, make_report


def _settings(port: int, **overrides: object) -> MailSettings:
    values: dict[str, object] = {
        "server": "127.0.0.1", "port": port, "security": "none",
        "mail_from": "rospoll@example.net", "timeout_s": 5.0,
    }
    values.update(overrides)
    return MailSettings(**values)  # type: ignore[arg-type]


def _message(n: int = 0, **overrides: object) -> EmailMessage:
    report = make_report(n, **overrides)
    return compose_message(render_email(report), mail_from="rospoll@example.net",
                           recipients=report.recipients, date=T0)


def _parse(data: bytes) -> EmailMessage:
    parsed = BytesParser(policy=email.policy.default).parsebytes(data)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_a_change_arrives_as_text_and_html_naming_user_router_and_change(
    smtp_server: SmtpServer,
) -> None:
    send_message(_message(), _settings(smtp_server.port))
    [envelope] = smtp_server.sink.envelopes
    assert envelope.mail_from == "rospoll@example.net"
    assert envelope.rcpt_tos == ["noc@example.net"]
    parsed = _parse(envelope.data)
    assert parsed.get_content_type() == "multipart/alternative"
    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    for part in (text, html):
        assert "alice" in part and "core-rtr1" in part and "/ip firewall filter" in part
        assert "address 192.0.2.9/24 added on ether2" in part


def test_a_hostile_user_name_is_escaped_and_breaks_no_header(smtp_server: SmtpServer) -> None:
    send_message(_message(user=HOSTILE_USER), _settings(smtp_server.port))
    parsed = _parse(smtp_server.sink.envelopes[0].data)
    html = parsed.get_body(("html",)).get_content()
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert parsed["Subject"] == (
        "[rospoll] core-rtr1: <img src=x onerror=alert(1)> changed /ip firewall filter, /ip address"
    )
    assert parsed["From"] == "rospoll@example.net" and parsed["To"] == "noc@example.net"


def test_a_newline_in_the_user_name_injects_no_header(smtp_server: SmtpServer) -> None:
    message = _message(user="eve\r\nBcc: victim@example.net\r\nX-Injected: yes")
    send_message(message, _settings(smtp_server.port))
    [envelope] = smtp_server.sink.envelopes
    assert envelope.rcpt_tos == ["noc@example.net"]  # no Bcc became a recipient
    parsed = _parse(envelope.data)
    assert parsed["Bcc"] is None and parsed["X-Injected"] is None
    assert "\n" not in parsed["Subject"]


def test_smtp_down_for_three_changes_then_up_delivers_each_once(tmp_path: Path) -> None:
    port = free_port()  # nothing listens here yet
    outbox = Outbox(tmp_path / "outbox", backoff=Backoff(first_s=30))
    settings = _settings(port, timeout_s=2.0)

    def send(message: EmailMessage) -> None:
        send_message(message, settings)

    for n in range(3):
        outbox.put(_message(n, user=f"user{n}"), key=f"k{n}")
    sent, failed = outbox.deliver_due(1000.0, send)
    assert sent == [] and len(failed) == 3
    assert "cannot reach SMTP server 127.0.0.1" in outbox.pending()[0].last_error

    server = SmtpServer(port).start()
    try:
        assert outbox.deliver_due(1029.0, send) == ([], [])  # backoff not over yet
        sent, failed = outbox.deliver_due(1030.0, send)
        assert len(sent) == 3 and failed == []
        assert outbox.deliver_due(5000.0, send) == ([], [])
        subjects = sorted(_parse(e.data)["Subject"] for e in server.sink.envelopes)
        assert [s.split(": ", 1)[1].split(" ")[0] for s in subjects] == ["user0", "user1", "user2"]
        assert len({_parse(e.data)["Message-ID"] for e in server.sink.envelopes}) == 3
    finally:
        server.stop()


def test_the_delivery_thread_retries_until_the_server_returns(tmp_path: Path) -> None:
    port = free_port()
    outbox = Outbox(tmp_path, backoff=Backoff(first_s=0.05, max_s=0.2))
    stop = threading.Event()
    thread = DeliveryThread(outbox, _settings(port, timeout_s=2.0), stop, poll_s=0.05)
    thread.start()
    server = None
    try:
        for n in range(3):
            outbox.put(_message(n), key=f"k{n}")
        wait_until(lambda: outbox.pending() and all(p.attempts for p in outbox.pending()),
                   what="a failed attempt for every message")
        assert "cannot reach" in thread.last_error
        server = SmtpServer(port).start()
        wait_until(lambda: not outbox.pending(), timeout_s=10, what="the outbox to empty")
        assert server.sink.count() == 3
    finally:
        stop.set()
        thread.join(timeout=5)
        if server is not None:
            server.stop()
    assert not thread.is_alive()
    assert server.sink.count() == 3  # and nothing more after the thread stopped


_PUT_AND_HANG = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from tests.notify.test_smtp import _message
    from rospoll.notify import Outbox
    outbox = Outbox(Path(sys.argv[1]))
    for n in range(3):
        outbox.put(_message(n, user=f"killed{n}"), key=f"killed{n}")
    print("queued", flush=True)
    time.sleep(60)  # "stuck before sending": killed with SIGKILL by the test
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX; restart is covered above")
def test_messages_queued_by_a_killed_process_go_out_once_after_restart(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    folder = tmp_path / "outbox"
    proc = subprocess.Popen([sys.executable, "-c", _PUT_AND_HANG, str(folder)], cwd=REPO,
                            stdout=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: len(list(folder.glob("*.eml"))) == 3, timeout_s=15,
                   what="the child to queue three messages")
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=5) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
    assert smtp_server.sink.count() == 0

    stop = threading.Event()
    thread = DeliveryThread(Outbox(folder), _settings(smtp_server.port), stop, poll_s=0.05)
    thread.start()
    try:
        assert thread.flushed.wait(10), "the start-up flush did not finish"
        wait_until(lambda: smtp_server.sink.count() == 3, what="three deliveries")
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()
    users = sorted(_parse(e.data)["Subject"].split(": ", 1)[1].split(" ")[0]
                   for e in smtp_server.sink.envelopes)
    assert users == ["killed0", "killed1", "killed2"]
    assert list(folder.glob("*.eml")) == [] and list(folder.glob("*.json")) == []


def test_digest_mode_bundles_per_recipient_set_end_to_end(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    notifier = Notifier(tmp_path / "reports", _settings(smtp_server.port, digest_s=600))
    for n in range(5):
        notifier.notify(make_report(n, user=f"user{n}"), now=T0 + timedelta(seconds=n))
    notifier.notify(make_report(7, recipients=("core@example.net",)), now=T0)
    assert notifier.digest is not None
    assert notifier.outbox.pending() == []  # nothing goes out before the window closes
    notifier.digest.flush_due(T0.timestamp() + 600, notifier.outbox,
                              mail_from="rospoll@example.net")
    sent, _ = notifier.outbox.deliver_due(
        T0.timestamp() + 600, lambda m: send_message(m, notifier.settings)
    )
    assert len(sent) == 2
    by_rcpt = {tuple(e.rcpt_tos): _parse(e.data) for e in smtp_server.sink.envelopes}
    assert set(by_rcpt) == {("noc@example.net",), ("core@example.net",)}
    five = by_rcpt[("noc@example.net",)].get_body(("plain",)).get_content()
    assert [f"user{n} changed" in five for n in range(5)] == [True] * 5
    assert (tmp_path / "reports" / "index.html").exists()  # reports still written


def test_disabled_mail_sends_nothing_but_writes_reports(tmp_path: Path) -> None:
    notifier = Notifier(tmp_path, _settings(free_port(), enabled=False))
    assert notifier.notify(make_report(), now=T0) is None
    assert notifier.start(threading.Event()) is None
    assert notifier.outbox.pending() == []
    assert (tmp_path / "changes" / f"{make_report().id}.html").exists()


def test_starttls_against_a_server_without_it_is_a_clear_error(smtp_server: SmtpServer) -> None:
    settings = _settings(smtp_server.port, security="starttls")
    with pytest.raises(NotifyError, match="does not offer STARTTLS"):
        send_message(_message(), settings)
    assert smtp_server.sink.count() == 0


def test_ssl_against_a_plain_server_is_a_clear_error(smtp_server: SmtpServer) -> None:
    with pytest.raises(NotifyError, match=r"TLS with SMTP server 127\.0\.0\.1"):
        send_message(_message(), _settings(smtp_server.port, security="ssl"))


def test_auth_failure_is_a_clear_error_without_the_password(tmp_path: Path) -> None:
    server = SmtpServer(free_port(), authenticator=refuse_everyone, auth_require_tls=False).start()
    try:
        settings = _settings(server.port, user="rospoll", password="s3cret-pw")
        with pytest.raises(NotifyError, match="refused login for user 'rospoll'") as caught:
            send_message(_message(), settings)
        assert "s3cret-pw" not in str(caught.value)
        assert "s3cret-pw" not in repr(settings)
        assert server.sink.count() == 0
    finally:
        server.stop()


def test_unreachable_server_fails_fast_with_a_clear_error() -> None:
    started = time.monotonic()
    with pytest.raises(NotifyError, match=r"cannot reach SMTP server 127\.0\.0\.1"):
        send_message(_message(), _settings(free_port()))
    assert time.monotonic() - started < 5
