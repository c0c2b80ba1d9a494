"""Refuse the export of another router stored as a new version of the first one.

A router's export header names its hardware: ``# serial number = …``, ``# software id = …``
and, on RouterOS 7 CHR, ``# system id = …``. When the address in the inventory now leads to
a different box (a replacement, a wrong DNS entry, a swapped port forward), storing its
export would read as a huge change made by nobody. The recorder calls::

    if not check_identity(device.name, old.meta, new.meta, replaced=self.replaced):
        check_shrink(old, new)

which raises :class:`RouterChangedError` (naming the router and both values) unless the
operator accepted the replacement with ``rospoll hostkey accept ROUTER --replaced``: that
writes the marker ``.rospoll/replaced/<router>``, which lets the next export through
once, whatever its ids, and is then removed.

:func:`identity_mismatch` is pure; :class:`ReplacedMarks` owns the marker files.
"""

from __future__ import annotations

from pathlib import Path

from rospoll.config.model import ExportMeta
from rospoll.errors import DeviceError, StoreError
from rospoll.files import atomic_write, make_private_dir
from rospoll.store.names import safe_name

_FIELDS = (("serial", "serial number"), ("software_id", "software id"), ("system_id", "system id"))


class RouterChangedError(DeviceError):
    """Raised when an export's serial number, software id or system id differs from the
    stored version's: it comes from another router. ``differences`` lists ``(label, old, new)``.
    """

    def __init__(self, device: str, differences: tuple[tuple[str, str, str], ...]) -> None:
        self.differences = differences
        said = ", ".join(f"{label} {old} -> {new}" for label, old, new in differences)
        super().__init__(
            device,
            f"export comes from another router ({said}); not stored. If {device} was "
            f"replaced, run: rospoll hostkey accept {device} --replaced",
        )


def identity_mismatch(
    old: ExportMeta | None, new: ExportMeta | None
) -> tuple[tuple[str, str, str], ...]:
    """The ids that differ between two export headers, as ``(label, old, new)``.

    An id is only compared when both headers have it (v6 and v7 print different ones, and
    a CHR has no serial number). Empty when nothing differs or nothing is known.

    >>> a = ExportMeta("7.16", serial="HE30AB1C2D3E", software_id="QMLS-64F2")
    >>> identity_mismatch(a, ExportMeta("7.16", serial="XX99"))
    (('serial number', 'HE30AB1C2D3E', 'XX99'),)
    """
    if old is None or new is None:
        return ()
    found = []
    for attr, label in _FIELDS:
        before, after = getattr(old, attr), getattr(new, attr)
        if before and after and before != after:
            found.append((label, before, after))
    return tuple(found)


class ReplacedMarks:
    """Marker files ``<folder>/<router>``: "the next export of this router may be another box"."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def _path(self, device: str) -> Path:
        return self.folder / safe_name(device)

    def mark(self, device: str) -> Path:
        """Accept another router's ids once for ``device``; returns the marker path.

        Raises :class:`~rospoll.errors.StoreError` when the marker cannot be written.
        """
        make_private_dir(self.folder)
        path = self._path(device)
        atomic_write(path, f"{device}\n")
        return path

    def is_marked(self, device: str) -> bool:
        return self._path(device).is_file()

    def clear(self, device: str) -> None:
        """Remove the marker; raises :class:`~rospoll.errors.StoreError` when it stays."""
        try:
            self._path(device).unlink(missing_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot remove {self._path(device)}: {exc}") from exc


def check_identity(
    device: str,
    old: ExportMeta | None,
    new: ExportMeta | None,
    *,
    replaced: ReplacedMarks | None = None,
) -> bool:
    """Raise :class:`RouterChangedError` when ``new`` comes from another router than ``old``.

    A marker in ``replaced`` lets one export through whatever its ids, and is consumed by
    it; True is returned then, so the caller also skips the sudden-shrink check (another
    box's configuration may well be smaller). Call under the router's record lock, before
    anything is stored.
    """
    if replaced is not None and replaced.is_marked(device):
        replaced.clear(device)
        return True
    differences = identity_mismatch(old, new)
    if differences:
        raise RouterChangedError(device, differences)
    return False
