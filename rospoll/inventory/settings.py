"""rospoll's own ``rospoll_*`` inventory vars: one table row per setting, typed on the way in.

Adding a setting is one row in ``SETTINGS`` plus one field in ``model.Settings``. Parsers take
the rendered value and the inventory folder and raise ``ValueError`` with a short reason; the
caller adds where the value came from.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rospoll.inventory.model import Settings

PREFIX = "rospoll_"

_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})
_OFF = frozenset({"", "none", "off", "0", "false", "no"})
_UNITS_S = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd]?)")
_SERVER = re.compile(r"\[(?P<v6>[^\]]+)\](?::(?P<p6>\d+))?|(?P<host>[^:\s]+)(?::(?P<port>\d+))?")
_SECURITY_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
_MAX_WORKERS = 1024


def _text(value: Any, _base: Path) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"expected text, found {_shown(value)}")
    text = str(value).strip()
    if not text:
        raise ValueError("must not be empty")
    return text


def _optional_text(value: Any, base: Path) -> str | None:
    return None if value is None or value == "" else _text(value, base)


def _bool(value: Any, _base: Path) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, str)) and str(value).strip().lower() in _TRUE | _FALSE:
        return str(value).strip().lower() in _TRUE
    raise ValueError(f"expected true or false, found {_shown(value)}")


def parse_duration(value: Any) -> float:
    """Seconds from ``90``, ``"90"``, ``"2s"``, ``"15m"``, ``"1h"``, ``"1h30m"``, ``"1d"``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and value.strip():
        text = value.strip().lower()
        parts = list(_DURATION.finditer(text))
        rebuilt = "".join(m.group(0) for m in parts)
        if not parts or re.sub(r"\s", "", rebuilt) != re.sub(r"\s", "", text):
            raise ValueError(f"expected a duration like 90, 2s, 15m or 1h, found {value!r}")
        seconds = sum(float(m[1]) * _UNITS_S[m[2]] for m in parts)
    else:
        raise ValueError(f"expected a duration like 90, 2s, 15m or 1h, found {_shown(value)}")
    if seconds < 0 or seconds != seconds or seconds == float("inf"):
        raise ValueError(f"a duration must be a finite number of seconds >= 0, found {value!r}")
    return seconds


def _positive_duration(value: Any, _base: Path) -> float:
    seconds = parse_duration(value)
    if seconds <= 0:
        raise ValueError(f"must be more than 0 seconds, found {value!r}")
    return seconds


def _duration(value: Any, _base: Path) -> float:
    return parse_duration(value)


def _duration_or_off(value: Any, _base: Path) -> float:
    if value is None or value is False:
        return 0.0
    if isinstance(value, str) and value.strip().lower() in _OFF:
        return 0.0
    return parse_duration(value)


def _workers(value: Any, _base: Path) -> int:
    if isinstance(value, bool):
        raise ValueError(f"expected a whole number, found {value!r}")
    try:
        number = int(value) if isinstance(value, (int, str)) else None
    except ValueError:
        number = None
    if number is None:
        raise ValueError(f"expected a whole number, found {_shown(value)}")
    if not 1 <= number <= _MAX_WORKERS:
        raise ValueError(f"must be between 1 and {_MAX_WORKERS}, found {number}")
    return number


def _addresses(value: Any, _base: Path) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        items: list[Any] = value.split(",")
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        raise ValueError(f"expected a list of mail addresses, found {_shown(value)}")
    addresses = []
    for item in items:
        if not isinstance(item, str):
            raise ValueError(f"expected a mail address, found {_shown(item)}")
        address = item.strip()
        if not address and isinstance(value, str):
            continue  # "a@x, b@y," tolerates the trailing comma
        if "@" not in address or any(c.isspace() for c in address):
            raise ValueError(f"not a mail address: {item!r}")
        addresses.append(address)
    return tuple(addresses)


def _security(value: Any, base: Path) -> str:
    text = _text(value, base).lower()
    if text not in _SECURITY_PORTS:
        raise ValueError(f"expected one of starttls, ssl, none, found {value!r}")
    return text


def _transport(value: Any, base: Path) -> str:
    text = _text(value, base).lower()
    if text not in ("exec", "shell"):
        raise ValueError(f"expected exec or shell, found {value!r}")
    return text


def split_server(value: str) -> tuple[str, int | None]:
    """``host``, ``host:port`` or ``[v6]:port`` to ``(host, port or None)``."""
    match = _SERVER.fullmatch(value)
    if match is None:
        raise ValueError(f"expected host or host:port, found {value!r}")
    host = match["v6"] or match["host"]
    port_text = match["p6"] or match["port"]
    port = int(port_text) if port_text else None
    if port is not None and not 1 <= port <= 65535:
        raise ValueError(f"port must be between 1 and 65535, found {port}")
    return host, port


