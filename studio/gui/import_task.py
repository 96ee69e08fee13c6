"""Importing media on a worker thread, so the window stays responsive during a long import.

The task reports progress and its result through signals, which Qt delivers to the GUI
thread. Cancelling makes the next progress report raise, which aborts the import before it
writes anything (the core writes all new items in one transaction at the end).
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, Signal

from studio.api import Project


class ImportCancelledError(Exception):
    """Raised inside the import's progress callback to abort it."""


class ImportSignals(QObject):
    progress = Signal(int, int)  # done, total
    finished = Signal(object)  # ImportReport
    failed = Signal(str)
    cancelled = Signal()


class ImportTask(QRunnable):
    def __init__(self, project: Project, paths: list[Path]) -> None:
        super().__init__()
        self.project = project
        self.paths = paths
        self.signals = ImportSignals()
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    def _report_progress(self, done: int, total: int) -> None:
        if self._cancel.is_set():
            raise ImportCancelledError
        self.signals.progress.emit(done, total)

    def run(self) -> None:
        try:
            report = self.project.import_media(self.paths, progress=self._report_progress)
        except ImportCancelledError:
            self.signals.cancelled.emit()
        except Exception as error:  # shown to the user instead of vanishing with the thread
            self.signals.failed.emit(f"{type(error).__name__}: {error}")
        else:
            self.signals.finished.emit(report)
