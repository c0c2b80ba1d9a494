"""The pipeline without SSH: a stored change's mail is never lost and never sent twice."""

from __future__ import annotations

from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path

import pytest

import rospoll.notify.outbox as outbox_module
from rospoll.app.pipeline import Pipeline
from rospoll.device.poller import Fetched
from rospoll.errors import StoreError
from rospoll.inventory import Device, Inventory, Settings
from rospoll.notify import MailSettings, Notifier

HEADER = "# 2026-12-06 10:00:00 by RouterOS 7.16\n# software id = ABCD-1234\n"
OLD = HEADER + "/ip dns\nset servers=1.1.1.1\n/system identity\nset name=r1\n"
NEW = HEADER + "/ip dns\nset servers=9.9.9.9\n/system identity\nset name=r1\n"
HISTORY = ""  # the change is then credited to UNKNOWN by the poll


def fetched(text: str) -> Fetched:
    return Fetched(export=text, history=HISTORY, identity="r1", version="7.16")


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Pipeline, Device]:
    settings = replace(
        Settings(),
        backup_dir=tmp_path / "backups",
        report_dir=tmp_path / "reports",
        mail_to=("noc@example.org",),
    )
    device = Device("r1", "127.0.0.1", settings=settings)
    inventory = Inventory(tmp_path / "inventory.yml", (device,), settings)
    notifier = Notifier(settings.report_dir, MailSettings(server="127.0.0.1", enabled=True))
    return Pipeline.for_inventory(inventory, notifier), device


def deliver(pipeline: Pipeline) -> list[EmailMessage]:
    sent: list[EmailMessage] = []
    assert pipeline.notifier is not None
    pipeline.notifier.outbox.deliver_due(1e12, sent.append)
    return sent


def user_log(pipeline: Pipeline, user: str) -> str:
    path = pipeline.recorder.users.path_for(user)
    return path.read_text(encoding="utf-8") if path.exists() else ""


def test_a_failed_outbox_write_keeps_the_change_unfinished_then_mails_it_once(
    setup: tuple[Pipeline, Device], monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline, device = setup
    assert pipeline.record(device, fetched(OLD)).baseline

    def disk_full(*args: object, **kwargs: object) -> None:
        raise StoreError("cannot write outbox: No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(outbox_module, "atomic_write", disk_full)
        recorded = pipeline.record(device, fetched(NEW))
    (change,) = recorded.changes
    assert recorded.unreported == (change.entry.id,)  # stored, said to be unreported
    assert change.entry.user == "UNKNOWN" and change.entry.sections == ("/ip dns",)
    assert pipeline.recorder.backups.read("r1") is not None
    assert f"commit: {change.entry.commit}" not in user_log(pipeline, "UNKNOWN")
    assert deliver(pipeline) == []  # nothing was queued
    assert pipeline.recorder.recovery_due

    finished = pipeline.finish_unfinished()  # the disk has room again
    assert [c.entry.id for c in finished] == [change.entry.id]
    assert f"commit: {change.entry.commit}" in user_log(pipeline, "UNKNOWN")
    mails = deliver(pipeline)
    assert len(mails) == 1 and "r1" in str(mails[0]["Subject"])

    pipeline.recorder.recovery_due = True  # a later recovery finds nothing to tell
    assert pipeline.finish_unfinished() == []
    assert deliver(pipeline) == []
    assert [e.id for e in pipeline.recorder.journal.entries()] == [change.entry.id]


def test_telling_a_change_twice_mails_it_once(setup: tuple[Pipeline, Device]) -> None:
    pipeline, device = setup
    pipeline.record(device, fetched(OLD))
    (change,) = pipeline.record(device, fetched(NEW)).changes
    assert pipeline.tell(change)  # as a recovery after a kill before the user-log block
    assert len(deliver(pipeline)) == 1
