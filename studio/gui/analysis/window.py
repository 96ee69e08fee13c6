"""The error-analysis window of a run: for one of its evaluations, the confusion matrix as a
picture whose cells list the images behind them, the per-class figures, the
precision-recall curves and, for detection and segmentation, the gallery of errors with a
score threshold.

Every image opens in the labeling canvas with Enter or a double-click: the window emits
`open_item_requested(item_id)`, which the main window connects to `MainWindow.open_item`
(which raises and activates the main window, over this one: see `open_in_canvas`).
`items_requested(ids)` asks to select a confusion cell's images in the gallery.

Keys: Ctrl+1..4 switch tabs, arrows move between confusion cells, Enter (or Ctrl+O) opens
the current image, Ctrl+G selects the cell's images in the gallery, [ and ] lower and raise
the score threshold, Alt+E / Alt+K / Alt+L focus the evaluation, kind and class choosers.
Reading and matching predictions runs off the GUI thread (a `TaskRunner` each).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QImage, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from studio.core.enums import OBJECT_TASKS
from studio.core.runs import EvaluationRecord
from studio.core.versions import VersionItem
from studio.core.wording import counted
from studio.gui.analysis.confusion_view import ConfusionMatrixView
from studio.gui.analysis.errors_view import ErrorsPanel
from studio.gui.analysis.image_grid import GridEntry, ImageGrid
from studio.gui.analysis.pr_chart import PrecisionRecallChart
from studio.gui.gallery.thumbnail_loader import ThumbnailLoader, ThumbnailState
from studio.gui.task_runner import TaskRunner
from studio.gui.training import headline_metrics
from studio.gui.training.evaluation_view import PerClassTable

THUMBNAIL_SIDE = 112
DEFAULT_THRESHOLD = 50  # percent
THRESHOLD_STEP = 5
RECOMPUTE_DELAY_MS = 150  # the slider settles before the errors are matched again
NEUTRAL_COLOR = "#9e9e9e"


@dataclass(frozen=True)
class AnalysisData:
    """Everything the window shows of one evaluation (made in a worker thread)."""

    evaluation: EvaluationRecord
    items: dict[int, VersionItem]
    paths: dict[int, Path]
    cells: dict[str, Any]
    curves: dict[str, dict[str, Any]]
    errors: list[dict[str, Any]] | None


def load_analysis(project: Any, evaluation: EvaluationRecord, task: str, threshold: float):
    items = {item.item_id: item for item in project.evaluation_items(evaluation.id)}
    paths = {item_id: project.version_item_path(item) for item_id, item in items.items()}
    cells, errors = load_threshold(project, evaluation.id, task, threshold)
    curves = project.precision_recall_curves(evaluation.id)
    return AnalysisData(evaluation, items, paths, cells, curves, errors)


def load_threshold(project: Any, evaluation_id: int, task: str, threshold: float):
    """The confusion cells and (for detectors) the errors at a score threshold."""
    if task not in OBJECT_TASKS:
        return project.confusion_cells(evaluation_id), None
    cells = project.confusion_cells(evaluation_id, score_threshold=threshold)
    return cells, project.detection_errors(evaluation_id, score_threshold=threshold)


def fitted(image: QImage, side: int = THUMBNAIL_SIDE) -> QImage:
    """Small images (digits, icons) shown as large as the grid allows."""
    if max(image.width(), image.height()) >= side:
        return image
    return image.scaled(
        side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )


def without_undefined(
    values: dict[str, Any], truths: int | None, predictions: int | None
) -> dict[str, Any]:
    """A class's figures with those that mean nothing set to None (the table shows "—"):
    its precision when nothing was predicted as it, its recall and F1 when the split holds
    none of it. The evaluation stores 0 for both (scikit-learn's `zero_division=0`), which
    would read as a class that was always wrong."""
    shown = dict(values)
    if predictions == 0 and "precision" in shown:
        shown["precision"] = None
    if truths == 0:
        for key in ("recall", "f1"):
            if key in shown:
                shown[key] = None
    return shown


def class_totals(cells: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """Class name → (true examples, predictions) from the confusion matrix."""
    labels, matrix = cells.get("labels") or [], cells.get("matrix") or []
    return {
        name: (sum(matrix[index]), sum(row[index] for row in matrix))
        for index, name in enumerate(labels)
    }


def evaluation_title(evaluation: EvaluationRecord) -> str:
    epoch = f" · epoch {evaluation.epoch}" if evaluation.epoch else ""
    return f"{evaluation.split} · {evaluation.checkpoint}{epoch} · #{evaluation.id}"


class ErrorAnalysisWindow(QDialog):
    open_item_requested = Signal(int)  # show this item in the labeling canvas
    items_requested = Signal(list)  # select these items in the gallery

    def __init__(
        self,
        project: Any,
        run: Any,
        parent: QWidget | None = None,
        evaluation_id: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("errorAnalysisWindow")
        # A plain window (a QDialog's own type is "dialog", which window managers keep above
        # the main window even when it is not transient for it): see `open_in_canvas`.
        self.setWindowFlags(Qt.WindowType.Window)
        self.project = project
        self.run = run
        self.record = run.record
        self.task = self.record.task
        self.colors = {entry.name: entry.color for entry in run.version.classes}
        self.evaluations = list(reversed(run.evaluations()))  # newest first
        self.data: AnalysisData | None = None
        self.cell: tuple[int, int] | None = None
        self.setWindowTitle(f"Error analysis of {self.record.name}")
        self.resize(1180, 760)
        self._load_call = TaskRunner(self)
        self._load_call.finished.connect(self._loaded)
        self._load_call.failed.connect(self._failed)
        self._threshold_call = TaskRunner(self)
        self._threshold_call.finished.connect(self._threshold_loaded)
        self._threshold_call.failed.connect(self._failed)
        self._threshold_timer = QTimer(self)
        self._threshold_timer.setSingleShot(True)
        self._threshold_timer.setInterval(RECOMPUTE_DELAY_MS)
        self._threshold_timer.timeout.connect(self._recompute_threshold)
        self.thumbnails = ThumbnailLoader(QSize(THUMBNAIL_SIDE, THUMBNAIL_SIDE), parent=self)
        self.thumbnails.batch_ready.connect(self._thumbnails_ready)
        self._build()
        self._shortcuts()
        self._pending = 0
        if self.evaluations:
            chosen = next((e for e in self.evaluations if e.id == evaluation_id), None)
            self.evaluation_combo.setCurrentIndex(self.evaluations.index(chosen) if chosen else 0)
            self.load(self.evaluation_combo.currentIndex())
        else:
            self.summary.setText(f"{self.record.name} has not been evaluated yet.")

    # -- building ------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.addLayout(self._top_bar())
        self.tabs = QTabWidget()
        self.tabs.setObjectName("analysisTabs")
        self.tabs.addTab(self._confusion_tab(), "Confusion matrix")
        self.per_class = PerClassTable()
        self.per_class.itemSelectionChanged.connect(self._class_selected)
        self.tabs.addTab(self.per_class, "Per class")
        self.pr_chart = PrecisionRecallChart()
        self.tabs.addTab(self.pr_chart, "Precision–recall")
        self.errors_panel: ErrorsPanel | None = None
        if self.task in OBJECT_TASKS:
            self.errors_panel = ErrorsPanel()
            self.errors_panel.open_item_requested.connect(self.open_in_canvas)
            self.tabs.addTab(self.errors_panel, "Errors")
        for index in range(self.tabs.count()):
            self.tabs.setTabToolTip(index, f"Ctrl+{index + 1}")
        layout.addWidget(self.tabs, 1)
        bottom = QHBoxLayout()
        self.status = QLabel()
        self.status.setObjectName("hint")
        bottom.addWidget(self.status, 1)
        close = QPushButton("Close")
        close.setAutoDefault(False)
        close.clicked.connect(self.close)
        bottom.addWidget(close)
        layout.addLayout(bottom)

    def _top_bar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        label = QLabel("&Evaluation:")
        self.evaluation_combo = QComboBox()
        self.evaluation_combo.setObjectName("evaluationChooser")
        label.setBuddy(self.evaluation_combo)
        for evaluation in self.evaluations:
            self.evaluation_combo.addItem(evaluation_title(evaluation), evaluation.id)
        self.evaluation_combo.activated.connect(self.load)
        bar.addWidget(label)
        bar.addWidget(self.evaluation_combo)
        self.summary = QLabel()
        self.summary.setObjectName("evaluationSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        bar.addWidget(self.summary, 1)
        self.threshold_slider = QSlider(Qt.Orientation.Horizontal)
        self.threshold_slider.setObjectName("scoreThreshold")
        self.threshold_slider.setRange(0, 100)
        self.threshold_slider.setValue(DEFAULT_THRESHOLD)
        self.threshold_slider.setPageStep(THRESHOLD_STEP * 2)
        self.threshold_slider.setFixedWidth(180)
        self.threshold_slider.setToolTip("Detections scoring below this are ignored ([ and ])")
        self.threshold_label = QLabel()
        self.threshold_slider.valueChanged.connect(self._threshold_moved)
        if self.task in OBJECT_TASKS:
            caption = QLabel("Score &threshold:")
            caption.setBuddy(self.threshold_slider)
            bar.addWidget(caption)
            bar.addWidget(self.threshold_slider)
            bar.addWidget(self.threshold_label)
        self._show_threshold()
        return bar

    def _confusion_tab(self) -> QWidget:
        splitter = QSplitter(Qt.Orientation.Horizontal)
        self.confusion_view = ConfusionMatrixView()
        self.confusion_view.cell_selected.connect(self.show_cell)
        splitter.addWidget(self.confusion_view)
        side = QWidget()
        column = QVBoxLayout(side)
        column.setContentsMargins(4, 0, 0, 0)
        self.cell_title = QLabel("Click a cell to see its images.")
        self.cell_title.setObjectName("cellTitle")
        self.cell_title.setWordWrap(True)
        self.cell_grid = ImageGrid(THUMBNAIL_SIDE)
        self.cell_grid.setObjectName("cellImages")
        self.cell_grid.open_item_requested.connect(self.open_in_canvas)
        buttons = QHBoxLayout()
        self.open_button = QPushButton("Open in labeling canvas")
        self.open_button.setToolTip("Show the selected image in the labeling canvas (Enter)")
        self.open_button.clicked.connect(self.cell_grid.open_current)
        self.gallery_button = QPushButton("Select in gallery")
        self.gallery_button.setToolTip("Select this cell's images in the gallery (Ctrl+G)")
        self.gallery_button.clicked.connect(self.select_cell_in_gallery)
        for button in (self.open_button, self.gallery_button):
            button.setAutoDefault(False)
            button.setEnabled(False)
            buttons.addWidget(button)
        buttons.addStretch(1)
        column.addWidget(self.cell_title)
        column.addWidget(self.cell_grid, 1)
        column.addLayout(buttons)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([640, 460])
        return splitter

    def _shortcuts(self) -> None:
        for index in range(4):
            shortcut = QShortcut(QKeySequence(f"Ctrl+{index + 1}"), self)
            shortcut.activated.connect(lambda index=index: self.show_tab(index))
        keys = (
            ("Ctrl+G", self.select_cell_in_gallery),
            ("Ctrl+O", self.open_current_image),
            ("[", lambda: self.step_threshold(-THRESHOLD_STEP)),
            ("]", lambda: self.step_threshold(THRESHOLD_STEP)),
        )
        for key, action in keys:
            QShortcut(QKeySequence(key), self).activated.connect(action)

    # -- loading -------------------------------------------------------------------------

    @property
    def threshold(self) -> float:
        return self.threshold_slider.value() / 100

    def is_loading(self) -> bool:
        return self._pending > 0

    def load(self, index: int) -> None:
        if not 0 <= index < len(self.evaluations):
            return
        evaluation = self.evaluations[index]
        self._pending = 1
        self.status.setText("Reading the predictions…")
        project, task, threshold = self.project, self.task, self.threshold
        self._load_call.start(lambda *_: load_analysis(project, evaluation, task, threshold))

    def _loaded(self, data: AnalysisData) -> None:
        self.data = data
        self._pending = 0
        self.status.setText("")
        metrics = data.evaluation.metrics
        self.summary.setText(
            f"{data.evaluation.split} split, {counted(len(data.items), 'image')}: "
            f"{headline_metrics(metrics)}"
        )
        self.pr_chart.set_curves(data.curves, self._curve_colors(data.curves))
        if self.errors_panel is not None:
            self.errors_panel.set_context(data.items, data.paths, self.colors)
        self._show_threshold_data(data.cells, data.errors)

    def _failed(self, message: str) -> None:
        self._pending = 0
        self.status.setText(message)

    def _threshold_moved(self) -> None:
        self._show_threshold()
        if self.data is not None and self.task in OBJECT_TASKS:
            self._pending = 1
            self._threshold_timer.start()

    def _show_threshold(self) -> None:
        self.threshold_label.setText(f"≥ {self.threshold:.2f}")

    def step_threshold(self, step: int) -> None:
        self.threshold_slider.setValue(self.threshold_slider.value() + step)

    def _recompute_threshold(self) -> None:
        if self.data is None:
            return
        self.status.setText("Matching detections…")
        project, evaluation_id, task = self.project, self.data.evaluation.id, self.task
        threshold = self.threshold
        self._threshold_call.start(
            lambda *_: load_threshold(project, evaluation_id, task, threshold)
        )

    def _threshold_loaded(self, result: tuple[dict[str, Any], list[dict[str, Any]] | None]) -> None:
        self._pending = 0
        self.status.setText("")
        self._show_threshold_data(*result)

    def _show_threshold_data(
        self, cells: dict[str, Any], errors: list[dict[str, Any]] | None
    ) -> None:
        if self.data is None:
            return
        self.data = AnalysisData(
            self.data.evaluation, self.data.items, self.data.paths, cells, self.data.curves, errors
        )
        self.confusion_view.set_matrix(cells["labels"], cells["matrix"])
        if self.cell is not None:
            self.confusion_view.select_cell(*self.cell)
        self._fill_per_class()
        if self.errors_panel is not None and errors is not None:
            self.errors_panel.set_errors(errors)

    def _curve_colors(self, curves: dict[str, Any]) -> dict[str, str]:
        return {name: self.colors.get(name, NEUTRAL_COLOR) for name in curves}

    # -- per-class table -------------------------------------------------------------------

    def _fill_per_class(self) -> None:
        if self.data is None:
            return
        stored = self.data.evaluation.metrics.get("per_class") or {}
        totals = class_totals(self.data.cells)
        rows: dict[str, dict[str, Any]] = {}
        for name, curve in self.data.curves.items():
            truths, predictions = totals.get(name, (None, None))
            if truths is None and "support" in (stored.get(name) or {}):
                truths = stored[name]["support"]
            values = without_undefined(dict(stored.get(name) or {}), truths, predictions)
            if self.task in OBJECT_TASKS:
                row = {"AP .50:.95": values.get("ap"), "AP .50": curve["ap"]}
                row["objects"] = curve["positives"]
                row.update(self._error_counts(name))
            else:
                row = values
                if "ap" not in values:
                    row["AP"] = curve["ap"]
            rows[name] = row
        columns: list[str] = []
        for row in rows.values():
            columns += [key for key in row if key not in columns]
        self.per_class.set_rows(rows, columns)

    def _error_counts(self, name: str) -> dict[str, int]:
        errors = (self.data.errors if self.data else None) or []
        return {
            "false pos.": sum(
                e["kind"] == "false_positive" and e["predicted_class"] == name for e in errors
            ),
            "missed": sum(e["kind"] == "false_negative" and e["class"] == name for e in errors),
        }

    def _class_selected(self) -> None:
        self.pr_chart.highlight(self.per_class.selected_class())

    # -- confusion cells -------------------------------------------------------------------

    def cell_item_ids(self) -> list[int]:
        if self.data is None or self.cell is None:
            return []
        return list(self.data.cells["items"].get(f"{self.cell[0]},{self.cell[1]}", []))

    def show_cell(self, row: int, column: int) -> None:
        if self.data is None:
            return
        self.cell = (row, column)
        labels = self.data.cells["labels"]
        ids = self.cell_item_ids()
        self.cell_title.setText(
            f"True <b>{labels[row]}</b>, predicted <b>{labels[column]}</b>: "
            f"{counted(len(ids), 'image')}"
        )
        self.thumbnails.cancel_waiting()
        entries = []
        for item_id in ids:
            item = self.data.items.get(item_id)
            name = Path(item.path).name if item else f"image {item_id}"
            entries.append(GridEntry(item_id, item_id, name, item.path if item else name))
            if item is not None:
                self.thumbnails.request(item_id, item.sha256, self.data.paths[item_id])
        self.cell_grid.set_entries(entries)
        self.open_button.setEnabled(bool(ids))
        self.gallery_button.setEnabled(bool(ids))

    def _thumbnails_ready(self, results: list) -> None:
        for result in results:
            if result.state is ThumbnailState.READY and result.image is not None:
                self.cell_grid.set_image(result.request.item_id, fitted(result.image))

    def select_cell_in_gallery(self) -> None:
        ids = self.cell_item_ids()
        if ids:
            self.items_requested.emit(ids)

    # -- navigation ------------------------------------------------------------------------

    def show_tab(self, index: int) -> None:
        if 0 <= index < self.tabs.count():
            self.tabs.setCurrentIndex(index)

    def open_in_canvas(self, item_id: int) -> None:
        """Show the image in the labeling canvas: the main window comes forward, over this
        window. A window manager keeps a window above the one it is transient for, and
        minimising it minimises that one too, so the window stops being transient for the
        main window first; it stays in the task switcher, and the Runs panel's "Evaluation…"
        (Ctrl+E) raises it again."""
        handle = self.windowHandle()
        if handle is not None:
            handle.setTransientParent(None)
        self.open_item_requested.emit(item_id)

    def open_current_image(self) -> None:
        if self.errors_panel is not None and self.tabs.currentWidget() is self.errors_panel:
            self.errors_panel.grid.open_current()
        else:
            self.cell_grid.open_current()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.thumbnails.shutdown()
        if self.errors_panel is not None:
            self.errors_panel.renderer.cancel()
            self.errors_panel.renderer.wait(2000)
        self._load_call.pool.waitForDone(5000)
        self._threshold_call.pool.waitForDone(5000)
        super().closeEvent(event)
