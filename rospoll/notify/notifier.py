"""What the app calls: one object that mails (or queues a digest of) a change and publishes it.

notifier = Notifier(Path("reports"), settings)
thread = notifier.start(stop_event)            # None when mail is disabled
notifier.notify(report, now=datetime.now(timezone.utc))   # again after a failure: mailed once

``notify`` is idempotent per ``report.id``: the mail is queued once however often it is
called (the outbox and digest queue are the record, see ``outbox`` and ``digest``), and the
pages are written again, which leaves one page and one row. So after a crash, or after
``notify`` raised, calling it again with the same report finishes what is missing.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from pathlib import Path

from rospoll.files import TMP_SUFFIX
from rospoll.notify.delivery import DeliveryThread
from rospoll.notify.digest import Digest
from rospoll.notify.mail import MailSettings
from rospoll.notify.message import compose_message
from rospoll.notify.outbox import Backoff, Outbox, Send
from rospoll.notify.render import render_email
from rospoll.notify.report import ChangeReport
from rospoll.notify.site import ReportSite

log = logging.getLogger(__name__)


class Notifier:
    """Mail and reports for one data folder: outbox in ``report_dir/outbox``, site beside it."""

    def __init__(
        self,
        report_dir: Path,
        settings: MailSettings,
        *,
        index_limit: int = 500,
        backoff: Backoff | None = None,
    ) -> None:
        self.settings = settings
        self.report_dir = Path(report_dir)
        self.site = ReportSite(Path(report_dir), index_limit=index_limit)
        self.outbox = Outbox(Path(report_dir) / "outbox", backoff=backoff)
        self.digest = (
            Digest(self.outbox.folder / "digest", settings.digest_s)
            if settings.digest_s > 0
            else None
        )

    def remove_leftovers(self) -> int:
        """Delete the temporary files a killed run left anywhere under the report folder.

        Call it while holding the data-folder lock and before anything writes: then no
        live writer can own one. Returns how many were removed.
        """
        removed = 0
        for tmp in self.report_dir.rglob(f".*{TMP_SUFFIX}"):
            try:
                tmp.unlink()
                removed += 1
            except OSError as exc:  # a leftover holds nothing; the next start retries
                log.warning("cannot remove leftover %s: %s", tmp, exc)
        return removed

    def notify(self, report: ChangeReport, *, now: datetime) -> Path | None:
        """Queue the mail (or digest entry) for ``report`` once, then publish its pages.

        Returns the outbox or digest file this call wrote; None when mail is disabled, the
        change has no recipients, or its mail was queued by an earlier call (waiting, sent,
        failed for good, or bundled into a digest). Raises ``NotifyError`` when the mail
        cannot be queued (outbox or digest folder not writable, a bad address, a template
        failure): no page is written then, and a later call queues it. Raises
        ``StoreError`` when a page cannot be written: the mail is queued by then, and a
        later call writes the pages without queuing it twice.
        """
        queued: Path | None = None
        if self.settings.enabled and report.recipients:
            queued = self._queue(report, now)
        self.site.publish(report)
        return queued

    def _queue(self, report: ChangeReport, now: datetime) -> Path | None:
        if self.digest is not None:
            # This order: a flush marks a change done before it removes its queued file.
            if self.digest.holds(report.id) or self.outbox.knows(report.id):
                log.info("change %s is already queued for mail; not again", report.id)
                return None
            queued = self.digest.add(report, now.timestamp())
            self.outbox.wake.set()
            return queued
        if self.outbox.knows(report.id):
            log.info("change %s is already queued for mail; not again", report.id)
            return None
        message = compose_message(
            render_email(report),
            mail_from=self.settings.mail_from,
            recipients=report.recipients,
            date=now,
        )
        return self.outbox.put(message, key=report.id)

    def start(
        self, stop_event: threading.Event, *, send: Send | None = None, poll_s: float = 0.5
    ) -> DeliveryThread | None:
        """Start the delivery thread (it first flushes what a killed process left behind).

        Returns None when mail is disabled: nothing is sent and the outbox is left alone.
        """
        if not self.settings.enabled:
            return None
        thread = DeliveryThread(
            self.outbox, self.settings, stop_event, digest=self.digest, send=send, poll_s=poll_s
        )
        thread.start()
        return thread
