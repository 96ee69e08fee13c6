"""The table model of the Models view: one row per registered model version, by name and
version, with its aliases.

`refresh()` re-reads every version (`Project.models()`) on the main window's change polling, so
a model registered or an alias moved from the CLI shows up. When the same versions come back in
the same order only the changed cells are reported; otherwise the model resets (the view puts
its selection back by id).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from studio.api import Project
from studio.gui.models import result_text

AnyIndex = QModelIndex | QPersistentModelIndex
COLUMNS = (
    ("name", "Model"),
    ("version", "Version"),
    ("aliases", "Aliases"),
    ("task", "Task"),
    ("architecture", "Architecture"),
    ("run", "Run"),
    ("dataset", "Dataset version"),
    ("test", "Test"),
    ("checkpoint", "Checkpoint"),
    ("registered", "Registered"),
    ("notes", "Notes"),
)
COLUMN_KEYS = tuple(key for key, _ in COLUMNS)


def cell_text(record: Any, key: str) -> str:
    if key == "version":
        return str(record.version)
    if key == "aliases":
        return ", ".join(record.aliases)
    if key == "run":
        return record.run_name
    if key == "dataset":
        return record.dataset_version_name
    if key == "test":
        return result_text(record.task, record.metrics)
    if key == "registered":
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(record.created_at))
    if key == "notes":
        return record.notes.splitlines()[0] if record.notes else ""
    return str(getattr(record, key, ""))


def tooltip_of(record: Any) -> str:
    lines = [f"{record.ref}: {record.architecture} ({record.task})"]
    lines += [f"Also {record.name}:{alias}" for alias in record.aliases]
    lines.append(
        f"From run {record.run_name}, {record.checkpoint}, on {record.dataset_version_name}"
    )
    if record.author:
        lines.append(f"Registered by {record.author}")
    if record.notes:
        lines.append(record.notes)
    return "\n".join(lines)


class ModelsModel(QAbstractTableModel):
    VersionIdRole = Qt.ItemDataRole.UserRole + 1
    RefRole = Qt.ItemDataRole.UserRole + 2

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
        records = self.project.models() if self.project is not None else []
        self.update_records(records)

    def update_records(self, records: Sequence[Any]) -> None:
        if [record.id for record in records] != [record.id for record in self.records]:
            self.beginResetModel()
            self.records = list(records)
            self.endResetModel()
            return
        changed = [row for row, record in enumerate(records) if record != self.records[row]]
        self.records = list(records)
        for row in changed:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def record_at(self, row: int) -> Any:
        return self.records[row]

    def row_of(self, version_id: int) -> int:
        for row, record in enumerate(self.records):
            if record.id == version_id:
                return row
        return -1

    def names(self) -> list[str]:
        """The model names, each once, in table order."""
        return list(dict.fromkeys(record.name for record in self.records))

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
        if role == Qt.ItemDataRole.FontRole and key == "aliases" and record.aliases:
            font = QFont()
            font.setBold(True)
            return font
        if role == self.VersionIdRole:
            return record.id
        if role == self.RefRole:
            return record.ref
        return None
