"""The outbox on disk, driven with an explicit clock and a fake send (no sockets)."""

from __future__ import annotations

import os
import stat
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from rospoll.errors import NotifyError, StoreError
from rospoll.notify.mail import MailRejectedError
from rospoll.notify.message import compose_message
from rospoll.notify.outbox import Backoff, Outbox
from rospoll.notify.render import render_email
from tests.unit.notify.reports import T0, make_report


def _message(n: int = 0) -> EmailMessage:
    report = make_report(n, user=f"user{n}")
    return compose_message(render_email(report), mail_from="rospoll@example.net",
                           recipients=report.recipients, date=T0)


class Recorder:
    """A send() that records subjects and fails while ``error`` is set."""

    def __init__(self) -> None:
        self.subjects: list[str] = []
        self.calls = 0
        self.error: Exception | None = None

    def __call__(self, message: EmailMessage) -> None:
        self.calls += 1
        if self.error is not None:
            raise self.error
        self.subjects.append(str(message["Subject"]))


def test_put_writes_the_message_and_its_state_and_nothing_else(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox")
    path = outbox.put(_message(), key="k0")
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name, path.stem + ".json"]
    assert b"Subject: [rospoll] core-rtr1: user0 changed" in path.read_bytes()
    assert outbox.wake.is_set()
    if sys.platform != "win32":
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_delivered_messages_are_sent_once_and_removed(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    for n in range(3):
        outbox.put(_message(n), key=f"k{n}")
    send = Recorder()
    sent, failed = outbox.deliver_due(1000.0, send)
    assert len(sent) == 3 and failed == []
    assert [s.split(": ", 1)[1] for s in send.subjects] == [
        "user0 changed /ip firewall filter, /ip address",
        "user1 changed /ip firewall filter, /ip address",
        "user2 changed /ip firewall filter, /ip address",
    ]
    assert outbox.deliver_due(2000.0, send) == ([], [])
    assert [p.name for p in tmp_path.iterdir()] == ["done"]
    assert sorted(p.name for p in (tmp_path / "done").iterdir()) == ["k0", "k1", "k2"]


def test_failure_backs_off_exponentially_and_a_dead_server_is_tried_once_per_round(
    tmp_path: Path,
) -> None:
    outbox = Outbox(tmp_path, backoff=Backoff(first_s=10, factor=2, max_s=35))
    for n in range(3):
        outbox.put(_message(n), key=f"k{n}")
    send = Recorder()
    send.error = NotifyError("cannot reach SMTP server 127.0.0.1:1")

    sent, failed = outbox.deliver_due(1000.0, send)
    assert (len(sent), len(failed), send.calls) == (0, 3, 1)
    assert {p.attempts for p in outbox.pending()} == {1}
    assert {p.next_try for p in outbox.pending()} == {1010.0}
    assert "cannot reach" in outbox.pending()[0].last_error

    assert outbox.deliver_due(1009.9, send) == ([], [])  # not due yet
    outbox.deliver_due(1010.0, send)
    assert {p.next_try for p in outbox.pending()} == {1030.0}  # 20 s after the 2nd failure
    outbox.deliver_due(1030.0, send)
    assert {p.next_try for p in outbox.pending()} == {1065.0}  # capped at 35 s

    send.error = None
    sent, failed = outbox.deliver_due(1065.0, send)
    assert len(sent) == 3 and failed == [] and len(send.subjects) == 3


def test_a_fresh_outbox_sees_what_an_earlier_one_left(tmp_path: Path) -> None:
    Outbox(tmp_path).put(_message(), key="k0")
    stale = tmp_path / ".half-written.eml.1234abcd.tmp"
    stale.write_bytes(b"partial")
    os.utime(stale, (0, 0))  # left by a process killed long ago
    live = tmp_path / ".being-written.eml.5678abcd.tmp"
    live.write_bytes(b"partial")  # a writer still at work: not touched
    fresh = Outbox(tmp_path)
    assert fresh.recover() == 1
    assert [p.name for p in tmp_path.glob(".*.tmp")] == [live.name]
    live.unlink()
    send = Recorder()
    assert len(fresh.deliver_due(0.0, send)[0]) == 1


def test_a_state_file_without_its_message_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "00000000000000000001-0000.json").write_text('{"attempts": 0, "next_try": 0}')
    assert Outbox(tmp_path).pending() == []


