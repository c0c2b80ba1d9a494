"""The static reports site: order, filters, escaping, file:// friendliness."""

from __future__ import annotations

import base64
import hashlib
import html
import re
from pathlib import Path

from rospoll.notify.site import ReportSite, router_slug
from tests.unit.notify.reports import HOSTILE_USER, make_report


def _publish_sample(root: Path) -> ReportSite:
    site = ReportSite(root)
    site.publish(make_report(0, user="alice"))
    site.publish(make_report(2, user=HOSTILE_USER, router="edge<b>1</b>",
                             sentences=(("/system", ("<script>alert(1)</script>",)),)))
    site.publish(make_report(1, user="bob", source="poll"))
    return site


def _rows(html: str) -> list[str]:
    return re.findall(r'href="changes/([^"]+)\.html"', html)


def test_index_lists_changes_newest_first_with_links_to_their_pages(tmp_path: Path) -> None:
    _publish_sample(tmp_path)
    index = (tmp_path / "index.html").read_text()
    ids = _rows(index)
    assert ids == [f"20240501T1234-core-rtr1-{n}" for n in (2, 1, 0)]
    for change_id in ids:
        page = (tmp_path / "changes" / f"{change_id}.html").read_text()
        assert 'href="../index.html"' in page
        assert (tmp_path / "changes" / f"{change_id}.json").exists()


def test_index_offers_router_and_user_filters(tmp_path: Path) -> None:
    _publish_sample(tmp_path)
    index = (tmp_path / "index.html").read_text()
    assert '<option value="core-rtr1">core-rtr1</option>' in index
    assert '<option value="edge&lt;b&gt;1&lt;/b&gt;">' in index
    assert '<option value="UNKNOWN (not logged)">' in index  # the poll change
    assert 'data-router="core-rtr1" data-user="alice"' in index
    assert 'href="routers/core-rtr1.html"' in index  # works without script too
    router_page = (tmp_path / "routers" / "core-rtr1.html").read_text()
    assert _rows(router_page.replace("../changes/", "changes/")) == [
        "20240501T1234-core-rtr1-1", "20240501T1234-core-rtr1-0",
    ]


def test_everything_from_a_router_is_escaped_everywhere(tmp_path: Path) -> None:
    _publish_sample(tmp_path)
    pages = list(tmp_path.rglob("*.html"))
    assert len(pages) == 1 + 3 + 2  # index, three changes, two routers
    for page in pages:
        text = page.read_text()
        assert "<img" not in text and "<script>alert" not in text and "<b>1</b>" not in text, page
        assert "noc@example.net" not in text  # recipients never appear
    edge = next(p for p in pages if "-2.html" in p.name).read_text()
    assert "&lt;img src=x onerror=alert(1)&gt;" in edge


def test_pages_work_from_file_urls(tmp_path: Path) -> None:
    _publish_sample(tmp_path)
    for page in tmp_path.rglob("*.html"):
        text = page.read_text()
        assert "fetch(" not in text and "XMLHttpRequest" not in text
        for link in re.findall(r'(?:href|src)="([^"]*)"', text):
            assert not link.startswith(("/", "http:", "https:", "file:")), (page, link)


def test_the_only_script_is_allowed_by_its_hash(tmp_path: Path) -> None:
    _publish_sample(tmp_path)
    index = (tmp_path / "index.html").read_text()
    scripts = re.findall(r"<script>(.*?)</script>", index, re.S)
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    csp = html.unescape(re.search(r'Content-Security-Policy" content="([^"]*)"', index)[1])
    assert f"script-src 'sha256-{digest}'" in csp
    page = (tmp_path / "changes" / "20240501T1234-core-rtr1-0.html").read_text()
    assert "<script" not in page and "default-src &#39;none&#39;" in page


def test_index_shows_the_latest_n_and_lost_summaries_come_back_from_json(tmp_path: Path) -> None:
    site = ReportSite(tmp_path, index_limit=5)
    for n in range(8):
        site.publish(make_report(n))
    index = (tmp_path / "index.html").read_text()
    assert _rows(index) == [f"20240501T1234-core-rtr1-{n}" for n in range(7, 2, -1)]
    assert "latest 5 of 8" in index

    (tmp_path / "changes" / ".summaries.json").unlink()
    (tmp_path / "changes" / "20240501T1234-core-rtr1-0.json").write_text("{damaged")
    ReportSite(tmp_path, index_limit=5).publish(make_report(8))
    index = (tmp_path / "index.html").read_text()
    assert _rows(index)[0] == "20240501T1234-core-rtr1-8"
    assert "latest 5 of 8" in index  # 1..8 from the stored JSON; the damaged one is skipped


def test_republishing_a_change_replaces_its_row(tmp_path: Path) -> None:
    site = ReportSite(tmp_path)
    site.publish(make_report(0, user="alice"))
    site.publish(make_report(0, user="alice2"))
    index = (tmp_path / "index.html").read_text()
    assert _rows(index) == ["20240501T1234-core-rtr1-0"] and "alice2" in index


def test_router_slugs_are_safe_and_distinct() -> None:
    assert router_slug("core-rtr1") == "core-rtr1"
    assert router_slug("../etc") != router_slug("etc")
    assert re.fullmatch(r"[A-Za-z0-9._-]+", router_slug("a/b\\c<d> é"))
