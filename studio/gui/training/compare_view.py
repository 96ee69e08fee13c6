"""Comparing runs side by side: their settings and results in one table (one column per run,
rows that differ highlighted) and one metric of every run as overlaid curves."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.gui.training import format_metric
from studio.gui.training.charts import OverlayChart, curve_color
from studio.gui.training.runs_model import best_text, cell_text

DIFFERENCE_COLOR = QColor(255, 193, 7, 70)  # amber, see-through: readable on both themes
SUMMARY_ROWS = ("status", "task", "model", "version", "epochs", "device", "duration")
PREFERRED_METRICS = ("val/accuracy", "val/map", "val/macro_f1", "train/loss", "val/loss")


def _value_text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value)) or "none"
    if value is None:
        return "—"
    return format_metric(value) if isinstance(value, float) else str(value)


def comparison_rows(records: Sequence[Any]) -> list[tuple[str, list[str]]]:
    """(row title, one text per run) for the summary, every setting and every result."""
    rows = [(key.capitalize(), [cell_text(r, key) for r in records]) for key in SUMMARY_ROWS]
    rows.append(("Best (val)", [best_text(record) for record in records]))
    settings: list[str] = []
    for record in records:
        settings += [key for key in record.config if key not in settings]
    skip = {"task", "model", "reasons"}  # reasons: shown with the run, not compared
    rows += [
        (key, [_value_text(record.config.get(key)) for record in records])
        for key in settings
        if key not in skip
    ]
    rows.append(("Weights", [record.pretrained or "" for record in records]))
    results: list[str] = []
    for record in records:
        test = (record.summary or {}).get("test") or {}
        results += [name for name in test if name not in results]
    for name in results:
        values = [((r.summary or {}).get("test") or {}).get(name) for r in records]
        rows.append((f"test {name}", [format_metric(value) for value in values]))
    return rows


class CompareDialog(QDialog):
    """Side-by-side table and overlaid curves of the chosen runs."""

    def __init__(self, runs: Sequence[Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compareRunsDialog")
        self.runs = list(runs)
        self.records = [run.record for run in self.runs]
        self.histories = {
            record.name: run.metrics() for run, record in zip(self.runs, self.records, strict=True)
        }
        names = ", ".join(record.name for record in self.records)
        self.setWindowTitle(f"Compare runs: {names}")
        self.resize(1000, 680)
        self._build()
        self.fill_table()
        self._fill_metrics()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        splitter = QSplitter(Qt.Orientation.Vertical)
        self.table = QTableWidget()
        self.table.setObjectName("compareTable")
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        splitter.addWidget(self.table)
        curves = QWidget()
        curves_layout = QVBoxLayout(curves)
        curves_layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(QLabel("Metric:"))
        self.metric_combo = QComboBox()
        self.metric_combo.setObjectName("compareMetric")
        self.metric_combo.currentIndexChanged.connect(self.show_metric)
        row.addWidget(self.metric_combo)
        row.addStretch(1)
        curves_layout.addLayout(row)
        self.chart = OverlayChart()
        curves_layout.addWidget(self.chart, 1)
        splitter.addWidget(curves)
        splitter.setSizes([380, 300])
        layout.addWidget(splitter)

    def fill_table(self) -> None:
        rows = comparison_rows(self.records)
        self.table.setColumnCount(len(self.records))
        self.table.setRowCount(len(rows))
        self.table.setHorizontalHeaderLabels([record.name for record in self.records])
        for column in range(len(self.records)):
            header = self.table.horizontalHeaderItem(column)
            if header is not None:
                header.setForeground(QBrush(QColor(curve_color(column))))
        self.table.setVerticalHeaderLabels([title for title, _ in rows])
        self.differing_rows: list[str] = []
        for row, (title, values) in enumerate(rows):
            differs = len(set(values)) > 1
            if differs:
                self.differing_rows.append(title)
            for column, value in enumerate(values):
                cell = QTableWidgetItem(value)
                if differs:
                    cell.setBackground(QBrush(DIFFERENCE_COLOR))
                    font = QFont(cell.font())
                    font.setBold(True)
                    cell.setFont(font)
                self.table.setItem(row, column, cell)

    def _fill_metrics(self) -> None:
        names: list[str] = []
        for history in self.histories.values():
            names += [name for name in history if name not in names and "/" in name]
        ordered = [n for n in PREFERRED_METRICS if n in names]
        ordered += sorted(n for n in names if n not in ordered)
        self.metric_combo.blockSignals(True)
        self.metric_combo.clear()
        self.metric_combo.addItems(ordered)
        self.metric_combo.blockSignals(False)
        self.show_metric()

    def show_metric(self) -> None:
        metric = self.metric_combo.currentText()
        curves = {name: history.get(metric, []) for name, history in self.histories.items()}
        self.chart.set_curves(metric, curves)

    def column_texts(self, title: str) -> list[str]:
        """The row `title` of the table, one text per run (for tests and scripts)."""
        for row in range(self.table.rowCount()):
            header = self.table.verticalHeaderItem(row)
            if header is not None and header.text() == title:
                return [self.table.item(row, c).text() for c in range(self.table.columnCount())]
        raise KeyError(title)
