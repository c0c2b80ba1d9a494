"""rospoll_* settings: typed defaults, per-group precedence, durations, folders, mail server."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

import pytest

from rospoll.inventory import Settings, load_inventory
from rospoll.inventory.settings import (
    SETTINGS,
    SettingError,
    build_settings,
    check_setting_name,
    parse_duration,
)


def test_every_settings_field_has_a_table_row() -> None:
    assert {s.field for s in SETTINGS} == {f.name for f in fields(Settings)} - {"mail_port"}
    assert all(s.var.startswith("rospoll_") for s in SETTINGS)


def test_defaults(tmp_path: Path) -> None:
    settings = build_settings({}, tmp_path)
    assert settings == Settings(
        mail_to=(),
        mail_port=587,
        mail_security="starttls",
        mail_enabled=True,
        mail_digest_s=0.0,
        poll_interval_s=900.0,
        poll_workers=32,
        debounce_s=2.0,
        debounce_max_s=15.0,
        export_timeout_s=120.0,
        connect_timeout_s=10.0,
        keepalive_s=30.0,
        backup_dir=tmp_path / "backups",
        report_dir=tmp_path / "reports",
        follow=True,
        show_secrets_in_reports=False,
    )


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (90, 90.0),
        ("90", 90.0),
        ("2s", 2.0),
        ("15m", 900.0),
        ("1h", 3600.0),
        ("1h30m", 5400.0),
        ("1.5s", 1.5),
        (" 10 m ", 600.0),
        (0, 0.0),
    ],
)
def test_durations(value: object, seconds: float) -> None:
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["soon", "", "-5", "5x", "m", True, None, [1], "1h foo"])
def test_bad_durations(value: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(value)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("10m", 600.0), (None, 0.0), ("none", 0.0), ("off", 0.0), (False, 0.0), (0, 0.0)],
)
def test_digest_can_be_off(tmp_path: Path, value: object, seconds: float) -> None:
    assert build_settings({"rospoll_mail_digest": value}, tmp_path).mail_digest_s == seconds


def test_mail_to_accepts_a_list_or_comma_separated_text(tmp_path: Path) -> None:
    one = build_settings({"rospoll_mail_to": "a@x.net, b@y.net,"}, tmp_path)
    two = build_settings({"rospoll_mail_to": ["a@x.net", "b@y.net"]}, tmp_path)
    assert one.mail_to == two.mail_to == ("a@x.net", "b@y.net")


@pytest.mark.parametrize(
    ("server", "security", "host", "port"),
    [
        ("mail.example.net", "starttls", "mail.example.net", 587),
        ("mail.example.net", "ssl", "mail.example.net", 465),
        ("mail.example.net", "none", "mail.example.net", 25),
        ("mail.example.net:2525", "ssl", "mail.example.net", 2525),
        ("[2001:db8::25]:26", "none", "2001:db8::25", 26),
    ],
)
def test_mail_server_splits_host_and_port(
    tmp_path: Path, server: str, security: str, host: str, port: int
) -> None:
    settings = build_settings(
        {"rospoll_mail_server": server, "rospoll_mail_security": security}, tmp_path
    )
    assert (settings.mail_server, settings.mail_port) == (host, port)


def test_bad_mail_server_port(tmp_path: Path) -> None:
    with pytest.raises(SettingError, match="rospoll_mail_server: port must be between"):
        build_settings({"rospoll_mail_server": "mail:99999"}, tmp_path)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), ("yes", True), ("off", False), ("False", False), (0, False)],
)
def test_booleans(tmp_path: Path, value: object, expected: bool) -> None:
    assert build_settings({"rospoll_follow": value}, tmp_path).follow is expected


def test_relative_folders_are_next_to_the_inventory(
    write_inventory: Callable[[str], Path], tmp_path: Path
) -> None:
    absolute = tmp_path / "elsewhere"
    path = write_inventory(
        f"""
        all:
          vars:
            rospoll_backup_dir: data/git
            rospoll_report_dir: {absolute}
          hosts:
            core1:
        """
    )
    inventory = load_inventory(path, env={})
    assert inventory.backup_dir == tmp_path / "data" / "git"
    assert inventory.report_dir == absolute
    assert inventory.device("core1").settings.backup_dir == tmp_path / "data" / "git"


def test_default_folders_are_next_to_the_inventory(write_inventory: Callable[[str], Path]) -> None:
    path = write_inventory("all:\n  hosts:\n    core1:\n")
    inventory = load_inventory(path, env={})
    assert inventory.backup_dir == path.parent / "backups"
    assert inventory.report_dir == path.parent / "reports"


def test_child_group_settings_override_the_parent_for_its_hosts_only(
    write_inventory: Callable[[str], Path],
) -> None:
    path = write_inventory(
        """
        all:
          vars:
            rospoll_mail_to: noc@example.net
            rospoll_poll_interval: 15m
          children:
            sites:
              vars:
                rospoll_mail_to: [sites@example.net]
                rospoll_follow: no
              children:
                branch:
                  vars:
                    rospoll_mail_to: branch@example.net, sites@example.net
                    rospoll_poll_interval: 1h
                  hosts:
                    br1:
                hq:
                  hosts:
                    hq1:
                      rospoll_mail_to: boss@example.net
              hosts:
                site1:
          hosts:
            lone1:
        """
    )
    inventory = load_inventory(path, env={})
    mail_to = {d.name: d.settings.mail_to for d in inventory.devices}
    assert mail_to == {
        "br1": ("branch@example.net", "sites@example.net"),
        "hq1": ("boss@example.net",),
        "site1": ("sites@example.net",),
        "lone1": ("noc@example.net",),
    }
    interval = {d.name: d.settings.poll_interval_s for d in inventory.devices}
    assert interval == {"br1": 3600.0, "hq1": 900.0, "site1": 900.0, "lone1": 900.0}
    follow = {d.name: d.settings.follow for d in inventory.devices}
    assert follow == {"br1": False, "hq1": False, "site1": False, "lone1": True}
    assert inventory.settings.mail_to == ("noc@example.net",)


def test_settings_can_come_from_env(write_inventory: Callable[[str], Path]) -> None:
    path = write_inventory(
        """
        all:
          vars:
            rospoll_mail_password: "{{ lookup('env', 'SMTP_PW') }}"
            rospoll_mail_to: "{{ team }}"
            team: [a@example.net, b@example.net]
          hosts:
            core1:
        """
    )
    inventory = load_inventory(path, env={"SMTP_PW": "smtp-secret"})
    assert inventory.settings.mail_password == "smtp-secret"
    assert inventory.device("core1").settings.mail_to == ("a@example.net", "b@example.net")
    assert "smtp-secret" not in repr(inventory.settings)
    assert "smtp-secret" not in repr(inventory)


def test_did_you_mean() -> None:
    assert check_setting_name("rospoll_debouce") == (
        "unknown setting 'rospoll_debouce'; did you mean 'rospoll_debounce'?"
    )
    assert check_setting_name("rospoll_zzz_qqq") == "unknown setting 'rospoll_zzz_qqq'"
    assert check_setting_name("rospoll_mail_to") is None
    assert check_setting_name("my_var") is None
