"""Digest queue: bundling per recipient set, persisted on disk (no sockets)."""

from __future__ import annotations

import email.policy
from email.parser import BytesParser
from pathlib import Path

from rospoll.notify.digest import Digest, recipient_key
from rospoll.notify.outbox import Outbox
from tests.unit.notify.reports import make_report

NOW = 1_714_566_896.0  # 2024-05-01T12:34:56Z


def _parsed(path: Path):  # type: ignore[no-untyped-def]
    return BytesParser(policy=email.policy.default).parsebytes(path.read_bytes())


def test_five_changes_for_one_recipient_set_make_one_mail_and_another_set_its_own(
    tmp_path: Path,
) -> None:
    outbox = Outbox(tmp_path / "outbox")
    digest = Digest(tmp_path / "outbox" / "digest", window_s=600)
    for n in range(5):
        digest.add(make_report(n, user=f"user{n}"), NOW + n)
    digest.add(make_report(9, user="zed", recipients=("core@example.net",)), NOW + 10)

    assert digest.flush_due(NOW + 599, outbox, mail_from="rospoll@example.net") == []
    assert digest.next_due() == NOW + 600

    written = digest.flush_due(NOW + 600, outbox, mail_from="rospoll@example.net")
    assert len(written) == 1  # the second set's window closes 10 s later
    first = _parsed(written[0])
    assert first["To"] == "noc@example.net"
    assert first["Subject"] == "[rospoll] 5 changes on core-rtr1 by user0, user1, user2 and 2 more"
    text = first.get_body(("plain",)).get_content()
    assert all(f"user{n} changed" in text for n in range(5))

    written = digest.flush_due(NOW + 610, outbox, mail_from="rospoll@example.net")
    second = _parsed(written[0])
    assert second["To"] == "core@example.net" and "zed" in second["Subject"]
    assert digest.next_due() is None
    assert len(outbox.pending()) == 2


def test_the_queue_survives_a_restart(tmp_path: Path) -> None:
    Digest(tmp_path, window_s=60).add(make_report(), NOW)
    later = Digest(tmp_path, window_s=60)
    assert later.next_due() == NOW + 60
    outbox = Outbox(tmp_path / "outbox")
    assert len(later.flush_due(NOW + 60, outbox, mail_from="rospoll@example.net")) == 1


def test_recipient_order_and_case_do_not_split_a_digest() -> None:
    assert recipient_key(["A@example.net", "b@example.net"]) == recipient_key(
        ["b@example.net", "a@example.net"]
    )


def test_a_change_already_waiting_is_not_queued_again(tmp_path: Path) -> None:
    digest = Digest(tmp_path, window_s=60)
    assert digest.add(make_report(1), NOW) is not None
    assert digest.add(make_report(1), NOW + 5) is None
    assert len(list(tmp_path.rglob("*.json"))) == 1


def test_holds_matches_whole_report_ids_only(tmp_path: Path) -> None:
    digest = Digest(tmp_path, window_s=60)
    digest.add(make_report(id="core-rtr1-1"), NOW)
    assert digest.holds("core-rtr1-1")
    assert not digest.holds("rtr1-1") and not digest.holds("1")
    assert not Digest(tmp_path / "none", window_s=60).holds("core-rtr1-1")
