"""Fixtures for inventory tests: write an inventory text to a temporary file."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "data" / "inventory"


@pytest.fixture
def write_inventory(tmp_path: Path) -> Callable[[str], Path]:
    """Write dedented YAML to ``tmp_path/inventory.yml`` and return its path."""

    def write(text: str) -> Path:
        path = tmp_path / "inventory.yml"
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write
