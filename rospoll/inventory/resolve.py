"""Ansible precedence, rendering and typing: parsed groups and hosts to ``Device`` records.

For each host the vars merge as ansible-core does (``VariableManager``, default settings):
the ``all`` group's vars, then every other group the host is in, directly or through
``children``, sorted by ``(depth, ansible_group_priority, name)``, so deeper groups win and
siblings at one depth merge alphabetically unless a priority says otherwise; then the host's
own vars. Merging replaces whole values (``hash_behaviour = replace``). Only then are the vars
rospoll uses rendered and typed.

>>> inventory = load_inventory(Path("inventory.yml"), env={"RTR_PASSWORD": "s3cret"})
>>> inventory.device("core1").port
22
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from rospoll.errors import InventoryError
from rospoll.inventory.loader import RawGroup, RawHost, RawInventory, parse_inventory
from rospoll.inventory.model import Device, Inventory, Settings
from rospoll.inventory.settings import PREFIX, SettingError, build_settings
from rospoll.inventory.templating import Renderer, RenderError

# Secrets stay out of Device.vars (the rendered password is Device.password).
_SECRET_VARS = frozenset(
    {
        "ansible_password",
        "ansible_ssh_pass",
        "ansible_ssh_password",
        "ansible_become_password",
        "ansible_become_pass",
    }
)
_CONNECTION_VARS = (
    "ansible_host",
    "ansible_port",
    "ansible_user",
    "ansible_password",
    "ansible_ssh_private_key_file",
)


def load_inventory(path: Path, env: Mapping[str, str] | None = None) -> Inventory:
    """Read, merge, render and type the inventory at ``path``; raises ``InventoryError``.

    ``env`` feeds ``lookup('env', ...)`` and defaults to ``os.environ``.
    """
    path = Path(path)
    return resolve_inventory(parse_inventory(path), os.environ if env is None else env)


def resolve_inventory(raw: RawInventory, env: Mapping[str, str]) -> Inventory:
    """Apply precedence to every host of ``raw`` and build the ``Inventory``."""
    base = raw.path.absolute().parent
    depths = _group_depths(raw)
    top = raw.groups["all"]
    top_settings = _settings(
        raw,
        Renderer(top.vars, env=env),
        top.vars,
        top.var_lines,
        base,
        "group all",
    )
    devices = tuple(_device(raw, host, depths, env, base) for host in raw.hosts.values())
    return Inventory(path=raw.path, devices=devices, settings=top_settings)


def _group_depths(raw: RawInventory) -> dict[str, int]:
    """Longest path from ``all`` to each group, which is Ansible's ``Group.depth``."""
    depths: dict[str, int] = {"all": 0}

    def depth(name: str) -> int:
        if name not in depths:
            parents = raw.groups[name].parents
            depths[name] = max((depth(p) + 1 for p in parents), default=1)
        return depths[name]

    for name in raw.groups:
        depth(name)
    return depths


def host_groups(raw: RawInventory, host: RawHost) -> list[str]:
    """Every group ``host`` is in (through ``children`` too), ``all`` excluded, unsorted."""
    seen: list[str] = []
    todo = list(host.groups)
    while todo:
        name = todo.pop(0)
        if name not in seen:
            seen.append(name)
            todo.extend(raw.groups[name].parents)
    groups = [g for g in seen if g not in ("all", "ungrouped")]
    return groups or ["ungrouped"]


def merged_vars(
    raw: RawInventory, host: RawHost, depths: Mapping[str, int]
) -> tuple[dict[str, Any], dict[str, int]]:
    """The host's vars after Ansible precedence, and the line each winning value came from."""
    groups = sorted(host_groups(raw, host), key=lambda g: (depths[g], raw.groups[g].priority, g))
    values: dict[str, Any] = {}
    lines: dict[str, int] = {}
    sources: list[RawGroup | RawHost] = [raw.groups["all"], *(raw.groups[g] for g in groups)]
    for source in [*sources, host]:
        values.update(source.vars)
        lines.update(source.var_lines)
    return values, lines


