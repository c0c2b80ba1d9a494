"""Run one task per device on a bounded thread pool; a failed device is a result, not a crash."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, TypeVar

from rospoll.errors import DeviceError, RospollError
from rospoll.inventory import Device

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What a task gave for one device: ``value`` or ``error`` (a one-line reason)."""

    device: Device
    value: T | None = None
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None


def outcome_of(device: Device, task: Callable[[], T]) -> Outcome[T]:
    """``task()``'s value, or its error as a one-line reason (unexpected ones are logged)."""
    try:
        return Outcome(device, value=task())
    except DeviceError as exc:
        return Outcome(device, error=exc.message)
    except RospollError as exc:
        return Outcome(device, error=str(exc))
    except Exception as exc:
        log.exception("%s: unexpected error", device.name)
        return Outcome(device, error=f"unexpected error: {exc!r}")


def run_each(
    devices: Iterable[Device],
    task: Callable[[Device], T],
    *,
    workers: int,
    on_done: Callable[[Outcome[T]], None] | None = None,
) -> list[Outcome[T]]:
    """Run ``task`` for every device, at most ``workers`` at once; outcomes in device order.

    A :class:`RospollError` becomes the outcome's error text; any other exception too,
    logged with its traceback, so one broken router never stops the others.
    """

    def guarded(device: Device) -> Outcome[T]:
        outcome = outcome_of(device, lambda: task(device))
        if on_done is not None:
            on_done(outcome)
        return outcome

    device_list = list(devices)
    if not device_list:
        return []
    with ThreadPoolExecutor(
        max_workers=max(1, min(workers, len(device_list))), thread_name_prefix="rospoll"
    ) as pool:
        return list(pool.map(guarded, device_list))
