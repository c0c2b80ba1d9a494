"""The mail outbox: every message is on disk before anyone tries to send it, once per key.

    outbox = Outbox(Path("reports/outbox"))
    outbox.put(message, key=report.id)        # written atomically, mode 0600; None if known
    sent, failed = outbox.deliver_due(time.time(), lambda m: send_message(m, settings))

Each message has a key (a report id, or a digest's key) and is ``<key>.eml`` (the RFC 5322
bytes) plus ``<key>.json`` (its retry state: queued and next_try as epoch seconds, attempts,
last_error). ``put`` writes the state first and the ``.eml`` last, so a message exists exactly
when its ``.eml`` does; a ``.json`` without one is a put interrupted by a crash and is ignored
(a later put of that key writes both again).

A key is queued once: ``put`` does nothing for a key the outbox ``knows``, that is one waiting
(``<key>.eml``), failed for good (``failed/<key>.eml``) or done (``done/<key>``, an empty
tombstone, also written for the changes a digest bundled). After the server's final 250 the
tombstone is written, then the ``.eml`` removed; a message found with a tombstone (a process
killed between the two) is removed without being sent again. So a message is delivered
exactly once, except in the few milliseconds between the 250 and the tombstone: a process
killed there re-sends that one message after a restart (at-least-once, never lost).
Tombstones are pruned by ``deliver_due`` once a day when older than ``keep_done_s`` (30
days) and not among the newest ``keep_done_count``, which outlast any crash recovery.

No lock is needed between ``put`` and a delivery: ``knows`` looks at the waiting message,
then ``failed/``, then ``done/``, while a delivery writes ``done/`` before removing the
message and a failure moves it into ``failed/`` in one rename, so a key in flight is always
seen in one of them. One process owns an outbox folder (the app holds the data-folder lock);
``deliver_due`` is serialised within it.

Failures retry with exponential backoff (``Backoff``); after the first retryable failure in a
round the rest of that round's due messages wait with it, so a dead server costs one timeout
per round, not one per message. A message the server rejects for good (5xx), or that has used
up ``max_attempts``, moves to ``failed/`` and is logged.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from rospoll.errors import NotifyError, StoreError
from rospoll.files import atomic_write, make_private_dir, remove_stale_temporaries
from rospoll.notify.mail import MailRejectedError
from rospoll.notify.message import POLICY

log = logging.getLogger(__name__)

Send = Callable[[EmailMessage], object]
DONE_KEEP_S = 30 * 86400.0  # tombstones of delivered keys outlive any crash recovery
DONE_KEEP_COUNT = 2000  # ... and the newest this many stay whatever their age
PRUNE_EVERY_S = 86400.0
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,159}")


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

    id: str  # the key
    path: Path
    queued: float = 0.0  # epoch seconds of the put; 0 for messages of older versions
    attempts: int = 0
    next_try: float = 0.0
    last_error: str = ""


class Outbox:
    """A folder of messages waiting for the SMTP server; see the module docstring."""

    def __init__(
        self,
        folder: Path,
        *,
        backoff: Backoff | None = None,
        keep_done_s: float = DONE_KEEP_S,
        keep_done_count: int = DONE_KEEP_COUNT,
    ) -> None:
        self.folder = Path(folder)
        self.failed_folder = self.folder / "failed"
        self.done_folder = self.folder / "done"
        self.backoff = backoff or Backoff()
        self.keep_done_s = keep_done_s
        self.keep_done_count = keep_done_count
        self.wake = threading.Event()  # set by put(); a DeliveryThread waits on it
        self._deliver_lock = threading.Lock()
        self._next_prune = 0.0

    def put(self, message: EmailMessage, *, key: str) -> Path | None:
        """Store ``message`` for delivery under ``key``; returns the path of its ``.eml``.

        Returns None, writing nothing, when the outbox already ``knows`` the key. Raises
        ``NotifyError`` when the outbox cannot be written (nothing is queued then) and
        ``ValueError`` for a key that is not ``[A-Za-z0-9][A-Za-z0-9._-]*`` (160 at most).
        """
        if self.knows(key):
            log.info("mail %s was queued before; not queued again", key)
            return None
        eml = self.folder / f"{key}.eml"
        try:
            data = message.as_bytes(policy=POLICY)
            state = _state_bytes(time.time(), 0, 0.0, "")
            atomic_write(eml.with_suffix(".json"), state, parents=True)
            atomic_write(eml, data, parents=True)
        except (OSError, StoreError, ValueError, UnicodeError) as exc:
            raise NotifyError(f"cannot write to the outbox {self.folder}: {exc}") from exc
        self.wake.set()
        return eml

    def knows(self, key: str) -> bool:
        """True when ``key`` is waiting, failed for good, or done (sent, or in a digest).

        Raises ``NotifyError`` when that cannot be told (a folder that cannot be read) and
        ``ValueError`` for a bad key.
        """
        _check_key(key)
        try:  # this order; see the module docstring
            return (
                (self.folder / f"{key}.eml").exists()
                or (self.failed_folder / f"{key}.eml").exists()
                or (self.done_folder / key).exists()
            )
        except OSError as exc:
            raise NotifyError(f"cannot look into the outbox {self.folder}: {exc}") from exc

    def mark_done(self, keys: Iterable[str]) -> None:
        """Write the tombstones of ``keys`` (changes a digest bundled), so they are known.

        Raises ``NotifyError`` when one cannot be written.
        """
        for key in keys:
            _check_key(key)
            try:
                atomic_write(self.done_folder / key, b"", parents=True)
            except StoreError as exc:
                raise NotifyError(f"cannot record {key} as mailed: {exc}") from exc

    def pending(self) -> list[Pending]:
        """Messages waiting, oldest first."""
        if not self.folder.is_dir():
            return []
        waiting = [self._pending(p) for p in self.folder.glob("*.eml")]
        return sorted(waiting, key=lambda p: (p.queued, p.id))

    def next_due(self) -> float | None:
        """Epoch seconds at which the earliest waiting message is due, or None if empty."""
        return min((p.next_try for p in self.pending()), default=None)

    def recover(self) -> int:
        """Tidy after a crash: drop half-written temporaries and stale orphaned states.

        Returns how many messages are waiting (the ones a killed process left behind).
        """
        remove_stale_temporaries(self.folder)
        remove_stale_temporaries(self.done_folder)
        cutoff = time.time() - 3600  # an orphan this old is not a put still in progress
        if self.folder.is_dir():
            for state in self.folder.glob("*.json"):
                try:
                    if not state.with_suffix(".eml").exists() and state.stat().st_mtime < cutoff:
                        state.unlink()
                except OSError as exc:  # an orphan holds no mail; the next recover retries
                    log.debug("cannot remove orphaned outbox state %s: %s", state, exc)
        return len(self.pending())

    def deliver_due(self, now: float, send: Send) -> tuple[list[str], list[str]]:
        """Try every message due at ``now`` (epoch seconds); returns (sent ids, failed ids).

        ``send`` raises ``NotifyError`` to mean "retry later" and ``MailRejectedError`` to mean
        "never"; any other exception is logged with its traceback and retried.
        """
        sent: list[str] = []
        failed: list[str] = []
        with self._deliver_lock:
            self._prune_done(now)
            due = [p for p in self.pending() if p.next_try <= now]
            round_error = ""
            for item in due:
                if round_error:
                    self._record_failure(item, round_error, now)
                    failed.append(item.id)
                    continue
                if self._is_done(item.id):
                    log.info("mail %s was sent before a restart; removing it unsent", item.id)
                    self._remove(item)
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
                    self._finish(item)  # right after the 250: the at-least-once window
                    sent.append(item.id)
                    continue
                self._record_failure(item, round_error, now)
                failed.append(item.id)
        return sent, failed

    # -- files -------------------------------------------------------------------------------

    def _pending(self, eml: Path) -> Pending:
        state: dict[str, Any] = {}
        try:
            loaded = json.loads(eml.with_suffix(".json").read_bytes())
            state = loaded if isinstance(loaded, dict) else {}
        except (OSError, ValueError) as exc:  # the mail is in the .eml; it is simply due now
            log.debug("outbox message %s has no readable state: %s", eml.stem, exc)
        return Pending(
            id=eml.stem,
            path=eml,
            queued=float(state.get("queued", 0.0)),
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
                _state_bytes(item.queued, attempts, next_try, error),
                parents=True,
            )
        except (OSError, StoreError) as exc:  # the message stays due; it will simply be tried again
            log.error("cannot record retry state of %s: %s", item.id, exc)

    def _finish(self, item: Pending) -> None:
        """The server took ``item``: its tombstone first, then the message goes."""
        try:
            atomic_write(self.done_folder / item.id, b"", parents=True)
        except StoreError as exc:  # removing it anyway: kept, it would surely be sent again
            log.error(
                "mail %s was sent but not recorded as sent (%s); a repeated notify of it "
                "would queue it again",
                item.id,
                exc,
            )
        self._remove(item)

    def _is_done(self, key: str) -> bool:
        try:
            return (self.done_folder / key).exists()
        except OSError as exc:  # cannot tell: sending again beats losing it
            log.warning("cannot look for the tombstone of mail %s: %s", key, exc)
            return False

    def _remove(self, item: Pending) -> None:
        try:
            item.path.unlink()
        except FileNotFoundError:
            pass  # already gone: what we wanted
        except OSError as exc:  # it was sent; its tombstone keeps it from being sent again
            log.error("mail %s was sent but could not be removed from the outbox: %s", item.id, exc)
        _remove_state(item.path.with_suffix(".json"))

    def _move_to_failed(self, item: Pending, error: str) -> None:
        log.error("mail %s will not be sent, kept in %s: %s", item.id, self.failed_folder, error)
        try:
            make_private_dir(self.failed_folder)
            state = _state_bytes(item.queued, item.attempts + 1, 0.0, error)
            atomic_write(self.failed_folder / f"{item.id}.json", state)
            item.path.replace(self.failed_folder / item.path.name)
        except (OSError, StoreError) as exc:  # it stays in the outbox and is tried again
            log.error("cannot move %s to %s: %s", item.id, self.failed_folder, exc)
            return
        _remove_state(item.path.with_suffix(".json"))

    def _prune_done(self, now: float) -> None:
        """Once a day: drop tombstones older than ``keep_done_s`` beyond the newest ones."""
        if now < self._next_prune:
            return
        self._next_prune = now + PRUNE_EVERY_S
        try:
            names = [p for p in self.done_folder.iterdir() if not p.name.startswith(".")]
        except FileNotFoundError:
            return  # nothing delivered yet
        except OSError as exc:
            log.warning("cannot list %s to prune it: %s", self.done_folder, exc)
            return
        aged: list[tuple[float, Path]] = []
        for path in names:
            try:
                aged.append((path.stat().st_mtime, path))
            except OSError as exc:  # gone meanwhile, or unreadable: left for the next prune
                log.debug("cannot read the age of %s: %s", path, exc)
        aged.sort(reverse=True)
        for mtime, path in aged[self.keep_done_count :]:
            if now - mtime > self.keep_done_s:
                try:
                    path.unlink()
                except OSError as exc:  # a tombstone kept too long costs nothing
                    log.debug("cannot prune %s: %s", path, exc)


def _check_key(key: str) -> None:
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ValueError(f"outbox key must match {_KEY.pattern}: {key!r:.80}")


def _remove_state(state: Path) -> None:
    try:
        state.unlink()
    except FileNotFoundError:
        pass  # already gone: what we wanted
    except OSError as exc:  # a state without its .eml is ignored, and swept by recover()
        log.debug("cannot remove outbox state %s: %s", state, exc)


def _state_bytes(queued: float, attempts: int, next_try: float, error: str) -> bytes:
    return json.dumps(
        {
            "queued": queued,
            "attempts": attempts,
            "next_try": next_try,
            "last_error": error[:2000],
        },
        indent=1,
    ).encode()
