"""The "Export model…" dialog: a run or a registered model version (or alias) becomes a
deployment bundle (ONNX model, manifest, runtime, self-test), optionally zipped and INT8.

The export runs in a worker process (`python -m studio.jobs.worker export ...`, the same one
the CLI starts), read line by line by `WorkerProcess`. It ends with the parity gate's result:
PASSED with its figures (max |logit diff|, top-1 agreement or matched detections and worst
IoU, the INT8 accuracy change) and the bundle's path; or FAILED with what differed — a failed
export writes nothing at the output folder.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, QUrl, Signal
from PySide6.QtGui import QCloseEvent, QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.api import Project
from studio.core.enums import OBJECT_TASKS
from studio.core.errors import StudioError
from studio.gui.labels_io import error_label, show_error, start_busy
from studio.gui.models import version_label
from studio.gui.models.parity import parity_rows, quantization_rows
from studio.gui.training.worker_process import WorkerProcess

NMS_CHOICES = (
    ("graph", "In the ONNX graph"),
    ("manifest", "In the bundle (thresholds in the manifest)"),
)
PASSED_COLOR, FAILED_COLOR = "#2e7d32", "#c62828"
STOP_WAIT_S = 10
FIGURES_MARGIN = 4  # pixels below the last figure, so no row looks cut
LAST_DIR_KEY = "last_bundle_dir"


def failure_title(message: str) -> str:
    """The verdict of a failed export: which gate failed, or that the export did."""
    lowered = message.lower()
    if "int8 gate" in lowered:
        return "INT8 check failed"
    if "parity gate" in lowered:
        return "Parity check failed"
    return "Export failed"


def folder_name(source_title: str) -> str:
    """A folder name for a bundle of `source_title` ("digits:3" → "digits-3")."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", source_title).strip("-.") or "bundle"


