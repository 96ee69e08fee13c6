"""One background task at a time, with progress, cancel and no stale results.

Work that can take longer than a frame (reading a label file, previewing a split, matching an
evaluation's predictions) runs as a plain function `work(progress, cancel)` on a QThreadPool
thread: `progress(done, total)` reports, and the `threading.Event` is what the core checks in
its loops (it raises OperationCancelledError and leaves everything as it was).

A `TaskRunner` runs one such task at a time: starting a new one (the preview of newly chosen
options) cancels the one before and drops its late signals, so a slow old result never
overwrites a newer one. It is the window's one mechanism for cancellable work: the media
import, relinking, the label dialogs, the version dialog and the error-analysis window use it.
(The thumbnail and image-decoding pools are apart: they are prioritised and tuned.)
Its `started` and `idle` signals let a status-bar job (`studio.gui.status_job`) show and hide
itself without the owner's help.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from studio.core.errors import OperationCancelledError, StudioError

Progress = Callable[[int, int], None]
Work = Callable[[Progress, threading.Event], object]


def stop_when_cancelled(progress: Progress, cancel: threading.Event) -> Progress:
    """A progress callback for a core function that takes no cancel event of its own: the
    report after `cancel` is set raises OperationCancelledError (those functions write only
    at their end, so a cancelled one leaves everything as it was)."""

    def report(done: int, total: int) -> None:
        if cancel.is_set():
            raise OperationCancelledError("cancelled")
        progress(done, total)

    return report


class TaskSignals(QObject):
    """Every signal carries the task's serial number, so late ones can be told apart."""

    progress = Signal(int, int, int)  # serial, done, total
    finished = Signal(int, object)  # serial, result
    failed = Signal(int, str)  # serial, message
    cancelled = Signal(int)


_serials = itertools.count(1)


class BackgroundTask(QRunnable):
    """Runs `work(progress, cancel)` on a pool thread and reports through `signals`."""

    def __init__(self, work: Work) -> None:
        super().__init__()
        self.work = work
        self.serial = next(_serials)
        self.cancel_event = threading.Event()
        self.signals = TaskSignals()

    def _progress(self, done: int, total: int) -> None:
        self.signals.progress.emit(self.serial, done, total)

    def run(self) -> None:
        try:
            result = self.work(self._progress, self.cancel_event)
        except OperationCancelledError:
            self.signals.cancelled.emit(self.serial)
        except StudioError as error:  # the message names the file, the record, the problem
            self.signals.failed.emit(self.serial, str(error))
        except Exception as error:  # shown to the user instead of vanishing with the thread
            self.signals.failed.emit(self.serial, f"{type(error).__name__}: {error}")
        else:
            self.signals.finished.emit(self.serial, result)


class TaskRunner(QObject):
    """One task at a time for its owner; only the current task's signals come through.

    `started` follows every `start`; `idle` comes once the runner has no task any more (it
    finished, failed, was cancelled or dropped), just before that task's own signal, so a
    handler that starts the next task leaves the runner busy.
    """

    started = Signal()
    idle = Signal()
    progress = Signal(int, int)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._task: BackgroundTask | None = None

    @property
    def busy(self) -> bool:
        return self._task is not None

    def start(self, work: Work) -> BackgroundTask:
        """Run `work`; a task still running is cancelled and its results ignored."""
        self._forget()
        task = BackgroundTask(work)
        task.signals.progress.connect(self._on_progress)
        task.signals.finished.connect(self._on_finished)
        task.signals.failed.connect(self._on_failed)
        task.signals.cancelled.connect(self._on_cancelled)
        self._task = task
        self.pool.start(task)
        self.started.emit()
        return task

    def cancel(self) -> None:
        """Ask the current task to stop; `cancelled` follows once it has (unless it was
        already done, then `finished` does)."""
        if self._task is not None:
            self._task.cancel_event.set()

    def drop(self) -> None:
        """Cancel the current task and forget it: none of its signals will come through
        (and one still waiting for the pool's thread never starts)."""
        if self._forget():
            self.idle.emit()

    def _forget(self) -> bool:
        """Cancel and forget the current task without a signal; True when there was one."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel_event.set()
        self.pool.clear()
        return task is not None

    def shutdown(self) -> None:
        """Cancel, and wait until the pool's thread is idle (before the dialog goes)."""
        self.drop()
        self.pool.waitForDone()

    def _is_current(self, serial: int) -> bool:
        return self._task is not None and self._task.serial == serial

    def _on_progress(self, serial: int, done: int, total: int) -> None:
        if self._is_current(serial):
            self.progress.emit(done, total)

    def _on_finished(self, serial: int, result: object) -> None:
        if self._is_current(serial):
            self._task = None
            self.idle.emit()
            self.finished.emit(result)

    def _on_failed(self, serial: int, message: str) -> None:
        if self._is_current(serial):
            self._task = None
            self.idle.emit()
            self.failed.emit(message)

    def _on_cancelled(self, serial: int) -> None:
        if self._is_current(serial):
            self._task = None
            self.idle.emit()
            self.cancelled.emit()
