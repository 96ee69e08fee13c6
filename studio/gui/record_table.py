"""A table model over a list of records (runs, model versions) that keeps rows in place.

`refresh()` re-reads the records on the main window's change polling. When the known records
come back first and in the same order, changed rows are reported as changed and new ones
appended as inserted rows, so views keep their selection and scroll position; any other
change resets the model (views put their selection back by id).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from studio.api import Project

AnyIndex = QModelIndex | QPersistentModelIndex


class RecordTableModel(QAbstractTableModel):
    """Subclasses give `columns` ((key, title) pairs), `read_records`, `cell_text`,
    `tooltip`, and optionally `role_data` for other roles."""

    columns: tuple[tuple[str, str], ...] = ()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project: Project | None = None
        self.records: list[Any] = []

    # -- what subclasses say -------------------------------------------------------------

    def read_records(self, project: Project) -> Sequence[Any]:
        raise NotImplementedError

    def cell_text(self, record: Any, key: str) -> str:
        raise NotImplementedError

    def tooltip(self, record: Any) -> str:
        raise NotImplementedError

    def role_data(self, record: Any, key: str, role: int) -> Any:
        """Data for roles other than display and tooltip (colours, fonts, ids)."""
        return None

    # -- records -------------------------------------------------------------------------

    def set_project(self, project: Project | None) -> None:
        self.beginResetModel()
        self.project = project
        self.records = []
        self.endResetModel()
        self.refresh()

    def refresh(self) -> None:
        self.update_records(self.read_records(self.project) if self.project is not None else [])

    def update_records(self, records: Sequence[Any]) -> None:
        old_ids = [record.id for record in self.records]
        if [record.id for record in records[: len(old_ids)]] != old_ids:
            self.beginResetModel()
            self.records = list(records)
            self.endResetModel()
            return
        kept = records[: len(old_ids)]
        changed = [row for row, record in enumerate(kept) if record != self.records[row]]
        self.records[: len(old_ids)] = kept
        for row in changed:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.columns) - 1))
        if len(records) > len(old_ids):
            self.beginInsertRows(QModelIndex(), len(old_ids), len(records) - 1)
            self.records.extend(records[len(old_ids) :])
            self.endInsertRows()

    def record_at(self, row: int) -> Any:
        return self.records[row]

    def row_of(self, record_id: int) -> int:
        for row, record in enumerate(self.records):
            if record.id == record_id:
                return row
        return -1

    # -- QAbstractTableModel -------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.records)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.columns)

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns[section][1]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.records):
            return None
        record = self.records[index.row()]
        key = self.columns[index.column()][0]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cell_text(record, key)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(record)
        return self.role_data(record, key, role)
