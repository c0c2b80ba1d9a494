"""atomic_write: old or new content after a crash, never half, never a stray temp file."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from rospoll.errors import StoreError
from rospoll.files import atomic_write, make_private_dir

POSIX_MODES = pytest.mark.skipif(sys.platform == "win32", reason="no POSIX file modes")


def test_write_replaces_content(tmp_path: Path) -> None:
    target = tmp_path / "r.rsc"
    atomic_write(target, "old\n")
    atomic_write(target, b"new\n")
    assert target.read_bytes() == b"new\n"
    assert os.listdir(tmp_path) == ["r.rsc"]


def test_crash_before_rename_keeps_old_content_and_leaves_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "r.rsc"
    atomic_write(target, "old\n")

    def crash(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(StoreError, match=r"cannot write .*r\.rsc: No space left"):
        atomic_write(target, "new\n" * 1000)
    assert target.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["r.rsc"]


def test_crash_during_write_keeps_old_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "r.rsc"
    atomic_write(target, "old\n")

    def die(fd: int) -> None:
        raise KeyboardInterrupt  # not an OSError: passes through untranslated

    monkeypatch.setattr(os, "fsync", die)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, "new\n")
    assert target.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["r.rsc"]


def test_data_is_fsynced_before_the_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append("fsync")
        real_fsync(fd)

    def replace(src: str, dst: str) -> None:
        events.append("replace")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    atomic_write(tmp_path / "r.rsc", "x")
    assert events[:2] == ["fsync", "replace"]


def test_missing_folder_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot write"):
        atomic_write(tmp_path / "absent" / "r.rsc", "x")


@POSIX_MODES
def test_files_are_0600_and_new_folders_0700(tmp_path: Path) -> None:
    folder = make_private_dir(tmp_path / "a" / "b")
    atomic_write(folder / "r.rsc", "x")
    assert (folder / "r.rsc").stat().st_mode & 0o777 == 0o600
    assert folder.stat().st_mode & 0o777 == 0o700


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_every_folder_make_private_dir_creates_is_private(tmp_path: Path) -> None:
    make_private_dir(tmp_path / "reports" / "changes" / "deep")
    for folder in ("reports", "reports/changes", "reports/changes/deep"):
        assert (tmp_path / folder).stat().st_mode & 0o777 == 0o700, folder
