"""Which arguments hold secrets, and how their values are kept out of reports."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from fnmatch import translate

MASK = "******"

# fnmatch patterns of argument names whose values are secret (v7 hides these by default).
SENSITIVE_ARGS: tuple[str, ...] = (
    "password", "*-password", "*.password",
    "secret", "*-secret", "secrets", "*.secret",
    "private-key", "*-private-key", "preshared-key", "pre-shared-key", "*-pre-shared-key",
    "*.pre-shared-key", "passphrase", "*-passphrase", "*.passphrase",
    "psk", "*-psk", "static-key-*", "authentication-key", "auth-key", "*-auth-key",
    "tcp-md5-key", "encryption-key", "*-encryption-key", "key", "token", "*-token",
)  # fmt: skip


# All the patterns as one regex, compiled once (``fnmatchcase`` semantics: ``*`` is any
# run of characters, case matters).
_SENSITIVE = re.compile("|".join(f"(?:{translate(pattern)})" for pattern in SENSITIVE_ARGS))


def is_sensitive(name: str) -> bool:
    """True when argument ``name`` holds a secret (``password``, ``wpa2-pre-shared-key`` …)."""
    return _SENSITIVE.match(name) is not None


def sensitive_keys(args: Mapping[str, str] | None) -> frozenset[str]:
    """The keys of ``args`` whose values must be masked."""
    if not args:
        return frozenset()
    return frozenset(key for key in args if is_sensitive(key))


def _pattern(names: Iterable[str]) -> re.Pattern[str]:
    alternatives = "|".join(
        re.escape(p).replace(r"\*", r"[\w.-]*") for p in sorted(names, key=len, reverse=True)
    )
    return re.compile(rf'(?<![\w.!-])((?:{alternatives}))=("(?:[^"\\]|\\[\s\S])*"|\S*)')


_IN_TEXT = _pattern(SENSITIVE_ARGS)


def mask_line(line: str) -> str:
    """Replace the values of sensitive ``key=value`` tokens in an export line."""
    if "=" not in line:
        return line
    return _IN_TEXT.sub(lambda m: f"{m.group(1)}={MASK}", line)
