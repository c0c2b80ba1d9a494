"""Lab routers against a real netmiko 4.8 client (and paramiko for the exec channel)."""

from __future__ import annotations

import socket
import threading
import time

import paramiko
import pytest

from rospoll.lab import LabRouter
from tests.conftest import wait_until

pytestmark = pytest.mark.lab

VERSIONS = ["6.49.10", "7.16"]
REPAINTS = ["plain", "dup-echo", "ros649"]


def body_lines(export: str) -> list[str]:
    return [line for line in export.splitlines() if line and not line.startswith("#")]


def exec_command(router: LabRouter, command: str, timeout_s: float = 5) -> str:
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect("127.0.0.1", port=router.port, username="admin", password="pw",
                   look_for_keys=False, allow_agent=False, timeout=timeout_s)
    try:
        _, stdout, _ = client.exec_command(command, timeout=timeout_s)
        return stdout.read().decode()
    finally:
        client.close()


def follow_until(conn, needle: str, timeout_s: float = 1.0) -> str:  # type: ignore[no-untyped-def]
    deadline, seen = time.monotonic() + timeout_s, ""
    while needle not in seen and time.monotonic() < deadline:
        seen += conn.read_channel()
        time.sleep(0.01)
    return seen


@pytest.mark.parametrize("repaint", REPAINTS)
@pytest.mark.parametrize("version", VERSIONS)
def test_netmiko_export_has_every_line(lab_router, netmiko_session, version, repaint):
    router = lab_router(version=version, repaint=repaint)
    conn = netmiko_session(router)
    output = conn.send_command("/export", read_timeout=60)
    got = [line.rstrip() for line in output.splitlines()]
    expected = body_lines(router.export_text(show_sensitive=False))
    assert [line for line in expected if line not in got] == []
    assert any(line.endswith(f"by RouterOS {version}") for line in got)
    content = [line for line in got if line.strip() and not line.startswith("[admin@r1]")]
    assert content[0].startswith("# ")


def test_v6_rejects_show_sensitive_and_prints_secrets(lab_router, netmiko_session):
    conn = netmiko_session(lab_router(version="6.49.10"))
    assert conn.send_command("/export show-sensitive") == \
        "expected end of command (line 1 column 9)"
    assert "password=s3cret" in conn.send_command("/export", read_timeout=30)


def test_v7_hides_secrets_unless_show_sensitive(lab_router, netmiko_session):
    conn = netmiko_session(lab_router(version="7.16"))
    plain = conn.send_command("/export", read_timeout=30)
    shown = conn.send_command("/export show-sensitive", read_timeout=30)
    assert "password=" not in plain and "private-key=" not in plain
    assert "password=s3cret" in shown and "private-key=" in shown


@pytest.mark.parametrize(("version", "expected"), [
    ("6.49.10", "system,info filter rule added by alice"),
    ("7.16", "system,info filter rule added by ssh:alice@127.0.0.1 "
             "(*5 = /ip firewall filter add action=drop chain=forward)"),
])
def test_alice_change_reaches_log_follower_within_1s(lab_router, netmiko_session, version,
                                                     expected):
    router = lab_router(version=version)
    follower = netmiko_session(router)
    follower.write_channel('/log print follow-only where topics~"system"\r\n')
    footer = "-- Ctrl-C to quit."
    assert footer in follow_until(follower, footer, timeout_s=5)
    alice = netmiko_session(router, user="alice")
    alice.send_command("/ip firewall filter add action=drop chain=forward")
    seen = follow_until(follower, "filter rule added", timeout_s=1.0)
    line = next(line for line in seen.splitlines() if "filter rule" in line)
    assert line.rstrip().endswith(expected)
    follower.write_channel("\x03")
    assert follower.read_until_prompt(read_timeout=5).rstrip().endswith("[admin@r1]")


def test_exec_channel_prints_without_banner_or_prompt(lab_router):
    router = lab_router(version="7.16", repaint="ros649")
    assert exec_command(router, "/system identity print") == "  name: r1\r\n"


def test_exec_runs_semicolon_separated_commands_in_turn_up_to_an_error(lab_router):
    router = lab_router(version="7.16")
    out = exec_command(router, '/system identity print; :put "a;b"; /system resource print')
    assert out.startswith("  name: r1\r\na;b\r\n") and "version: 7.16" in out
    stopped = exec_command(router, "/system identity print; /nonsense print; :put after")
    assert stopped.startswith("  name: r1\r\nbad command name nonsense")
    assert "after" not in stopped
    router.fail_next_export("error")
    failed = exec_command(router, '/export; :put "end"')
    assert "failure:" in failed and "end" not in failed


