"""``rospoll diff OLD NEW``: compare two export files like diff(1).

Exit 0 when the configurations are equal, 1 when they differ, 2 on trouble (a file
cannot be read or is not a valid export; one line on stderr names the file and reason).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported when run: only the command that runs pays for its imports
    from rospoll.config import ChangeSet, Export

EXIT_EQUAL, EXIT_DIFFERENT, EXIT_TROUBLE = 0, 1, 2


def add_parser(subparsers: Any) -> None:
    """Register the ``diff`` sub-command."""
    parser = subparsers.add_parser(
        "diff",
        help="compare two export files (exit 0 equal, 1 different, 2 trouble)",
        description=__doc__,
    )
    parser.add_argument("old", type=Path, help="older export (.rsc)")
    parser.add_argument("new", type=Path, help="newer export (.rsc)")
    parser.add_argument(
        "--format", choices=("text", "json", "html"), default="text", help="output format"
    )
    parser.add_argument(
        "--show-secrets", action="store_true", help="print passwords and keys instead of ******"
    )
    parser.set_defaults(run=run)


class _Trouble(Exception):
    """A file could not be read or parsed; the message is the one stderr line."""


def _load(path: Path, like: Export | None = None) -> tuple[str, Export]:
    """The normalised text of the export at ``path`` (what the unified diff compares) and
    the parsed export (parsed ``like`` the other one: see ``parse_normalised``)."""
    from rospoll.config import validate_export
    from rospoll.config.parse import parse_normalised
    from rospoll.errors import ExportInvalidError

    try:
        text = path.read_bytes().decode("utf-8", "surrogateescape")
    except OSError as exc:
        raise _Trouble(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        normalised = validate_export(text)
        return normalised.text(), parse_normalised(normalised, like=like)
    except ExportInvalidError as exc:
        raise _Trouble(f"{path}: {exc}") from exc


def _text(changes: ChangeSet, old: str, new: str, args: argparse.Namespace) -> str:
    from rospoll.config import unified_diff

    lines = changes.sentences(show_secrets=args.show_secrets)
    diff = unified_diff(
        old, new, show_secrets=args.show_secrets, old_name=str(args.old), new_name=str(args.new)
    )
    return "\n".join(lines) + ("\n\n" + diff if diff else "\n")


def _write(output: str) -> None:
    """Write to stdout as UTF-8; bytes that were not UTF-8 in the export go out unchanged."""
    try:
        data = output.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        data = output.encode("utf-8", "replace")
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def run(args: argparse.Namespace) -> int:
    """Compare ``args.old`` with ``args.new`` and print the changes; returns the exit code."""
    from rospoll.config import diff_exports, render_html

    try:
        old_text, old = _load(args.old)
        new_text, new = _load(args.new, like=old)
    except _Trouble as exc:
        print(f"rospoll diff: {exc}", file=sys.stderr)
        return EXIT_TROUBLE
    changes = diff_exports(old, new)
    if args.format == "json":
        output = json.dumps(changes.to_dict(show_secrets=args.show_secrets), indent=2) + "\n"
    elif args.format == "html":
        output = render_html(changes, show_secrets=args.show_secrets,
                             title=f"{args.old.name} -> {args.new.name}")  # fmt: skip
    else:
        output = _text(changes, old_text, new_text, args) if changes else ""
    _write(output)
    return EXIT_DIFFERENT if changes else EXIT_EQUAL
