"""4 · Attribution: who made which change. Pure: no I/O."""

from rospoll.attribution.history import HistoryEntry, parse_history
from rospoll.attribution.logline import (
    ChangeEvent,
    LogEvent,
    LoginEvent,
    RebootEvent,
    parse_log_line,
)
from rospoll.attribution.objects import (
    CommandRef,
    parse_command,
    section_matches,
    sections_for_object,
)
from rospoll.attribution.stream import LineAssembler

__all__ = [
    "ChangeEvent",
    "CommandRef",
    "HistoryEntry",
    "LineAssembler",
    "LogEvent",
    "LoginEvent",
    "RebootEvent",
    "parse_command",
    "parse_history",
    "parse_log_line",
    "section_matches",
    "sections_for_object",
]
