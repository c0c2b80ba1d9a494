"""CLI commands: each module has ``add_parser(subparsers)`` and ``run(args) -> int``.

``rospoll.cli`` registers the modules listed in ``COMMANDS`` in that order.
"""

COMMANDS = ["check", "poll_once", "watch", "status", "hostkey", "diff", "lab"]
