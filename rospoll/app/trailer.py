"""Commit messages of change commits, and the journal entry each one carries as a trailer.

The last paragraph of a change commit is ``Rospoll-Entry: {...}``: the journal entry (JSON,
``commit`` null) and the exact commands. Crash recovery reads it back to finish a change a
killed run left unjournaled.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from rospoll.attribution.attribute import Attribution
from rospoll.store import JournalEntry

log = logging.getLogger(__name__)

BASELINE_MESSAGE = "baseline: first version seen by rospoll"
ENTRY_TRAILER = "Rospoll-Entry: "


def commit_message(credit: Attribution, sentences: Sequence[str], entry: JournalEntry) -> str:
    """Who changed which sections, how, the commands and sentences, then the trailer."""
    who = credit.user if credit.source != "poll" else "UNKNOWN (not logged, not in history)"
    parts = (credit.via and f"via {credit.via}", credit.address and f"from {credit.address}")
    how = " ".join(part for part in parts if part)
    head = f"{', '.join(credit.sections)}: changed by {who}"
    lines = [head[:200], ""]
    if how:
        lines.append(f"{how}{' (inferred)' if credit.inferred else ''}")
    lines += [f"command: {command}" for command in credit.commands]
    lines += [f"- {text}" for text in sentences]
    return "\n".join(lines) + "\n" + _trailer(entry, credit.commands)


def _trailer(entry: JournalEntry, commands: Sequence[str]) -> str:
    data = json.loads(entry.to_json())
    data["commands"] = list(commands)
    return f"\n{ENTRY_TRAILER}{json.dumps(data, ensure_ascii=True, separators=(',', ':'))}\n"


def parse_trailer(message: str) -> tuple[JournalEntry, tuple[str, ...]] | None:
    """The entry and commands of a change commit's trailer; None for other commits."""
    for line in reversed(message.splitlines()):
        if line.startswith(ENTRY_TRAILER):
            raw = line[len(ENTRY_TRAILER) :]
            try:
                entry = JournalEntry.from_json(raw)
                commands = json.loads(raw).get("commands") or []
            except (ValueError, TypeError, AttributeError) as exc:
                log.warning("unreadable %s trailer: %s", ENTRY_TRAILER.strip(), exc)
                return None
            return entry, tuple(str(command) for command in commands)
    return None
