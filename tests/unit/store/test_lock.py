"""DataLock and concurrent writers: one writer at a time, nothing corrupted, nothing lost."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from rospoll.errors import StoreError
from rospoll.store import Backups, DataLock
from rospoll.store.backups import file_name

from .conftest import REPO_ROOT, assert_repo_healthy, at, git

COMMITS_PER_WRITER = 6


def test_second_lock_times_out_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / ".rospoll.lock"
    with DataLock(path, timeout_s=5):
        started = time.monotonic()
        with pytest.raises(StoreError) as caught, DataLock(path, timeout_s=0.2):
            pass
        assert time.monotonic() - started < 3
    assert str(caught.value) == f"another rospoll run holds {path}; try later"
    with DataLock(path, timeout_s=0.2):  # released: free again
        pass


def test_folder_means_the_lock_file_inside_it(tmp_path: Path) -> None:
    assert DataLock(tmp_path, timeout_s=1).path == tmp_path / ".rospoll.lock"


def test_lock_held_by_another_thread_refuses_after_timeout(tmp_path: Path) -> None:
    path = tmp_path / ".rospoll.lock"
    results: list[str] = []

    def second() -> None:
        try:
            with DataLock(path, timeout_s=0.2):
                results.append("got it")
        except StoreError:
            results.append("refused")

    with DataLock(path, timeout_s=5):
        worker = threading.Thread(target=second, name="second-lock")
        worker.start()
        worker.join(timeout=5)
    assert results == ["refused"]


def _commit_many(root: Path, lock: Path | None, device: str, user: str) -> None:
    """Baseline plus changes for one device, each under DataLock unless ``lock`` is None."""
    backups = Backups(root)
    for i in range(COMMITS_PER_WRITER):
        text = f"/system identity\nset name={device}\n# version {i}\n"
        author = user if i else None
        if lock is None:
            backups.commit(device, text, user=author, message=f"{device} {i}", when=at(i))
            continue
        with DataLock(lock, timeout_s=30):
            backups.commit(device, text, user=author, message=f"{device} {i}", when=at(i))


def _assert_all_commits_present(root: Path, devices: list[str]) -> None:
    backups = Backups(root)
    for device in devices:
        messages = git(root, "log", "--format=%s", "--", file_name(device)).splitlines()
        assert messages == [f"{device} {i}" for i in reversed(range(COMMITS_PER_WRITER))]
        assert backups.read(device) == f"/system identity\nset name={device}\n# version 5\n"
    count = git(root, "rev-list", "--count", "HEAD").strip()
    assert int(count) == COMMITS_PER_WRITER * len(devices)
    assert_repo_healthy(root)


@pytest.mark.timeout(60)
def test_two_threads_committing_different_devices_corrupt_nothing(tmp_path: Path) -> None:
    root, lock = tmp_path / "backups", tmp_path / ".rospoll.lock"
    Backups(root)
    errors: list[BaseException] = []

    def run(device: str, user: str) -> None:
        try:
            _commit_many(root, lock, device, user)
        except BaseException as exc:  # surfaced below; a thread never dies silently
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=(d, u), name=f"commit:{d}")
        for d, u in [("rtr-a", "alice"), ("rtr-b", "bob")]
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    _assert_all_commits_present(root, ["rtr-a", "rtr-b"])


@pytest.mark.timeout(60)
def test_threads_without_datalock_are_serialised_by_backups_itself(tmp_path: Path) -> None:
    root = tmp_path / "backups"
    Backups(root)
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def run(device: str) -> None:
        try:
            backups = Backups(root)  # one instance per thread, as separate stages would do
            barrier.wait(timeout=5)
            for i in range(COMMITS_PER_WRITER):
                text = f"/system identity\nset name={device}\n# version {i}\n"
                backups.commit(device, text, user=None, message=f"{device} {i}", when=at(i))
        except BaseException as exc:
            errors.append(exc)

    devices = ["rtr-a", "rtr-b", "rtr-c"]
    threads = [threading.Thread(target=run, args=(d,), name=f"commit:{d}") for d in devices]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    _assert_all_commits_present(root, devices)


WORKER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    sys.path.insert(0, sys.argv[1])
    from tests.unit.store.test_lock import _commit_many
    lock = Path(sys.argv[3]) if sys.argv[3] else None
    _commit_many(Path(sys.argv[2]), lock, sys.argv[4], sys.argv[5])
    """
)


@pytest.mark.timeout(90)
@pytest.mark.parametrize("with_datalock", [True, False], ids=["datalock", "backups-lock-only"])
def test_two_processes_committing_different_devices_corrupt_nothing(
    tmp_path: Path, with_datalock: bool
) -> None:
    root = tmp_path / "backups"
    lock = str(tmp_path / ".rospoll.lock") if with_datalock else ""
    Backups(root)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(REPO_ROOT), str(root), lock, device, user],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for device, user in [("rtr-a", "alice"), ("rtr-b", "bob")]
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode(errors="replace")
    _assert_all_commits_present(root, ["rtr-a", "rtr-b"])
