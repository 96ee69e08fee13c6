"""The "Register model…" dialog: a finished run's checkpoint becomes the next version of a
named model, with the run's test figures, and optional notes.

The run comes preselected from the Runs view's selection; any finished run can be chosen.
A model version is not a label edit: it is not in the undo history (it can be deleted from
the Models view; the run and its files stay).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.api import Project
from studio.core.errors import StudioError
from studio.core.model_registry import default_model_name
from studio.gui.labels_io import error_label, show_error
from studio.gui.models import result_text
from studio.gui.training import NOT_UNDOABLE

FINISHED = "finished"
CHECKPOINT_KIND = "checkpoint"
PREFERRED_CHECKPOINTS = ("best.pt", "last.pt")
CHECKPOINT_TITLES = {
    "best.pt": "best.pt — the best validation epoch",
    "last.pt": "last.pt — the last epoch",
}


def run_title(record: Any) -> str:
    """ "resnet18-1 — resnet18 on v1, test accuracy 0.95"."""
    figures = result_text(record.task, (record.summary or {}).get("test") or {})
    tail = f", test {figures}" if figures else ""
    return f"{record.name} — {record.model} on {record.version_name}{tail}"


def ordered_checkpoints(names: list[str]) -> list[str]:
    """best.pt, last.pt, then the kept epochs in order."""
    first = [name for name in PREFERRED_CHECKPOINTS if name in names]
    return first + sorted(name for name in names if name not in PREFERRED_CHECKPOINTS)


class RegisterModelDialog(QDialog):
    registered = Signal(object)  # the new ModelVersionRecord

    def __init__(
        self, project: Project, run_id: int | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("registerModelDialog")
        self.setWindowTitle("Register a model")
        self.setMinimumWidth(520)
        self.project = project
        self.record: Any = None
        records = project.run_records()
        self.runs = [r for r in records if r.status == FINISHED]
        self._statuses = {r.id: r.status for r in records}
        self._build()
        self._fill_runs(run_id)

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.run_combo = QComboBox()
        self.run_combo.setObjectName("registerRun")
        self.run_combo.currentIndexChanged.connect(self._run_changed)
        form.addRow("Run:", self.run_combo)
        self.checkpoint_combo = QComboBox()
        self.checkpoint_combo.setObjectName("registerCheckpoint")
        form.addRow("Checkpoint:", self.checkpoint_combo)
        self.name_combo = QComboBox()
        self.name_combo.setObjectName("registerName")
        self.name_combo.setEditable(True)
        self.name_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.name_combo.addItems(self.project.model_names())
        self.name_combo.setEditText("")
        self.name_combo.editTextChanged.connect(self._update_hint)
        form.addRow("Model name:", self.name_combo)
        self.notes_edit = QPlainTextEdit()
        self.notes_edit.setObjectName("registerNotes")
        self.notes_edit.setPlaceholderText("What this version is for, what changed (optional)")
        self.notes_edit.setMaximumHeight(90)
        form.addRow("Notes:", self.notes_edit)
        layout.addLayout(form)
        self.hint = QLabel()
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)
        self.error = error_label("registerError")
        layout.addWidget(self.error)
        note = QLabel(NOT_UNDOABLE)
        note.setObjectName("hint")
        layout.addWidget(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.register_button = QPushButton("Register")
        self.register_button.setObjectName("registerButton")
        self.register_button.setDefault(True)
        buttons.addButton(self.register_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.register_button.clicked.connect(self.register)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _fill_runs(self, run_id: int | None) -> None:
        for record in self.runs:
            self.run_combo.addItem(run_title(record), record.id)
        chosen = self.run_combo.findData(run_id) if run_id is not None else -1
        if self.runs:
            self.run_combo.setCurrentIndex(chosen if chosen >= 0 else len(self.runs) - 1)
        else:
            show_error(self.error, "No finished run yet: train a model first (Train ▸ Start).")
        if run_id is not None and chosen < 0 and self.runs:
            status = self._statuses.get(run_id, "unknown")
            show_error(self.error, f"The selected run is {status}: only a finished run counts.")
        self._run_changed()

    # -- choices ---------------------------------------------------------------------------

    def selected_run(self) -> Any:
        index = self.run_combo.currentIndex()
        return self.runs[index] if 0 <= index < len(self.runs) else None

    def _run_changed(self) -> None:
        run = self.selected_run()
        self.checkpoint_combo.clear()
        if run is not None:
            artifacts = self.project.run(run.id).artifacts()
            names = [a.name for a in artifacts if a.kind == CHECKPOINT_KIND]
            for name in ordered_checkpoints(names):
                self.checkpoint_combo.addItem(CHECKPOINT_TITLES.get(name, name), name)
            default = default_model_name(run.task, run.model)
            self.name_combo.lineEdit().setPlaceholderText(default)
        ready = run is not None and self.checkpoint_combo.count() > 0
        self.register_button.setEnabled(ready)
        self._update_hint()

    def model_name(self) -> str:
        """The name typed, else the default one the placeholder shows."""
        typed = self.name_combo.currentText().strip()
        return typed or self.name_combo.lineEdit().placeholderText()

    def _update_hint(self) -> None:
        run = self.selected_run()
        if run is None:
            self.hint.setText("")
            return
        name = self.model_name()
        taken = [r.version for r in self.project.models() if r.name == name]
        version = max(taken, default=0) + 1
        self.hint.setText(f"Registers {name}:{version} from run {run.name}.")

    # -- registering -------------------------------------------------------------------------

    def register(self) -> Any:
        """Register the chosen checkpoint; the new record (and the dialog accepted), or None
        with the reason shown."""
        run = self.selected_run()
        if run is None or self.checkpoint_combo.count() == 0:
            return None
        typed = self.name_combo.currentText().strip()
        try:
            self.record = self.project.register_model(
                run.id,
                name=typed or None,
                checkpoint=self.checkpoint_combo.currentData(),
                notes=self.notes_edit.toPlainText().strip(),
            )
        except StudioError as error:
            show_error(self.error, str(error))
            return None
        show_error(self.error, "")
        self.registered.emit(self.record)
        self.accept()
        return self.record
