"""Store test helpers: the system git CLI (bounded, isolated from the user's config)."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

GIT_TIMEOUT_S = 30
REPO_ROOT = Path(__file__).resolve().parents[3]
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


def at(minutes: int) -> datetime:
    """A commit time ``minutes`` after T0 (UTC)."""
    return T0 + timedelta(minutes=minutes)


def git(repo: Path, *args: str, with_stderr: bool = False) -> str:
    """Run the system git in ``repo`` (stdout, plus stderr if asked); skips without git."""
    exe = shutil.which("git")
    if exe is None:
        pytest.skip("system git not installed")
    env = {
        **os.environ,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",
        "LC_ALL": "C",
    }
    proc = subprocess.run(
        [exe, "-C", str(repo), *args],
        capture_output=True,
        timeout=GIT_TIMEOUT_S,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, (
        f"git {' '.join(args)} failed: {proc.stderr.decode(errors='replace')}"
    )
    out = proc.stdout + (proc.stderr if with_stderr else b"")
    return out.decode("utf-8", "replace")


def assert_repo_healthy(repo: Path) -> None:
    """``git fsck --strict`` reports nothing and ``git status --porcelain`` is empty."""
    fsck = git(repo, "fsck", "--strict", "--no-progress", "--no-dangling", with_stderr=True)
    assert fsck.strip() == "", fsck
    status = git(repo, "status", "--porcelain", "--untracked-files=all")
    assert status == "", f"git status not clean:\n{status}"
