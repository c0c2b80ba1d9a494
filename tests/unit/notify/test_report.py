from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rospoll.notify.report import ChangeReport
from tests.unit.notify.reports import make_report


def test_dict_round_trip_gives_an_equal_report() -> None:
    report = make_report()
    data = json.loads(json.dumps(report.to_dict()))
    assert ChangeReport.from_dict(data) == report


def test_json_round_trip_keeps_every_field() -> None:
    report = make_report(source="history", inferred=True, commands=(), holds_secrets=True)
    back = ChangeReport.from_json(report.to_json())
    assert back == report
    assert back.sentences[0] == ("/ip firewall filter", report.sentences[0][1])
    assert back.counts == {"added": 1, "changed": 1}


def test_time_is_normalised_to_utc() -> None:
    cest = timezone(timedelta(hours=2))
    report = make_report(time=datetime(2024, 5, 1, 14, 0, tzinfo=cest))
    assert report.time == datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    assert report.time.tzinfo == timezone.utc


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("time", datetime(2024, 5, 1, 12, 0)),  # naive
        ("id", "../etc/passwd"),
        ("id", ""),
        ("id", ".hidden"),
        ("source", "syslog"),
    ],
)
def test_bad_shapes_are_rejected(field: str, value: object) -> None:
    with pytest.raises(ValueError):
        make_report(**{field: value})


def test_from_dict_without_required_key_is_a_value_error() -> None:
    data = make_report().to_dict()
    del data["router"]
    with pytest.raises(ValueError, match="not a change report"):
        ChangeReport.from_dict(data)


hostile_text = st.text(st.characters(blacklist_categories=()), max_size=200)


@given(user=hostile_text, diff=hostile_text, section=hostile_text)
def test_any_router_text_survives_the_json_round_trip(user: str, diff: str, section: str) -> None:
    report = make_report(user=user, diff=diff, sections=(section,), sentences=((section, (user,)),))
    text = report.to_json()
    text.encode("ascii")  # lone surrogates included: the file is always writable
    assert ChangeReport.from_json(text) == report


def test_a_report_stored_before_holds_secrets_existed_holds_none() -> None:
    data = make_report().to_dict()
    del data["holds_secrets"]
    assert ChangeReport.from_dict(data).holds_secrets is False