def _device(
    raw: RawInventory, host: RawHost, depths: Mapping[str, int], env: Mapping[str, str], base: Path
) -> Device:
    values, lines = merged_vars(raw, host, depths)
    groups = tuple(sorted(host_groups(raw, host)))
    renderer = Renderer(
        values,
        env=env,
        magic={
            "inventory_hostname": host.name,
            "inventory_hostname_short": host.name.split(".")[0],
            "group_names": list(groups),
        },
    )
    who = f"host {host.name}"
    connection: dict[str, Any] = {}
    for var in _CONNECTION_VARS:
        if var in values:
            connection[var] = _render(raw, renderer, var, lines, who)
    try:
        address = _address(connection.get("ansible_host", host.name))
        port = _port(connection.get("ansible_port", 22))
        user = _optional_text(connection, "ansible_user")
        password = _optional_text(connection, "ansible_password")
        key_file = _optional_text(connection, "ansible_ssh_private_key_file")
    except _BadValue as exc:
        raise _error(raw, lines, who, exc.var, exc.reason) from None
    settings = _settings(raw, renderer, values, lines, base, who)
    kept = {
        k: _plain(v)
        for k, v in values.items()
        if not k.startswith(PREFIX) and k not in _SECRET_VARS
    }
    return Device(
        name=host.name,
        host=address,
        port=port,
        user=user,
        password=password,
        private_key_file=Path(key_file).expanduser() if key_file else None,
        groups=groups,
        vars=MappingProxyType(kept),
        settings=settings,
    )


def _settings(
    raw: RawInventory,
    renderer: Renderer,
    values: Mapping[str, Any],
    lines: Mapping[str, int],
    base: Path,
    who: str,
) -> Settings:
    rendered = {
        var: _render(raw, renderer, var, lines, who) for var in values if var.startswith(PREFIX)
    }
    try:
        return build_settings(rendered, base)
    except SettingError as exc:
        raise _error(raw, lines, who, exc.var, exc.reason) from None


def _render(
    raw: RawInventory, renderer: Renderer, var: str, lines: Mapping[str, int], who: str
) -> Any:
    try:
        return renderer.value(var)
    except RenderError as exc:
        reason = exc.reason if exc.var == var else f"{exc.reason} (needed by {var})"
        raise _error(raw, lines, who, exc.var, reason) from None


def _error(
    raw: RawInventory, lines: Mapping[str, int], who: str, var: str, reason: str
) -> InventoryError:
    line = lines.get(var)
    where = f"{raw.path}:{line}" if line else str(raw.path)
    return InventoryError(f"{who}, variable {var}: {reason}", where=where)


class _BadValue(ValueError):
    def __init__(self, var: str, reason: str) -> None:
        super().__init__(reason)
        self.var = var
        self.reason = reason


def _address(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _BadValue("ansible_host", f"no usable address (found {value!r})")
    if any(c.isspace() for c in value.strip()):
        raise _BadValue("ansible_host", f"an address cannot contain spaces: {value!r}")
    return value.strip()


def _port(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise _BadValue("ansible_port", f"expected a port number, found {value!r}")
    try:
        port = int(value)
    except ValueError:
        raise _BadValue("ansible_port", f"expected a port number, found {value!r}") from None
    if not 1 <= port <= 65535:
        raise _BadValue("ansible_port", f"port must be between 1 and 65535, found {port}")
    return port


def _optional_text(connection: Mapping[str, Any], var: str) -> str | None:
    value = connection.get(var)
    if value is None or value == "":
        return None
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return str(value)
    raise _BadValue(var, f"expected text, found {type(value).__name__}")


def _plain(value: Any) -> Any:
    """Plain dicts and lists (no line bookkeeping) for ``Device.vars``."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
