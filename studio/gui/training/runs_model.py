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

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from studio.api import Project
from studio.gui.record_table import RecordTableModel
from studio.gui.training import (
    format_duration,
    format_metric,
    headline_metric_name,
    short_metric_name,
)

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
    name = headline_metric_name(record.task)
    if name not in test:
        return ""
    return f"{name} {format_metric(test[name])}"


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
        return format_duration(record.duration_s())
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


class RunsModel(RecordTableModel):
    RunIdRole = Qt.ItemDataRole.UserRole + 1
    StatusRole = Qt.ItemDataRole.UserRole + 2
    columns = COLUMNS

    def read_records(self, project: Project) -> Sequence[Any]:
        """Every run (runs whose worker died are marked interrupted first)."""
        return project.run_records()

    def cell_text(self, record: Any, key: str) -> str:
        return cell_text(record, key)

    def tooltip(self, record: Any) -> str:
        return tooltip_of(record)

    def role_data(self, record: Any, key: str, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and key == "status":
            color = STATUS_COLORS.get(record.status)
            return QColor(color) if color else None
        if role == self.RunIdRole:
            return record.id
        if role == self.StatusRole:
            return record.status
        return None
