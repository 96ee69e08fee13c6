"""The Train panel: choose a dataset version and the settings, start a run, watch it live.

Start creates the run (`Project.new_run`, status queued, the full validated config) and starts
its worker (`Run.worker_command()`) detached, reading its progress events (see
`worker_process`): loss per batch and per epoch and the validation metrics per epoch go to the
charts; the progress bar, ETA, images/s, the device and the pretrained-weights note and any
warning (e.g. a batch size halved after running out of GPU memory) show above them. Cancel
asks the run to stop (`Run.cancel()`); the status line and bar say "cancelling…" until the
worker stops (within a batch, also in validation and evaluation), then "cancelled"; the run
keeps its last complete checkpoint. Resume continues the run selected in the Runs view when it was
interrupted, cancelled or failed. Neither versions nor runs are label edits: they are not in
the undo history.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from studio.api import Project
from studio.core.enums import RESUMABLE_STATUSES
from studio.core.errors import StudioError
from studio.core.wording import counted
from studio.gui.labels_io import error_label, show_error
from studio.gui.training import (
    NOT_UNDOABLE,
    format_duration,
    format_metric,
    headline_metrics,
    split_counts_text,
)
from studio.gui.training.charts import TrainingCharts
from studio.gui.training.settings_form import SettingsForm
from studio.gui.training.version_dialog import FreezeVersionDialog
from studio.gui.training.worker_process import WorkerProcess

STEPS_PER_EPOCH_UNITS = 1000  # the progress bar counts thousandths of an epoch
# Events that move the status line and the bar while a run trains.
PROGRESS_EVENTS = frozenset({"started", "batch", "validating", "epoch", "evaluating", "evaluated"})


def version_title(version: Any) -> str:
    return f"{version.name}  ({split_counts_text(version.counts)})"


class TrainPanel(QWidget):
    """Settings on the left, the live run on the right."""

    run_started = Signal(int)  # run id
    run_ended = Signal(int, str)  # run id, final status
    versions_changed = Signal()
    message = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainPanel")
        self.project: Project | None = None
        self.run: Any = None  # the Run this panel started or resumed and is watching
        self.selected_run: Any = None  # the Run selected in the Runs view (for Resume)
        self.last_status = ""
        self.events: list[dict[str, Any]] = []
        self.worker = WorkerProcess(self)
        self.worker.event.connect(self.handle_event)
        self.worker.ended.connect(self._worker_ended)
        self._steps = 0
        self._epochs = 0
        self._cancelling = False  # asked to stop: progress events no longer move the display
        self._build()
        self._update_buttons()

    # -- building ------------------------------------------------------------------------

    def _build(self) -> None:
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self._build_settings())
        splitter.addWidget(self._build_live())
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)

    def _build_settings(self) -> QWidget:
        inner = QWidget()
        layout = QVBoxLayout(inner)
        top = QFormLayout()
        version_row = QHBoxLayout()
        self.version_combo = QComboBox()
        self.version_combo.setObjectName("trainVersion")
        self.version_combo.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.version_combo.customContextMenuRequested.connect(self._version_menu)
        self.version_combo.setToolTip("Right-click to delete a version no run uses")
        self.version_combo.currentIndexChanged.connect(self._fit_settings_to_version)
        self.freeze_button = QPushButton("Freeze version…")
        self.freeze_button.setToolTip(f"A frozen snapshot of the labeled images. {NOT_UNDOABLE}")
        self.freeze_button.clicked.connect(self.freeze_version)
        version_row.addWidget(self.version_combo, 1)
        version_row.addWidget(self.freeze_button)
        top.addRow("Version:", version_row)
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("runName")
        self.name_edit.setPlaceholderText("automatic (model-N)")
        top.addRow("Run name:", self.name_edit)
        layout.addLayout(top)
        self.form = SettingsForm()
        layout.addWidget(self.form)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        scroll.setMinimumWidth(420)
        return scroll

    def _build_live(self) -> QWidget:
        live = QWidget()
        layout = QVBoxLayout(live)
        layout.setContentsMargins(4, 0, 0, 0)
        buttons = QHBoxLayout()
        self.start_button = QPushButton("Start")
        self.start_button.setObjectName("startTraining")
        self.start_button.setToolTip(f"Train on the chosen version. {NOT_UNDOABLE}")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelTraining")
        self.cancel_button.setToolTip("Stop the run; its last complete checkpoint is kept")
        self.resume_button = QPushButton("Resume")
        self.resume_button.setObjectName("resumeTraining")
        self.resume_button.setToolTip("Continue the run selected in the Runs view")
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.resume_button.clicked.connect(self.resume)
        self.progress = QProgressBar()
        self.progress.setObjectName("trainProgress")
        self.progress.setTextVisible(True)
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.resume_button)
        buttons.addWidget(self.progress, 1)
        layout.addLayout(buttons)
        self.status_label = QLabel("No run yet")
        self.status_label.setObjectName("trainStatus")
        self.device_label = QLabel()
        self.device_label.setObjectName("hint")
        self.device_label.setWordWrap(True)
        self.error = error_label("trainError")
        self.warnings = QListWidget()
        self.warnings.setObjectName("trainWarnings")
        self.warnings.setMaximumHeight(60)
        self.warnings.setVisible(False)
        for widget in (self.status_label, self.device_label, self.error, self.warnings):
            layout.addWidget(widget)
        self.charts = TrainingCharts()
        layout.addWidget(self.charts, 1)
        return live

    # -- the project and its versions ----------------------------------------------------

    def set_project(self, project: Project | None) -> None:
        if self.worker.running:
            self.worker.stop_watching()  # the run goes on by itself
        self.project = project
        self.run = None
        self.selected_run = None
        self.charts.clear()
        self.refresh_versions()
        self._fit_settings_to_version()  # also when the new project's versions look the same
        self._update_buttons()

    def refresh_versions(self) -> None:
        """Re-read the versions, keeping the chosen one (the newest after a new one)."""
        versions = self.project.versions() if self.project is not None else []
        titles = [(version.id, version_title(version)) for version in versions]
        shown = [
            (self.version_combo.itemData(i), self.version_combo.itemText(i))
            for i in range(self.version_combo.count())
        ]
        if titles == shown:  # unchanged: leave the list (and an open popup) alone
            return
        chosen = self.version_combo.currentData()
        self.version_combo.blockSignals(True)
        self.version_combo.clear()
        for version in versions:
            self.version_combo.addItem(version_title(version), version.id)
        index = self.version_combo.findData(chosen)
        self.version_combo.setCurrentIndex(index if index >= 0 else len(versions) - 1)
        self.version_combo.blockSignals(False)
        if not versions:
            self.version_combo.setPlaceholderText("No version yet: freeze one")
        self._fit_settings_to_version()
        self._update_buttons()

    def _fit_settings_to_version(self) -> None:
        """Let the preset fit the input size, batch size and epochs to the chosen version."""
        if self.project is None or self.version_id is None:
            self.form.set_basis(None)
            return
        try:
            self.form.set_basis(self.project.preset_basis(self.version_id))
        except StudioError as error:  # the version was deleted by another process
            show_error(self.error, str(error))

    @property
    def version_id(self) -> int | None:
        value = self.version_combo.currentData()
        return int(value) if value is not None else None

    def freeze_version(self) -> FreezeVersionDialog | None:
        if self.project is None:
            return None
        dialog = FreezeVersionDialog(self.project, self)
        dialog.created.connect(self._version_created)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _version_created(self, version: Any) -> None:
        self.refresh_versions()
        self.version_combo.setCurrentIndex(self.version_combo.findData(version.id))
        self.versions_changed.emit()
        self.message.emit(f"Version {version.name} frozen: {split_counts_text(version.counts)}")

    def _version_menu(self, position: QPoint) -> None:
        if self.version_id is None:
            return
        menu = QMenu(self)
        menu.addAction(f"Delete {self.version_combo.currentText().split()[0]}", self.delete_version)
        menu.exec(self.version_combo.mapToGlobal(position))

    def delete_version(self) -> bool:
        """Delete the chosen version; refused (and said why) when a run uses it."""
        if self.project is None or self.version_id is None:
            return False
        try:
            self.project.delete_version(self.version_id)
        except StudioError as error:
            show_error(self.error, str(error))
            return False
        show_error(self.error, "")
        self.refresh_versions()
        self.versions_changed.emit()
        return True

    # -- starting, cancelling, resuming -------------------------------------------------

    @property
    def is_running(self) -> bool:
        return self.worker.running

    def set_selected_run(self, run: Any) -> None:
        """The run selected in the Runs view (Resume continues it)."""
        self.selected_run = run
        self._update_buttons()

    def can_resume(self) -> bool:
        if self.selected_run is None or self.is_running:
            return False
        record = self.selected_run.record  # one read of the project
        return (
            record.status in RESUMABLE_STATUSES
            and 0 < record.epochs_done < record.epochs  # a checkpoint to resume from
        )

    def start(self) -> Any:
        """Create a run with the chosen version and settings, and start its worker."""
        if self.project is None or self.is_running or self.version_id is None:
            return None
        try:
            run = self.project.new_run(
                version=self.version_id,
                task=self.form.task,
                model=self.form.model,
                preset=self.form.preset,
                name=self.name_edit.text().strip() or None,
                **self.form.values(),
            )
        except StudioError as error:
            show_error(self.error, str(error))
            return None
        self._launch(run, resume=False)
        return run

    def resume(self) -> Any:
        if not self.can_resume():
            return None
        run = self.selected_run
        self.charts.set_history(run.metrics())
        self._launch(run, resume=True)
        return run

    def _launch(self, run: Any, resume: bool) -> None:
        self.run = run
        self.events = []
        self.last_status = ""
        self._cancelling = False
        if not resume:
            self.charts.clear()
        self.warnings.clear()
        self.warnings.setVisible(False)
        show_error(self.error, "")
        self.device_label.setText("")
        self.progress.setRange(0, 0)
        self.status_label.setText(f"{'Resuming' if resume else 'Starting'} {run.name}…")
        try:
            self.worker.start(run.worker_command(resume=resume))
        except OSError as error:
            show_error(self.error, str(error))
            self.progress.setRange(0, 1)
            return
        self._update_buttons()
        self.run_started.emit(run.id)

    def cancel(self) -> None:
        if self.run is None or not self.is_running:
            return
        try:
            self.run.cancel()
        except StudioError as error:
            show_error(self.error, str(error))
            return
        self._cancelling = True
        self.status_label.setText(f"Cancelling {self.run.name}…")
        self.progress.setRange(0, 0)  # busy until the worker stops
        self.progress.setFormat("cancelling…")
        self.cancel_button.setEnabled(False)

    # -- events --------------------------------------------------------------------------

    def handle_event(self, event: dict[str, Any]) -> None:
        """One progress event of the worker (see studio.jobs.events).

        Once the user cancelled, the charts still take the batches the worker finishes, but
        the status line and bar keep saying "cancelling…" until it stops.
        """
        self.events.append(event)
        kind = event.get("event")
        if self._cancelling and kind in PROGRESS_EVENTS:
            if kind == "batch":
                self.charts.add_batch(*self._batch_position(event), event.get("loss"))
            elif kind == "epoch":
                self.charts.add_epoch(int(event.get("epoch") or 0), event.get("metrics") or {})
            return
        handler = getattr(self, f"_on_{kind}", None)
        if handler is not None:
            handler(event)

    @staticmethod
    def _batch_position(event: dict[str, Any]) -> tuple[int, int, int]:
        epoch, step, steps = (int(event.get(k) or 0) for k in ("epoch", "step", "steps"))
        return epoch, step, steps

    def _on_run(self, event: dict[str, Any]) -> None:
        parts = [f"Device: {event.get('device', '?')}"]
        if event.get("pretrained"):
            parts.append(f"Weights: {event['pretrained']}")
        self.device_label.setText(" · ".join(parts))

    def _on_started(self, event: dict[str, Any]) -> None:
        self._epochs = int(event.get("epochs") or 0)
        self._steps = int(event.get("steps_per_epoch") or 0)
        self.progress.setRange(0, max(self._epochs, 1) * STEPS_PER_EPOCH_UNITS)
        done = int(event.get("resumed_from") or 0)
        self.progress.setValue(done * STEPS_PER_EPOCH_UNITS)
        self.progress.setFormat(f"epoch {done} / {self._epochs}")
        items = event.get("train_items")
        self.status_label.setText(
            f"Training on {counted(items, 'image')}, batch size {event.get('batch_size')}"
            if isinstance(items, int)
            else "Training…"
        )

    def _on_batch(self, event: dict[str, Any]) -> None:
        epoch, step, steps = self._batch_position(event)
        self.charts.add_batch(epoch, step, steps, event.get("loss"))
        fraction = step / steps if steps else 0.0
        self.progress.setValue(int((epoch - 1 + fraction) * STEPS_PER_EPOCH_UNITS))
        self.progress.setFormat(f"epoch {epoch} / {self._epochs} · step {step} / {steps}")
        speed = event.get("images_per_s")
        parts = [f"Epoch {epoch}/{self._epochs}", f"loss {format_metric(event.get('loss'))}"]
        if isinstance(speed, (int, float)):
            parts.append(f"{speed:,.0f} images/s")
        eta = format_duration(event.get("eta_s"))
        if eta:
            parts.append(f"ETA {eta}")
        self.status_label.setText(" · ".join(parts))

    def _on_epoch(self, event: dict[str, Any]) -> None:
        epoch = int(event.get("epoch") or 0)
        metrics = event.get("metrics") or {}
        self.charts.add_epoch(epoch, metrics)
        self.progress.setValue(epoch * STEPS_PER_EPOCH_UNITS)
        self.progress.setFormat(f"epoch {epoch} / {self._epochs}")
        shown = [f"{name} {format_metric(value)}" for name, value in metrics.items() if "/" in name]
        eta = format_duration(event.get("eta_s"))
        best = " (best so far)" if event.get("best") else ""
        text = f"Epoch {epoch}/{self._epochs}{best}: " + ", ".join(shown)
        self.status_label.setText(text + (f" · ETA {eta}" if eta else ""))

    def _on_validating(self, event: dict[str, Any]) -> None:
        self.status_label.setText(f"Epoch {event.get('epoch')}/{self._epochs}: validating…")

    def _on_evaluating(self, event: dict[str, Any]) -> None:
        self.progress.setRange(0, 0)
        self.progress.setFormat("evaluating…")
        self.status_label.setText(
            f"Evaluating {event.get('checkpoint', '')} on {event.get('split', 'test')}…"
        )

    def _on_warning(self, event: dict[str, Any]) -> None:
        self.warnings.addItem(str(event.get("message", "")))
        self.warnings.setVisible(True)
        self.warnings.scrollToBottom()

    def _on_evaluated(self, event: dict[str, Any]) -> None:
        metrics = headline_metrics(event.get("metrics") or {})
        self.status_label.setText(f"Evaluated on {event.get('split', 'test')}: {metrics}")

    def _on_finished(self, event: dict[str, Any]) -> None:
        self.last_status = str(event.get("status", "finished"))
        if self.last_status == "cancelled" and self.run is not None:
            self._show_end()

    def _on_failed(self, event: dict[str, Any]) -> None:
        self.last_status = "failed"

    def _worker_ended(self, error: str) -> None:
        run = self.run
        if error:
            self.last_status = self.last_status or "failed"
            show_error(self.error, error)
        self._show_end()
        if run is not None:
            self.run_ended.emit(run.id, self.last_status)
        self._update_buttons()

    def _show_end(self) -> None:
        """The bar and status line of a run that ended (or is ending) as `last_status`."""
        self._cancelling = False
        self.progress.setRange(0, 1)
        self.progress.setValue(1 if self.last_status == "finished" else 0)
        self.progress.setFormat(self.last_status or "ended")
        if self.run is not None:
            summary = self._summary_text(self.run)
            self.status_label.setText(f"{self.run.name}: {self.last_status or 'ended'}{summary}")

    @staticmethod
    def _summary_text(run: Any) -> str:
        try:
            summary = run.record.summary or {}
        except StudioError:
            return ""
        test = headline_metrics(summary.get("test") or {})
        return f" · test {test}" if test else ""

    # -- state ---------------------------------------------------------------------------

    def _update_buttons(self) -> None:
        has_project = self.project is not None
        running = self.is_running
        self.start_button.setEnabled(has_project and not running and self.version_id is not None)
        self.cancel_button.setEnabled(running)
        self.resume_button.setEnabled(self.can_resume())
        self.freeze_button.setEnabled(has_project)
        self.form.setEnabled(not running)
        self.version_combo.setEnabled(not running)

    def ask_before_close(self, parent: QWidget) -> bool:
        """When a run is going, ask whether to cancel it or leave it running; False when the
        user keeps the window open."""
        if not self.is_running or self.run is None:
            return True
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "A training run is going",
            f"“{self.run.name}” is still training. It can go on without Studio's window: "
            "its progress is saved in the project, and the Runs view shows it when you open "
            "the project again.",
            QMessageBox.StandardButton.NoButton,
            parent,
        )
        leave = box.addButton("Leave it running", QMessageBox.ButtonRole.AcceptRole)
        stop = box.addButton("Cancel the run", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton("Don't close", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(leave)
        box.exec()
        if box.clickedButton() is leave:
            self.worker.stop_watching()
            return True
        if box.clickedButton() is stop:
            self.run.cancel()
            self.worker.stop_watching()
            return True
        return False
