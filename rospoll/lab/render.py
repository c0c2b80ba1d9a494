"""Text the lab router prints: export, identity/resource print, log lines, history.

Version differences are data on ``Flavor``; one code path renders all versions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from rospoll.lab.state import Config, Header, Item, Section, encode_value

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
SENSITIVE = frozenset(
    {
        "password",
        "secret",
        "private-key",
        "pre-shared-key",
        "preshared-key",
        "wpa-pre-shared-key",
        "wpa2-pre-shared-key",
        "wpa3-pre-shared-key",
        "passphrase",
        "ipsec-secret",
        "authentication-key",
        "auth-key",
        "auth-password",
        "priv-password",
        "encryption-password",
        "authentication-password",
        "bind-password",
        "radius-secret",
        "shared-secret",
        "key",
    }
)
EXPORT_WIDTH = 80


@dataclass(frozen=True)
class Flavor:
    """Everything that depends on the RouterOS version string."""

    version: str
    major: int
    minor: int

    @classmethod
    def of(cls, version: str) -> Flavor:
        m = re.match(r"(\d+)\.(\d+)", version)
        major, minor = (int(m.group(1)), int(m.group(2))) if m else (7, 0)
        return cls(version, major, minor)

    @property
    def is_v6(self) -> bool:
        return self.major < 7

    @property
    def iso_dates(self) -> bool:
        """Export headers and history times are ISO from 7.10 on."""
        return (self.major, self.minor) >= (7, 10)

    @property
    def channel(self) -> str:
        if "rc" in self.version or "beta" in self.version:
            return "testing"
        return "long-term" if self.is_v6 else "stable"


def old_date(when: datetime, capital: bool = False) -> str:
    month = MONTHS[when.month - 1]
    return f"{month.capitalize() if capital else month}/{when:%d/%Y %H:%M:%S}"


def stamp(flavor: Flavor, when: datetime) -> str:
    """Date+time as exports and history print it for this version."""
    return f"{when:%Y-%m-%d %H:%M:%S}" if flavor.iso_dates else old_date(when)


# --- export ---------------------------------------------------------------------------------


def header_lines(flavor: Flavor, header: Header, when: datetime) -> list[str]:
    lines = [f"# {stamp(flavor, when)} by RouterOS {flavor.version}"]
    if header.system_id is not None:
        lines.append(f"# system id = {header.system_id}")
    else:
        lines.append(f"# software id = {header.software_id or ''}")
    lines.append("#")
    if header.model:
        lines += [f"# model = {header.model}", f"# serial number = {header.serial or ''}"]
    else:
        lines += ["#"] * header.bare_hashes
    return lines


def render_export(
    config: Config,
    header: Header,
    flavor: Flavor,
    when: datetime,
    *,
    terse: bool = False,
    hide_sensitive: bool = False,
    path: str = "",
) -> str:
    """The full text of ``[path] export [terse]``, lines joined with ``\\n``."""
    lines = header_lines(flavor, header, when)
    for section in config.sections:
        if path and section.path != path and not section.path.startswith(path + " "):
            continue
        lines += _render_section(section, terse=terse, hide_sensitive=hide_sensitive)
    return "\n".join(lines) + "\n"


def _render_section(section: Section, *, terse: bool, hide_sensitive: bool) -> list[str]:
    if not section.entries:
        return []
    is_root = section.path in ("", "/")
    out = [] if terse or is_root else [section.path]
    for entry in section.entries:
        if isinstance(entry, str):
            prefix = section.path + " " if terse and not is_root and entry[0] not in "/:#" else ""
            out.append(prefix + entry)
            continue
        tokens = item_tokens(entry, hide_sensitive=hide_sensitive)
        if terse:
            out.append(" ".join(([] if is_root else [section.path]) + tokens))
        else:
            out += wrap_tokens(tokens)
    return out


def item_tokens(item: Item, *, hide_sensitive: bool = False) -> list[str]:
    """``verb [selector] key=value…`` with keys in alphabetical order."""
    tokens = [item.verb] + ([item.selector] if item.selector else [])
    for key in sorted(item.attrs, key=lambda k: k.lstrip("!")):
        value = item.attrs[key]
        if hide_sensitive and key in SENSITIVE:
            continue
        tokens.append(key if value is None else f"{key}={encode_value(value)}")
    return tokens


def wrap_tokens(tokens: list[str], width: int = EXPORT_WIDTH) -> list[str]:
    """Wrap like RouterOS: `` \\`` + 4-space continuation, near ``width`` columns."""
    lines: list[str] = []
    cur = tokens[0]
    for tok in tokens[1:]:
        if len(cur) + 1 + len(tok) <= width - 2:
            cur += " " + tok
            continue
        key, eq, value = tok.partition("=")
        if eq and value and not tok.startswith("[") and len(cur) + len(key) + 2 <= width - 1:
            lines.append(f"{cur} {key}=\\")
            cur, tok = "    ", value
        elif cur.strip():
            lines.append(cur + " \\")
            cur = "    "
        if len(cur) + len(tok) <= width - 2:
            cur = cur + tok if cur == "    " else cur + " " + tok
            continue
        cur = _split_long(lines, cur, tok, width)
    lines.append(cur)
    return lines


def _units(tok: str) -> list[str]:
    units, i = [], 0
    while i < len(tok):
        if tok[i] == "\\" and i + 1 < len(tok):
            n = 3 if re.fullmatch(r"[0-9A-F]{2}", tok[i + 1 : i + 3]) else 2
            units.append(tok[i : i + n])
            i += n
        else:
            units.append(tok[i])
            i += 1
    return units


def _split_long(lines: list[str], cur: str, tok: str, width: int) -> str:
    """Break an over-long token at the width, mid-word; a leading space becomes ``\\_``."""
    line = cur if cur == "    " else cur + " "
    for unit in _units(tok):
        if len(line) + len(unit) > width - 2:
            lines.append(line + "\\")
            line = "    "
            if unit == " ":
                unit = "\\_"
        line += unit
    return line


# --- prints ---------------------------------------------------------------------------------


def right_aligned(pairs: list[tuple[str, str]], width: int = 26) -> list[str]:
    return [f"{key + ':':>{width}} {value}" for key, value in pairs]


def format_uptime(seconds: float) -> str:
    s = int(seconds)
    parts = [(s // 604800, "w"), (s // 86400 % 7, "d"), (s // 3600 % 24, "h"), (s // 60 % 60, "m")]
    text = "".join(f"{n}{u}" for n, u in parts if n)
    return text + f"{s % 60}s"


def resource_lines(flavor: Flavor, uptime_s: float, board: str) -> list[str]:
    build = datetime(2024, 9, 20, 13, 0, 27)
    iso_build = (flavor.major, flavor.minor) >= (7, 14)
    pairs = [
        ("uptime", format_uptime(uptime_s)),
        ("version", f"{flavor.version} ({flavor.channel})"),
        ("build-time", f"{build:%Y-%m-%d %H:%M:%S}" if iso_build else old_date(build, True)),
        ("factory-software", "6.44" if flavor.is_v6 else "7.1"),
        ("free-memory", "165.6MiB"),
        ("total-memory", "256.0MiB"),
        ("cpu", "ARMv7" if flavor.is_v6 else "ARM64"),
        ("cpu-count", "4"),
        ("cpu-frequency", "880MHz"),
        ("cpu-load", "1%"),
        ("free-hdd-space", "8.9MiB"),
        ("total-hdd-space", "16.0MiB"),
        ("architecture-name", "mmips" if flavor.is_v6 else "arm64"),
        ("board-name", board),
        ("platform", "MikroTik"),
    ]
    return right_aligned(pairs)


def log_time(style: str, when: datetime, now: datetime) -> str:
    """Time column of ``/log print``: v6 shortens by day/year, v7 prints full ISO."""
    if style == "v7":
        return f" {when:%Y-%m-%d %H:%M:%S}"
    if when.date() == now.date():
        return f"{when:%H:%M:%S}"
    if when.year == now.year:
        return f"{MONTHS[when.month - 1]}/{when:%d %H:%M:%S}"
    return old_date(when)


def log_line(style: str, when: datetime, topics: str, message: str, now: datetime) -> str:
    line = f"{log_time(style, when, now)} {topics} {message}"
    return line + " " if style == "v6" else line


V7_SEPARATOR = " = = =   = = =   = = =      = = =   = = =   = = =      = = =   = = =   = = ="
FOOTERS = {
    "v6": "-- Ctrl-C to quit.",
    "v7": "-- Ctrl-C to quit. Space prints separator. New entries will appear at bottom.",
}
