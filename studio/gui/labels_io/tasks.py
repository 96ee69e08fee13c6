"""Label import, preview and export on a worker thread, with progress and cancel.

Reading a label file, checking every shape against its image and writing an export can
take minutes, so the dialogs never do it on the GUI thread. Each piece of work is a plain
function of the project (`preview`, `import_labels`, `export_labels`) that a `LabelTask`
runs on a QThreadPool thread, passing a progress callback and a `threading.Event` that the
core checks in its loops (it raises OperationCancelledError and leaves everything as it
was).

A `TaskRunner` runs one task at a time for a dialog: starting a new one (the preview of
newly chosen options) cancels the one before and drops its late signals, so a slow old
preview never overwrites a newer one.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from studio.api import LabelExportReport, LabelImportReport, Project
from studio.core.errors import LabelImportError, OperationCancelledError, StudioError

Progress = Callable[[int, int], None]
Work = Callable[[Progress, threading.Event], object]


@dataclass(frozen=True)
class ImportRequest:
    """Everything an import needs; `format` None means "detect it"."""

    source: Path
    format: str | None = None
    class_map: dict[str, str] = field(default_factory=dict)
    copy_images: bool = False
    replace: bool = False
    skip_missing_images: bool = False


@dataclass(frozen=True)
class PreviewResult:
    """A dry run: the request with its format filled in, and what the import would do or
    the error that would stop it (the format, once detected, is shown either way)."""

    request: ImportRequest
    report: LabelImportReport | None
    detected: bool
    error: str = ""


@dataclass(frozen=True)
class ExportRequest:
    destination: Path
    format: str
    split: str | None = None
    item_ids: tuple[int, ...] | None = None
    images: str = "copy"
    overwrite: bool = False


def preview(
    project: Project, request: ImportRequest, progress: Progress, cancel: threading.Event
) -> PreviewResult:
    """Detect the format if needed, then dry-run the import."""
    detected = request.format is None
    if detected:
        request = replace(request, format=Project.detect_label_format(request.source))
    try:
        report = _import(project, request, progress, cancel, dry_run=True)
    except LabelImportError as error:
        return PreviewResult(request, None, detected, str(error))
    return PreviewResult(request, report, detected)


def import_labels(
    project: Project, request: ImportRequest, progress: Progress, cancel: threading.Event
) -> LabelImportReport:
    return _import(project, request, progress, cancel, dry_run=False)


def _import(
    project: Project,
    request: ImportRequest,
    progress: Progress,
    cancel: threading.Event,
    dry_run: bool,
) -> LabelImportReport:
    return project.import_labels(
        request.source,
        format=request.format,
        class_map=request.class_map or None,
        copy_images=request.copy_images,
        replace=request.replace,
        skip_missing_images=request.skip_missing_images,
        dry_run=dry_run,
        progress=progress,
        cancel=cancel,
    )


def export_labels(
    project: Project, request: ExportRequest, progress: Progress, cancel: threading.Event
) -> LabelExportReport:
    return project.export_labels(
        request.destination,
        request.format,
        split=request.split,
        item_ids=request.item_ids,
        images=request.images,
        overwrite=request.overwrite,
        progress=progress,
        cancel=cancel,
    )


class TaskSignals(QObject):
    """Every signal carries the task's serial number, so late ones can be told apart."""

    progress = Signal(int, int, int)  # serial, done, total
    finished = Signal(int, object)  # serial, result
    failed = Signal(int, str)  # serial, message
    cancelled = Signal(int)


_serials = itertools.count(1)


class LabelTask(QRunnable):
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
    """One task at a time for a dialog; only the current task's signals come through."""

    progress = Signal(int, int)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._task: LabelTask | None = None

    @property
    def busy(self) -> bool:
        return self._task is not None

    def start(self, work: Work) -> LabelTask:
        """Run `work`; a task still running is cancelled and its results ignored."""
        self.drop()
        task = LabelTask(work)
        task.signals.progress.connect(self._on_progress)
        task.signals.finished.connect(self._on_finished)
        task.signals.failed.connect(self._on_failed)
        task.signals.cancelled.connect(self._on_cancelled)
        self._task = task
        self.pool.start(task)
        return task

    def cancel(self) -> None:
        """Ask the current task to stop; `cancelled` follows once it has (unless it was
        already done, then `finished` does)."""
        if self._task is not None:
            self._task.cancel_event.set()

    def drop(self) -> None:
        """Cancel the current task and forget it: none of its signals will come through."""
        if self._task is not None:
            self._task.cancel_event.set()
            self._task = None

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
            self.finished.emit(result)

    def _on_failed(self, serial: int, message: str) -> None:
        if self._is_current(serial):
            self._task = None
            self.failed.emit(message)

    def _on_cancelled(self, serial: int) -> None:
        if self._is_current(serial):
            self._task = None
            self.cancelled.emit()