def _server(value: Any, base: Path) -> str | None:
    text = _optional_text(value, base)
    if text is not None:
        split_server(text)  # validate here; the port is split off in build_settings
    return text


def _folder(value: Any, base: Path) -> Path:
    path = Path(_text(value, base)).expanduser()
    return path if path.is_absolute() else base / path


def _shown(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return f"a {type(value).__name__}"
    if isinstance(value, str):
        return repr(value)
    return f"{type(value).__name__} {value!r}"


@dataclass(frozen=True, slots=True)
class Setting:
    """One ``rospoll_*`` var: the ``Settings`` field it fills and how to read it."""

    var: str
    field: str
    parse: Callable[[Any, Path], Any]


SETTINGS: tuple[Setting, ...] = (
    Setting("rospoll_mail_to", "mail_to", _addresses),
    Setting("rospoll_mail_from", "mail_from", _optional_text),
    Setting("rospoll_mail_server", "mail_server", _server),
    Setting("rospoll_mail_user", "mail_user", _optional_text),
    Setting("rospoll_mail_password", "mail_password", _optional_text),
    Setting("rospoll_mail_security", "mail_security", _security),
    Setting("rospoll_mail_enabled", "mail_enabled", _bool),
    Setting("rospoll_mail_digest", "mail_digest_s", _duration_or_off),
    Setting("rospoll_poll_interval", "poll_interval_s", _positive_duration),
    Setting("rospoll_poll_workers", "poll_workers", _workers),
    Setting("rospoll_debounce", "debounce_s", _duration),
    Setting("rospoll_debounce_max", "debounce_max_s", _duration),
    Setting("rospoll_export_timeout", "export_timeout_s", _positive_duration),
    Setting("rospoll_export_transport", "export_transport", _transport),
    Setting("rospoll_connect_timeout", "connect_timeout_s", _positive_duration),
    Setting("rospoll_keepalive", "keepalive_s", _duration),
    Setting("rospoll_backup_dir", "backup_dir", _folder),
    Setting("rospoll_report_dir", "report_dir", _folder),
    Setting("rospoll_follow", "follow", _bool),
    Setting("rospoll_show_secrets_in_reports", "show_secrets_in_reports", _bool),
)
BY_VAR: Mapping[str, Setting] = {s.var: s for s in SETTINGS}


class SettingError(ValueError):
    """Raised by ``build_settings``; ``var`` names the setting, ``reason`` says what is wrong."""

    def __init__(self, var: str, reason: str) -> None:
        super().__init__(f"{var}: {reason}")
        self.var = var
        self.reason = reason


def check_setting_name(var: str) -> str | None:
    """A one-line complaint if ``var`` looks like a setting but is none, else ``None``."""
    if not var.startswith(PREFIX) or var in BY_VAR:
        return None
    # compare without the shared prefix, or every name looks alike
    names = [known.removeprefix(PREFIX) for known in BY_VAR]
    close = difflib.get_close_matches(var.removeprefix(PREFIX), names, n=1, cutoff=0.6)
    hint = f"; did you mean {PREFIX + close[0]!r}?" if close else ""
    return f"unknown setting {var!r}{hint}"


def default_settings(base: Path) -> Settings:
    """The settings when the inventory sets none; folders sit next to the inventory file."""
    return Settings(backup_dir=base / "backups", report_dir=base / "reports")


def build_settings(values: Mapping[str, Any], base: Path) -> Settings:
    """Typed ``Settings`` from rendered ``rospoll_*`` values; raises ``SettingError``.

    ``base`` is the inventory's folder, against which relative folders are resolved.
    """
    changes: dict[str, Any] = {}
    for var, value in values.items():
        setting = BY_VAR.get(var)
        if setting is None:
            raise SettingError(var, check_setting_name(var) or "not a rospoll setting")
        try:
            changes[setting.field] = setting.parse(value, base)
        except ValueError as exc:
            raise SettingError(var, str(exc)) from None
    settings = replace(default_settings(base), **changes)
    port = _SECURITY_PORTS[settings.mail_security]
    if settings.mail_server is not None:
        host, explicit = split_server(settings.mail_server)
        settings = replace(settings, mail_server=host, mail_port=explicit or port)
    else:
        settings = replace(settings, mail_port=port)
    if settings.debounce_max_s < settings.debounce_s:
        var = "rospoll_debounce_max" if "rospoll_debounce_max" in values else "rospoll_debounce"
        raise SettingError(
            var,
            f"rospoll_debounce_max ({settings.debounce_max_s:g}s) must not be shorter than "
            f"rospoll_debounce ({settings.debounce_s:g}s)",
        )
    return settings
