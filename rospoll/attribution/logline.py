"""Parse one RouterOS log line into an event: a change, a login, a reboot, or nothing.

Accepted line shapes (time and topics optional, so syslog ``default`` payloads parse too)::

    [time] [topics] message
    sep/15 12:35:34 system,info mangle rule changed by admin                    (v6)
     2025-08-15 00:47:51 system,info filter rule added by ssh:u@10.1.1.2 (*22 = /ip ...)  (v7)
    device changed by winbox-3.42/tcp-msg(winbox):admin@192.168.100.50 (/interface set ...)

Time forms: ``12:52:24``, ``sep/15 12:34:26``, ``jan/02/1970 02:00:09``,
``2026-10-02 17:34:34``, ``10-02 17:34:34`` (a date of letters/digits joined by ``/`` or ``-``).

Decisions:

- When topics are present they must include ``system``; a ``script,info`` line reading
  "filter rule changed by admin" (anyone can ``:log info`` that) gives ``None``.
- A change without `` by `` (``dns changed`` after a DHCP update) is made by RouterOS itself: it
  gives a :class:`ChangeEvent` with ``user=""`` and ``via="system"``, so callers can skip it.
- The actor is read from the end: the command is the final balanced ``( ... )`` group
  (quotes respected), the verb is the last `` <verb> by `` before it. v6 has no command, so
  the user is the token after the last `` by `` (not the last token of the line).
- A logging-rule prefix (``prefix=core1`` gives ``core1: <message>``) is skipped when the
  message does not parse without it.
- User names are decoded like export values (:func:`rospoll.config.decode_value`): a name
  printed as ``\\D0\\90\\D0\\BD\\D1\\8F`` is ``Аня``, so it matches the history's and the
  export's spelling. Object words and the command are kept as printed (the command's
  arguments are decoded when it is parsed).
- ``via`` is normalised: ``tcp-msg(winbox)`` and ``winbox-3.42/tcp-msg(winbox)`` -> ``winbox``,
  ``ssh``, ``api``, ``rest-api``, ``scheduler``...; ``""`` for v6 changes. For
  ``scheduler:<name>`` the ``user`` is the scheduler entry's name.

>>> ev = parse_log_line("12:35:34 system,info mangle rule changed by admin")
>>> (ev.object, ev.verb, ev.user)
('mangle rule', 'changed', 'admin')

Never raises on any ``str``; unrecognised lines give ``None``.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import TypeAlias

from rospoll.attribution.object_table import SPECIAL_PHRASES
from rospoll.attribution.objects import parse_command, sections_for_object
from rospoll.config import decode_value

TIME_PATTERN = r"(?:[A-Za-z0-9]+(?:[/-][A-Za-z0-9]+){1,2} )?\d{1,2}:\d{2}:\d{2}(?:\.\d+)?"
"""Regex source for the ``/log print`` time column (all known forms)."""

ENTRY_START = re.compile(rf"\s*{TIME_PATTERN}\s")
"""Matches the start of a printed log entry (used to tell entries from continuations)."""

_HEAD_TIMED = re.compile(
    rf"\s*(?P<time>{TIME_PATTERN})\s+(?:(?P<topics>[a-z0-9_-]+(?:,[!a-z0-9_-]+)*)\s+)?(?P<msg>.*)",
    re.DOTALL,
)
_HEAD_UNTIMED = re.compile(
    r"\s*(?:(?P<topics>[a-z0-9_-]+(?:,[!a-z0-9_-]+)+)\s+)?(?P<msg>.*)", re.DOTALL
)
_VERB = r"(?P<verb>added|changed|removed|moved|enabled|disabled)"
_BY_TOKEN = re.compile(rf"(?P<object>.+) {_VERB} by (?P<actor>\S+)", re.DOTALL)
_BY_ANY = re.compile(rf"(?P<object>.+) {_VERB} by (?P<actor>.+)", re.DOTALL)
_BY_TRUNCATED = re.compile(
    rf"(?P<object>.+?) {_VERB} by (?P<actor>\S+) \((?P<partial>.*)", re.DOTALL
)
_NO_BY = re.compile(rf"(?P<object>.+) {_VERB}", re.DOTALL)
_SPECIAL = tuple(
    (re.compile(rf"{re.escape(phrase)} by (?P<actor>.+)", re.DOTALL), obj, verb)
    for phrase, obj, verb in SPECIAL_PHRASES
)
_EXTRA = r"(?: \S+=.*)?"  # with-extra-info CEF-like fields: app=ssh duser=... src=...
_LOGIN = re.compile(
    rf"user (?P<user>.+) logged (?P<dir>in|out)"
    rf"(?: from (?P<address>\S+))? via (?P<via>\S+){_EXTRA}",
    re.DOTALL,
)
_FAILURE = re.compile(
    rf"login failure for user (?P<user>.+?)(?: from (?P<address>\S+))? via (?P<via>\S+){_EXTRA}",
    re.DOTALL,
)
_FAILURE_FROM = re.compile(
    rf"login failure for user (?P<user>.+) from (?P<address>\S+) via (?P<via>\S+){_EXTRA}",
    re.DOTALL,
)
_RULE_PREFIX = re.compile(r"[\w.-]+: (?P<rest>.+)", re.DOTALL)
_REBOOT_CLEAN = re.compile(r"router rebooted(?: .*)?", re.DOTALL)
_REBOOT_UNCLEAN = re.compile(r"router was rebooted without proper shutdown.*", re.DOTALL)
_CHANNEL = re.compile(
    r"(?P<channel>[A-Za-z][\w.-]*(?:\([\w.-]*\))?(?:/[A-Za-z][\w.-]*(?:\([\w.-]*\))?)*)"
    r":(?P<who>.*)",
    re.DOTALL,
)
_ACTION_SUFFIX = re.compile(r"/action:\d+\Z")
_MAC = re.compile(r"[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}")
_VERSION_SUFFIX = re.compile(r"-\d[\w.]*\Z")
_PAREN_NAME = re.compile(r"\(([^()]*)\)\Z")


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    """A configuration change RouterOS logged (``<object> <verb> by <actor> [(command)]``).

    ``user`` is ``""`` and ``via`` is ``"system"`` for changes RouterOS made itself.
    ``address`` is the client address (``""`` if none), ``command`` the raw text inside the
    final parentheses (``""`` if none), ``actor`` the raw text after `` by ``.
    """

    time_text: str
    topics: str
    object: str
    verb: str
    user: str
    via: str
    address: str
    command: str
    raw: str
    actor: str = ""

    @property
    def sections(self) -> tuple[str, ...]:
        """Candidate section paths: from the command if any, else from the object words."""
        found: list[str] = []
        if self.command:
            for ref in parse_command(self.command):
                if ref.section and ref.section != "/" and ref.section not in found:
                    found.append(ref.section)
        return tuple(found) if found else sections_for_object(self.object)


@dataclass(frozen=True, slots=True)
class LoginEvent:
    """A login (``logged_in``), logout (neither flag) or login failure (``failed``)."""

    user: str
    address: str
    via: str
    logged_in: bool
    failed: bool
    time_text: str = ""
    topics: str = ""
    raw: str = ""


@dataclass(frozen=True, slots=True)
class RebootEvent:
    """``router rebooted`` (``clean``) or ``router was rebooted without proper shutdown``."""

    clean: bool
    time_text: str = ""
    topics: str = ""
    raw: str = ""


LogEvent: TypeAlias = ChangeEvent | LoginEvent | RebootEvent
_Context: TypeAlias = tuple[str, str, str]  # (time_text, topics, raw)


def parse_log_line(line: str) -> LogEvent | None:
    """The event one log line reports, or ``None`` if it reports none we track.

    See the module docstring for accepted shapes and decisions. Never raises.
    """
    text = line.replace("\x00", "").strip()
    head = _HEAD_TIMED.fullmatch(text) or _HEAD_UNTIMED.fullmatch(text)
    if head is None:  # pragma: no cover - both patterns end in .* under DOTALL
        return None
    time_text = head.group("time") if "time" in head.groupdict() else None
    topics = head.group("topics") or ""
    if topics and "system" not in topics.split(","):
        return None
    message = head.group("msg").strip()
    context = (time_text or "", topics, line.strip())
    event = _parse_message(message, context)
    prefixed = _RULE_PREFIX.fullmatch(message) if event is None else None
    if prefixed:
        event = _parse_message(prefixed["rest"], context)
    return event


def _parse_message(message: str, context: _Context) -> LogEvent | None:
    return (
        _parse_reboot(message, context)
        or _parse_login(message, context)
        or _parse_change(message, context)
    )


def _parse_reboot(message: str, context: _Context) -> RebootEvent | None:
    if _REBOOT_UNCLEAN.fullmatch(message):
        return RebootEvent(False, *context)
    if _REBOOT_CLEAN.fullmatch(message):
        return RebootEvent(True, *context)
    return None


def _parse_login(message: str, context: _Context) -> LoginEvent | None:
    match = _LOGIN.fullmatch(message)
    if match:
        return LoginEvent(
            decode_value(match.group("user")),
            match.group("address") or "",
            match.group("via"),
            match.group("dir") == "in",
            False,
            *context,
        )
    match = _FAILURE_FROM.fullmatch(message) or _FAILURE.fullmatch(message)
    if match:
        return LoginEvent(
            decode_value(match.group("user")),
            match.group("address") or "",
            match.group("via"),
            False,
            True,
            *context,
        )
    return None


def _parse_change(message: str, context: _Context) -> ChangeEvent | None:
    head, command = _split_command(message)
    for pattern, obj, verb in _SPECIAL:
        match = pattern.fullmatch(head)
        if match:
            return _change(obj, verb, match.group("actor"), command or "", context)
    if command is not None:
        match = _BY_ANY.fullmatch(head)
        if match:
            return _change(match["object"], match["verb"], match["actor"], command, context)
    else:
        match = _BY_TOKEN.fullmatch(message)
        if match:
            return _change(match["object"], match["verb"], match["actor"], "", context)
        match = _BY_TRUNCATED.fullmatch(message)
        if match:
            partial = match["partial"]
            return _change(match["object"], match["verb"], match["actor"], partial, context)
        match = _BY_ANY.fullmatch(message)
        if match:
            return _change(match["object"], match["verb"], match["actor"], "", context)
    match = _NO_BY.fullmatch(message)
    if match:
        time_text, topics, raw = context
        return ChangeEvent(
            time_text, topics, match["object"], match["verb"], "", "system", "", "", raw
        )
    return None


def _change(obj: str, verb: str, actor: str, command: str, context: _Context) -> ChangeEvent:
    time_text, topics, raw = context
    actor = actor.strip()
    user, via, address = split_actor(actor)
    return ChangeEvent(
        time_text, topics, obj.strip(), verb, user, via, address, command, raw, actor
    )


def split_actor(actor: str) -> tuple[str, str, str]:
    """``(user, via, address)`` from the text after `` by ``.

    ``ssh:alice@10.0.0.9`` -> ``("alice", "ssh", "10.0.0.9")``;
    ``tcp-msg(winbox):admin@10.0.0.9`` -> ``("admin", "winbox", "10.0.0.9")``;
    ``ssh:-2@172.31.88.5/action:0`` -> ``("-2", "ssh", "172.31.88.5")``;
    ``scheduler:add-nas-dns`` -> ``("add-nas-dns", "scheduler", "")``;
    ``admin`` (v6) -> ``("admin", "", "")``. The address split is at the last ``@`` and only
    when an IPv4/IPv6/MAC address follows. The user is decoded (``\\D0\\90`` is ``А``).
    """
    match = _CHANNEL.fullmatch(actor)
    if match is None:
        return decode_value(actor), "", ""
    who = match["who"]
    via = _normalise_channel(match["channel"])
    at = who.rfind("@")
    if at >= 0:
        address = _address_or_empty(who[at + 1 :])
        if address:
            return decode_value(who[:at]), via, address
    return decode_value(who), via, ""


def _normalise_channel(channel: str) -> str:
    last = channel.rsplit("/", 1)[-1]
    paren = _PAREN_NAME.search(last)
    if paren and paren.group(1):
        return paren.group(1).lower()
    return _VERSION_SUFFIX.sub("", last).lower()


def _address_or_empty(text: str) -> str:
    address = _ACTION_SUFFIX.sub("", text)
    if _MAC.fullmatch(address):
        return address
    try:
        ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return ""
    return address


def _split_command(message: str) -> tuple[str, str | None]:
    """``(head, command)`` when the message ends in a balanced `` (...)`` group, else
    ``(message, None)``. Scans backwards once; quotes (with ``\\`` escapes) hide brackets."""
    if not message.endswith(")"):
        return message, None
    depth = 0
    in_quote = False
    index = len(message) - 1
    while index >= 0:
        char = message[index]
        if char == '"' and not _is_escaped(message, index):
            in_quote = not in_quote
        elif not in_quote:
            if char == ")":
                depth += 1
            elif char == "(":
                depth -= 1
                if depth == 0:
                    break
        index -= 1
    if index <= 0 or depth != 0 or message[index - 1] != " ":
        return message, None
    return message[: index - 1].rstrip(), message[index + 1 : -1]


def _is_escaped(text: str, index: int) -> bool:
    count = 0
    index -= 1
    while index >= 0 and text[index] == "\\":
        count += 1
        index -= 1
    return count % 2 == 1
