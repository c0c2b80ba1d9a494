"""Poll: fetch a router's export and history, record it; retried once when the export is bad.

Used by ``rospoll poll-once``, the scheduled poll of ``rospoll watch`` and the follower's
bursts (which pass their log events along). Fetching is the device stage; recording is
the rest of :class:`~rospoll.app.pipeline.Pipeline`.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from functools import partial

from rospoll.app.change import Recorded
from rospoll.app.concurrency import Outcome, Workers, outcome_of
from rospoll.app.pipeline import Pipeline
from rospoll.attribution.logline import ChangeEvent
from rospoll.device.hostkeys import KnownHosts
from rospoll.device.poller import ExportSession, Fetched, export_session, fetch
from rospoll.errors import ExportError, ExportInvalidError
from rospoll.inventory import Device


@dataclass(frozen=True)
class _Retry:
    """The first try's export was cut or rejected; ``first`` is it when it was read whole."""

    first: Fetched | None


def _attempt(
    device: Device,
    fetched: Callable[[], Fetched],
    pipeline: Pipeline,
    events: Sequence[ChangeEvent],
    retry_of: _Retry | None,
) -> Recorded | _Retry:
    """Record one fetch; on a first try, a cut or invalid export asks for a second one.

    A shrink seen twice with the same text is taken as real. On the second try the
    failure is raised as :class:`~rospoll.errors.ExportError` (nothing stored).
    """
    try:
        got = fetched()
    except ExportError:
        if retry_of is None:
            return _Retry(None)
        raise
    same = (
        retry_of is not None and retry_of.first is not None and got.export == retry_of.first.export
    )
    try:
        return pipeline.record(device, got, events=events, allow_shrink=same)
    except ExportInvalidError as exc:
        if retry_of is None:
            return _Retry(got)
        raise ExportError(device.name, f"export rejected: {exc.reason}") from exc


def poll_device(
    device: Device,
    *,
    known_hosts: KnownHosts,
    pipeline: Pipeline,
    events: Sequence[ChangeEvent] = (),
    opener: Callable[[Device], ExportSession] | None = None,
) -> Recorded:
    """Fetch and record one router; a cut, invalid or suddenly shrunk export is fetched again once.

    Raises :class:`~rospoll.errors.ExportError` when the second try fails too (nothing
    stored), and other :class:`~rospoll.errors.DeviceError` s when the router cannot be
    reached.
    """

    def fetched() -> Fetched:
        return fetch(device, known_hosts, session=opener(device) if opener else None)

    result = _attempt(device, fetched, pipeline, events, None)
    if isinstance(result, _Retry):
        result = _attempt(device, fetched, pipeline, events, result)
    assert not isinstance(result, _Retry)  # a second try records or raises
    return result


def poll_all(
    devices: Iterable[Device],
    *,
    known_hosts: KnownHosts,
    pipeline: Pipeline,
    workers: int,
    on_done: Callable[[Outcome[Recorded]], None] | None = None,
) -> list[Outcome[Recorded]]:
    """Poll every router: one outcome per router, in device order, failures included.

    ``workers`` threads fetch; each runs one export at a time, and logs in to its next
    router while that export runs (so at most 2 x ``workers`` SSH sessions are open, and
    ``workers`` exports run). A few other threads record the fetches as they end:
    parsing, diffing and git never hold up an export. A retry goes back to the workers.
    """
    todo = list(devices)
    if not todo:
        return []
    jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
    fetched: queue.SimpleQueue[tuple[_Job, Future[Fetched]] | None] = queue.SimpleQueue()
    recorded: queue.SimpleQueue[_Recorded] = queue.SimpleQueue()
    for index, device in enumerate(todo):
        jobs.put(_Job(index, device, None))

    def record(item: tuple[_Job, Future[Fetched]]) -> None:
        job, future = item
        attempt = partial(_attempt, job.device, future.result, pipeline, (), job.retry_of)
        try:
            recorded.put((job, outcome_of(job.device, attempt)))
        except BaseException as exc:  # not an error of this router's: the caller re-raises
            recorded.put((job, exc))

    fetchers = Workers(
        jobs,
        partial(_fetch_from, jobs=jobs, fetched=fetched, known_hosts=known_hosts),
        count=min(workers, len(todo)),
        name="rospoll-fetch",
    )
    recorders = Workers(fetched, record, count=min(RECORDERS, len(todo)), name="rospoll-record")
    outcomes: dict[int, Outcome[Recorded]] = {}
    try:
        while len(outcomes) < len(todo):
            job, outcome = recorded.get()
            if isinstance(outcome, BaseException):
                raise outcome  # KeyboardInterrupt, SystemExit …: this thread's to handle
            value = outcome.value
            if isinstance(value, _Retry):
                jobs.put(_Job(job.index, job.device, value))
                continue
            outcomes[job.index] = Outcome(job.device, value, outcome.error)
            if on_done is not None:
                on_done(outcomes[job.index])
    except BaseException:  # Ctrl-C: daemon threads never keep the process alive
        fetchers.stop(time.monotonic())
        recorders.stop(time.monotonic())
        raise
    fetchers.stop(time.monotonic() + STOP_WAIT_S)
    recorders.stop(time.monotonic() + STOP_WAIT_S, drop_queued=False)
    return [outcomes[index] for index in range(len(todo))]


# Recording is mostly Python (one thread at a time) and fsync waits; a few threads overlap
# the waits: 500 baselines (one git commit each) recorded in one thread fell behind the fetches.
RECORDERS = 4
STOP_WAIT_S = 30.0  # a running export or commit ends well within its own timeouts

_Recorded = tuple["_Job", Outcome[Recorded | _Retry] | BaseException]


@dataclass(frozen=True)
class _Job:
    index: int
    device: Device
    retry_of: _Retry | None


def _fetch_from(
    first: _Job,
    *,
    jobs: queue.SimpleQueue[_Job | None],
    fetched: queue.SimpleQueue[tuple[_Job, Future[Fetched]] | None],
    known_hosts: KnownHosts,
) -> None:
    """Fetch ``first``, logging in to the next queued router while each export runs.

    One login at most ahead (a dead router costs its connect timeout), never a wait: so
    at most 2 x ``workers`` SSH sessions are open. A failed login or fetch goes to the
    recording threads as a failed future, which tell it (or pass it on).
    """

    def log_in(job: _Job) -> tuple[_Job, ExportSession] | None:
        session = export_session(job.device, known_hosts)
        try:
            session.open()
        except BaseException as exc:  # a recording thread tells it (or passes it on)
            fetched.put((job, _failed(exc)))
            return None
        return job, session

    held = log_in(first)

    def log_in_to_next() -> None:
        nonlocal held
        try:
            job = jobs.get_nowait()
        except queue.Empty:
            return
        if job is None:
            jobs.put(None)  # a stop, for this worker's next take
            return
        held = log_in(job)

    while held is not None:
        (job, session), held = held, None
        result: Future[Fetched] = Future()
        try:
            result.set_result(
                fetch(job.device, known_hosts, session=session, meanwhile=log_in_to_next)
            )
        except BaseException as exc:  # a recording thread tells it (or passes it on)
            result.set_exception(exc)
        fetched.put((job, result))


def _failed(exc: BaseException) -> Future[Fetched]:
    future: Future[Fetched] = Future()
    future.set_exception(exc)
    return future
