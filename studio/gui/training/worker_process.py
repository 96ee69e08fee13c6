"""A training worker started from the GUI, and its progress events read line by line.

The worker (`python -m studio.jobs.worker train PROJECT RUN`) runs in a session of its own,
with its stdout and stderr going to two files in a folder of the GUI's: so a run goes on when
the window closes (or the GUI crashes), and the user can watch it again from the Runs view or
the CLI. A QProcess would not do: it kills its process when it is destroyed, and a pipe would
make the worker fail with "broken pipe" on its next line once the GUI has gone. A timer reads
the new complete lines of stdout, parses them with `studio.jobs.events.parse_event` and emits
them, and notices the end of the process.

An end without a final event ("finished" or "failed") is a crash: `ended` then carries an
error with the exit status and the last lines of the worker's stderr.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from studio.jobs.events import parse_event
from studio.jobs.launcher import worker_environment

READ_INTERVAL_MS = 150
STDERR_TAIL_LINES = 25
FINAL_EVENTS = ("finished", "failed", "exported")
STDOUT_NAME = "stdout.jsonl"
STDERR_NAME = "stderr.txt"


def _own_session() -> dict[str, Any]:
    """Popen options that detach the worker from the GUI's terminal and process group (a
    Ctrl+C there must not cancel a run the user left running)."""
    if sys.platform == "win32":
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    return {"start_new_session": True}


class WorkerProcess(QObject):
    """One worker process: `event(dict)` for each event it prints, then `ended(error)`
    ("" when it ended with a final event; else what went wrong)."""

    event = Signal(dict)
    ended = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.process: subprocess.Popen | None = None
        self.final_event: dict[str, Any] | None = None
        self._folder: Path | None = None
        self._offset = 0
        self._partial = b""
        self._timer = QTimer(self)
        self._timer.setInterval(READ_INTERVAL_MS)
        self._timer.timeout.connect(self._read)

    @property
    def running(self) -> bool:
        return self._timer.isActive()

    @property
    def stdout_path(self) -> Path | None:
        return None if self._folder is None else self._folder / STDOUT_NAME

    @property
    def stderr_path(self) -> Path | None:
        return None if self._folder is None else self._folder / STDERR_NAME

    def start(self, command: Sequence[str]) -> None:
        """Start `command` (a full argv: Python first); raises OSError when it cannot."""
        if self.running:
            raise RuntimeError("this worker process is still running")
        self._cleanup()
        folder = self._folder = Path(tempfile.mkdtemp(prefix="studio-worker-"))
        self.final_event = None
        self._offset = 0
        self._partial = b""
        with (
            (folder / STDOUT_NAME).open("wb") as stdout,
            (folder / STDERR_NAME).open("wb") as stderr,
        ):
            try:
                self.process = subprocess.Popen(
                    [str(part) for part in command],
                    stdin=subprocess.DEVNULL,
                    stdout=stdout,
                    stderr=stderr,
                    env=worker_environment(),
                    **_own_session(),
                )
            except OSError:
                self._cleanup()
                raise
        self._timer.start()

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    def stop_watching(self) -> None:
        """Stop reading (the worker goes on by itself); its output files stay for it."""
        self._timer.stop()
        self._folder = None
        self.process = None

    def _read(self) -> None:
        self._emit_new_events()
        if self.process is not None and self.process.poll() is not None:
            self._emit_new_events()  # what it printed just before the end
            self._timer.stop()
            self.ended.emit(self._end_error())
            self._cleanup()

    def _emit_new_events(self) -> None:
        for event in self._new_events():
            if event.get("event") in FINAL_EVENTS:
                self.final_event = event
            self.event.emit(event)

    def _new_events(self) -> list[dict[str, Any]]:
        path = self.stdout_path
        if path is None or not path.exists():
            return []
        with path.open("rb") as stream:
            stream.seek(self._offset)
            data = stream.read()
        self._offset += len(data)
        lines = (self._partial + data).split(b"\n")
        self._partial = lines.pop()
        return [event for event in map(parse_event, lines) if event is not None]

    def _end_error(self) -> str:
        final = self.final_event
        if final is None:
            tail = self.stderr_tail()
            code = self.process.returncode if self.process is not None else None
            return f"The worker stopped without reporting an end (exit status {code})." + (
                f"\n\n{tail}" if tail else ""
            )
        if final.get("event") == "failed":
            return str(final.get("error") or "The training failed.")
        return ""

    def stderr_tail(self) -> str:
        path = self.stderr_path
        if path is None or not path.exists():
            return ""
        with path.open(encoding="utf-8", errors="replace") as stream:
            lines = deque(stream, maxlen=STDERR_TAIL_LINES)
        return "".join(lines).strip()

    def _cleanup(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
        self._folder = None
        self.process = None
