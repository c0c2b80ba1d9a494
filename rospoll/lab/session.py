"""One SSH channel of a lab router: RouterOS banner, line editor, exec runner, log follower.

Runs on the shared loop thread only (see ``rospoll.lab.loop``).
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import asyncssh

from rospoll.lab.commands import ExportRequest, FollowRequest, Outcome, execute
from rospoll.lab.device import Actor, Device
from rospoll.lab.logbook import LogEntry
from rospoll.lab.render import FOOTERS, V7_SEPARATOR, log_line
from rospoll.lab.state import split_commands

V7_BANNER = r"""  MMM      MMM       KKK                          TTTTTTTTTTT      KKK
  MMMM    MMMM       KKK                          TTTTTTTTTTT      KKK
  MMM MMMM MMM  III  KKK  KKK  RRRRRR     OOOOOO      TTT     III  KKK  KKK
  MMM  MM  MMM  III  KKKKK     RRR  RRR  OOO  OOO     TTT     III  KKKKK
  MMM      MMM  III  KKK KKK   RRRRRR    OOO  OOO     TTT     III  KKK KKK
  MMM      MMM  III  KKK  KKK  RRR  RRR   OOOOOO      TTT     III  KKK  KKK

  MikroTik RouterOS {version} (c) 1999-2024       https://www.mikrotik.com/

Press F1 for help
"""
V6_BANNER = r"""  MikroTik RouterOS {version} (c) 1999-2024       http://www.mikrotik.com/

[?]             Gives the list of available commands
command [?]     Gives help on the command and list of arguments

[Tab]           Completes the command/word. If the input is ambiguous,
                a second [Tab] gives possible options

/               Move up to base level
..              Move up one level
/command        Use command at the base level
"""
EXPORT_ERROR = "failure: could not export configuration"


@dataclass
class Knobs:
    """Realism and failure switches of one router, read by its sessions."""

    repaint: str = "plain"
    export_delay_s: float = 0.0
    fail_next_export: str | None = None


class SessionHost(Protocol):
    """What a session needs of its router's listener (``server.LabListener``)."""

    device: Device
    knobs: Knobs


