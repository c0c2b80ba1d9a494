"""Does a router log its configuration changes where the follower can read them?

Changes are logged under ``system,info`` and the follower reads the memory log, which the
default rule ``/system logging`` ``0`` (``topics=info action=memory``) feeds. Compact
exports print that rule only when it was changed, so its absence means it is on.

>>> logs_changes_to_memory(["/system logging", "set 0 disabled=yes"])
False
"""

from __future__ import annotations

from collections.abc import Iterable

from rospoll.config import parse_command, split_line

SECTION = "/system logging"


def _feeds_memory(args: dict[str, str]) -> bool:
    topics = args.get("topics", "info").split(",")
    return (
        args.get("disabled", "no") != "yes"
        and args.get("action", "memory") == "memory"
        and ("info" in topics or "system" in topics)
        and "!info" not in topics
        and "!system" not in topics
    )


def logs_changes_to_memory(lines: Iterable[str]) -> bool:
    """True when some enabled ``/system logging`` rule sends ``info`` to ``memory``.

    ``lines`` are the logical lines of a normalised export (standard or terse).
    """
    section = ""
    default_rule: dict[str, str] = {}  # rule 0 as printed; {} = the untouched default
    added: list[dict[str, str]] = []
    for line in lines:
        text = line
        if line.startswith("/"):
            path, text = split_line(line)
            section = path or section
            if not text:
                continue
        if section != SECTION or line.startswith("#"):
            continue
        command, selector, args = parse_command(text)
        if command == "set" and selector == "0":
            default_rule = {**default_rule, **args}
        elif command == "add":
            added.append(args)
    return any(_feeds_memory(rule) for rule in (default_rule, *added))
