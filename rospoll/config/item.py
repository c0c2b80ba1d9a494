"""One identified command of a section: what keys build and every later stage reads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple


class Item(NamedTuple):
    """One command of a section (a NamedTuple: 200k of these are built per big diff).

    ``key`` identifies the item across versions (see ``rospoll.config.keys``); keys that
    start with ``@`` are content hashes of items without a natural key. ``selector`` is
    ``[ find … ]``, a name, a number or ``*id`` as printed, or None.
    """

    section: str
    key: str
    command: str
    selector: str | None
    args: Mapping[str, str]
    position: int

    @property
    def is_keyed(self) -> bool:
        """True when the item has a natural identity (not just its content)."""
        return not self.key.startswith("@")
