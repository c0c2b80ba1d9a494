"""Digest mode: changes wait per recipient set and go out as one mail when the window closes.

    digest = Digest(Path("reports/outbox/digest"), window_s=600)
    digest.add(report, now=time.time())                 # persisted at once
    digest.flush_due(time.time(), outbox, mail_from="rospoll@example.net")

Each recipient set has a folder named by a hash of its sorted, lower-cased addresses; each
queued change is ``<queued_ns>-<report id>.json`` in it, written atomically, so a killed process
loses nothing; ``add`` of a report id already waiting writes nothing. A window opens with the
first change queued for a set and closes ``window_s`` later.

Flushing is exactly-once and crash-safe. Per digest (at most ``MAX_CHANGES_PER_MAIL``
changes) it writes a plan (``flushing.plan``: the file names bundled), puts the digest into
the outbox under a key made from those names, writes the outbox tombstones of the bundled
report ids (``Outbox.mark_done``), then removes the queued files and the plan. A process
killed anywhere in between finds the plan at the next flush and redoes that same digest: the
outbox knows its key, so it is not queued twice, and changes the outbox knows are left out
of any digest. So a caller that asks ``Outbox.knows(report.id)`` after ``holds(report.id)``
learns whether a change's mail is already on its way.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
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
PLAN_NAME = "flushing.plan"


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

    def add(self, report: ChangeReport, now: float) -> Path | None:
        """Queue ``report`` for its recipient set; returns the file, None if already waiting.

        Raises ``NotifyError`` if it cannot be saved (nothing is queued then).
        """
        if not report.recipients:
            raise NotifyError(f"change {report.id} has no recipients to mail")
        if self.holds(report.id):
            log.info("change %s already waits for its digest; not queued again", report.id)
            return None
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

    def holds(self, report_id: str) -> bool:
        """True when a change with this id waits for a digest (any recipient set).

        Raises ``NotifyError`` when the queue cannot be read.
        """
        try:
            if not self.folder.is_dir():
                return False
            return any(
                _report_id(path) == report_id
                for group in self.folder.iterdir()
                if group.is_dir()
                for path in group.glob("*.json")
            )
        except OSError as exc:
            raise NotifyError(f"cannot read the digest queue {self.folder}: {exc}") from exc

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
        written = []
        planned = self._read_plan(group)
        if planned is not None:  # a flush killed half-way: finish that digest first
            written.extend(self._flush_chunk(group, planned, now, outbox, mail_from))
        names = sorted(p.name for p in group.glob("*.json"))
        for start in range(0, len(names), MAX_CHANGES_PER_MAIL):
            chunk = names[start : start + MAX_CHANGES_PER_MAIL]
            try:
                atomic_write(group / PLAN_NAME, json.dumps(chunk).encode())
            except StoreError as exc:
                raise NotifyError(f"cannot flush the digest in {group}: {exc}") from exc
            written.extend(self._flush_chunk(group, chunk, now, outbox, mail_from))
        # Only an empty folder goes: a change queued meanwhile (or a .bad entry) keeps it.
        with contextlib.suppress(OSError):
            group.rmdir()
        return written

    def _flush_chunk(
        self, group: Path, names: list[str], now: float, outbox: Outbox, mail_from: str
    ) -> list[Path]:
        """One digest of the queued files ``names``, as planned; see the module docstring."""
        key = "digest-" + hashlib.sha256("\n".join(names).encode()).hexdigest()[:32]
        paths = [group / name for name in names]
        reports: dict[str, ChangeReport] = {}
        for path in paths:
            report = self._read(path)
            if report is not None and report.id not in reports and not outbox.knows(report.id):
                reports[report.id] = report
        written = []
        if reports:
            message = compose_message(
                render_email(list(reports.values())),
                mail_from=mail_from,
                recipients=next(iter(reports.values())).recipients,  # one set per group
                date=datetime.fromtimestamp(now, timezone.utc),
            )
            queued = outbox.put(message, key=key)
            if queued is not None:
                written.append(queued)
            outbox.mark_done(reports.keys())
        for path in [*paths, group / PLAN_NAME]:
            try:
                path.unlink()
            except FileNotFoundError:
                pass  # removed by the flush a crash interrupted
            except OSError as exc:  # its change is marked done, so no digest repeats it
                log.warning("cannot remove %s after its digest was queued: %s", path, exc)
        return written

    def _read_plan(self, group: Path) -> list[str] | None:
        try:
            names = json.loads((group / PLAN_NAME).read_bytes())
        except FileNotFoundError:
            return None  # no flush was interrupted
        except (OSError, ValueError) as exc:  # its files are still queued: flushed normally
            log.warning("ignoring an unreadable digest plan in %s: %s", group, exc)
            return None
        if not isinstance(names, list):
            log.warning("ignoring a digest plan in %s that is not a list of names", group)
            return None
        return [n for n in names if isinstance(n, str) and n == Path(n).name]

    def _read(self, path: Path) -> ChangeReport | None:
        try:
            return ChangeReport.from_json(path.read_bytes())
        except FileNotFoundError:
            return None  # flushed by an earlier, interrupted flush of the same plan
        except (OSError, ValueError) as exc:
            log.error("unreadable digest entry %s kept as %s.bad: %s", path, path.name, exc)
            try:
                path.replace(path.with_name(path.name + ".bad"))
            except OSError as move_exc:  # removed with its digest's files; logged above
                log.error("cannot set aside %s: %s", path, move_exc)
            return None


def _report_id(entry: Path) -> str:
    """The report id in a queued file's name, ``<queued_ns>-<report id>.json``."""
    return entry.name.split("-", 1)[-1].removesuffix(".json")
