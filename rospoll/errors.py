"""rospoll's exceptions: one root, one family per stage.

    RospollError
    ├── InventoryError          inventory file unreadable or wrong (file, line or host, variable)
    ├── DeviceError             talking to one router failed (device)
    │   ├── ConnectError            TCP/SSH connection refused, unreachable, name not resolved
    │   ├── AuthError               the router refused the credentials
    │   ├── HostKeyChangedError     the router's SSH host key differs from the pinned one
    │   ├── CommandTimeout          a command did not finish in time
    │   └── ExportError             the export is not a usable configuration
    ├── ConfigError             (config model) an export cannot be used
    │   └── ExportInvalidError      validation failed: CLI error, truncated, empty, not an export
    ├── StoreError              backups, journal or report files could not be written
    └── NotifyError             a mail could not be rendered or handed to the SMTP server

Library code raises these; only ``rospoll.cli`` turns them into one line for a human.
"""

from __future__ import annotations


class RospollError(Exception):
    """Root of every error rospoll raises on purpose."""


class InventoryError(RospollError):
    """Raised when the inventory cannot be read or resolved.

    ``where`` is ``file:line`` or ``host variable``; ``str()`` gives one line for a human.
    """

    def __init__(self, message: str, *, where: str = "") -> None:
        self.message = message
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class DeviceError(RospollError):
    """Raised when talking to one router fails; ``device`` names it."""

    def __init__(self, device: str, message: str) -> None:
        self.device = device
        self.message = message
        super().__init__(f"{device}: {message}")


class ConnectError(DeviceError):
    """Raised when the router cannot be reached (refused, timeout, unknown host name)."""


class AuthError(DeviceError):
    """Raised when the router refuses the user name or password."""


class HostKeyChangedError(DeviceError):
    """Raised when the router's SSH host key differs from the one pinned earlier."""

    def __init__(self, device: str, *, known: str, offered: str) -> None:
        self.known = known
        self.offered = offered
        super().__init__(
            device,
            f"SSH host key changed: pinned {known}, offered {offered}; "
            f"if the change is expected run: rospoll hostkey accept {device}",
        )


class CommandTimeout(DeviceError):
    """Raised when a command sent to the router does not finish within its timeout."""


class ExportError(DeviceError):
    """Raised when a fetched export cannot be used as a configuration version."""


class ConfigError(RospollError):
    """Raised by the config model when an export cannot be used."""


class ExportInvalidError(ConfigError):
    """Raised when an export fails validation; ``reason`` says why in a few words."""

    def __init__(self, reason: str, *, line_no: int | None = None, line: str = "") -> None:
        self.reason = reason
        self.line_no = line_no
        self.line = line
        where = f" (line {line_no})" if line_no is not None else ""
        super().__init__(f"invalid export: {reason}{where}")


class StoreError(RospollError):
    """Raised when backups, the journal or report files cannot be written."""


class NotifyError(RospollError):
    """Raised when a mail cannot be rendered or handed to the SMTP server."""
