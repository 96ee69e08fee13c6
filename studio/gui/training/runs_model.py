"""The table model of the Runs view: one row per run of the project, oldest first.

`refresh()` re-reads every run's record in one read (`Project.run_records()`, which first marks
runs whose worker died as interrupted), so a run started from the CLI appears, and a running
one updates, on the main window's change polling. Rows keep their place (new runs are
appended with a row insertion, changed cells reported as changed), so the selection stays.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from studio.api import Project
from studio.gui.training import format_duration, format_metric, short_metric_name
from studio.ml.config import DEFAULT_MONITOR

AnyIndex = QModelIndex | QPersistentModelIndex
COLUMNS = (
    ("name", "Run"),
    ("status", "Status"),
    ("task", "Task"),
    ("model", "Model"),
    ("version", "Version"),
    ("epochs", "Epochs"),
    ("best", "Best (val)"),
    ("test", "Test"),
    ("device", "Device"),
    ("started", "Started"),
    ("duration", "Duration"),
)
COLUMN_KEYS = tuple(key for key, _ in COLUMNS)
STATUS_COLORS = {
    "running": "#1e88e5",
    "finished": "#2e7d32",
    "failed": "#c62828",
    "cancelled": "#8d6e63",
    "interrupted": "#ef6c00",
}


def test_metric_name(task: str) -> str:
    """The headline test metric of a task: "accuracy" for classifiers, "map" otherwise."""
    return short_metric_name(DEFAULT_MONITOR.get(task, "val/accuracy"))


def best_text(record: Any) -> str:
    summary = record.summary or {}
    value = summary.get("best_value")
    if value is None:
        return ""
    monitor = short_metric_name(str(summary.get("monitor") or ""))
    epoch = summary.get("best_epoch")
    where = f" @{epoch}" if epoch else ""
    return f"{monitor} {format_metric(value)}{where}"


def test_text(record: Any) -> str:
    test = (record.summary or {}).get("test") or {}
    name = test_metric_name(record.task)
    if name not in test:
        return ""
    return f"{name} {format_metric(test[name])}"


def duration_of(record: Any, now: float | None = None) -> float | None:
    if record.started_at is None:
        return None
    stored = (record.summary or {}).get("duration_s")
    if record.finished_at is not None and isinstance(stored, (int, float)):
        return float(stored)
    end = record.finished_at if record.finished_at is not None else (now or time.time())
    return end - record.started_at


def cell_text(record: Any, key: str) -> str:
    if key == "version":
        return record.version_name
    if key == "epochs":
        return f"{record.epochs_done} / {record.epochs}"
    if key == "best":
        return best_text(record)
    if key == "test":
        return test_text(record)
    if key == "started":
        started = record.started_at or record.created_at
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(started)) if started else ""
    if key == "duration":
        return format_duration(duration_of(record))
    if key == "device":
        return record.device or str(record.config.get("device", ""))
    return str(getattr(record, key, ""))


def tooltip_of(record: Any) -> str:
    lines = [f"{record.name}: {record.status}", f"{record.model} on {record.version_name}"]
    if record.pretrained:
        lines.append(f"Weights: {record.pretrained}")
    if record.error:
        lines.append(f"Error: {record.error}")
    return "\n".join(lines)


class RunsModel(QAbstractTableModel):
    RunIdRole = Qt.ItemDataRole.UserRole + 1
    StatusRole = Qt.ItemDataRole.UserRole + 2

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project: Project | None = None
        self.records: list[Any] = []

    def set_project(self, project: Project | None) -> None:
        self.beginResetModel()
        self.project = project
        self.records = []
        self.endResetModel()
        self.refresh()

    def refresh(self) -> None:
        """Re-read the runs; rows stay in place, new runs are appended."""
        records = self.project.run_records() if self.project is not None else []
        self.update_records(records)

    def update_records(self, records: Sequence[Any]) -> None:
        old_ids = [record.id for record in self.records]
        new_ids = [record.id for record in records]
        if new_ids[: len(old_ids)] != old_ids:
            self.beginResetModel()
            self.records = list(records)
            self.endResetModel()
            return
        kept = records[: len(old_ids)]
        changed = [row for row, record in enumerate(kept) if record != self.records[row]]
        self.records[: len(old_ids)] = kept
        for row in changed:
            last = self.index(row, len(COLUMNS) - 1)
            self.dataChanged.emit(self.index(row, 0), last)
        if len(records) > len(old_ids):
            self.beginInsertRows(QModelIndex(), len(old_ids), len(records) - 1)
            self.records.extend(records[len(old_ids) :])
            self.endInsertRows()

    def record_at(self, row: int) -> Any:
        return self.records[row]

    def row_of(self, run_id: int) -> int:
        for row, record in enumerate(self.records):
            if record.id == run_id:
                return row
        return -1

    # -- QAbstractTableModel -------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.records)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section][1]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.records):
            return None
        record = self.records[index.row()]
        key = COLUMN_KEYS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return cell_text(record, key)
        if role == Qt.ItemDataRole.ToolTipRole:
            return tooltip_of(record)
        if role == Qt.ItemDataRole.ForegroundRole and key == "status":
            color = STATUS_COLORS.get(record.status)
            return QColor(color) if color else None
        if role == self.RunIdRole:
            return record.id
        if role == self.StatusRole:
            return record.status
        return None
