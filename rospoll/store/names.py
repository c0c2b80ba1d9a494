"""Safe names: user and device names turned into plain file names and e-mail local parts.

``safe_name`` keeps a name that is already safe and unambiguous as it is (``alice``,
``core-rtr1.example.net``). Anything else gets a readable prefix plus ``~`` and a short hash
of the original text, so the mapping stays one-to-one:

>>> safe_name("alice")
'alice'
>>> safe_name("../../etc/x")
'_._etc_x~56da1a2ef2'

Kept unchanged only when the text is 1..max_len characters of ``a-z 0-9 . _ -``, does not
start or end with a dot, has no ``..`` and is not a Windows device name (``con``, ``nul``,
``com1``..., also before a dot: ``con.txt``). Upper case letters force the hash too, so two
names that differ only in case never share a file on case-insensitive file systems
(Windows, macOS). ``~`` never occurs in an unchanged name, so a hashed name can never equal
an unchanged one.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

HASH_SEPARATOR = "~"
_HASH_HEX = 10  # 40 bits: collisions are not a practical concern for user and device names
_MIN_LEN = 16
_NOT_IN_IDENT = frozenset({"Cc", "Cs", "Zl", "Zp"})  # controls, lone surrogates, line breaks
_KEEP = re.compile(r"[a-z0-9._-]+")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_DOTS = re.compile(r"\.{2,}")
_WINDOWS_DEVICES = frozenset(
    {"con", "prn", "aux", "nul", "conin$", "conout$", "clock$"}
    | {f"com{d}" for d in "0123456789¹²³"}
    | {f"lpt{d}" for d in "0123456789¹²³"}
)


def safe_name(text: str, *, max_len: int = 64) -> str:
    """A plain file name (no folder, no extension) standing for ``text``; injective.

    Raises ``ValueError`` when ``max_len`` is below 16 (no room for the hash).
    """
    if max_len < _MIN_LEN:
        raise ValueError(f"max_len must be at least {_MIN_LEN}, got {max_len}")
    if _is_kept(text, max_len):
        return text
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:_HASH_HEX]
    limit = max_len - len(HASH_SEPARATOR) - _HASH_HEX
    prefix = _DOTS.sub(".", _UNSAFE.sub("_", text)).lstrip(".")[:limit].rstrip(".")
    if _is_device_name(prefix):
        prefix = ("_" + prefix)[:limit].rstrip(".")
    return f"{prefix or '_'}{HASH_SEPARATOR}{digest}"


def _is_kept(text: str, max_len: int) -> bool:
    return (
        0 < len(text) <= max_len
        and _KEEP.fullmatch(text) is not None
        and not text.startswith(".")
        and not text.endswith(".")
        and ".." not in text
        and not _is_device_name(text)
    )


def _is_device_name(name: str) -> bool:
    """True when Windows would treat ``name`` (or ``name.ext``) as a device."""
    return name.split(".", 1)[0].rstrip(" ").lower() in _WINDOWS_DEVICES


def ident_name(text: str, *, max_len: int = 128) -> str:
    """``text`` fit for the name part of a git ``Name <email>`` line.

    Control characters, ``<`` and ``>`` (which would end the name or the header) become ``_``;
    the result is stripped and bounded. A name left empty becomes ``safe_name(text)``.
    """
    cleaned = "".join(
        "_" if ch in "<>" or unicodedata.category(ch) in _NOT_IN_IDENT else ch for ch in text
    )
    cleaned = cleaned.strip()[:max_len].strip()
    return cleaned or safe_name(text)
