"""The mail outbox: every message is on disk before anyone tries to send it.

    outbox = Outbox(Path("reports/outbox"))
    outbox.put(message)                                  # written atomically, mode 0600
    sent, failed = outbox.deliver_due(time.time(), lambda m: send_message(m, settings))

Each message is ``<id>.eml`` (the RFC 5322 bytes) plus ``<id>.json`` (its retry state:
attempts, next_try as epoch seconds, last_error). ``put`` writes the state first and the
``.eml`` last, so a message exists exactly when its ``.eml`` does; a ``.json`` without one is a
put interrupted by a crash and is ignored. After the server's final 250 the ``.eml`` is removed
at once, so in the normal case a message is delivered exactly once. The window left is the few
microseconds between the 250 and the unlink: a process killed there re-sends that one message
after a restart (at-least-once, never lost). One process owns an outbox folder (the app holds
the data-folder lock); ``deliver_due`` is serialised within it.

Failures retry with exponential backoff (``Backoff``); after the first retryable failure in a
round the rest of that round's due messages wait with it, so a dead server costs one timeout
per round, not one per message. A message the server rejects for good (5xx), or that has used
up ``max_attempts``, moves to ``failed/`` and is logged.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from rospoll.errors import NotifyError, StoreError
from rospoll.files import atomic_write, remove_stale_temporaries
from rospoll.notify.mail import MailRejectedError
from rospoll.notify.message import POLICY

log = logging.getLogger(__name__)

Send = Callable[[EmailMessage], object]
_counter = itertools.count()


@dataclass(frozen=True)
class Backoff:
    """Retry schedule: ``first_s`` after the first failure, times ``factor`` each time, capped."""

    first_s: float = 30.0
    factor: float = 2.0
    max_s: float = 3600.0
    max_attempts: int = 48  # about two days at the cap

    def delay_s(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failure (1-based)."""
        return float(min(self.first_s * self.factor ** max(attempts - 1, 0), self.max_s))


@dataclass(frozen=True)
class Pending:
    """One message waiting in the outbox and its retry state."""

    id: str
    path: Path
    attempts: int = 0
    next_try: float = 0.0
    last_error: str = ""


