"""The background thread that empties the outbox (and closes digest windows).

    stop = threading.Event()
    thread = DeliveryThread(outbox, settings, stop, digest=digest)
    thread.start()          # first flushes what a killed process left behind
    ...
    stop.set(); thread.join(timeout=5)      # it notices the stop within poll_s

It wakes when a message is put, when the earliest retry or digest window is due, and at least
every ``poll_s`` to notice ``stop_event``; it never sleeps through a stop for longer than that.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable
from email.message import EmailMessage

from rospoll.notify.digest import Digest
from rospoll.notify.mail import MailSettings, send_message
from rospoll.notify.outbox import Outbox, Send

log = logging.getLogger(__name__)


class DeliveryState(enum.Enum):
    """Where the delivery thread is."""

    STARTING = "starting"  # recovering what a previous process left
    IDLE = "idle"  # nothing due
    SENDING = "sending"  # talking to the SMTP server
    BACKOFF = "backoff"  # the last round failed; waiting for the retry time
    STOPPED = "stopped"


class DeliveryThread(threading.Thread):
    """Delivers due outbox messages with ``send`` (default: ``send_message`` with settings)."""

    def __init__(
        self,
        outbox: Outbox,
        settings: MailSettings,
        stop_event: threading.Event,
        *,
        digest: Digest | None = None,
        send: Send | None = None,
        clock: Callable[[], float] = time.time,
        poll_s: float = 0.5,
    ) -> None:
        super().__init__(name="notify:outbox", daemon=True)
        self.outbox = outbox
        self.settings = settings
        self.stop_event = stop_event
        self.digest = digest
        self.send: Send = send or self._send
        self.clock = clock
        self.poll_s = poll_s
        self.state = DeliveryState.STARTING
        self.last_error = ""
        self.flushed = threading.Event()  # set after the first round (the start-up flush)

    def _send(self, message: EmailMessage) -> None:
        send_message(message, self.settings)

    def run(self) -> None:
        try:
            left = self.outbox.recover()
            if left:
                log.info("outbox holds %d message(s) from before; delivering", left)
            while not self.stop_event.is_set():
                self.outbox.wake.clear()  # a put() from now on wakes the wait below
                self._round()
                self.flushed.set()
                self.outbox.wake.wait(self._wait_s())
        finally:
            self.state = DeliveryState.STOPPED
            self.flushed.set()

    def _round(self) -> None:
        try:
            now = self.clock()
            if self.digest is not None:
                self.digest.flush_due(now, self.outbox, mail_from=self.settings.mail_from)
            self.state = DeliveryState.SENDING
            _, failed = self.outbox.deliver_due(now, self.send)
            if failed:
                pending = self.outbox.pending()
                self.last_error = pending[0].last_error if pending else self.last_error
                self.state = DeliveryState.BACKOFF if pending else DeliveryState.IDLE
            else:
                self.state = DeliveryState.IDLE
        except Exception as exc:  # top of the thread's loop: log, remember, back off
            log.exception("outbox delivery round failed")
            self.last_error = f"{type(exc).__name__}: {exc}"
            self.state = DeliveryState.BACKOFF

    def _wait_s(self) -> float:
        """Until the next due time, at most ``poll_s``; after a failure never less than that,
        so a broken disk or server is not hammered in a tight loop."""
        if self.state is DeliveryState.BACKOFF:
            return self.poll_s
        due = [self.outbox.next_due()]
        if self.digest is not None:
            due.append(self.digest.next_due())
        times = [t for t in due if t is not None]
        if not times:
            return self.poll_s
        return max(0.0, min(min(times) - self.clock(), self.poll_s))
