"""The static reports site: works from file:// with no server and no fetch().

    site = ReportSite(Path("reports"))
    site.publish(report)      # changes/<id>.json + changes/<id>.html, index.html, routers/…

Layout under ``root``::

    index.html                 latest ``index_limit`` changes, newest first, router/user filter
    routers/<slug>.html        the same list for one router (plain links, no script needed)
    changes/<id>.json          the ChangeReport as stored (the lists are rebuilt from these)
    changes/<id>.html          one page per change
    changes/.summaries.json    what the lists show, so publishing stays cheap at 10,000 changes

Everything shown is cleaned and escaped (``render.change_view``); recipients and SMTP settings
never appear. Pages carry a Content-Security-Policy that only allows the index's own script,
by hash, so even a missed escape could not run injected script. Files are written atomically.

Modes: a static site may be served, so pages and lists are 0644 (``PAGE_MODE``), except a
change whose report ``holds_secrets`` (its device shows secrets in reports): its page and
JSON are 0600 (``SECRET_MODE``). The lists quote only who, where, when and which sections,
never a diff, revert or sentence, so they stay 0644. Folders are created 0700
(``rospoll.files``); an existing folder keeps the mode its owner gave it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from markupsafe import Markup

from rospoll.errors import StoreError
from rospoll.files import atomic_write
from rospoll.notify.render import change_view, render_template
from rospoll.notify.report import ChangeReport

log = logging.getLogger(__name__)

PAGE_MODE = 0o644
SECRET_MODE = 0o600  # page and JSON of a report that holds secrets

FILTER_SCRIPT = """
(function () {
  var r = document.getElementById("f-router"), u = document.getElementById("f-user");
  var rows = document.querySelectorAll("li[data-router]"), shown = document.getElementById("shown");
  function apply() {
    var n = 0;
    for (var i = 0; i < rows.length; i++) {
      var ok = (!r.value || rows[i].dataset.router === r.value) &&
               (!u.value || rows[i].dataset.user === u.value);
      rows[i].style.display = ok ? "" : "none";
      if (ok) { n++; }
    }
    shown.textContent = String(n);
    var h = new URLSearchParams();
    if (r.value) { h.set("router", r.value); }
    if (u.value) { h.set("user", u.value); }
    try { history.replaceState(null, "", h.toString() ? "#" + h.toString() : location.pathname); }
    catch (e) { /* some browsers refuse it on file:// */ }
  }
  var q = new URLSearchParams(location.hash.slice(1));
  if (q.get("router") !== null) { r.value = q.get("router"); }
  if (q.get("user") !== null) { u.value = q.get("user"); }
  r.addEventListener("change", apply); u.addEventListener("change", apply);
  document.getElementById("filters").style.display = "";
  apply();
})();
"""
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(FILTER_SCRIPT.encode()).digest()).decode()
CSP_INDEX = (
    f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    f"script-src 'sha256-{_SCRIPT_HASH}'"
)
CSP_PAGE = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def router_slug(router: str) -> str:
    """A file-name-safe, collision-free name for a router's page."""
    slug = _UNSAFE.sub("-", router).strip(".-")[:60] or "router"
    if slug == router:
        return slug
    return f"{slug}-{hashlib.sha256(router.encode('utf-8', 'replace')).hexdigest()[:8]}"


