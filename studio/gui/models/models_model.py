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

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont

from studio.api import Project
from studio.gui.models import result_text
from studio.gui.record_table import RecordTableModel

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


class ModelsModel(RecordTableModel):
    VersionIdRole = Qt.ItemDataRole.UserRole + 1
    RefRole = Qt.ItemDataRole.UserRole + 2
    columns = COLUMNS

    def read_records(self, project: Project) -> Sequence[Any]:
        return project.models()

    def names(self) -> list[str]:
        """The model names, each once, in table order."""
        return list(dict.fromkeys(record.name for record in self.records))

    def cell_text(self, record: Any, key: str) -> str:
        return cell_text(record, key)

    def tooltip(self, record: Any) -> str:
        return tooltip_of(record)

    def role_data(self, record: Any, key: str, role: int) -> Any:
        if role == Qt.ItemDataRole.FontRole and key == "aliases" and record.aliases:
            font = QFont()
            font.setBold(True)
            return font
        if role == self.VersionIdRole:
            return record.id
        if role == self.RefRole:
            return record.ref
        return None
