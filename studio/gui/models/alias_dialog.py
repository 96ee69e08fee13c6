"""The "Aliases…" dialog of one model version: set an alias (moving it when another version of
the model has it) and remove this version's aliases.

An alias (`production`, `candidate`) is a movable name for one version of a model: exports and
scripts can ask for `digits:production` and get whichever version has it now. Aliases are not
label edits: they are not in the undo history.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.api import Project
from studio.core.errors import StudioError
from studio.gui.labels_io import error_label, show_error
from studio.gui.training import NOT_UNDOABLE

SUGGESTED_ALIASES = ("production", "staging", "candidate")


class AliasDialog(QDialog):
    """Aliases of `record` (a ModelVersionRecord); `changed()` after each set or remove."""

    changed = Signal()

    def __init__(self, project: Project, record: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aliasDialog")
        self.project = project
        self.record = record
        self.setWindowTitle(f"Aliases of {record.name}:{record.version}")
        self.setMinimumWidth(420)
        self._build()
        self._reload()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        self.current_list = QListWidget()
        self.current_list.setObjectName("aliasList")
        self.current_list.setMaximumHeight(110)
        self.current_list.currentRowChanged.connect(self._update_buttons)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setObjectName("removeAlias")
        self.remove_button.clicked.connect(lambda: self.remove_alias())
        current = QHBoxLayout()
        current.addWidget(self.current_list, 1)
        current.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignTop)
        form = QFormLayout()
        form.addRow("This version's aliases:", current)
        self.alias_combo = QComboBox()
        self.alias_combo.setObjectName("aliasName")
        self.alias_combo.setEditable(True)
        self.alias_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.alias_combo.lineEdit().setPlaceholderText("production")
        self.alias_combo.editTextChanged.connect(self._update_buttons)
        self.set_button = QPushButton("Set")
        self.set_button.setObjectName("setAlias")
        self.set_button.setDefault(True)
        self.set_button.clicked.connect(lambda: self.set_alias())
        row = QHBoxLayout()
        row.addWidget(self.alias_combo, 1)
        row.addWidget(self.set_button)
        form.addRow("Set an alias:", row)
        layout.addLayout(form)
        self.hint = QLabel()
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)
        self.error = error_label("aliasError")
        layout.addWidget(self.error)
        note = QLabel(
            f"An alias names one version at a time: setting it here moves it. {NOT_UNDOABLE}"
        )
        note.setObjectName("hint")
        note.setWordWrap(True)
        layout.addWidget(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    # -- data ----------------------------------------------------------------------------

    def _reload(self) -> None:
        """Re-read the model's versions: this version's aliases and where the others are."""
        versions = self.project.models(self.record.name)
        self.record = next((v for v in versions if v.id == self.record.id), self.record)
        self.owners = {alias: v.version for v in versions for alias in v.aliases}
        self.current_list.clear()
        self.current_list.addItems(list(self.record.aliases))
        typed = self.alias_combo.currentText()
        self.alias_combo.blockSignals(True)
        self.alias_combo.clear()
        others = [alias for alias in self.owners if alias not in self.record.aliases]
        choices = dict.fromkeys([*others, *SUGGESTED_ALIASES])
        self.alias_combo.addItems([a for a in choices if a not in self.record.aliases])
        self.alias_combo.setEditText(typed)
        self.alias_combo.blockSignals(False)
        self._update_buttons()

    def _update_buttons(self) -> None:
        alias = self.alias_combo.currentText().strip()
        owner = self.owners.get(alias)
        self.set_button.setEnabled(bool(alias) and owner != self.record.version)
        self.remove_button.setEnabled(self.current_list.currentRow() >= 0)
        if owner is not None and owner != self.record.version:
            text = f"“{alias}” is on version {owner} now: Set moves it to version "
            self.hint.setText(text + f"{self.record.version}.")
        elif owner == self.record.version:
            self.hint.setText(f"“{alias}” is already on this version.")
        else:
            self.hint.setText("")

    # -- actions -------------------------------------------------------------------------

    def set_alias(self, alias: str | None = None) -> bool:
        """Point `alias` (default: the typed one) at this version; False (and the reason
        shown) when the registry refuses it."""
        name = (alias if alias is not None else self.alias_combo.currentText()).strip()
        if not name:
            return False
        try:
            self.project.set_alias(self.record.name, self.record.version, name)
        except StudioError as error:
            show_error(self.error, str(error))
            return False
        show_error(self.error, "")
        self.alias_combo.setEditText("")
        self._reload()
        self.changed.emit()
        return True

    def remove_alias(self, alias: str | None = None) -> bool:
        """Remove `alias` (default: the one selected in the list) from the model."""
        if alias is None:
            item = self.current_list.currentItem()
            if item is None:
                return False
            alias = item.text()
        try:
            self.project.remove_alias(self.record.name, alias)
        except StudioError as error:
            show_error(self.error, str(error))
            return False
        show_error(self.error, "")
        self._reload()
        self.changed.emit()
        return True
