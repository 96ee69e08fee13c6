"""A run's evaluation: the headline metrics, a per-class table, the confusion matrix (as a
table, shaded by count) and the most frequent confusions, whose images can be selected in
the gallery."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QDialog,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from studio.gui.training import format_metric, headline_metrics

SHADE = (30, 136, 229)  # the confusion matrix's colour, see-through by count
MAX_LISTED_IDS = 12


def _table(rows: list[str], columns: list[str], name: str) -> QTableWidget:
    table = QTableWidget(len(rows), len(columns))
    table.setObjectName(name)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setHorizontalHeaderLabels(columns)
    table.setVerticalHeaderLabels(rows)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    return table


def _number_cell(text: str) -> QTableWidgetItem:
    cell = QTableWidgetItem(text)
    cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return cell


class EvaluationDialog(QDialog):
    """The newest evaluation of a run; `items_requested(ids)` asks the window to select
    those images in the gallery."""

    items_requested = Signal(list)

    def __init__(self, run: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("evaluationDialog")
        self.run = run
        self.record = run.record
        evaluations = run.evaluations()
        self.evaluation = evaluations[-1] if evaluations else None
        self.setWindowTitle(f"Evaluation of {self.record.name}")
        self.resize(760, 560)
        self._build()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        self.summary = QLabel()
        self.summary.setObjectName("evaluationSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.summary)
        self.tabs = QTabWidget()
        layout.addWidget(self.tabs, 1)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignRight)
        evaluation = self.evaluation
        if evaluation is None:
            self.summary.setText(f"{self.record.name} has not been evaluated yet.")
            return
        metrics = evaluation.metrics
        where = f"{evaluation.split} split, {evaluation.checkpoint}"
        epoch = f" (epoch {evaluation.epoch})" if evaluation.epoch else ""
        self.summary.setText(f"{where}{epoch}: {headline_metrics(metrics)}")
        per_class = metrics.get("per_class") or {}
        if per_class:
            self.tabs.addTab(self._per_class_table(per_class), "Per class")
        confusion = metrics.get("confusion") or {}
        if confusion.get("labels"):
            self.tabs.addTab(self._confusion_table(confusion), "Confusion matrix")
        confusions = metrics.get("top_confusions") or []
        if confusions:
            self.tabs.addTab(self._confusions_list(confusions), "Top confusions")

    def _per_class_table(self, per_class: Mapping[str, Mapping[str, Any]]) -> QTableWidget:
        columns: list[str] = []
        for values in per_class.values():
            columns += [name for name in values if name not in columns]
        self.per_class = _table(list(per_class), columns, "perClassTable")
        for row, values in enumerate(per_class.values()):
            for column, name in enumerate(columns):
                self.per_class.setItem(row, column, _number_cell(format_metric(values.get(name))))
        return self.per_class

    def _confusion_table(self, confusion: Mapping[str, Any]) -> QWidget:
        labels = [str(label) for label in confusion["labels"]]
        matrix = confusion.get("matrix") or []
        self.confusion = _table([f"true {label}" for label in labels], labels, "confusionTable")
        largest = max((max(row) for row in matrix if row), default=0) or 1
        for row, counts in enumerate(matrix):
            for column, count in enumerate(counts):
                cell = _number_cell(f"{int(count):,}")
                if count:
                    alpha = int(40 + 180 * count / largest)
                    cell.setBackground(QBrush(QColor(*SHADE, alpha)))
                self.confusion.setItem(row, column, cell)
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.addWidget(QLabel("Rows: the true class · columns: the predicted class"))
        layout.addWidget(self.confusion, 1)
        return box

    def _confusions_list(self, confusions: list[Mapping[str, Any]]) -> QWidget:
        self.confusions = QListWidget()
        self.confusions.setObjectName("topConfusions")
        for entry in confusions:
            ids = [int(i) for i in entry.get("item_ids") or []]
            shown = ", ".join(map(str, ids[:MAX_LISTED_IDS]))
            more = f" and {len(ids) - MAX_LISTED_IDS} more" if len(ids) > MAX_LISTED_IDS else ""
            text = (
                f"{entry.get('true')} taken for {entry.get('predicted')}: "
                f"{entry.get('count')} × (items {shown}{more})"
            )
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, ids)
            self.confusions.addItem(item)
        self.confusions.itemActivated.connect(self._request_items)
        button = QPushButton("Select these images in the gallery")
        button.setObjectName("selectConfusedItems")
        button.clicked.connect(
            lambda: self._request_items(self.confusions.currentItem() or self.confusions.item(0))
        )
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.addWidget(self.confusions, 1)
        layout.addWidget(button, 0, Qt.AlignmentFlag.AlignRight)
        return box

    def _request_items(self, item: QListWidgetItem | None) -> None:
        if item is not None:
            self.items_requested.emit(list(item.data(Qt.ItemDataRole.UserRole)))
