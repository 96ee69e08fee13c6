"""Segment everything from the window: SAM's automatic mask generator on the images selected
in the gallery (the shown image when none is), as pending `sam` suggestions to review.

One small dialog asks for the suggestions' class and the generator's main options, and
remembers them in the window's settings. The run is the API's `segment_everything` (a
`sam-everything` worker) on the window's one background mechanism, `TaskRunner`, shown as a
job in the status bar (`studio.gui.status_job`) with a Cancel button; Esc cancels too (the
image being segmented keeps its suggestions, no other is started). Each image's suggestions are
one undo step, as in the worker; rejecting them all is a gallery Review filter away.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QSpinBox,
    QWidget,
)

from studio.api import Project
from studio.api.sam import no_checkpoint_message
from studio.core.errors import OperationCancelledError
from studio.core.wording import counted
from studio.gui.status_job import JobText, StatusJobs
from studio.gui.task_runner import Progress, TaskRunner
from studio.jobs.sam_everything_job import (
    DEFAULT_MIN_IOU,
    DEFAULT_MIN_STABILITY,
    DEFAULT_POINTS_PER_SIDE,
    EverythingOptions,
)

SETTINGS_GROUP = "sam_everything"  # QSettings keys: sam_everything/class, /points_per_side…
MAX_POINTS_PER_SIDE = 128
JOB_TEXT = JobText(
    "Segment everything",
    starting="starting SAM…",
    cancel_tip="Stop after the image in progress, which keeps its suggestions (Esc)",
)


@dataclass
class EverythingTally:
    """What a run did so far, counted from its worker's events (on the task's thread; read
    on the window's once the task has ended)."""

    images: int = 0
    suggestions: int = 0
    skipped: int = 0

    def count(self, event: dict[str, Any]) -> None:
        if event.get("event") == "progress":
            self.images += 1
            self.suggestions += int(event.get("suggested", 0))
        elif event.get("event") == "skipped":
            self.skipped += 1

    def describe(self) -> str:
        suggested = counted(self.suggestions, "pending suggestion")
        text = f"{suggested} added on {counted(self.images, 'image')}"
        return text + (f" ({self.skipped:,} could not be read)" if self.skipped else "")


def _remembered(settings: QSettings, key: str, default: float, kind: type) -> Any:
    """A remembered option, or `default` when there is none or it is not a number."""
    try:
        return kind(settings.value(f"{SETTINGS_GROUP}/{key}", default))
    except (TypeError, ValueError):
        return default