class ExportModelDialog(QDialog):
    exported = Signal(dict)  # the worker's `exported` event

    def __init__(
        self,
        project: Project,
        source: str | None = None,
        settings: QSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("exportModelDialog")
        self.setWindowTitle("Export a model")
        self.setMinimumWidth(620)
        self.project = project
        self.settings = settings
        self.sources: dict[str, dict[str, Any]] = {}
        self.result_event: dict[str, Any] | None = None
        self.failure = ""
        self.events: list[dict[str, Any]] = []
        self._out_edited = False
        self.worker = WorkerProcess(self)
        self.worker.event.connect(self._on_event)
        self.worker.ended.connect(self._on_ended)
        self._build()
        self._fill_sources(source)

    # -- building --------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.source_combo = QComboBox()
        self.source_combo.setObjectName("exportSource")
        self.source_combo.currentIndexChanged.connect(self._source_changed)
        form.addRow("Source:", self.source_combo)
        self.checkpoint_combo = QComboBox()
        self.checkpoint_combo.setObjectName("exportCheckpoint")
        form.addRow("Checkpoint:", self.checkpoint_combo)
        self.out_edit = QLineEdit()
        self.out_edit.setObjectName("exportFolder")
        self.out_edit.textEdited.connect(self._out_typed)
        self.out_edit.textChanged.connect(self._update_buttons)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self.choose_folder)
        row = QHBoxLayout()
        row.addWidget(self.out_edit, 1)
        row.addWidget(browse)
        form.addRow("Output folder:", row)
        form.addRow("", self._build_options())
        self.nms_combo = QComboBox()
        self.nms_combo.setObjectName("exportNms")
        for value, title in NMS_CHOICES:
            self.nms_combo.addItem(title, value)
        self.nms_combo.setToolTip("Where non-maximum suppression runs (detection models)")
        form.addRow("NMS:", self.nms_combo)
        layout.addLayout(form)
        self.progress = QProgressBar()
        self.progress.setObjectName("exportProgress")
        self.progress.setTextVisible(True)
        self.progress.setVisible(False)
        layout.addWidget(self.progress)
        self.status_label = QLabel()
        self.status_label.setObjectName("hint")
        self.status_label.setWordWrap(True)
        layout.addWidget(self.status_label)
        layout.addWidget(self._build_result(), 1)
        self.error = error_label("exportError")
        layout.addWidget(self.error)
        layout.addLayout(self._build_buttons())

    def _build_options(self) -> QWidget:
        box = QWidget()
        options = QHBoxLayout(box)
        options.setContentsMargins(0, 0, 0, 0)
        self.zip_check = QCheckBox("Also write a .zip")
        self.zip_check.setObjectName("exportZip")
        self.int8_check = QCheckBox("INT8 (checked for accuracy)")
        self.int8_check.setObjectName("exportInt8")
        self.int8_check.setToolTip(
            "Dynamic INT8 quantisation: a smaller, often faster model, kept only when its "
            "predictions still agree with the full-precision model's"
        )
        self.overwrite_check = QCheckBox("Replace a non-empty folder")
        self.overwrite_check.setObjectName("exportOverwrite")
        for check in (self.zip_check, self.int8_check, self.overwrite_check):
            options.addWidget(check)
        options.addStretch(1)
        return box

    def _build_result(self) -> QGroupBox:
        self.result_box = QGroupBox("Result")
        layout = QVBoxLayout(self.result_box)
        self.verdict = QLabel()
        self.verdict.setObjectName("parityVerdict")
        layout.addWidget(self.verdict)
        self.figures = QTableWidget(0, 2)
        self.figures.setObjectName("parityFigures")
        self.figures.setHorizontalHeaderLabels(["Figure", "Value"])
        self.figures.verticalHeader().setVisible(False)
        self.figures.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        header = self.figures.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        layout.addWidget(self.figures)
        self.parity_message = QLabel()
        self.parity_message.setObjectName("parityMessage")
        self.parity_message.setWordWrap(True)
        self.parity_message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.parity_message)
        self.bundle_label = QLabel()
        self.bundle_label.setObjectName("bundlePath")
        self.bundle_label.setWordWrap(True)
        self.bundle_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.bundle_label)
        layout.addStretch(1)
        self.result_box.setVisible(False)
        return self.result_box

    def _build_buttons(self) -> QHBoxLayout:
        buttons = QHBoxLayout()
        self.open_button = QPushButton("Open folder")
        self.open_button.setObjectName("openBundle")
        self.open_button.setVisible(False)
        self.open_button.clicked.connect(self.open_bundle_folder)
        self.export_button = QPushButton("Export")
        self.export_button.setObjectName("startExport")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.export)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setObjectName("stopExport")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.reject)
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        for button in (self.export_button, self.stop_button, self.close_button):
            buttons.addWidget(button)
        return buttons

    # -- sources ---------------------------------------------------------------------------

    def _fill_sources(self, wanted: str | None) -> None:
        """Model versions (and their aliases) first, then the finished runs."""
        for record in self.project.models():
            self._add_source(version_label(record), record.ref, record.task, record.checkpoint)
            for alias in record.aliases:
                title = f"{record.name}:{alias} → version {record.version}"
                self._add_source(title, f"{record.name}:{alias}", record.task, record.checkpoint)
        for run in self.project.run_records():
            if run.status == "finished":
                title = f"Run {run.name} (#{run.id}) — {run.model} on {run.version_name}"
                self._add_source(title, str(run.id), run.task, None, run=run.id)
        index = self.source_combo.findData(wanted) if wanted is not None else -1
        self.source_combo.setCurrentIndex(max(index, 0))
        if self.source_combo.count() == 0:
            show_error(self.error, "Nothing to export yet: train a model first (Train ▸ Start).")
        self._source_changed()

    def _add_source(
        self, title: str, source: str, task: str, checkpoint: str | None, run: int | None = None
    ) -> None:
        self.sources[source] = {"task": task, "checkpoint": checkpoint, "run": run}
        self.source_combo.addItem(title, source)

    def source(self) -> str | None:
        return self.source_combo.currentData()

    def _source_changed(self) -> None:
        source = self.source()
        info = self.sources.get(source or "", {})
        self.checkpoint_combo.clear()
        if info.get("run") is not None:
            names = [a.name for a in self.project.run(info["run"]).artifacts()]
            for name in ("best.pt", "last.pt"):
                if name in names:
                    self.checkpoint_combo.addItem(name, name)
            self.checkpoint_combo.setEnabled(True)
        elif info:
            self.checkpoint_combo.addItem(f"{info['checkpoint']} (registered)", None)
            self.checkpoint_combo.setEnabled(False)
        self.nms_combo.setEnabled(info.get("task") in OBJECT_TASKS)
        if source is not None and not self._out_edited:
            self.out_edit.setText(str(self._default_folder() / folder_name(self._title())))
        self._update_buttons()

    def _title(self) -> str:
        source = self.source() or ""
        run = self.sources.get(source, {}).get("run")
        return self.project.run(run).name if run is not None else source

    def _default_folder(self) -> Path:
        stored = self.settings.value(LAST_DIR_KEY) if self.settings is not None else None
        return Path(str(stored)) if stored else self.project.path.parent / "bundles"

    def _out_typed(self) -> None:
        self._out_edited = True

    def choose_folder(self) -> None:
        start = self.out_edit.text() or str(self._default_folder())
        folder = QFileDialog.getExistingDirectory(self, "Bundle folder", start)
        if folder:
            self._out_edited = True
            self.out_edit.setText(folder)

    def _update_buttons(self) -> None:
        running = self.worker.running
        ready = self.source() is not None and bool(self.out_edit.text().strip())
        self.export_button.setEnabled(ready and not running)
        self.stop_button.setEnabled(running)
        options = (self.zip_check, self.int8_check, self.overwrite_check)
        for widget in (self.source_combo, self.out_edit, *options):
            widget.setEnabled(not running)

    # -- exporting -------------------------------------------------------------------------

    def command(self) -> list[str]:
        source = self.source()
        info = self.sources.get(source or "", {})
        return self.project.export_command(
            source or "",
            Path(self.out_edit.text().strip()).expanduser(),
            zip=self.zip_check.isChecked(),
            int8=self.int8_check.isChecked(),
            nms=self.nms_combo.currentData() if info.get("task") in OBJECT_TASKS else "graph",
            checkpoint=self.checkpoint_combo.currentData(),
            overwrite=self.overwrite_check.isChecked(),
        )

    def export(self) -> bool:
        """Start the export worker; False (with the reason shown) when it cannot start."""
        if self.worker.running or self.source() is None:
            return False
        self._clear_result()
        try:
            self.worker.start(self.command())
        except (StudioError, OSError) as error:
            show_error(self.error, f"Cannot start the export: {error}")
            return False
        start_busy(self.progress, "Exporting…")
        self.status_label.setText(f"Exporting {self.source_combo.currentText()}…")
        self._update_buttons()
        return True

    def _clear_result(self) -> None:
        self.result_event, self.failure, self.events = None, "", []
        show_error(self.error, "")
        self.result_box.setVisible(False)
        self.open_button.setVisible(False)
        self.figures.setRowCount(0)

    def _on_event(self, event: dict) -> None:
        self.events.append(event)
        kind = event.get("event")
        if kind == "exported":
            self.result_event = event
        elif kind == "failed":
            self.failure = str(event.get("error") or "The export failed.")
        elif kind in ("log", "warning", "stage", "export") and event.get("message"):
            self.status_label.setText(str(event["message"]))

    def _on_ended(self, error: str) -> None:
        self.progress.setVisible(False)
        if self.result_event is not None:
            self._show_passed(self.result_event)
        elif self.failure:
            self._show_failed(self.failure, self._failed_parity())
        elif self._was_cancelled():
            self.status_label.setText("Export stopped: nothing was written.")
        else:
            tail = self.worker.stderr_tail()
            code = self.worker.process.returncode if self.worker.process is not None else None
            text = f"The export worker stopped without a result (exit status {code})."
            self._show_failed(f"{text}\n\n{tail}" if tail else text, None)
        self._update_buttons()
        self.adjustSize()  # room for every figure and path

    def _was_cancelled(self) -> bool:
        return any(
            e.get("event") == "finished" and e.get("status") == "cancelled" for e in self.events
        )

    def _failed_parity(self) -> dict[str, Any] | None:
        for event in reversed(self.events):
            if isinstance(event.get("parity"), dict):
                return event["parity"]
        return None

    def _show_passed(self, event: dict[str, Any]) -> None:
        parity = event.get("parity") or {}
        passed = bool(parity.get("passed", True))
        self._show_verdict("Parity check passed" if passed else "Parity check failed", passed)
        self._fill_figures(parity_rows(parity) + quantization_rows(event.get("quantization")))
        self.parity_message.setText(str(parity.get("message") or ""))
        paths = [f"Bundle: {event.get('folder')}"]
        if event.get("zip"):
            paths.append(f"Zip: {event['zip']}")
        self.bundle_label.setText("\n".join(paths))
        self.open_button.setVisible(True)
        seconds = event.get("seconds")
        took = f" in {seconds:.1f} s" if isinstance(seconds, (int, float)) else ""
        self.status_label.setText(f"Exported{took}.")
        if self.settings is not None and event.get("folder"):
            self.settings.setValue(LAST_DIR_KEY, str(Path(event["folder"]).parent))
        self.exported.emit(event)

    def _show_failed(self, message: str, parity: dict[str, Any] | None) -> None:
        self._show_verdict(failure_title(message), False)
        self._fill_figures(parity_rows(parity))
        self.parity_message.setText(str((parity or {}).get("message") or ""))
        self.bundle_label.setText("Nothing was written at the output folder.")
        show_error(self.error, message)
        self.status_label.setText("The export failed.")

    def _show_verdict(self, title: str, passed: bool) -> None:
        color = PASSED_COLOR if passed else FAILED_COLOR
        self.verdict.setText(
            f"<span style='font-size: 15pt; font-weight: 600; color: {color}'>{title}</span>"
        )
        self.result_box.setVisible(True)

    def _fill_figures(self, rows: list[tuple[str, str]]) -> None:
        self.figures.setRowCount(len(rows))
        for row, (title, value) in enumerate(rows):
            self.figures.setItem(row, 0, QTableWidgetItem(title))
            cell = QTableWidgetItem(value)
            cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.figures.setItem(row, 1, cell)
        self.figures.resizeRowsToContents()
        header = self.figures.horizontalHeader()
        height = max(header.height(), header.sizeHint().height())
        height += self.figures.verticalHeader().length() + 2 * self.figures.frameWidth()
        self.figures.setFixedHeight(height + FIGURES_MARGIN)
        self.figures.setVisible(bool(rows))

    def figure_values(self) -> dict[str, str]:
        """The figures shown, by title (for tests and for copying)."""
        return {
            self.figures.item(row, 0).text(): self.figures.item(row, 1).text()
            for row in range(self.figures.rowCount())
        }

    def open_bundle_folder(self) -> None:
        folder = (self.result_event or {}).get("folder")
        if folder:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    # -- stopping --------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask the worker to stop (SIGTERM): the export is abandoned, nothing is written."""
        process = self.worker.process
        if self.worker.running and process is not None and process.poll() is None:
            process.terminate()
            self.status_label.setText("Stopping the export…")

    def _abandon(self) -> None:
        """On closing while the worker runs: stop it, wait for it, drop its output files."""
        process, folder = self.worker.process, self.worker.stdout_path
        if not self.worker.running or process is None:
            return
        self.stop()
        try:
            process.wait(STOP_WAIT_S)
        except subprocess.TimeoutExpired:  # a worker that ignores SIGTERM is killed
            process.kill()
        self.worker.stop_watching()
        if folder is not None:
            shutil.rmtree(folder.parent, ignore_errors=True)

    def reject(self) -> None:
        self._abandon()
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self._abandon()
        super().closeEvent(event)
