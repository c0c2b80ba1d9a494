"""3 · Config model: normalise, validate, parse and diff exports. Pure: no I/O.

>>> old, new = parse_export(old_text), parse_export(new_text)
>>> changes = diff_exports(old, new)
>>> bool(changes), changes.counts(), changes.sentences()
"""

from rospoll.config.changes import ArgChange, ChangeSet, ItemChange, SectionChange
from rospoll.config.diff import diff_exports
from rospoll.config.item import Item
from rospoll.config.keys import NATURAL_KEYS, ORDERED_SECTIONS
from rospoll.config.meta import ExportMeta
from rospoll.config.model import Export, Section
from rospoll.config.normalise import TRANSIENT_COMMENTS, Normalised, normalise_export
from rospoll.config.parse import parse_export, split_line
from rospoll.config.render import render_export, render_html, unified_diff
from rospoll.config.secrets import SENSITIVE_ARGS, is_sensitive
from rospoll.config.syntax import decode_value, parse_command, unquote
from rospoll.config.validate import CLI_ERRORS, check_shrink, validate_export

__all__ = [
    "CLI_ERRORS",
    "NATURAL_KEYS",
    "ORDERED_SECTIONS",
    "SENSITIVE_ARGS",
    "TRANSIENT_COMMENTS",
    "ArgChange",
    "ChangeSet",
    "Export",
    "ExportMeta",
    "Item",
    "ItemChange",
    "Normalised",
    "Section",
    "SectionChange",
    "check_shrink",
    "decode_value",
    "diff_exports",
    "is_sensitive",
    "normalise_export",
    "parse_command",
    "parse_export",
    "render_export",
    "render_html",
    "split_line",
    "unified_diff",
    "unquote",
    "validate_export",
]
