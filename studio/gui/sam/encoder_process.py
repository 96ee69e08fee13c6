"""One `sam-encode` worker at a time, in a QProcess, for the images the labeler needs next.

The worker (`studio.jobs.sam_encode_job`) writes each embedding to the user's embedding cache
and prints a JSON `progress` event per image; this class turns those into `encoded(item_id)`.
A new request replaces the queued one; the running worker is stopped only when it does not
encode the image shown now, which must come first (it keeps what it stored already). A
QProcess dies with its owner, so closing the project or the window stops the encoding.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, Signal

from studio.jobs.events import parse_event
from studio.jobs.launcher import sam_encode_command, worker_environment

STOP_WAIT_MS = 3000


@dataclass(frozen=True)
class EncodeRequest:
    """Images of one project to encode with one checkpoint, the most needed first."""

    project_path: Path
    checkpoint_path: Path
    item_ids: tuple[int, ...]

    def command(self) -> list[str]:
        return sam_encode_command(self.project_path, self.checkpoint_path, self.item_ids)


class EncoderProcess(QObject):
    encoded = Signal(int)  # item id whose embedding is now in the cache
    decoder_ready = Signal()  # the checkpoint's ONNX decoder is exported (or was cached)
    failed = Signal(str)  # the worker stopped with an error; the message says why
    idle = Signal()  # no worker runs and none is queued

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._process: QProcess | None = None
        self._running: EncodeRequest | None = None
        self._queued: EncodeRequest | None = None
        self._buffer = b""
        self._errors: list[str] = []
        self._stopping = False  # we asked the running worker to stop: its exit is no failure

    def running(self) -> EncodeRequest | None:
        return self._running

    def request(self, request: EncodeRequest) -> None:
        """Encode `request`'s images after (or, when its first image is not being encoded
        now, instead of) the running worker; an empty request only drops the queued one."""
        self._queued = request if request.item_ids else None
        running = self._running
        if running is None:
            self._start_queued()
        elif request.item_ids and request.item_ids[0] not in running.item_ids:
            self._stop_running()

    def cancel(self) -> None:
        """Stop the worker and forget the queued request (the project closes)."""
        self._queued = None
        self._stop_running(wait=True)

    def _start_queued(self) -> None:
        request, self._queued = self._queued, None
        if request is None:
            self.idle.emit()
            return
        process = QProcess(self)
        environment = QProcessEnvironment()
        for name, value in worker_environment().items():
            environment.insert(name, value)
        process.setProcessEnvironment(environment)
        process.readyReadStandardOutput.connect(self._read_events)
        process.readyReadStandardError.connect(self._read_errors)
        process.finished.connect(self._finished)
        process.errorOccurred.connect(self._process_error)
        self._process, self._running, self._buffer, self._errors = process, request, b"", []
        self._stopping = False
        command = request.command()
        process.start(command[0], command[1:])

    def _stop_running(self, wait: bool = False) -> None:
        process = self._process
        if process is None:
            return
        self._stopping = True
        process.terminate()  # SIGTERM: the worker stops between images, keeping what it stored
        if wait and not process.waitForFinished(STOP_WAIT_MS):
            process.kill()
            process.waitForFinished(STOP_WAIT_MS)

    def _read_events(self) -> None:
        if self._process is None:
            return
        self._buffer += bytes(self._process.readAllStandardOutput().data())
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            event = parse_event(line)
            if event is None:
                continue
            if event["event"] == "decoder":
                self.decoder_ready.emit()
            elif event["event"] == "progress" and isinstance(event.get("item_id"), int):
                self.encoded.emit(event["item_id"])

    def _read_errors(self) -> None:
        if self._process is not None:
            text = bytes(self._process.readAllStandardError().data()).decode(errors="replace")
            self._errors.extend(line for line in text.splitlines() if line.strip())

    def _process_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self.failed.emit("SAM encoder: the worker process could not start")
            self._finished(-1, QProcess.ExitStatus.CrashExit)

    def _finished(self, code: int, status: QProcess.ExitStatus) -> None:
        process = self.sender() if isinstance(self.sender(), QProcess) else self._process
        if process is not self._process or process is None:
            return
        self._read_events()
        stopped = self._stopping or status == QProcess.ExitStatus.CrashExit
        self._stopping = False
        if code > 0 and not stopped:
            last = self._errors[-1] if self._errors else f"exit code {code}"
            self.failed.emit(f"SAM encoder: {last}")
        self._process, self._running = None, None
        process.deleteLater()
        self._start_queued()
