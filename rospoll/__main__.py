"""``python -m rospoll``."""

from rospoll.cli import main

raise SystemExit(main())
