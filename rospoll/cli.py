"""``rospoll [-i INVENTORY] COMMAND``: argument parsing, exit codes, one-line errors."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from rospoll import __version__
from rospoll.commands import COMMANDS
from rospoll.errors import InventoryError, RospollError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with one sub-command per module in ``rospoll.commands``."""
    parser = argparse.ArgumentParser(
        prog="rospoll",
        description="Who changed what on your MikroTik RouterOS routers.",
    )
    parser.add_argument(
        "-i",
        "--inventory",
        type=Path,
        default=Path("inventory.yml"),
        help="Ansible-style YAML inventory (default: ./inventory.yml)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="say more")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    parser.add_argument("--version", action="version", version=f"rospoll {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        module = importlib.import_module(f"rospoll.commands.{name}")
        module.add_parser(subparsers)
    for sub in subparsers.choices.values():  # -v and --debug also after the command name
        sub.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS)
        sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.debug:  # their INFO lines (every SSH login) would drown ours
        for noisy in ("paramiko", "netmiko", "asyncssh"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        code: int = args.run(args)
    except InventoryError as exc:
        print(f"rospoll: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except RospollError as exc:
        if args.debug:
            raise
        print(f"rospoll: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    return code
