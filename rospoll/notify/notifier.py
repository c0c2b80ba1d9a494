"""What the app calls: one object that mails (or queues a digest of) a change and publishes it.

notifier = Notifier(Path("reports"), settings)
thread = notifier.start(stop_event)            # None when mail is disabled
notifier.notify(report, now=datetime.now(timezone.utc))
"""

from __future__ import annotations

import contextlib
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
            with contextlib.suppress(OSError):
                tmp.unlink()
                removed += 1
        return removed

    def notify(self, report: ChangeReport, *, now: datetime) -> Path | None:
        """Queue the mail (or digest entry) for ``report``, then publish its report pages.

        Returns the outbox or digest file written, None when mail is disabled or the change
        has no recipients. Raises ``NotifyError`` (outbox) or ``StoreError`` (site); the mail
        is queued before the site is touched, so a full disk for pages does not lose it.
        """
        queued: Path | None = None
        if self.settings.enabled and report.recipients:
            if self.digest is not None:
                queued = self.digest.add(report, now.timestamp())
                self.outbox.wake.set()
            else:
                message = compose_message(
                    render_email(report),
                    mail_from=self.settings.mail_from,
                    recipients=report.recipients,
                    date=now,
                )
                queued = self.outbox.put(message)
        self.site.publish(report)
        return queued

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
