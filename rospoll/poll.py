"""Poll: fetch a router's export and history, record it; retried once when the export is bad.

Used by ``rospoll poll-once``, the scheduled poll of ``rospoll watch`` and the follower's
bursts (which pass their log events along).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from rospoll.attribution.logline import ChangeEvent
from rospoll.device.hostkeys import KnownHosts
from rospoll.device.poller import Fetched, FetchSession, fetch
from rospoll.device.pool import Outcome, run_each
from rospoll.errors import ExportError, ExportInvalidError
from rospoll.inventory import Device
from rospoll.recorder import Recorded, Recorder


def poll_device(
    device: Device,
    *,
    known_hosts: KnownHosts,
    recorder: Recorder,
    events: Sequence[ChangeEvent] = (),
    opener: Callable[[Device], FetchSession] | None = None,
) -> Recorded:
    """Fetch and record one router; a cut, invalid or suddenly shrunk export is fetched again once.

    A shrink seen twice with the same text is taken as real. Raises
    :class:`~rospoll.errors.ExportError` when the second try fails too (nothing stored),
    and other :class:`~rospoll.errors.DeviceError` s when the router cannot be reached.
    """
    first: Fetched | None = None
    try:
        first = fetch(device, known_hosts, opener=opener)
        return recorder.record(device, first, events=events)
    except ExportError:
        first = None
    except ExportInvalidError:
        pass
    again = fetch(device, known_hosts, opener=opener)
    same = first is not None and again.export == first.export
    try:
        return recorder.record(device, again, events=events, allow_shrink=same)
    except ExportInvalidError as exc:
        raise ExportError(device.name, f"export rejected: {exc.reason}") from exc


def poll_all(
    devices: Iterable[Device],
    *,
    known_hosts: KnownHosts,
    recorder: Recorder,
    workers: int,
    on_done: Callable[[Outcome[Recorded]], None] | None = None,
) -> list[Outcome[Recorded]]:
    """Poll every router on a bounded pool; one outcome per router, failures included."""
    return run_each(
        devices,
        lambda device: poll_device(device, known_hosts=known_hosts, recorder=recorder),
        workers=workers,
        on_done=on_done,
    )
