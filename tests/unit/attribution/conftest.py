"""Fixtures for the attribution tests: the hand-written log and history samples."""

from __future__ import annotations

from pathlib import Path

import pytest

LOGS = Path(__file__).resolve().parents[2] / "data" / "logs"


@pytest.fixture(scope="session")
def logs_dir() -> Path:
    """``tests/data/logs``: log lines, raw follow streams and history outputs."""
    return LOGS
