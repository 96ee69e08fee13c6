"""The Runs view: every run of the project in a table, the selected run's curves beside it,
and the actions on the selection: compare, error analysis of its evaluations, delete.

`refresh()` runs on the main window's change polling, so runs started from the CLI or a
script appear and update while they train.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from studio.api import Project
from studio.core.errors import StudioError
from studio.gui.analysis.window import ErrorAnalysisWindow
from studio.gui.labels_io import error_label, show_error
from studio.gui.training.charts import TrainingCharts
from studio.gui.training.compare_view import CompareDialog
from studio.gui.training.runs_model import RunsModel


class RunsView(QWidget):
    selection_changed = Signal(list)  # the selected run ids, in row order
    items_requested = Signal(list)  # item ids to select in the gallery
    open_item_requested = Signal(int)  # an item to show in the labeling canvas

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runsView")
        self.project: Project | None = None
        self.model = RunsModel(self)
        self._shown_history: tuple[int, int, str] | None = None
        self._build()
        self._update_buttons()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        buttons = QHBoxLayout()
        self.compare_button = QPushButton("Compare")
        self.compare_button.setObjectName("compareRuns")
        self.compare_button.setToolTip("Compare the selected runs (select two or more)")
        self.evaluation_button = QPushButton("Evaluation…")
        self.evaluation_button.setObjectName("runEvaluation")
        self.evaluation_button.setToolTip(
            "Error analysis of the run's evaluations: confusion matrix, per-class figures, "
            "precision-recall curves, the images behind every mistake"
        )
        self.delete_button = QPushButton("Delete…")
        self.delete_button.setObjectName("deleteRun")
        self.delete_button.setToolTip("Delete the run, its metrics and checkpoints (not undoable)")
        self.compare_button.clicked.connect(self.compare)
        self.evaluation_button.clicked.connect(self.show_evaluation)
        self.delete_button.clicked.connect(self.delete_selected)
        self.count_label = QLabel()
        self.count_label.setObjectName("hint")
        for button in (self.compare_button, self.evaluation_button, self.delete_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.count_label)
        layout.addLayout(buttons)
        self.error = error_label("runsError")
        layout.addWidget(self.error)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        self.table = QTableView()
        self.table.setObjectName("runsTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.doubleClicked.connect(self.show_evaluation)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        splitter.addWidget(self.table)
        self.charts = TrainingCharts(stacked=True)
        splitter.addWidget(self.charts)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([750, 250])
        layout.addWidget(splitter, 1)

    # -- data ----------------------------------------------------------------------------

    def set_project(self, project: Project | None) -> None:
        self.project = project
        self._shown_history = None
        self.charts.clear()
        self.model.set_project(project)
        self._after_refresh()

    def refresh(self) -> None:
        if self.project is None:
            return
        self.model.refresh()
        self._after_refresh()

    def _after_refresh(self) -> None:
        count = self.model.rowCount()
        self.count_label.setText(f"{count} run{'s' if count != 1 else ''}")
        self._show_selected_history()
        self._update_buttons()

    def selected_ids(self) -> list[int]:
        rows = sorted(index.row() for index in self.table.selectionModel().selectedRows())
        return [self.model.record_at(row).id for row in rows]

    def selected_runs(self) -> list[Any]:
        if self.project is None:
            return []
        return [self.project.run(run_id) for run_id in self.selected_ids()]

    def select_run(self, run_id: int) -> None:
        """Select only this run's row (whatever modifier keys are held)."""
        row = self.model.row_of(run_id)
        if row >= 0:
            flags = (
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows
            )
            self.table.selectionModel().select(self.model.index(row, 0), flags)

    def _selection_changed(self) -> None:
        self._show_selected_history()
        self._update_buttons()
        self.selection_changed.emit(self.selected_ids())

    def _show_selected_history(self) -> None:
        """The per-epoch curves of the one selected run (re-read when it has new epochs)."""
        ids = self.selected_ids()
        if len(ids) != 1 or self.project is None:
            if self._shown_history is not None:
                self.charts.clear()
            self._shown_history = None
            return
        record = self.model.record_at(self.model.row_of(ids[0]))
        key = (record.id, record.epochs_done, record.status)
        if key != self._shown_history:
            self._shown_history = key
            self.charts.set_history(self.project.run(record.id).metrics())

    def _update_buttons(self) -> None:
        count = len(self.selected_ids()) if self.project is not None else 0
        self.compare_button.setEnabled(count >= 2)
        self.evaluation_button.setEnabled(count == 1)
        self.delete_button.setEnabled(count == 1)

    # -- actions -------------------------------------------------------------------------

    def compare(self) -> CompareDialog | None:
        runs = self.selected_runs()
        if len(runs) < 2:
            return None
        dialog = CompareDialog(runs, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def show_evaluation(self) -> ErrorAnalysisWindow | None:
        runs = self.selected_runs()
        if len(runs) != 1 or self.project is None:
            return None
        for shown in self.findChildren(ErrorAnalysisWindow):
            if shown.record.id == runs[0].record.id and shown.isVisible():
                shown.showNormal()  # back from where "Open in labeling canvas" put it
                shown.raise_()
                shown.activateWindow()
                return shown
        window = ErrorAnalysisWindow(self.project, runs[0], self)
        window.items_requested.connect(self.items_requested)
        window.open_item_requested.connect(self.open_item_requested)
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        window.show()
        return window

    def delete_selected(self) -> bool:
        runs = self.selected_runs()
        if len(runs) != 1 or self.project is None:
            return False
        name = runs[0].name
        answer = QMessageBox.question(
            self,
            "Delete the run",
            f"Delete {name} with its metrics, evaluations and checkpoints? This cannot be undone.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return False
        try:
            self.project.delete_run(runs[0].id)
        except StudioError as error:
            show_error(self.error, str(error))
            return False
        show_error(self.error, "")
        self.refresh()
        return True
