"""RouterSession and rospoll check against lab routers, in every repaint style."""

from __future__ import annotations

import re
from pathlib import Path

import asyncssh
import pytest

from rospoll.cli import main
from rospoll.config import normalise_export, validate_export
from rospoll.device.hostkeys import KnownHosts
from rospoll.device.session import RouterSession
from rospoll.errors import HostKeyChangedError
from rospoll.inventory import load_inventory
from rospoll.lab import LabFleet, LabRouter
from tests.e2e.conftest import USERS, write_inventory

pytestmark = pytest.mark.lab

PROMPT = re.compile(r"^\[[^\]]*@[^\]]*\]")


@pytest.mark.parametrize("repaint", ["plain", "dup-echo", "ros649"])
@pytest.mark.parametrize("version", ["6.49.10", "7.16"])
def test_export_has_no_prompt_lines_or_escape_codes(
    tmp_path: Path, version: str, repaint: str
) -> None:
    router = LabRouter(name="r1", version=version, users=USERS, repaint=repaint)
    fleet = LabFleet(routers=[router])
    fleet.start()
    try:
        device = load_inventory(write_inventory(fleet, tmp_path / "inv.yml")).devices[0]
        with RouterSession(device, known_hosts=KnownHosts(tmp_path / "known_hosts")) as s:
            assert (s.identity, s.version) == ("r1", version)
            text = s.export()
            history = s.history()
    finally:
        fleet.stop()
    assert "\x1b" not in text and "\r" not in text
    assert not [line for line in text.splitlines() if PROMPT.match(line)]
    assert not text.startswith("\n") and text.endswith("\n") and not text.endswith("\n\n")
    validate_export(text)  # a header, no CLI error, not cut
    # every line the router exported is there, nothing else (the date header aside)
    expected = router.export_text(show_sensitive=True)
    assert normalise_export(text).lines == normalise_export(expected).lines
    if version.startswith("7"):
        assert "password=" in text  # show-sensitive on v7: backups can restore
    assert "Flags:" in history


def test_check_reports_each_router_and_one_wrong_password(tmp_path: Path, capsys) -> None:
    fleet = LabFleet(routers=[LabRouter(name=f"lab{n}", users=USERS) for n in (1, 2, 3)])
    fleet.start()
    try:
        inventory = write_inventory(fleet, tmp_path / "inventory.yml")
        text = inventory.read_text().replace(
            f"ansible_port: {fleet.routers[1].port}",
            f"ansible_port: {fleet.routers[1].port}\n      ansible_password: wrong",
        )
        inventory.write_text(text)
        assert main(["-i", str(inventory), "check"]) == 1
    finally:
        fleet.stop()
    out, err = capsys.readouterr()
    assert out.count("\n") == 2 and "identity 'lab1', RouterOS 7.16" in out
    assert "identity 'lab3'" in out
    assert err.strip() == (
        f"FAIL lab2 (127.0.0.1:{fleet.routers[1].port}): login refused for user 'admin'"
    )


def test_changed_host_key_is_refused_naming_both_fingerprints(tmp_path: Path) -> None:
    router = LabRouter(name="r1", users=USERS)
    fleet = LabFleet(routers=[router])
    fleet.start()
    try:
        device = load_inventory(write_inventory(fleet, tmp_path / "inv.yml")).devices[0]
        pins = KnownHosts(tmp_path / "known_hosts")
        first = router.host_key_fingerprint
        with RouterSession(device, known_hosts=pins):
            pass
        pinned = pins.get(f"[127.0.0.1]:{router.port}")
        assert pinned is not None and pinned.fingerprint == first
        router.set_host_key(asyncssh.generate_private_key("ssh-ed25519"))
        with pytest.raises(HostKeyChangedError) as caught:
            RouterSession(device, known_hosts=pins).open()
    finally:
        fleet.stop()
    message = str(caught.value)
    assert message.startswith("r1: SSH host key changed")
    assert first in message and router.host_key_fingerprint in message
