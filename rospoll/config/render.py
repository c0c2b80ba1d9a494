"""Text forms of the model: export text, revert snippet, unified diff, HTML.

Every output masks secret values unless the caller passes ``show_secrets=True``. The
sentences (``sentence``, ``render_sentences``) live with the changes they describe, in
``rospoll.config.changes``, and are re-exported here.
"""

from __future__ import annotations

import difflib
import html

from rospoll.config.changes import ChangeSet, ItemChange, render_sentences, sentence
from rospoll.config.item import Item
from rospoll.config.keys import find_expression, is_ordered
from rospoll.config.model import Export
from rospoll.config.secrets import MASK, mask_line, sensitive_keys
from rospoll.config.syntax import render_arguments

__all__ = [
    "render_command",
    "render_export",
    "render_html",
    "render_revert",
    "render_sentences",
    "sentence",
    "unified_diff",
]


def render_command(item: Item, *, show_secrets: bool = True) -> str:
    """The item as one command line (without its section path)."""
    mask = frozenset() if show_secrets else sensitive_keys(item.args)
    parts = [item.command]
    if item.selector:
        parts.append(item.selector)
    if item.args:
        parts.append(render_arguments(item.args, mask))
    return " ".join(parts)


def render_export(export: Export, *, show_secrets: bool = True) -> str:
    """Standard-format export text that ``parse_export`` reads back to an equal model."""
    lines = export.meta.header_lines()
    for section in export.sections.values():
        lines.append(section.path)
        lines.extend(render_command(item, show_secrets=show_secrets) for item in section.items)
    return "\n".join(lines) + "\n"


def _revert_lines(change: ItemChange, show_secrets: bool) -> list[str]:
    """Commands undoing one change (NEW -> OLD) within its section."""
    old, new = change.old, change.new
    if change.kind == "moved":
        assert old is not None
        return [f"# {change.label}: was at position {old.position + 1}; move it back by hand"]
    if change.kind == "changed" and new is not None and not new.is_keyed:
        assert old is not None
        return [
            f"# {change.label}: no natural key, so remove + add",
            f"remove {find_expression(new)}",
            render_command(old, show_secrets=show_secrets),
        ]
    if change.kind == "added":
        assert new is not None
        if new.command != "add":
            where = new.selector or ""
            return [f"# {change.label} was at defaults in OLD"] + [
                f"unset {where} value-name={name}".replace("  ", " ") for name in new.args
            ]
        note = [] if new.is_keyed else [f"# {change.label}: no natural key, matched by content"]
        return [*note, f"remove {find_expression(new)}"]
    if change.kind == "removed":
        assert old is not None
        note = (
            [f"# {change.label} was at position {old.position + 1}"]
            if is_ordered(old.section)
            else []
        )
        return [*note, render_command(old, show_secrets=show_secrets)]
    assert old is not None and new is not None
    where = find_expression(new)
    lines = [f"# {a.name}: hidden by export, left alone" for a in change.args if a.hidden]
    restore = {a.name: a.old for a in change.args if a.old is not None and not a.hidden}
    if restore:
        mask = frozenset() if show_secrets else sensitive_keys(restore)
        values = {k: v for k, v in restore.items() if v is not None}
        lines.append(" ".join(p for p in ("set", where, render_arguments(values, mask)) if p))
    for a in change.args:
        if a.old is None:
            lines.append(" ".join(p for p in ("unset", where, f"value-name={a.name}") if p))
    return lines


def render_revert(changes: ChangeSet, *, show_secrets: bool = False) -> str:
    """RouterOS commands that take NEW back to OLD, one block per section.

    Items without a natural key are removed and added again (said so in a comment);
    moves are only described. Secret values are ``******`` unless ``show_secrets``.
    """
    if not changes:
        return "# no changes\n"
    lines = [f"# revert RouterOS {changes.new_meta.version} config to its previous version"]
    if not show_secrets:
        lines.append(f"# secret values are shown as {MASK}; fill them in before running")
    for section in changes.sections:
        lines.append(section.path)
        for change in section.added + section.changed + section.removed + section.moved:
            lines.extend(_revert_lines(change, show_secrets))
    return "\n".join(lines) + "\n"


def unified_diff(
    old_text: str,
    new_text: str,
    *,
    show_secrets: bool = False,
    old_name: str = "old",
    new_name: str = "new",
    context: int = 3,
) -> str:
    """A unified diff of two normalised export texts (``Normalised.text()``, as stored).

    The texts are compared as given: callers holding raw exports normalise them first
    (``normalise_export(raw).text()``), so dates and transient comments are gone.
    """
    old_lines = old_text.splitlines()
    new_lines = new_text.splitlines()
    if not show_secrets:
        old_lines = [mask_line(line) for line in old_lines]
        new_lines = [mask_line(line) for line in new_lines]
    diff = difflib.unified_diff(
        old_lines, new_lines, fromfile=old_name, tofile=new_name, lineterm="", n=context
    )
    return "".join(line + "\n" for line in diff)


def render_html(
    changes: ChangeSet, *, show_secrets: bool = False, title: str = "Configuration changes"
) -> str:
    """A minimal, fully escaped HTML page: one list of sentences per section."""
    parts = [
        "<!DOCTYPE html>",
        f'<html><head><meta charset="utf-8"><title>{html.escape(title)}</title></head><body>',
        f"<h1>{html.escape(title)}</h1>",
        f"<p>RouterOS {html.escape(changes.old_meta.version)} &rarr; "
        f"{html.escape(changes.new_meta.version)}: "
        + ", ".join(f"{n} {html.escape(k)}" for k, n in changes.counts().items())
        + "</p>",
    ]
    for section in changes.sections:
        parts.append(f"<h2>{html.escape(section.path)}</h2><ul>")
        for change in section.changes():
            text = sentence(change, show_secrets)
            parts.append(f'<li class="{change.kind}">{html.escape(text)}</li>')
        parts.append("</ul>")
    if not changes:
        parts.append("<p>No changes.</p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