class EverythingDialog(QDialog):
    """The suggestions' class, the prompt grid and the two thresholds; remembered."""

    def __init__(
        self,
        classes: Sequence[str],
        settings: QSettings,
        active_class: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Segment everything")
        self.settings = settings
        self.class_combo = QComboBox()
        self.class_combo.addItems(list(classes))
        remembered = settings.value(f"{SETTINGS_GROUP}/class")
        for wanted in (remembered, active_class):
            if wanted in classes:
                self.class_combo.setCurrentText(str(wanted))
                break
        self.points_spin = QSpinBox()
        self.points_spin.setRange(1, MAX_POINTS_PER_SIDE)
        self.points_spin.setValue(
            _remembered(settings, "points_per_side", DEFAULT_POINTS_PER_SIDE, int)
        )
        self.points_spin.setToolTip("SAM is prompted with a grid of N × N points per image")
        self.iou_spin = self._threshold(_remembered(settings, "min_iou", DEFAULT_MIN_IOU, float))
        self.iou_spin.setToolTip("Keep the masks whose predicted IoU reaches this")
        self.stability_spin = self._threshold(
            _remembered(settings, "min_stability", DEFAULT_MIN_STABILITY, float)
        )
        self.stability_spin.setToolTip(
            "Keep the masks that change little when SAM's threshold moves (their stability)"
        )
        form = QFormLayout(self)
        form.addRow("Class", self.class_combo)
        form.addRow("Points per side", self.points_spin)
        form.addRow("Minimum predicted IoU", self.iou_spin)
        form.addRow("Minimum stability", self.stability_spin)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Segment")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    @staticmethod
    def _threshold(value: float) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(0.0, 1.0)
        spin.setDecimals(2)
        spin.setSingleStep(0.01)
        spin.setValue(value)
        return spin

    def options(self) -> EverythingOptions:
        return EverythingOptions(
            self.class_combo.currentText(),
            self.points_spin.value(),
            round(self.iou_spin.value(), 2),
            round(self.stability_spin.value(), 2),
        )

    def accept(self) -> None:
        options = self.options()
        values = {
            "class": options.label,
            "points_per_side": options.points_per_side,
            "min_iou": options.min_iou,
            "min_stability": options.min_stability,
        }
        for key, value in values.items():
            self.settings.setValue(f"{SETTINGS_GROUP}/{key}", value)
        super().accept()


class SegmentEverything(QObject):
    """Asks for the options, runs one segment-everything task at a time, shows its progress.

    `job` is its progress and Cancel button among the window's status-bar `jobs`. `message`
    carries one line for the status bar; `ended(message)` follows a run that finished or was
    cancelled, after which the window re-reads the project; `failed(message)` a run that
    failed; `checkpoint_wanted` asks the window to show where checkpoints come from.
    """

    message = Signal(str)
    ended = Signal(str)
    failed = Signal(str)
    checkpoint_wanted = Signal()

    def __init__(
        self, settings: QSettings, jobs: StatusJobs, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self._window = parent  # the dialog's parent
        self.dialog: EverythingDialog | None = None
        self._tally = EverythingTally()
        self._runner = TaskRunner(self)
        self._runner.finished.connect(self._finished)
        self._runner.cancelled.connect(self._cancelled)
        self._runner.failed.connect(self._failed)
        self.job = jobs.add(self._runner, JOB_TEXT, self.cancel)

    @property
    def running(self) -> bool:
        return self._runner.busy

    def ask(self, project: Project, item_ids: Sequence[int], active_class: str | None) -> None:
        """Open the options dialog for these items; its Segment button starts the run."""
        if self.running:
            self.message.emit("Segment everything is running; Esc cancels it")
            return
        if not item_ids:
            self.message.emit("Select images in the gallery (or open one) to segment everything")
            return
        choice = project.sam_checkpoint()
        if choice is None or not choice.usable:
            self.message.emit(choice.problem if choice else no_checkpoint_message(project.path))
            self.checkpoint_wanted.emit()
            return
        classes = [record.name for record in project.classes(include_archived=False)]
        if not classes:
            self.message.emit("Add a class first: SAM's suggestions need one")
            return
        dialog = EverythingDialog(classes, self.settings, active_class, self._window)
        dialog.accepted.connect(lambda: self.start(project, item_ids, dialog.options()))
        self.dialog = dialog
        dialog.open()

    def start(self, project: Project, item_ids: Sequence[int], options: EverythingOptions) -> None:
        """Segment everything in these items' images in the background."""
        tally = self._tally = EverythingTally()
        ids = list(item_ids)

        def work(progress: Progress, cancel: threading.Event) -> EverythingTally:
            def on_event(event: dict[str, Any]) -> None:
                tally.count(event)
                if event.get("event") == "progress":
                    progress(int(event["done"]), int(event["total"]))

            project.sam.segment_everything(ids, options, on_event, cancel)
            if cancel.is_set():
                raise OperationCancelledError("segment everything cancelled")
            return tally

        self._runner.start(work)
        self.message.emit(f"Segmenting everything in {counted(len(ids), 'image')} (Esc cancels)…")

    def cancel(self) -> None:
        """Stop the run: the image being segmented keeps its suggestions, no other starts."""
        if self.running:
            self._runner.cancel()
            self.message.emit("Segment everything: stopping after the image in progress…")

    def stop(self) -> None:
        """Cancel without waiting (the project or the window closes); the worker stops by
        itself after the image it is segmenting."""
        self._runner.drop()

    def _finished(self, tally: EverythingTally) -> None:
        self.ended.emit(f"Segment everything: {tally.describe()}; Y accepts, Ctrl+Delete rejects")

    def _cancelled(self) -> None:
        self.ended.emit(
            f"Segment everything cancelled: {self._tally.describe()}; the other images are "
            "untouched"
        )

    def _failed(self, message: str) -> None:
        self.failed.emit(message)