class Session(asyncssh.SSHServerSession[bytes]):
    """One shell or exec channel: RouterOS line editor, command runner, log follower."""

    def __init__(self, lab: SessionHost, actor: Actor, conn: asyncssh.SSHServerConnection) -> None:
        self.lab, self.actor, self.conn = lab, actor, conn
        self.chan: asyncssh.SSHServerChannel[bytes] | None = None
        self.width = 80
        self.exec_command: str | None = None
        self.buf = ""
        self.last_cr = False
        self.pending: list[str] = []
        self.task: asyncio.Task[None] | None = None
        self.following: FollowRequest | None = None
        self.closed = False
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.out: list[str] = []

    # --- asyncssh callbacks -------------------------------------------------------------

    def connection_made(self, chan: asyncssh.SSHServerChannel[bytes]) -> None:
        self.chan = chan

    def pty_requested(
        self, term_type: str, term_size: tuple[int, int, int, int], term_modes: Any
    ) -> bool:
        self.width = max(20, min(term_size[0] or 80, 1024))
        return True

    def shell_requested(self) -> bool:
        return True

    def exec_requested(self, command: str) -> bool:
        self.exec_command = command
        return True

    def session_started(self) -> None:
        if self.exec_command is not None:
            self._start(self._run_exec(self.exec_command))
            return
        banner = V6_BANNER if self.lab.device.flavor.is_v6 else V7_BANNER
        text = banner.format(version=self.lab.device.flavor.version)
        self._write("\r\n" + text.replace("\n", "\r\n") + "\r\n")
        self._prompt()
        self._flush()

    def data_received(self, data: bytes, datatype: Any) -> None:
        if self.exec_command is not None:
            return
        for ch in self.decoder.decode(data):
            if self.task is not None:
                self._key_while_running(ch)
            elif self.pending:
                self.pending.append(ch)
            else:
                self._key(ch)
            if self.closed:
                return
        self._flush()

    def eof_received(self) -> bool:
        return True  # keep sending: clients (paramiko exec) often shut stdin down at once

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.task is not None:
            self.task.cancel()

    # --- output -------------------------------------------------------------------------

    @property
    def prompt(self) -> str:
        return f"[{self.actor.user}@{self.lab.device.identity}] > "

    def _write(self, text: str) -> None:
        self.out.append(text)

    def _flush(self) -> None:
        if self.out and not self.closed and self.chan is not None:
            data, self.out = "".join(self.out), []
            with contextlib.suppress(Exception):
                self.chan.write(data.encode("utf-8"))
        self.out = []

    @property
    def _ros649(self) -> bool:
        return self.lab.knobs.repaint == "ros649" and self.exec_command is None

    def _pad(self, text: str) -> str:
        return " " * max(0, self.width - 1 - len(text))

    def _prompt(self) -> None:
        p = self.prompt
        if self.lab.knobs.repaint == "ros649":
            self._write("\r\r\r\r" + p.rstrip() + self._pad(p) + "\r" + p)
        else:
            self._write(p)

    def _repaint(self) -> None:
        shown = self.prompt + self.buf
        self._write("\r\r" + shown + self._pad(shown) + "\x1b[K\r" + shown)

    # --- line editor ----------------------------------------------------------------------

    def _key(self, ch: str) -> None:
        was_cr, self.last_cr = self.last_cr, ch == "\r"
        repaint = self.lab.knobs.repaint
        if ch == "\x00":
            self.last_cr = was_cr
        elif ch == "\n" and was_cr:
            if repaint == "ros649":
                self._repaint()
        elif ch in "\r\n":
            self._enter()
        elif ch == "\x03":
            self.buf = ""
            self._write("\r\n")
            self._prompt()
        elif ch == "\x04" and not self.buf:
            self._quit()
        elif ch in "\x7f\x08":
            if self.buf:
                self.buf = self.buf[:-1]
                self._write("\b \b")
        elif ch >= " ":
            self.buf += ch
            self._write(ch)
            if repaint == "ros649":
                self._repaint()

    def _enter(self) -> None:
        line, self.buf = self.buf, ""
        repaint = self.lab.knobs.repaint
        if repaint != "plain" and line:
            self._write("\r" + self.prompt + line)
        self._write("\r\n")
        if not line.strip():
            self._prompt()
            return
        outcome = execute(self.lab.device, line, self.actor)
        self._handle(outcome)

    def _handle(self, outcome: Outcome) -> None:
        if outcome.quit:
            self._quit()
        elif outcome.export is not None:
            self._start(self._run_export(outcome.export))
        elif outcome.follow is not None:
            self._start(self._run_follow(outcome.follow))
        else:
            self._lines(outcome.text)
            self._prompt()

    def _lines(self, text: str) -> None:
        if text:
            lead = "\r" if self._ros649 else ""
            self._write(lead + text.replace("\n", "\r\n") + "\r\n")

    def _quit(self) -> None:
        self._write("interrupted\r\n")
        self._flush()
        self.closed = True
        if self.chan is not None:
            self.chan.exit(0)

    def _key_while_running(self, ch: str) -> None:
        if ch == "\x03" and self.task is not None:
            self.task.cancel()
        elif ch == " " and self.following is not None:
            self._write("\r\x1b[K" + self._separator() + "\r\n" + self._footer())
        elif self.following is None:
            self.pending.append(ch)

    def _start(self, coro: Any) -> None:
        self.task = asyncio.get_running_loop().create_task(coro)
        self.task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self.task = None
        self.following = None
        if self.closed:
            return
        if self.exec_command is not None:
            self._flush()
            if self.chan is not None:
                self.chan.exit(0)
            return
        if task.cancelled():
            self._write("\r\x1b[K")
        self._prompt()
        pending, self.pending = self.pending, []
        for i, ch in enumerate(pending):
            if self.task is not None:
                for rest in pending[i:]:
                    self._key_while_running(rest)
                break
            self._key(ch)
            if self.closed:
                return
        self._flush()

    # --- long-running commands ------------------------------------------------------------

    async def _run_exec(self, command: str) -> None:
        """Run the ``;``-separated commands of an exec request in turn, up to an error."""
        for part in split_commands(command):
            outcome = execute(self.lab.device, part, self.actor)
            if outcome.export is not None:
                if not await self._run_export(outcome.export):
                    return
            elif outcome.follow is not None:
                await self._run_follow(outcome.follow)
                return
            elif outcome.quit:
                return
            else:
                self._lines(outcome.text)
                if outcome.failed:
                    return

    async def _run_export(self, request: ExportRequest) -> bool:
        """Send the export (slowly, cut, or failed, as the knobs say); False if it failed."""
        knobs = self.lab.knobs
        failure, knobs.fail_next_export = knobs.fail_next_export, None
        text = self.lab.device.export_text(
            path=request.path, terse=request.terse, show_sensitive=request.show_sensitive
        )
        if request.to_file or failure == "empty":
            return True
        if failure == "error":
            self._lines(EXPORT_ERROR)
            return False
        data = ("\r" if self._ros649 else "") + text.replace("\n", "\r\n")
        if failure is not None and failure.startswith("truncate"):
            fraction = float(failure.partition(":")[2] or "0.5")
            self._write(data[: int(len(data) * fraction)])
            self._flush()
            await asyncio.sleep(0.05)
            self.closed = True
            self.conn.close()
            return False
        delay = knobs.export_delay_s
        if delay > 0:
            await asyncio.sleep(delay / 2)
        chunks = 10 if delay > 0 else 1
        step = len(data) // chunks + 1
        for start in range(0, len(data), step):
            self._write(data[start : start + step])
            self._flush()
            if delay > 0:
                await asyncio.sleep(delay / 2 / chunks)
        return True

    def _separator(self) -> str:
        return V7_SEPARATOR if self.lab.device.log_style == "v7" else "=" * 60

    def _footer(self) -> str:
        return "" if self.exec_command is not None else FOOTERS[self.lab.device.log_style]

    async def _run_follow(self, request: FollowRequest) -> None:
        device = self.lab.device
        self.following = request
        interactive = self.exec_command is None

        def show(entry: LogEntry) -> None:
            if request.where.matches(entry) and not self.closed:
                line = log_line(
                    device.log_style, entry.time, entry.topics, entry.message, entry.time
                )
                erase = "\r\x1b[K" if interactive else ""
                self._write(erase + line + "\r\n" + self._footer())
                self._flush()

        if interactive and request.only and device.log_style == "v7":
            self._write(self._separator() + "\r\n")
        if not request.only:
            now = datetime.now()
            for entry in device.logbook.entries:
                if request.where.matches(entry):
                    line = log_line(device.log_style, entry.time, entry.topics, entry.message, now)
                    self._write(line + "\r\n")
        self._write(self._footer())
        self._flush()
        device.logbook.follow(show)
        try:
            await asyncio.Event().wait()
        finally:
            device.logbook.unfollow(show)
