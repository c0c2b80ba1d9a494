"""Digest mode: changes wait per recipient set and go out as one mail when the window closes.

    digest = Digest(Path("reports/outbox/digest"), window_s=600)
    digest.add(report, now=time.time())                 # persisted at once
    digest.flush_due(time.time(), outbox, mail_from="rospoll@example.net")

Each recipient set has a folder named by a hash of its sorted, lower-cased addresses; each
queued change is ``<queued_ns>-<report id>.json`` in it, written atomically, so a killed process
loses nothing. A window opens with the first change queued for a set and closes ``window_s``
later. Flushing puts the digest into the outbox first and then removes the queued files: a
crash between the two re-sends that digest once after a restart, it never drops it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from rospoll.errors import NotifyError, StoreError
from rospoll.files import atomic_write, remove_stale_temporaries
from rospoll.notify.message import compose_message
from rospoll.notify.outbox import Outbox
from rospoll.notify.render import render_email
from rospoll.notify.report import ChangeReport

log = logging.getLogger(__name__)

MAX_CHANGES_PER_MAIL = 200  # a bigger backlog goes out as several digests


def recipient_key(recipients: Sequence[str]) -> str:
    """A stable folder name for a recipient set (order and case do not matter)."""
    normal = sorted({r.strip().lower() for r in recipients})
    return hashlib.sha256("\n".join(normal).encode("utf-8", "replace")).hexdigest()[:16]


class Digest:
    """The persisted queue of changes waiting for their digest window to close."""

    def __init__(self, folder: Path, window_s: float) -> None:
        if window_s <= 0:
            raise ValueError("a digest window must be longer than 0 seconds")
        self.folder = Path(folder)
        self.window_s = window_s

    def add(self, report: ChangeReport, now: float) -> Path:
        """Queue ``report`` for its recipient set; raises ``NotifyError`` if it cannot be saved."""
        if not report.recipients:
            raise NotifyError(f"change {report.id} has no recipients to mail")
        path = (
            self.folder
            / recipient_key(report.recipients)
            / f"{int(now * 1e9):020d}-{report.id}.json"
        )
        try:
            atomic_write(path, report.to_json().encode(), parents=True)
        except (OSError, StoreError) as exc:
            raise NotifyError(f"cannot queue change {report.id} for the digest: {exc}") from exc
        return path

    def windows(self) -> dict[str, float]:
        """Each waiting recipient set's key and the epoch second its window closes."""
        out: dict[str, float] = {}
        if not self.folder.is_dir():
            return out
        for group in sorted(p for p in self.folder.iterdir() if p.is_dir()):
            names = sorted(group.glob("*.json"))
            if names:
                opened_ns = int(names[0].name.split("-", 1)[0])
                out[group.name] = opened_ns / 1e9 + self.window_s
        return out

    def next_due(self) -> float | None:
        """When the earliest window closes (epoch seconds), or None when nothing waits."""
        return min(self.windows().values(), default=None)

    def flush_due(
        self, now: float, outbox: Outbox, *, mail_from: str, force: bool = False
    ) -> list[Path]:
        """Put one digest per recipient set whose window has closed (all with ``force``).

        Returns the outbox paths written. Raises ``NotifyError`` when the outbox cannot be
        written; the queued changes then stay and are tried on the next call.
        """
        written: list[Path] = []
        for key, closes in self.windows().items():
            if force or closes <= now:
                written.extend(self._flush_group(self.folder / key, now, outbox, mail_from))
        return written

    def _flush_group(self, group: Path, now: float, outbox: Outbox, mail_from: str) -> list[Path]:
        remove_stale_temporaries(group)
        files = sorted(group.glob("*.json"))
        written = []
        for start in range(0, len(files), MAX_CHANGES_PER_MAIL):
            chunk = files[start : start + MAX_CHANGES_PER_MAIL]
            reports = [r for r in (self._read(p) for p in chunk) if r is not None]
            if reports:
                recipients = reports[0].recipients  # the same set for the whole group
                message = compose_message(
                    render_email(reports),
                    mail_from=mail_from,
                    recipients=recipients,
                    date=datetime.fromtimestamp(now, timezone.utc),
                )
                written.append(outbox.put(message))
            for path in chunk:
                with contextlib.suppress(OSError):
                    path.unlink()
        with contextlib.suppress(OSError):
            group.rmdir()  # only succeeds when empty; a change queued meanwhile keeps it
        return written

    def _read(self, path: Path) -> ChangeReport | None:
        try:
            return ChangeReport.from_json(path.read_bytes())
        except (OSError, ValueError) as exc:
            log.error("unreadable digest entry %s kept as %s.bad: %s", path, path.name, exc)
            with contextlib.suppress(OSError):
                path.replace(path.with_name(path.name + ".bad"))
            return None
