"""The pipeline: one fetched export through every stage, in the order the data flows.

    pipeline = Pipeline.for_inventory(inventory, notifier)
    recorded = pipeline.record(device, fetched, events=burst_events)

For one router:

1. config: validate, normalise and parse the new export (:func:`read_version`);
2. store: the last stored version (none: store the baseline, done);
3. app: the same router (serial, software id), no sudden shrink or cut tail;
4. config: the structural diff;
5. attribution: credit each change to log events, else new ``/system history`` entries,
   else UNKNOWN;
6. store: per credit one commit authored by that user and one journal line;
7. notify: per stored change the mail (or digest) and report page, then the user-log
   block, which marks it finished.

Each stage takes and returns values; only this module calls the next. A change whose mail
could not be queued (disk full) stays unfinished and is told again by the next record's
recovery (:mod:`rospoll.app.recovery`), so no mail is lost and none is sent twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from rospoll.app.change import Change, Recorded, Version
from rospoll.app.identity import check_identity
from rospoll.app.paths import state_dir
from rospoll.app.recorder import Recorder
from rospoll.app.recovery import unfinished
from rospoll.app.reports import build_report, warning_report
from rospoll.attribution.attribute import attribute
from rospoll.attribution.history import parse_history
from rospoll.attribution.logline import ChangeEvent
from rospoll.config import check_shrink, diff_exports, validate_export
from rospoll.config.parse import parse_normalised
from rospoll.config.validate import check_tail_cut
from rospoll.device.poller import Fetched
from rospoll.errors import RospollError
from rospoll.inventory import Device, Inventory
from rospoll.notify import Notifier

log = logging.getLogger(__name__)


def read_version(text: str, like: Version | None = None) -> Version:
    """Validate, normalise and parse export text; raises ``ExportInvalidError``.

    ``like``: a version parsed before whose lines this one mostly shares (the new export
    when reading the stored one): its checked lines are not checked again.
    """
    normalised = validate_export(text)
    export = parse_normalised(normalised, like=like.export if like is not None else None)
    return Version(normalised.text(), export)


class Pipeline:
    """Records fetched exports of an inventory's routers and tells what changed."""

    def __init__(self, recorder: Recorder, notifier: Notifier | None = None) -> None:
        self.recorder = recorder
        self.notifier = notifier

    @classmethod
    def for_inventory(cls, inventory: Inventory, notifier: Notifier | None = None) -> Pipeline:
        """The pipeline writing this inventory's backups and reports (and mail, if given)."""
        return cls(Recorder.for_inventory(inventory, state_dir=state_dir(inventory)), notifier)

    def record(
        self,
        device: Device,
        fetched: Fetched,
        *,
        events: Sequence[ChangeEvent] = (),
        allow_shrink: bool = False,
    ) -> Recorded:
        """Store and tell ``fetched`` for ``device``; see the module docstring.

        Raises :class:`~rospoll.errors.ExportInvalidError` when the export is not usable
        (CLI error, truncated, not an export) or shrank suddenly (unless ``allow_shrink``),
        :class:`~rospoll.app.identity.RouterChangedError` when it comes from another router,
        and :class:`~rospoll.errors.StoreError` on disk trouble: nothing is stored then.
        """
        self.finish_unfinished()
        recorder = self.recorder
        new = read_version(fetched.export)  # 1
        history = parse_history(fetched.history)
        with recorder.storing(device):
            old = recorder.current(device, lambda text: read_version(text, like=new))  # 2
            if old is None:
                recorder.store_baseline(device, new)
                recorder.save_history(device, history)
                return Recorded(device, baseline=True)
            replaced = check_identity(  # 3
                device.name, old.export.meta, new.export.meta, replaced=recorder.replaced
            )
            if not allow_shrink and not replaced:
                check_shrink(old.export, new.export)
                check_tail_cut(old.export, new.export)  # cut at a line boundary: barely smaller
            changes = diff_exports(old.export, new.export)  # 4
            credits = attribute(  # 5
                changes, events=events, history=recorder.fresh_history(device, history)
            )
            stored = recorder.store_changes(device, fetched, old, new, changes, credits)  # 6
            recorder.save_history(device, history)
        unreported = tuple(c.entry.id for c in stored if not self.tell(c))  # 7
        return Recorded(device, changes=tuple(stored), unreported=unreported)

    def tell(self, change: Change) -> bool:
        """Mail and report ``change``, then write its user-log block; False when it failed.

        A failure leaves the change unfinished: the next record's recovery tells it again.
        """
        if self.notifier is not None:
            try:
                self.notifier.notify(build_report(change), now=change.entry.time)
            except RospollError as exc:
                log.error(
                    "%s: change %s stored, but its mail and report could not be written "
                    "(%s); they will be retried",
                    change.device.name,
                    change.entry.id,
                    exc,
                )
                self.recorder.recovery_due = True
                return False
        self.recorder.finish(change)
        return True

    def finish_unfinished(self) -> list[Change]:
        """Tell the changes a killed or failed run left unfinished; returns them.

        Waits until no record is storing. Raises ``StoreError``.
        """
        recorder = self.recorder
        if not recorder.recovery_due:
            return []
        with recorder.gate.exclusive():
            if not recorder.recovery_due:
                return []
            changes = unfinished(recorder, read_version)
            recorder.recovery_due = False
        for change in changes:
            self.tell(change)
        return changes

    def warn(self, device: Device, warning: str) -> None:
        """Journal and report a warning about ``device`` once; an empty one clears it."""
        entry = self.recorder.store_warning(device, warning)
        if entry is None:
            return
        if self.notifier is not None:
            self.notifier.notify(warning_report(device, entry), now=entry.time)
        self.recorder.warning_told(device, warning)
