"""Rendering change reports to mail text and HTML. Pure: no sockets, files written or clocks.

    subject, text, html = render_email(report)          # one change
    subject, text, html = render_email([r1, r2, r3])    # a digest

Templates live in ``templates/`` and are loaded with the package; HTML templates are
autoescaped (every template except ``*.txt.j2``), and every router-supplied string is cleaned of
escape sequences and control characters and bounded in length first (see ``clean``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import jinja2

from rospoll.errors import NotifyError
from rospoll.notify.clean import clean_block, clean_line, header_text, shorten
from rospoll.notify.report import ChangeReport

SUBJECT_PREFIX = "[rospoll]"
UNKNOWN = "UNKNOWN"
LINE_LIMIT = 200  # characters of one router-supplied name shown in a body
SUBJECT_LIMIT = 200  # characters of a whole subject
MAX_SENTENCES = 500  # per change, across sections; the diff still shows everything
MAX_COMMANDS = 100

SOURCE_LABELS = {
    "log": "logged by the router",
    "history": "from /system history",
    "poll": "not logged: found by a poll",
}
COUNT_ORDER = ("added", "removed", "changed", "moved")


class RenderedEmail(NamedTuple):
    """What ``render_email`` returns: a header-safe subject and the two body alternatives."""

    subject: str
    text: str
    html: str


ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("rospoll.notify", "templates"),
    autoescape=jinja2.select_autoescape(
        enabled_extensions=("html.j2",), disabled_extensions=("txt.j2",), default=True
    ),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def render_email(changes: ChangeReport | Sequence[ChangeReport]) -> RenderedEmail:
    """Subject, text and HTML of the mail for one change, or a digest for several.

    A digest lists its changes oldest first. Raises ``NotifyError`` for an empty list or a
    template failure.
    """
    reports = [changes] if isinstance(changes, ChangeReport) else list(changes)
    if not reports:
        raise NotifyError("nothing to render: no change reports")
    reports.sort(key=lambda r: (r.time, r.id))
    views = [change_view(r) for r in reports]
    subject = subject_for(reports)
    context = {
        "subject": subject,
        "changes": views,
        "is_digest": len(views) > 1,
        "holds_secrets": any(r.holds_secrets for r in reports),
    }
    return RenderedEmail(
        subject,
        render_template("email.txt.j2", context),
        render_template("email.html.j2", context),
    )


def render_template(name: str, context: Mapping[str, Any]) -> str:
    """Render one packaged template; raises ``NotifyError`` when it fails."""
    try:
        return ENV.get_template(name).render(**context)
    except jinja2.TemplateError as exc:
        raise NotifyError(f"cannot render {name}: {exc}") from exc


def user_label(report: ChangeReport) -> str:
    """The user as a reader should see it: ``UNKNOWN (not logged)`` when a poll found it."""
    if report.source == "poll" or not report.user.strip():
        return f"{UNKNOWN} (not logged)"
    return clean_line(report.user, LINE_LIMIT)


def subject_for(reports: Sequence[ChangeReport]) -> str:
    """``[rospoll] <router>: <user> changed <sections>``, or a digest summary; one bounded line."""
    if len(reports) == 1 and reports[0].warning:
        r = reports[0]
        return header_text(
            f"{SUBJECT_PREFIX} {header_text(r.router, 40)}: warning: {r.warning}", SUBJECT_LIMIT
        )
    if len(reports) == 1:
        r = reports[0]
        user = UNKNOWN if r.source == "poll" or not r.user.strip() else header_text(r.user, 40)
        return header_text(
            f"{SUBJECT_PREFIX} {header_text(r.router, 40)}: {user} changed "
            f"{_sections_phrase(r.sections)}",
            SUBJECT_LIMIT,
        )
    routers = _distinct(header_text(r.router, 30) for r in reports)
    users = _distinct(
        UNKNOWN if r.source == "poll" or not r.user.strip() else header_text(r.user, 30)
        for r in reports
    )
    return header_text(
        f"{SUBJECT_PREFIX} {len(reports)} changes on {_list_phrase(routers, 3)} "
        f"by {_list_phrase(users, 3)}",
        SUBJECT_LIMIT,
    )


def _sections_phrase(sections: Sequence[str]) -> str:
    names = _distinct(header_text(s, 40) for s in sections)
    return shorten(_list_phrase(names, 3), 100) if names else "the configuration"


def _list_phrase(items: Sequence[str], shown: int) -> str:
    if len(items) <= shown:
        return ", ".join(items)
    return f"{', '.join(items[:shown])} and {len(items) - shown} more"


def _distinct(items: Any) -> list[str]:
    return [x for x in dict.fromkeys(items) if x]


def change_view(report: ChangeReport) -> dict[str, Any]:
    """The cleaned, bounded values templates show for one change (no recipients in it)."""
    time_utc = report.time.strftime("%Y-%m-%d %H:%M:%S UTC")
    sentences = []
    budget = MAX_SENTENCES
    for path, lines in report.sentences:
        shown = [clean_line(x, 1000) for x in lines[: max(budget, 0)]]
        budget -= len(lines)
        sentences.append(
            {
                "section": clean_line(path, LINE_LIMIT),
                "lines": shown,
                "hidden": len(lines) - len(shown),
            }
        )
    diff = clean_block(report.diff).rstrip("\n")
    return {
        "id": report.id,
        "page": f"changes/{report.id}.html",
        "time_utc": time_utc,
        "time_iso": report.time.isoformat(),
        "router": clean_line(report.router, LINE_LIMIT),
        "host": clean_line(report.host, LINE_LIMIT),
        "identity": clean_line(report.identity, LINE_LIMIT),
        "version": clean_line(report.version, 60),
        "user": user_label(report),
        "is_unknown": report.source == "poll" or not report.user.strip(),
        "via": clean_line(report.via, 40),
        "address": clean_line(report.address, 100),
        "source": report.source,
        "source_label": SOURCE_LABELS[report.source],
        "inferred": report.inferred,
        "sections": [clean_line(s, LINE_LIMIT) for s in report.sections],
        "sentences": sentences,
        "diff": diff,
        "diff_lines": diff_lines(diff),
        "commands": [clean_block(c, 4000) for c in report.commands[:MAX_COMMANDS]],
        "commands_hidden": max(len(report.commands) - MAX_COMMANDS, 0),
        "revert": clean_block(report.revert, 100_000),
        "commit": clean_line(report.commit, 80),
        "counts": counts_phrase(report.counts),
        "warning": clean_line(report.warning, 1000),
        "holds_secrets": report.holds_secrets,
    }


def counts_phrase(counts: Mapping[str, int]) -> str:
    """``1 added, 2 changed`` in a fixed order, zero counts left out."""
    keys = [k for k in COUNT_ORDER if k in counts]
    keys += sorted(k for k in counts if k not in COUNT_ORDER)
    return ", ".join(f"{counts[k]} {clean_line(k, 20)}" for k in keys if counts[k])


def diff_lines(diff: str) -> list[tuple[str, str]]:
    """Each diff line with its kind: ``add``, ``del``, ``hunk``, ``file`` or ``same``.

    ``---``/``+++`` lines count as file headers only before a hunk starts, so a removed line
    that itself begins with ``--`` still shows as removed.
    """
    out = []
    in_hunk = False
    for line in diff.splitlines():
        if line.startswith("@@"):
            kind, in_hunk = "hunk", True
        elif line.startswith("diff "):
            kind, in_hunk = "file", False
        elif line.startswith(("--- ", "+++ ", "index ")) and not in_hunk:
            kind = "file"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "same"
        out.append((kind, line))
    return out
