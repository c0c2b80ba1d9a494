"""Device and Inventory records: secrets hidden, lookup by name, filtering by glob."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from rospoll.errors import InventoryError
from rospoll.inventory import Device, Inventory, load_inventory
from rospoll.inventory.loader import expand_host_pattern, parse_inventory

INVENTORY = """
all:
  vars:
    ansible_password: hunter2-secret
  children:
    core:
      hosts:
        core1:
          ansible_host: 192.0.2.1
          ansible_ssh_private_key_file: ~/.ssh/rospoll
        core2:
    branches:
      children:
        north:
          hosts:
            branch-17:
              ansible_user: 1234
"""


@pytest.fixture
def inventory(write_inventory: Callable[[str], Path]) -> Inventory:
    return load_inventory(write_inventory(INVENTORY), env={})


def test_password_is_in_no_repr_or_str(inventory: Inventory) -> None:
    device = inventory.device("core1")
    assert device.password == "hunter2-secret"
    for text in (repr(device), str(device), repr(inventory), str(inventory), repr(device.vars)):
        assert "hunter2" not in text
    assert "ansible_password" not in device.vars


def test_str_is_name_and_address(inventory: Inventory) -> None:
    assert str(inventory.device("core1")) == "core1 (192.0.2.1:22)"


def test_device_is_frozen(inventory: Inventory) -> None:
    device = inventory.device("core1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        device.port = 23  # type: ignore[misc]
    with pytest.raises(TypeError):
        device.vars["x"] = 1  # type: ignore[index]


def test_connection_fields(inventory: Inventory) -> None:
    core1 = inventory.device("core1")
    assert core1.private_key_file == Path("~/.ssh/rospoll").expanduser()
    assert inventory.device("branch-17").user == "1234"
    assert inventory.device("core2").private_key_file is None


def test_unknown_device_suggests_a_name(inventory: Inventory) -> None:
    with pytest.raises(
        InventoryError, match=r"no device named 'core3' \(did you mean 'core[12]'\?\)"
    ):
        inventory.device("core3")


@pytest.mark.parametrize(
    ("pattern", "names"),
    [
        ("core*", ["core1", "core2"]),
        ("core", ["core1", "core2"]),
        ("branches", ["branch-17"]),
        ("north", ["branch-17"]),
        ("all", ["core1", "core2", "branch-17"]),
        ("*", ["core1", "core2", "branch-17"]),
        ("a*", []),
        ("CORE1", []),
    ],
)
def test_filter_matches_names_and_groups(
    inventory: Inventory, pattern: str, names: list[str]
) -> None:
    filtered = inventory.filter(pattern)
    assert [d.name for d in filtered.devices] == names
    assert filtered.path == inventory.path
    assert filtered.settings == inventory.settings


def test_groups_include_ancestors(inventory: Inventory) -> None:
    assert inventory.device("branch-17").groups == ("branches", "north")


@pytest.mark.parametrize(
    ("pattern", "names", "port"),
    [
        ("core1", ["core1"], None),
        ("core1:2222", ["core1"], 2222),
        ("192.0.2.1:8022", ["192.0.2.1"], 8022),
        ("2001:db8::1", ["2001:db8::1"], None),
        ("[2001:db8::1]:2022", ["2001:db8::1"], 2022),
        ("rtr[01:03]", ["rtr01", "rtr02", "rtr03"], None),
        ("rtr[1:5:2].lan", ["rtr1.lan", "rtr3.lan", "rtr5.lan"], None),
        ("sw[a:c]", ["swa", "swb", "swc"], None),
        ("r[1:2]-[a:b]:2200", ["r1-a", "r1-b", "r2-a", "r2-b"], 2200),
    ],
)
def test_host_patterns(pattern: str, names: list[str], port: int | None) -> None:
    assert expand_host_pattern(pattern) == (names, port)


def test_yaml_anchors_and_merge_keys_work(write_inventory: Callable[[str], Path]) -> None:
    path = write_inventory(
        """
        all:
          hosts:
            core1: &base
              ansible_user: admin
              ansible_port: 2222
            core2:
              <<: *base
              ansible_port: 2223
        """
    )
    inventory = load_inventory(path, env={})
    assert (inventory.device("core2").user, inventory.device("core2").port) == ("admin", 2223)


def test_lines_are_recorded_per_var(write_inventory: Callable[[str], Path]) -> None:
    path = write_inventory(INVENTORY)
    raw = parse_inventory(path)
    assert raw.groups["all"].var_lines == {"ansible_password": 3}
    assert raw.hosts["core1"].var_lines == {"ansible_host": 8, "ansible_ssh_private_key_file": 9}
    assert raw.hosts["branch-17"].line == 15


def test_empty_sections_and_string_sections(write_inventory: Callable[[str], Path]) -> None:
    path = write_inventory(
        """
        all:
          vars:
          children:
            core:
              hosts: core1
            empty:
        """
    )
    inventory = load_inventory(path, env={})
    assert [d.name for d in inventory.devices] == ["core1"]
    assert inventory.device("core1").groups == ("core",)


def test_device_defaults() -> None:
    device = Device(name="r1", host="r1")
    assert (device.port, device.user, device.password, device.groups) == (22, None, None, ())
