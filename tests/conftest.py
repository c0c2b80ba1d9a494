"""Shared test helpers: deadline waits, the real-export corpus, hypothesis profiles."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "fuzz", max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"


def wait_until(
    pred: Callable[[], object], *, timeout_s: float = 5.0, what: str = "condition"
) -> None:
    """Poll ``pred`` until it is true; fail naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout_s}s waiting for {what}")
        time.sleep(0.01)  # poll interval only; the deadline decides


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """``../shared/corpus`` beside the checkout; tests using it skip where it is absent."""
    if not CORPUS.is_dir():
        pytest.skip(f"real-export corpus not found at {CORPUS}")
    return CORPUS
