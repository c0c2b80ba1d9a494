"""Screenshots of a change mail and of reports/index.html at phone width, in headless Chromium.

    ROSPOLL_UPDATE_SCREENSHOTS=1 .venv/bin/python -m pytest tests/notify/test_screenshots.py
    .venv/bin/python -m tests.notify.test_screenshots        # same: writes docs/screenshots/

Without the flag the PNGs go to a temporary folder, so a test run leaves the checkout clean.
Skips where Chromium is missing (install: apt-get install -y chromium).
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest

from rospoll.notify import ReportSite, render_email
from tests.conftest import REPO
from tests.unit.notify.reports import HOSTILE_USER, make_report

CHROMIUM = os.environ.get("ROSPOLL_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
DOCS = REPO / "docs" / "screenshots"
WIDTH, HEIGHT = 420, 1400


def screenshot(url: str, png: Path) -> None:
    """Render ``url`` in headless Chromium at phone width into ``png``."""
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--hide-scrollbars", f"--user-data-dir={profile}",
             f"--window-size={WIDTH},{HEIGHT}", f"--screenshot={png}", url],
            check=True, capture_output=True, timeout=60,
        )


def make_screenshots(out: Path, work: Path) -> tuple[Path, Path]:
    """Write ``email.png`` and ``index.png`` into ``out``; sample files go to ``work``."""
    out.mkdir(parents=True, exist_ok=True)
    _, _, html = render_email(make_report(inferred=False))
    mail = work / "mail.html"
    mail.write_text(html, encoding="utf-8")

    site = ReportSite(work / "reports")
    people = ["alice", "bob", HOSTILE_USER, "carol", "alice", "noc-bot", "bob", "alice"]
    routers = ["core-rtr1", "edge-2", "core-rtr1", "branch-7", "core-rtr1", "edge-2",
               "branch-7", "edge-2"]
    for n, (user, router) in enumerate(zip(people, routers, strict=True)):
        site.publish(make_report(
            n, user=user, router=router, time=make_report().time + timedelta(minutes=7 * n),
            source="poll" if n == 3 else "log", inferred=n == 5,
            sections=(("/ip firewall filter",), ("/interface bridge port", "/interface vlan"),
                      ("/system script",), ("/ip address",))[n % 4],
        ))
    email_png, index_png = out / "email.png", out / "index.png"
    screenshot(mail.as_uri(), email_png)
    screenshot((work / "reports" / "index.html").as_uri(), index_png)
    return email_png, index_png


def _png_size(png: Path) -> tuple[int, int]:
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{png} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_screenshots_of_mail_and_index_at_phone_width(tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}; install it: apt-get install -y chromium")
    update = os.environ.get("ROSPOLL_UPDATE_SCREENSHOTS") == "1"
    out = DOCS if update else tmp_path / "screenshots"
    for png in make_screenshots(out, tmp_path):
        assert _png_size(png) == (WIDTH, HEIGHT)
        assert png.stat().st_size > 10_000, f"{png} looks blank"


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as work:
        for written in make_screenshots(DOCS, Path(work)):
            sys.stdout.write(f"wrote {written}\n")
