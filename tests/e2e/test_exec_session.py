"""ExecSession (the poll's transport: one exec channel per command) against lab routers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import asyncssh
import pytest

from rospoll.config import normalise_export, validate_export
from rospoll.device.exec_session import HISTORY_COMMAND, ExecSession
from rospoll.device.hostkeys import KnownHosts, fingerprint
from rospoll.device.session import RouterSession
from rospoll.errors import AuthError, CommandTimeout, ConnectError
from rospoll.inventory import Device, load_inventory
from rospoll.lab import LabFleet, LabRouter
from tests.e2e.conftest import USERS, write_hosts, write_inventory

pytestmark = pytest.mark.lab


@pytest.fixture
def router(tmp_path: Path) -> Iterator[LabRouter]:
    lab = LabRouter(name="r1", version="7.16", users=USERS)
    fleet = LabFleet(routers=[lab])
    fleet.start()
    try:
        yield lab
    finally:
        fleet.stop()


def _device(router: LabRouter, tmp_path: Path, **host: object) -> Device:
    fleet = LabFleet(routers=[router])
    if not host:
        return load_inventory(write_inventory(fleet, tmp_path / "inv.yml")).devices[0]
    hosts = {router.name: {"ansible_host": "127.0.0.1", "ansible_port": router.port, **host}}
    return load_inventory(write_hosts(tmp_path / "inv.yml", hosts)).devices[0]


@pytest.mark.parametrize("repaint", ["plain", "ros649"])
@pytest.mark.parametrize("version", ["6.49.10", "7.16"])
def test_exec_gives_the_same_export_and_facts_as_the_shell(
    tmp_path: Path, version: str, repaint: str
) -> None:
    router = LabRouter(name="r1", version=version, users=USERS, repaint=repaint)
    fleet = LabFleet(routers=[router])
    fleet.start()
    try:
        device = load_inventory(write_inventory(fleet, tmp_path / "inv.yml")).devices[0]
        pins = KnownHosts(tmp_path / "known_hosts")
        with ExecSession(device, known_hosts=pins) as s:
            info, text = s.info, s.export()
            both, history = s.start_export(then_history=True).export_and_history()
        with RouterSession(device, known_hosts=pins) as shell:
            shell_info, shell_text = shell.info, shell.export()
    finally:
        fleet.stop()
    assert info is not None and shell_info is not None
    assert (info.identity, info.version) == ("r1", version)
    assert (shell_info.identity, shell_info.version) == ("r1", version)
    assert info.uptime_s is not None and shell_info.uptime_s is not None
    assert abs(info.uptime_s - shell_info.uptime_s) <= 5
    assert "\r" not in text and "\x1b" not in text and text.endswith("\n")
    validate_export(text)
    assert normalise_export(text).lines == normalise_export(shell_text).lines
    if version.startswith("7"):
        assert "password=" in text  # show-sensitive on v7
    assert both == text and "Flags:" in history and "rospoll-history" not in history


def test_the_connection_has_nagle_off(router: LabRouter, tmp_path: Path) -> None:
    device = _device(router, tmp_path)
    with ExecSession(device, known_hosts=KnownHosts(tmp_path / "kh")) as s:
        assert s._client is not None
        transport = s._client.get_transport()
        assert transport is not None
        assert transport.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


def test_wrong_password_and_closed_port_are_clear_errors(router: LabRouter, tmp_path: Path) -> None:
    pins = KnownHosts(tmp_path / "kh")
    with pytest.raises(AuthError, match=r"^r1: login refused for user 'admin'$"):
        ExecSession(_device(router, tmp_path, ansible_password="wrong"), known_hosts=pins).open()
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    closed = LabRouter(name="r1", users=USERS)
    closed.port = port
    with pytest.raises(ConnectError, match=rf"cannot connect to 127.0.0.1:{port} \(refused"):
        ExecSession(_device(closed, tmp_path), known_hosts=pins).open()


def test_a_cut_export_is_an_error_never_a_short_text(router: LabRouter, tmp_path: Path) -> None:
    device = _device(router, tmp_path)
    session = ExecSession(device, known_hosts=KnownHosts(tmp_path / "kh"))
    session.open()
    router.fail_next_export("truncate:0.5")
    with pytest.raises(ConnectError, match=r"session lost during '/export show-sensitive'"):
        session.export()
    session.close()


def test_a_slow_export_times_out(router: LabRouter, tmp_path: Path) -> None:
    device = _device(router, tmp_path, rospoll_export_timeout=1)
    router.export_delay_s = 5
    with ExecSession(device, known_hosts=KnownHosts(tmp_path / "kh")) as s:
        started = time.monotonic()
        with pytest.raises(CommandTimeout, match=r"did not finish within 1 s"):
            s.export()
        assert time.monotonic() - started < 3


def test_close_from_another_thread_cuts_a_running_export(router: LabRouter, tmp_path: Path) -> None:
    """How the watcher stops: the export fails at once, its partial text is not returned."""
    router.export_delay_s = 30
    session = ExecSession(_device(router, tmp_path), known_hosts=KnownHosts(tmp_path / "kh"))
    session.open()
    failed: list[BaseException] = []

    def export() -> None:
        try:
            session.export()
        except ConnectError as exc:
            failed.append(exc)

    thread = threading.Thread(target=export)
    thread.start()
    time.sleep(0.5)
    started = time.monotonic()
    session.close()
    thread.join(10)
    assert not thread.is_alive() and time.monotonic() - started < 3
    assert len(failed) == 1 and "session lost" in str(failed[0])
    assert not session.is_alive()


def test_a_failed_export_ends_the_line_and_is_all_export(router: LabRouter, tmp_path: Path) -> None:
    """RouterOS stops a ';' line at an error: no marker, so the validator sees the error."""
    with ExecSession(_device(router, tmp_path), known_hosts=KnownHosts(tmp_path / "kh")) as s:
        router.fail_next_export("error")
        export, history = s.start_export(then_history=True).export_and_history()
        assert export.startswith("failure:") and history == ""
        assert "Flags:" in s.run(HISTORY_COMMAND)


@pytest.mark.parametrize("rsa_first", [True, False])
def test_a_router_pinned_with_two_key_types_logs_in_with_either(
    tmp_path: Path, rsa_first: bool
) -> None:
    """ssh-keyscan writes one line per key type; the router offers the one it has."""
    host_key = asyncssh.generate_private_key("ssh-ed25519")
    router = LabRouter(name="r1", version="7.16", users=USERS, host_key=host_key)
    fleet = LabFleet(routers=[router])
    fleet.start()
    try:
        name = f"[127.0.0.1]:{router.port}"
        other_rsa = asyncssh.generate_private_key("ssh-rsa", key_size=2048)
        lines = [f"{name} {key.export_public_key().decode()}" for key in (other_rsa, host_key)]
        path = tmp_path / "known_hosts"
        path.write_text("".join(lines if rsa_first else lines[::-1]))
        pins = KnownHosts(path)
        with ExecSession(_device(router, tmp_path), known_hosts=pins) as s:
            assert s.identity == "r1"
    finally:
        fleet.stop()
    assert [fingerprint(key) for key in KnownHosts(path).keys(name)][rsa_first] == (
        router.host_key_fingerprint
    )