def test_a_permanent_rejection_moves_the_message_to_failed(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    path = outbox.put(_message(), key="k0")
    send = Recorder()
    send.error = MailRejectedError("550 no such user")
    assert outbox.deliver_due(0.0, send) == ([], [path.stem])
    assert outbox.pending() == []
    assert (tmp_path / "failed" / path.name).exists()
    assert "550" in (tmp_path / "failed" / (path.stem + ".json")).read_text()


def test_giving_up_after_max_attempts(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path, backoff=Backoff(first_s=1, max_attempts=3))
    path = outbox.put(_message(), key="k0")
    send = Recorder()
    send.error = NotifyError("451 try later")
    for now in (0.0, 1.0, 3.0):
        outbox.deliver_due(now, send)
    assert send.calls == 3
    assert outbox.pending() == [] and (tmp_path / "failed" / path.name).exists()


def test_an_unexpected_send_bug_keeps_the_message(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    outbox = Outbox(tmp_path)
    outbox.put(_message(), key="k0")
    send = Recorder()
    send.error = RuntimeError("boom")
    assert len(outbox.deliver_due(0.0, send)[1]) == 1
    assert outbox.pending()[0].last_error == "RuntimeError: boom"
    assert "failed unexpectedly" in caplog.text


def test_a_key_is_queued_once_while_waiting_after_delivery_and_after_failing(
    tmp_path: Path,
) -> None:
    outbox = Outbox(tmp_path)
    assert not outbox.knows("k0")
    first = outbox.put(_message(0), key="k0")
    assert first is not None and outbox.knows("k0")
    assert outbox.put(_message(0), key="k0") is None  # waiting: not again
    send = Recorder()
    assert outbox.deliver_due(0.0, send) == (["k0"], [])
    assert outbox.put(_message(0), key="k0") is None  # delivered: not again
    assert outbox.deliver_due(1.0, send) == ([], []) and send.calls == 1

    outbox.put(_message(1), key="k1")
    send.error = MailRejectedError("550 no such user")
    outbox.deliver_due(2.0, send)
    assert outbox.put(_message(1), key="k1") is None  # failed for good: kept, not again
    assert outbox.pending() == []


def test_a_message_already_recorded_as_sent_is_not_sent_again(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    outbox.put(_message(), key="k0")
    (tmp_path / "done").mkdir()
    (tmp_path / "done" / "k0").write_bytes(b"")  # killed between the tombstone and the unlink
    send = Recorder()
    assert outbox.deliver_due(0.0, send) == ([], [])
    assert send.calls == 0 and outbox.pending() == []


def test_messages_go_out_in_the_order_they_were_queued(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    for n, key in enumerate(["zz", "aa", "mm"]):
        outbox.put(_message(n), key=key)
    assert [p.id for p in outbox.pending()] == ["zz", "aa", "mm"]


def test_bad_keys_are_refused(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    for key in ["", "../x", ".hidden", "a/b", "x" * 161]:
        with pytest.raises(ValueError, match="outbox key"):
            outbox.put(_message(), key=key)
    assert not tmp_path.joinpath("x").exists() and list(tmp_path.iterdir()) == []


def test_old_tombstones_are_pruned_once_a_day_but_the_newest_stay(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path, keep_done_s=10 * 86400, keep_done_count=2)
    outbox.mark_done(["old1", "old2", "old3", "new"])
    now = time.time()
    for n, key in enumerate(["old1", "old2", "old3"]):
        age = (20 + n) * 86400
        os.utime(tmp_path / "done" / key, (now - age, now - age))
    outbox.deliver_due(now, Recorder())
    assert sorted(p.name for p in (tmp_path / "done").iterdir()) == ["new", "old1"]
    assert outbox.knows("new") and outbox.knows("old1") and not outbox.knows("old2")
    os.utime(tmp_path / "done" / "new", (now - 30 * 86400, now - 30 * 86400))
    outbox.mark_done(["newer"])
    outbox.deliver_due(now + 3600, Recorder())  # pruned an hour ago: not yet again
    assert len(list((tmp_path / "done").iterdir())) == 3
    outbox.deliver_due(now + 86400, Recorder())
    assert sorted(p.name for p in (tmp_path / "done").iterdir()) == ["newer", "old1"]


def test_a_failed_outbox_write_is_a_notify_error_and_queues_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outbox = Outbox(tmp_path)

    def full(path: Path, data: bytes, **kwargs: object) -> None:
        raise StoreError(f"cannot write {path}: No space left on device")

    monkeypatch.setattr("rospoll.notify.outbox.atomic_write", full)
    with pytest.raises(NotifyError, match="No space left"):
        outbox.put(_message(), key="k0")
    monkeypatch.undo()
    assert not outbox.knows("k0") and outbox.pending() == []
    assert outbox.put(_message(), key="k0") is not None


@pytest.mark.skipif(sys.platform == "win32", reason="no POSIX file modes")
def test_failed_and_done_folders_are_private(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox")
    outbox.put(_message(0), key="k0")
    outbox.put(_message(1), key="k1")
    send = Recorder()
    outbox.deliver_due(0.0, send)
    outbox.put(_message(2), key="k2")
    send.error = MailRejectedError("550 no such user")
    outbox.deliver_due(0.0, send)
    for folder in ("outbox", "outbox/done", "outbox/failed"):
        assert stat.S_IMODE((tmp_path / folder).stat().st_mode) == 0o700, folder
    for path in (tmp_path / "outbox").rglob("*"):
        if path.is_file():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
