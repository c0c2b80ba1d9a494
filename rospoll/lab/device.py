"""The simulated router's state: config, identity, memory log, history and logging rules.

Not thread-safe by design: every method runs on the lab's event-loop thread
(``LabRouter`` routes calls there).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rospoll.lab.logbook import History, HistoryEntry, Logbook, LogEntry
from rospoll.lab.render import Flavor, log_line, render_export
from rospoll.lab.state import Config, Header, Item, Section, load_export

DEFAULT_CONFIGS = Path(__file__).resolve().parent / "default_configs"
DEFAULT_RULES = (
    ("info", "memory"),
    ("error", "memory"),
    ("warning", "memory"),
    ("critical", "echo"),
)

# Object descriptions used in log lines and history actions, by section path.
OBJECT_NAMES = {
    "/ip address": "address",
    "/ipv6 address": "address",
    "/ip firewall filter": "filter rule",
    "/ip firewall nat": "nat rule",
    "/ip firewall mangle": "mangle rule",
    "/ip firewall raw": "raw rule",
    "/ipv6 firewall filter": "filter6 rule",
    "/ip firewall address-list": "address list entry",
    "/ip dns static": "static dns entry",
    "/ip dns": "dns",
    "/system identity": "system identity",
    "/system logging": "log rule",
    "/system logging action": "log action",
    "/interface": "device",
    "/interface ethernet": "device",
    "/interface bridge": "device",
    "/interface vlan": "device",
    "/interface bridge port": "bridge port",
    "/interface list member": "interface list member",
    "/interface list": "interface list",
    "/ip dhcp-client": "dhcp client",
    "/ip route": "route",
    "/ip service": "service",
    "/system ntp client": "SNTP client configuration",
    "/system scheduler": "scheduled script",
    "/system script": "script",
    "/ppp secret": "ppp secret",
}


@dataclass(frozen=True)
class Actor:
    """Who runs a command, and over what."""

    user: str
    via: str = "ssh"
    address: str = "127.0.0.1"

    @property
    def v7_token(self) -> str:
        if self.via == "winbox":
            return f"winbox-3.41/tcp-msg(winbox):{self.user}@{self.address}"
        return f"{self.via}:{self.user}@{self.address}"


def object_name(path: str, item: Item | None) -> str:
    if path in ("/ip pool", "/user", "/ip dhcp-server") and item and item.attrs.get("name"):
        noun = {"/ip pool": "pool", "/user": "user", "/ip dhcp-server": "dhcp server"}[path]
        return f"{noun} {item.attrs['name']}"
    return OBJECT_NAMES.get(path, "item")


class Device:
    """One lab router's brain (no I/O besides reading its config file once)."""

    def __init__(
        self, name: str, version: str, config_path: str | Path | None, log_format: str = "auto"
    ) -> None:
        self.name = name
        self.flavor = Flavor.of(version)
        self.log_style = (
            ("v6" if self.flavor.is_v6 else "v7") if log_format == "auto" else log_format
        )
        if log_format not in ("auto", "v6", "v7"):
            raise ValueError(f"log_format must be auto, v6 or v7, not {log_format!r}")
        self.config, self.header = self._load(config_path)
        self.logbook = Logbook()
        self.history = History()
        self.booted_at = time.monotonic()

    def _load(self, config_path: str | Path | None) -> tuple[Config, Header]:
        if config_path is not None:
            return load_export(Path(config_path).read_text(encoding="utf-8", errors="replace"))
        flavor_file = "v6.rsc" if self.flavor.is_v6 else "v7.rsc"
        config, header = load_export((DEFAULT_CONFIGS / flavor_file).read_text(encoding="utf-8"))
        if self.name != "MikroTik":
            ident = config.section("/system identity")
            if not ident.items:
                ident.append(Item("set", None, {"name": self.name}))
        return config, header

    # --- identity, export ---------------------------------------------------------------

    @property
    def identity(self) -> str:
        section = self.config.find("/system identity")
        for item in section.items if section else []:
            if item.selector is None and item.attrs.get("name"):
                return item.attrs["name"] or "MikroTik"
        return "MikroTik"

    def export_text(
        self, *, path: str = "", terse: bool = False, show_sensitive: bool = True
    ) -> str:
        hide = not self.flavor.is_v6 and not show_sensitive
        return render_export(
            self.config,
            self.header,
            self.flavor,
            datetime.now(),
            terse=terse,
            hide_sensitive=hide,
            path=path,
        )

    # --- logging ------------------------------------------------------------------------

    def memory_rule_enabled(self, topics: str) -> bool:
        """Does any enabled ``action=memory`` rule take an entry with these topics?"""
        have = set(topics.split(","))
        section = self.config.find("/system logging")
        rules: list[dict[str, str | None]] = [{"topics": t, "action": a} for t, a in DEFAULT_RULES]
        for item in section.items if section else []:
            if item.verb == "set" and item.selector and item.selector.isdigit():
                n = int(item.selector)
                if n < len(rules):
                    rules[n] = {**rules[n], **item.attrs}
            elif item.verb == "add":
                rules.append(dict(item.attrs))
        for rule in rules:
            if rule.get("disabled") == "yes" or rule.get("action") != "memory":
                continue
            wanted = [t for t in (rule.get("topics") or "").split(",") if t]
            if all((t[1:] not in have) if t.startswith("!") else (t in have) for t in wanted):
                return True
        return False

    def log(self, topics: str, message: str) -> None:
        if self.memory_rule_enabled(topics):
            self.logbook.append(LogEntry(datetime.now().replace(microsecond=0), topics, message))

    def log_lines(self) -> list[str]:
        now = datetime.now()
        return [
            log_line(self.log_style, e.time, e.topics, e.message, now) for e in self.logbook.entries
        ]

    def set_logging(self, enabled: bool) -> None:
        section = self.config.section("/system logging")
        item = next((i for i in section.items if i.selector == "0"), None)
        if enabled:
            if item is not None:
                item.attrs.pop("disabled", None)
                if not item.attrs:
                    section.entries.remove(item)
        elif item is None:
            section.append(Item("set", "0", {"disabled": "yes"}))
        else:
            item.attrs["disabled"] = "yes"

    def record_change(
        self, section: Section, item: Item | None, verb: str, actor: Actor, command: str, undo: str
    ) -> None:
        """Log ``<object> <verb> by …`` and add a history entry, as RouterOS does."""
        action = f"{object_name(section.path, item)} {verb}"
        if self.log_style == "v6":
            message = f"{action} by {actor.user}"
        else:
            message = f"{action} by {actor.v7_token} ({command})"
        self.log("system,info", message)
        redo = command.split(" = ", 1)[1] if command.startswith("*") else command
        self.history.add(
            HistoryEntry(action, actor.user, datetime.now().replace(microsecond=0), redo, undo)
        )

    def session_opened(self, actor: Actor) -> None:
        self.log(
            "system,info,account",
            f"user {actor.user} logged in from {actor.address} via {actor.via}",
        )

    def session_closed(self, actor: Actor) -> None:
        self.log(
            "system,info,account",
            f"user {actor.user} logged out from {actor.address} via {actor.via}",
        )

    def rebooted(self) -> None:
        self.logbook.clear()
        self.booted_at = time.monotonic()
        self.log("system,info", "router rebooted")