class Outbox:
    """A folder of messages waiting for the SMTP server; see the module docstring."""

    def __init__(self, folder: Path, *, backoff: Backoff | None = None) -> None:
        self.folder = Path(folder)
        self.failed_folder = self.folder / "failed"
        self.backoff = backoff or Backoff()
        self.wake = threading.Event()  # set by put(); a DeliveryThread waits on it
        self._deliver_lock = threading.Lock()

    def put(self, message: EmailMessage) -> Path:
        """Store ``message`` for delivery and return the path of its ``.eml``.

        Raises ``NotifyError`` when the outbox cannot be written.
        """
        message_id = f"{time.time_ns():020d}-{next(_counter) % 10_000:04d}"
        eml = self.folder / f"{message_id}.eml"
        try:
            data = message.as_bytes(policy=POLICY)
            atomic_write(eml.with_suffix(".json"), _state_bytes(0, 0.0, ""), parents=True)
            atomic_write(eml, data, parents=True)
        except (OSError, StoreError, ValueError, UnicodeError) as exc:
            raise NotifyError(f"cannot write to the outbox {self.folder}: {exc}") from exc
        self.wake.set()
        return eml

    def pending(self) -> list[Pending]:
        """Messages waiting, oldest first."""
        if not self.folder.is_dir():
            return []
        return [self._pending(p) for p in sorted(self.folder.glob("*.eml"))]

    def next_due(self) -> float | None:
        """Epoch seconds at which the earliest waiting message is due, or None if empty."""
        return min((p.next_try for p in self.pending()), default=None)

    def recover(self) -> int:
        """Tidy after a crash: drop half-written temporaries and stale orphaned states.

        Returns how many messages are waiting (the ones a killed process left behind).
        """
        remove_stale_temporaries(self.folder)
        cutoff = time.time() - 3600  # an orphan this old is not a put still in progress
        if self.folder.is_dir():
            for state in self.folder.glob("*.json"):
                with contextlib.suppress(OSError):
                    if not state.with_suffix(".eml").exists() and state.stat().st_mtime < cutoff:
                        state.unlink()
        return len(self.pending())

    def deliver_due(self, now: float, send: Send) -> tuple[list[str], list[str]]:
        """Try every message due at ``now`` (epoch seconds); returns (sent ids, failed ids).

        ``send`` raises ``NotifyError`` to mean "retry later" and ``MailRejectedError`` to mean
        "never"; any other exception is logged with its traceback and retried.
        """
        sent: list[str] = []
        failed: list[str] = []
        with self._deliver_lock:
            due = [p for p in self.pending() if p.next_try <= now]
            round_error = ""
            for item in due:
                if round_error:
                    self._record_failure(item, round_error, now)
                    failed.append(item.id)
                    continue
                try:
                    message = self._load(item.path)
                    send(message)
                except MailRejectedError as exc:
                    self._move_to_failed(item, str(exc))
                    failed.append(item.id)
                    continue
                except NotifyError as exc:
                    round_error = str(exc)
                except Exception as exc:  # a bug in send(): keep the message, say so loudly
                    log.exception("sending outbox message %s failed unexpectedly", item.id)
                    round_error = f"{type(exc).__name__}: {exc}"
                else:
                    self._remove(item)  # right after the 250: the at-least-once window
                    sent.append(item.id)
                    continue
                self._record_failure(item, round_error, now)
                failed.append(item.id)
        return sent, failed

    # -- files -------------------------------------------------------------------------------

    def _pending(self, eml: Path) -> Pending:
        state: dict[str, Any] = {}
        with contextlib.suppress(OSError, ValueError):
            loaded = json.loads(eml.with_suffix(".json").read_bytes())
            state = loaded if isinstance(loaded, dict) else {}
        return Pending(
            id=eml.stem,
            path=eml,
            attempts=int(state.get("attempts", 0)),
            next_try=float(state.get("next_try", 0.0)),
            last_error=str(state.get("last_error", "")),
        )

    def _load(self, eml: Path) -> EmailMessage:
        try:
            data = eml.read_bytes()
        except (OSError, StoreError) as exc:
            raise NotifyError(f"cannot read outbox message {eml}: {exc}") from exc
        message = BytesParser(policy=POLICY, _class=EmailMessage).parsebytes(data)
        assert isinstance(message, EmailMessage)
        return message

    def _record_failure(self, item: Pending, error: str, now: float) -> None:
        attempts = item.attempts + 1
        if attempts >= self.backoff.max_attempts:
            self._move_to_failed(item, f"gave up after {attempts} attempts: {error}")
            return
        next_try = now + self.backoff.delay_s(attempts)
        log.warning(
            "mail %s not sent (attempt %d, retry in %.0fs): %s",
            item.id,
            attempts,
            next_try - now,
            error,
        )
        try:
            atomic_write(
                item.path.with_suffix(".json"),
                _state_bytes(attempts, next_try, error),
                parents=True,
            )
        except (OSError, StoreError) as exc:  # the message stays due; it will simply be tried again
            log.error("cannot record retry state of %s: %s", item.id, exc)

    def _remove(self, item: Pending) -> None:
        try:
            item.path.unlink()
        except (OSError, StoreError) as exc:  # it was sent; if it stays, it would be sent again
            log.error("mail %s was sent but could not be removed from the outbox: %s", item.id, exc)
        with contextlib.suppress(OSError):
            item.path.with_suffix(".json").unlink()

    def _move_to_failed(self, item: Pending, error: str) -> None:
        log.error("mail %s will not be sent, kept in %s: %s", item.id, self.failed_folder, error)
        try:
            self.failed_folder.mkdir(parents=True, exist_ok=True)
            state = _state_bytes(item.attempts + 1, 0.0, error)
            atomic_write(self.failed_folder / f"{item.id}.json", state, parents=True)
            item.path.replace(self.failed_folder / item.path.name)
        except (OSError, StoreError) as exc:
            log.error("cannot move %s to %s: %s", item.id, self.failed_folder, exc)
            return
        with contextlib.suppress(OSError):
            item.path.with_suffix(".json").unlink()


def _state_bytes(attempts: int, next_try: float, error: str) -> bytes:
    return json.dumps(
        {"attempts": attempts, "next_try": next_try, "last_error": error[:2000]}, indent=1
    ).encode()