def test_history_detail_shows_alice_change_with_redo_and_undo(lab_router, netmiko_session):
    router = lab_router(version="7.16")
    alice = netmiko_session(router, user="alice")
    alice.send_command("/ip firewall filter set 1 disabled=yes")
    detail = netmiko_session(router).send_command("/system history print detail")
    assert "redo=/ip firewall filter set *2 disabled=yes" in detail
    assert 'undo=/ip firewall filter set *2 disabled=""' in detail
    assert 'action="filter rule changed" by="alice"' in " ".join(detail.split())
    assert router.history_lines()[3].split()[:5] == ["U", "filter", "rule", "changed", "alice"]


def test_logging_off_keeps_history_but_no_change_line(lab_router):
    router = lab_router(version="7.16")
    router.set_logging(False)
    router.apply("alice", "/ip address add address=10.9.9.1/24 interface=ether2")
    assert not any("address added" in line for line in router.log_lines())
    assert "address added" in router.history_lines()[-1]
    assert "set 0 disabled=yes" in router.export_text()
    router.apply("admin", "/system logging enable 0")
    router.apply("alice", "/ip address remove [ find address=10.9.9.1/24 ]")
    assert router.log_lines()[-1].endswith(
        "address removed by ssh:alice@127.0.0.1 (/ip address remove *2)")


def test_reboot_refuses_connections_clears_log_and_drops_sessions(lab_router, netmiko_session):
    router = lab_router(version="6.49.10")
    conn = netmiko_session(router)
    router.apply("alice", "/ip dns static add address=10.1.1.1 name=nas.lan")
    assert any("static dns entry added by alice" in line for line in router.log_lines())
    router.reboot(down_s=1.0)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", router.port), timeout=1).close()
    wait_until(lambda: not conn.is_alive(), timeout_s=5, what="session dropped")
    router.wait_until_up(timeout_s=5)
    lines = router.log_lines()
    assert len(lines) == 1 and lines[0].rstrip().endswith("system,info router rebooted")
    assert netmiko_session(router).send_command("/system identity print") == "name: r1"


def test_truncated_export_cuts_mid_stream_and_drops_connection(lab_router):
    router = lab_router(version="7.16")
    full = router.export_text(show_sensitive=False).replace("\n", "\r\n")
    router.fail_next_export("truncate:0.5")
    partial = exec_command(router, "/export")
    assert 0 < len(partial) < len(full)
    assert full.startswith(partial[:40]) and not partial.endswith("\r\n")


@pytest.mark.parametrize(("mode", "expected"), [
    ("error", "failure: could not export configuration"), ("empty", "")])
def test_failed_export_modes(lab_router, netmiko_session, mode, expected):
    router = lab_router(version="7.16")
    conn = netmiko_session(router)
    router.fail_next_export(mode)
    assert conn.send_command("/export", read_timeout=10) == expected
    assert "/ip firewall filter" in conn.send_command("/export", read_timeout=10)


def test_winbox_change_has_winbox_actor_and_no_login(lab_router):
    router = lab_router(version="7.16")
    router.winbox_change("alice", "/interface ethernet set [ find default-name=ether1 ] mtu=1500")
    assert router.log_lines()[-1].endswith(
        "device changed by winbox-3.41/tcp-msg(winbox):alice@127.0.0.1 "
        "(/interface ethernet set *1 mtu=1500)")
    assert not any("logged in" in line for line in router.log_lines())


def test_slow_export_does_not_block_other_routers(lab_router, netmiko_session):
    slow, fast = lab_router(version="7.16"), lab_router(version="7.16", name="r2")
    slow.export_delay_s = 2.0
    result: dict[str, str] = {}
    worker = threading.Thread(target=lambda: result.update(text=exec_command(slow, "/export")))
    started = time.monotonic()
    worker.start()
    try:
        assert "/ip address" in netmiko_session(fast).send_command("/export", read_timeout=10)
        assert time.monotonic() - started < 1.9
    finally:
        worker.join(timeout=10)
    assert time.monotonic() - started >= 2.0
    assert "/ip firewall filter" in result["text"]


def test_identity_change_moves_the_prompt(lab_router, netmiko_session):
    router = lab_router(version="7.16")
    conn = netmiko_session(router, user="alice")
    conn.send_command("/system identity set name=core-gw", expect_string=r"core-gw\] >")
    assert router.identity == "core-gw"
    assert conn.find_prompt() == "[alice@core-gw] >"
    conn.set_base_prompt()
    assert conn.send_command("/nonsense print") == "bad command name nonsense (line 1 column 2)"


def test_logins_and_logouts_are_logged(lab_router, netmiko_session):
    router = lab_router(version="6.49.10")
    netmiko_session(router, user="alice").disconnect()
    wait_until(lambda: any("logged out" in line for line in router.log_lines()), timeout_s=5,
               what="logout line")
    lines = [line.rstrip() for line in router.log_lines()]
    assert lines[0].endswith("system,info,account user alice logged in from 127.0.0.1 via ssh")
    assert lines[1].endswith("system,info,account user alice logged out from 127.0.0.1 via ssh")
