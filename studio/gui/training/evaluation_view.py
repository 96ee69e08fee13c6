"""The per-class figures of an evaluation as a sortable table (precision, recall, F1,
support, AP...). The Runs view's "Evaluation…" opens the error-analysis window
(`studio.gui.analysis.window`), which shows this table beside the confusion matrix, the
precision-recall curves and, for detectors, the gallery of errors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from studio.gui.training import format_metric

SORT_ROLE = Qt.ItemDataRole.UserRole
NO_VALUE = "—"  # a figure with no meaning: the precision of a class never predicted…


class NumberCell(QTableWidgetItem):
    """A right-aligned figure that sorts by value; a missing one reads "—" and sorts first."""

    def __init__(self, value: Any) -> None:
        super().__init__(format_metric(value) or NO_VALUE)
        number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
        self.setData(SORT_ROLE, float("-inf") if number is None else float(number))
        self.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def __lt__(self, other: QTableWidgetItem) -> bool:
        return float(self.data(SORT_ROLE)) < float(other.data(SORT_ROLE))


class PerClassTable(QTableWidget):
    """One row per class: its name, then one column per figure ("—" where a figure has no
    meaning, such as the recall of a class with no example in the split)."""

    def __init__(self) -> None:
        super().__init__(0, 0)
        self.setObjectName("perClassTable")
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAlternatingRowColors(True)
        self.verticalHeader().setVisible(False)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(False)

    def set_rows(self, per_class: Mapping[str, Mapping[str, Any]], columns: Sequence[str]) -> None:
        self.setSortingEnabled(False)
        self.clear()
        self.setRowCount(len(per_class))
        self.setColumnCount(len(columns) + 1)
        self.setHorizontalHeaderLabels(["class", *columns])
        for row, (name, values) in enumerate(per_class.items()):
            self.setItem(row, 0, QTableWidgetItem(name))
            for column, key in enumerate(columns, start=1):
                self.setItem(row, column, NumberCell(values.get(key)))
        self.setSortingEnabled(True)

    def class_names(self) -> list[str]:
        return [self.item(row, 0).text() for row in range(self.rowCount())]

    def cell_text(self, name: str, column: str) -> str:
        headers = [self.horizontalHeaderItem(c).text() for c in range(self.columnCount())]
        row = self.class_names().index(name)
        return self.item(row, headers.index(column)).text()

    def selected_class(self) -> str | None:
        rows = self.selectionModel().selectedRows()
        return self.item(rows[0].row(), 0).text() if rows else None
