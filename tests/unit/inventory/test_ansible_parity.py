"""The loader merges vars exactly as ``ansible-inventory --list`` from ansible-core does."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from rospoll.inventory import load_inventory
from rospoll.inventory.loader import parse_inventory
from rospoll.inventory.resolve import _group_depths, host_groups, merged_vars

from .conftest import DATA

PARITY = DATA / "parity.yml"
ENV = {"ROSPOLL_TEST_PASSWORD": "s3cret-pw"}


def _ansible_inventory() -> str:
    beside_python = Path(sys.executable).with_name("ansible-inventory")
    if beside_python.is_file():
        return str(beside_python)
    found = shutil.which("ansible-inventory")
    if found is None:
        pytest.skip("ansible-inventory (ansible-core) not found beside python or on PATH")
    return found


@pytest.fixture(scope="module")
def ansible_list(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``ansible-inventory --list`` of the parity inventory, isolated from /etc and $HOME."""
    tmp = tmp_path_factory.mktemp("ansible")
    (tmp / "ansible.cfg").write_text("[defaults]\n", encoding="utf-8")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp),
        "ANSIBLE_CONFIG": str(tmp / "ansible.cfg"),
        "ANSIBLE_HOME": str(tmp / "home"),
        "ANSIBLE_LOCAL_TEMP": str(tmp / "tmp"),
        "ANSIBLE_INVENTORY_ENABLED": "yaml",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_DEPRECATION_WARNINGS": "0",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        **ENV,
    }
    proc = subprocess.run(
        [_ansible_inventory(), "-i", str(PARITY), "--list"],
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def _ansible_groups(listing: dict[str, Any]) -> dict[str, set[str]]:
    """Host -> every group it is in (through children), without ``all``, from ``--list``."""
    parents: dict[str, set[str]] = {}
    direct: dict[str, set[str]] = {}
    for group, body in listing.items():
        if group == "_meta":
            continue
        for child in body.get("children", []):
            parents.setdefault(child, set()).add(group)
        for host in body.get("hosts", []):
            direct.setdefault(host, set()).add(group)
    result = {}
    for host, groups in direct.items():
        todo, seen = list(groups), set()
        while todo:
            group = todo.pop()
            if group not in seen:
                seen.add(group)
                todo.extend(parents.get(group, ()))
        result[host] = seen - {"all"}
    return result


def test_merged_vars_equal_ansible_hostvars(ansible_list: dict[str, Any]) -> None:
    raw = parse_inventory(PARITY)
    depths = _group_depths(raw)
    ours = {name: merged_vars(raw, host, depths)[0] for name, host in raw.hosts.items()}
    assert ours == ansible_list["_meta"]["hostvars"]


def test_group_membership_equals_ansible(ansible_list: dict[str, Any]) -> None:
    inventory = load_inventory(PARITY, env=ENV)
    ours = {d.name: set(d.groups) for d in inventory.devices}
    assert ours == _ansible_groups(ansible_list)


def test_device_vars_are_the_merged_vars_without_secrets_or_settings(
    ansible_list: dict[str, Any],
) -> None:
    inventory = load_inventory(PARITY, env=ENV)
    for device in inventory.devices:
        theirs = {
            k: v
            for k, v in ansible_list["_meta"]["hostvars"][device.name].items()
            if not k.startswith("rospoll_") and k != "ansible_password"
        }
        assert dict(device.vars) == theirs, device.name


def test_precedence_picks_the_documented_winners() -> None:
    raw = parse_inventory(PARITY)
    depths = _group_depths(raw)
    core1 = merged_vars(raw, raw.hosts["core1"], depths)[0]
    # deepest group wins: core_dc1 (depth 2) over core (depth 1) over all
    assert core1["shared"] == "from-core_dc1"
    # siblings at depth 1: core, edge (priority 1, by name) then backup (priority 10)
    assert core1["tier"] == "backup"
    assert core1["color"] == "green"
    # host listed in three places: vars merge, the last place wins per var
    assert (core1["role"], core1["note"], core1["ansible_port"]) == ("backup-border", "first", 2222)
    edge1 = merged_vars(raw, raw.hosts["edge1"], depths)[0]
    # `west` sits beside `all` at the top, priority 5 beats `edge` (priority 1)
    assert edge1["color"] == "red"
    assert host_groups(raw, raw.hosts["lone1"]) == ["ungrouped"]


def test_devices_come_in_inventory_order_with_ranges_and_ports_expanded() -> None:
    inventory = load_inventory(PARITY, env=ENV)
    names = [d.name for d in inventory.devices]
    assert names == ["core1", "core2", "edge1", "sw1", "acc01", "acc02", "acc03", "lone1"]
    assert inventory.device("sw1").port == 2200


def test_connection_vars_are_rendered_after_merging() -> None:
    inventory = load_inventory(PARITY, env=ENV)
    core1 = inventory.device("core1")
    assert (core1.host, core1.port, core1.user) == ("10.0.1.1", 2222, "monitor")
    assert core1.password == "s3cret-pw"
    assert inventory.device("edge1").host == "edge1.example.net"
    assert inventory.device("core2").host == "core2"  # defaults to the inventory name
    assert inventory.device("sw1").user == "switch"
    # vars rospoll does not use stay as written
    assert inventory.device("edge1").vars["uplink"] == "{{ tier }}-uplink.{{ site_domain }}"


def test_group_settings_apply_to_their_hosts() -> None:
    inventory = load_inventory(PARITY, env=ENV)
    assert inventory.device("core1").settings.mail_to == (
        "core-team@example.net",
        "noc@example.net",
    )
    assert inventory.device("core1").settings.debounce_s == 5.0
    assert inventory.device("edge1").settings.mail_to == ("west@example.net", "noc@example.net")
    assert inventory.device("lone1").settings.mail_to == ("noc@example.net",)
    assert inventory.device("lone1").settings.debounce_s == 2.0
    assert inventory.settings.mail_to == ("noc@example.net",)
    assert inventory.backup_dir == PARITY.parent.absolute() / "backups"
