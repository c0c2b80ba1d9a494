"""ChangeReport: the plain record the notify stage renders, mails and publishes.

The app fills one in per attributed change from the config model, the store and the attribution;
notify imports none of them. Every text field may come from a hostile router: rendering escapes
and cleans it, this record only checks its shape.

    report = ChangeReport(
        id="20240501T123456Z-core-rtr1-1", time=datetime(2024, 5, 1, 12, 34, 56, tzinfo=UTC),
        router="core-rtr1", host="192.0.2.1", identity="core", version="7.16",
        user="alice", via="ssh", address="198.51.100.7", source="log", inferred=False,
        sections=("/ip firewall filter",),
        sentences=(("/ip firewall filter", ("rule 'drop ssh' added",)),),
        diff="--- a\\n+++ b\\n+/ip firewall filter add chain=input ...\\n", commands=(),
        revert="/ip firewall filter remove [find comment=\\"drop ssh\\"]", commit="3f2a9c1",
        counts={"added": 1}, recipients=("noc@example.net",))
    ChangeReport.from_dict(report.to_dict()) == report
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

SOURCES = ("log", "history", "poll")
"""Where the attribution came from: a log line, ``/system history``, or a poll (nobody logged)."""

FORMAT = 1
"""Version of the JSON form written by ``to_dict``."""

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


@dataclass(frozen=True)
class ChangeReport:
    """One attributed change, ready to render. Texts are already masked upstream.

    ``holds_secrets`` says they are not: ``diff`` and ``revert`` were rendered with the
    device's ``show_secrets_in_reports``, so the pages keep it private (0600) and the mail
    does not claim to mask secrets.
    """

    id: str  # file-name safe: [A-Za-z0-9][A-Za-z0-9._-]{0,127}; names reports/changes/<id>.*
    time: datetime  # aware; normalised to UTC
    router: str  # inventory name of the device
    host: str
    identity: str  # /system identity as the router reports it
    version: str  # RouterOS version
    user: str
    via: str  # ssh, winbox, api, web, ...
    address: str
    source: str  # one of SOURCES
    inferred: bool  # attribution guessed (e.g. matched by time), not read from a log line
    sections: tuple[str, ...]
    sentences: tuple[tuple[str, tuple[str, ...]], ...]  # (section path, sentences) in order
    diff: str  # unified diff, masked unless holds_secrets
    commands: tuple[str, ...] = ()  # v7 command texts from the log
    revert: str = ""  # RouterOS snippet undoing the change, masked unless holds_secrets
    commit: str = ""  # backup commit id
    counts: Mapping[str, int] = field(default_factory=dict)  # added/removed/changed/moved
    recipients: tuple[str, ...] = ()
    warning: str = ""  # set on a warning about the router (not a change), e.g. no logging
    holds_secrets: bool = False  # diff/revert show secret values (show_secrets_in_reports)

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not _ID.fullmatch(self.id):
            raise ValueError(f"report id must match {_ID.pattern}: {self.id!r:.80}")
        if not isinstance(self.time, datetime) or self.time.utcoffset() is None:
            raise ValueError("report time must be a timezone-aware datetime")
        if self.source not in SOURCES:
            raise ValueError(f"report source must be one of {SOURCES}: {self.source!r:.40}")
        set_ = object.__setattr__  # normalise containers so equality survives a JSON round trip
        set_(self, "time", self.time.astimezone(timezone.utc))
        set_(self, "sections", tuple(str(s) for s in self.sections))
        sentences = tuple((str(p), tuple(str(x) for x in s)) for p, s in self.sentences)
        set_(self, "sentences", sentences)
        set_(self, "commands", tuple(str(c) for c in self.commands))
        set_(self, "counts", {str(k): int(v) for k, v in dict(self.counts).items()})
        set_(self, "recipients", tuple(str(r) for r in self.recipients))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; ``from_dict`` reads it back to an equal report."""
        return {
            "format": FORMAT,
            "id": self.id,
            "time": self.time.isoformat(),
            "router": self.router,
            "host": self.host,
            "identity": self.identity,
            "version": self.version,
            "user": self.user,
            "via": self.via,
            "address": self.address,
            "source": self.source,
            "inferred": self.inferred,
            "sections": list(self.sections),
            "sentences": [[path, list(lines)] for path, lines in self.sentences],
            "diff": self.diff,
            "commands": list(self.commands),
            "revert": self.revert,
            "commit": self.commit,
            "counts": dict(self.counts),
            "recipients": list(self.recipients),
            "warning": self.warning,
            "holds_secrets": self.holds_secrets,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ChangeReport:
        """Build a report from ``to_dict`` output; unknown keys are ignored.

        Raises ``ValueError`` when a required key is missing or a value has the wrong shape.
        """
        try:
            time = datetime.fromisoformat(str(data["time"]).replace("Z", "+00:00"))
            return cls(
                id=str(data["id"]),
                time=time,
                router=str(data["router"]),
                host=str(data.get("host", "")),
                identity=str(data.get("identity", "")),
                version=str(data.get("version", "")),
                user=str(data["user"]),
                via=str(data.get("via", "")),
                address=str(data.get("address", "")),
                source=str(data["source"]),
                inferred=bool(data.get("inferred", False)),
                sections=tuple(data.get("sections", ())),
                sentences=tuple((p, tuple(s)) for p, s in data.get("sentences", ())),
                diff=str(data.get("diff", "")),
                commands=tuple(data.get("commands", ())),
                revert=str(data.get("revert", "")),
                commit=str(data.get("commit", "")),
                counts=dict(data.get("counts", {})),
                recipients=tuple(data.get("recipients", ())),
                warning=str(data.get("warning", "")),
                holds_secrets=bool(data.get("holds_secrets", False)),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a change report: {exc!r}") from exc

    def to_json(self) -> str:
        """``to_dict`` as ASCII JSON text (so even lone surrogates from a router survive)."""
        return json.dumps(self.to_dict(), ensure_ascii=True, indent=1)

    @classmethod
    def from_json(cls, text: str | bytes) -> ChangeReport:
        """Inverse of ``to_json``; raises ``ValueError`` on bad JSON or a bad report."""
        return cls.from_dict(json.loads(text))