class ReportSite:
    """Writes and regenerates the static reports site under ``root``."""

    def __init__(self, root: Path, *, index_limit: int = 500) -> None:
        self.root = Path(root)
        self.changes = self.root / "changes"
        self.index_limit = index_limit
        self._lock = threading.Lock()

    def publish(self, report: ChangeReport) -> Path:
        """Store ``report``, write its page, and refresh the index and its router's page.

        Returns the change page. Raises ``StoreError`` when a file cannot be written.
        """
        with self._lock:
            try:
                atomic_write(
                    self.changes / f"{report.id}.json",
                    report.to_json().encode(),
                    mode=_mode(report),
                    parents=True,
                )
                page = self._write_change_page(report)
                summaries = [s for s in self._load_summaries() if s["id"] != report.id]
                summaries.append(summary(report))
                self._write_lists(summaries, routers={report.router})
            except OSError as exc:
                raise StoreError(f"cannot write reports under {self.root}: {exc}") from exc
        return page

    def stored_reports(self) -> Iterable[ChangeReport]:
        """Every readable ``changes/<id>.json``."""
        if not self.changes.is_dir():
            return
        for path in sorted(self.changes.glob("*.json")):
            if path.name.startswith("."):
                continue
            try:
                report = ChangeReport.from_json(path.read_bytes())
            except (OSError, ValueError) as exc:  # its row is missing from the lists only
                log.warning("skipping unreadable stored report %s: %s", path, exc)
                continue
            yield report

    # -- pages -------------------------------------------------------------------------------

    def _write_change_page(self, report: ChangeReport) -> Path:
        view = change_view(report)
        html = render_template("change.html.j2", {"c": view, "csp": CSP_PAGE})
        page = self.changes / f"{report.id}.html"
        atomic_write(page, html.encode(), mode=_mode(report), parents=True)
        return page

    def _write_lists(self, summaries: list[dict[str, Any]], routers: set[str] | None) -> None:
        summaries.sort(key=lambda s: (s["time"], s["id"]), reverse=True)
        atomic_write(
            self.changes / ".summaries.json",
            json.dumps(summaries, ensure_ascii=True).encode(),
            mode=PAGE_MODE,
            parents=True,
        )
        all_routers = sorted({s["router_name"] for s in summaries})
        links = [{"name": s, "page": f"routers/{router_slug(s)}.html"} for s in all_routers]
        self._write_list(
            self.root / "index.html",
            summaries,
            base="",
            title="rospoll changes",
            router_links=links,
            with_filter=True,
        )
        for name in all_routers if routers is None else sorted(routers):
            mine = [s for s in summaries if s["router_name"] == name]
            self._write_list(
                self.root / "routers" / f"{router_slug(name)}.html",
                mine,
                base="../",
                title=f"rospoll changes on {mine[0]['router']}",
                router_links=[],
                with_filter=False,
            )

    def _write_list(
        self,
        path: Path,
        summaries: list[dict[str, Any]],
        *,
        base: str,
        title: str,
        router_links: list[dict[str, str]],
        with_filter: bool,
    ) -> None:
        shown = summaries[: self.index_limit]
        context = {
            "title": title,
            "base": base,
            "rows": shown,
            "total": len(summaries),
            "routers": sorted({s["router"] for s in shown}),
            "users": sorted({s["user"] for s in shown}),
            "router_links": router_links,
            "with_filter": with_filter,
            "script": Markup(FILTER_SCRIPT) if with_filter else "",  # noqa: S704 - our constant
            "csp": CSP_INDEX if with_filter else CSP_PAGE,
        }
        atomic_write(
            path, render_template("index.html.j2", context).encode(), mode=PAGE_MODE, parents=True
        )

    def _load_summaries(self) -> list[dict[str, Any]]:
        try:
            data = json.loads((self.changes / ".summaries.json").read_bytes())
        except (OSError, ValueError):
            return [summary(r) for r in self.stored_reports()]  # first run or damaged: rebuild
        return [s for s in data if isinstance(s, dict)] if isinstance(data, list) else []


def _mode(report: ChangeReport) -> int:
    return SECRET_MODE if report.holds_secrets else PAGE_MODE


def summary(report: ChangeReport) -> dict[str, Any]:
    """The cleaned values one list row shows (``router_name`` is the raw name, for grouping)."""
    view = change_view(report)
    return {
        "id": report.id,
        "time": view["time_iso"],
        "time_utc": view["time_utc"],
        "router_name": report.router,
        "router": view["router"],
        "user": view["user"],
        "is_unknown": view["is_unknown"],
        "inferred": view["inferred"],
        "source_label": view["source_label"],
        "sections": ", ".join(view["sections"][:3])
        + (f" and {len(view['sections']) - 3} more" if len(view["sections"]) > 3 else ""),
        "counts": view["counts"],
        "warning": view["warning"],
    }
