"""A change followed live by ``rospoll watch`` arrives as a readable, escaped mail and report."""

from __future__ import annotations

import email
import email.policy
import threading
from pathlib import Path

import pytest

from rospoll.app.watcher import Watcher
from rospoll.inventory import load_inventory
from rospoll.store import Journal
from tests.conftest import wait_until
from tests.notify.conftest import SmtpServer, free_port

pytestmark = pytest.mark.lab

HOSTILE = "<img src=x onerror=alert(1)>"


def test_followed_change_is_mailed_escaped_and_published(make_lab, tmp_path: Path) -> None:
    smtp = SmtpServer(free_port()).start()
    stop = threading.Event()
    thread = None
    try:
        lab = make_lab(
            versions=("7.16",),
            rospoll_debounce="1s",
            rospoll_mail_server=f"127.0.0.1:{smtp.port}",
            rospoll_mail_security="none",
            rospoll_mail_from="rospoll@example.net",
            rospoll_mail_to=["noc@example.net"],
        )
        watcher = Watcher(load_inventory(lab.inventory), stop=stop)
        thread = threading.Thread(target=watcher.run, name="test-watch")
        thread.start()
        wait_until(
            lambda: "lab1" in watcher.followers and watcher.followers["lab1"].following.is_set(),
            timeout_s=15,
            what="the follower to follow lab1",
        )
        wait_until(
            lambda: (lab.root / "backups" / "lab1.rsc").exists(),
            timeout_s=15,
            what="the start-up baseline",
        )
        lab.router("lab1").apply(HOSTILE, "/ip address add address=10.5.5.1/24 interface=ether1")
        wait_until(lambda: smtp.sink.count() >= 1, timeout_s=15, what="the change mail")

        [envelope] = smtp.sink.envelopes
        assert envelope.rcpt_tos == ["noc@example.net"]
        message = email.message_from_bytes(envelope.data, policy=email.policy.SMTP)
        assert message.get_content_type() == "multipart/alternative"
        assert "lab1" in message["Subject"] and "\n" not in message["Subject"]
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        for part in (text, html):
            assert "lab1" in part and "10.5.5.1/24" in part and "/ip address" in part
        assert HOSTILE in text
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
        assert "<img src=x" not in html

        [entry] = Journal(lab.root / "reports" / "changes.jsonl").entries()
        assert (entry.user, entry.source, entry.via) == (HOSTILE, "log", "ssh")
        index_path = lab.root / "reports" / "index.html"
        wait_until(
            lambda: index_path.exists() and entry.id in index_path.read_text("utf-8"),
            timeout_s=10,
            what="the report index to list the change",
        )
        page = (lab.root / "reports" / "changes" / f"{entry.id}.html").read_text("utf-8")
        index = index_path.read_text("utf-8")
        for html_page in (page, index):
            assert "<img src=x" not in html_page and "lab1" in html_page
        assert not list((lab.root / "reports" / "outbox").glob("*.eml"))
    finally:
        stop.set()
        if thread is not None:
            thread.join(10)
        smtp.stop()
    assert thread is not None and not thread.is_alive()
