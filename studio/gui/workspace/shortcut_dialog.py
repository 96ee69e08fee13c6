"""The shortcut editor: every action with its keys; pick one, press new keys, assign.

Keys are written as text ("D; Right") or recorded by pressing them in the recorder. A key
another action has is refused with its name, so the shortcuts never become ambiguous.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.gui.workspace.shortcuts import ShortcutConflictError, ShortcutRegistry, normalized

NAME_ROLE = Qt.ItemDataRole.UserRole + 1


def parse_keys(text: str) -> list[str]:
    """ "Ctrl+K; /" → ["Ctrl+K", "/"]; raises ValueError naming a key Qt cannot read."""
    keys = []
    for part in (piece.strip() for piece in text.split(";")):
        if not part:
            continue
        key = normalized(part)
        if not key:
            raise ValueError(f"“{part}” is not a key Studio knows")
        keys.append(key)
    return keys


class ShortcutDialog(QDialog):
    def __init__(self, registry: ShortcutRegistry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutDialog")
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(560, 560)
        self._registry = registry
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Action", "Keys"])
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.currentItemChanged.connect(self._show_current)
        self.keys_edit = QLineEdit()
        self.keys_edit.setObjectName("shortcutKeys")
        self.keys_edit.setPlaceholderText("No key; write keys separated by ;")
        self.recorder = QKeySequenceEdit()
        self.recorder.setMaximumSequenceLength(1)
        self.recorder.editingFinished.connect(self._record)
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        assign = QPushButton("Assign")
        assign.clicked.connect(self.assign)
        reset_all = QPushButton("Reset all to defaults")
        reset_all.clicked.connect(self._reset_all)
        form = QFormLayout()
        form.addRow("Keys:", self.keys_edit)
        form.addRow("Press a key to add it:", self.recorder)
        row = QHBoxLayout()
        row.addWidget(assign)
        row.addStretch()
        row.addWidget(reset_all)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tree)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addLayout(row)
        layout.addWidget(close)
        self._fill()

    def _fill(self) -> None:
        self.tree.clear()
        groups: dict[str, QTreeWidgetItem] = {}
        for spec in self._registry.specs():
            group = groups.get(spec.group)
            if group is None:
                group = QTreeWidgetItem(self.tree, [spec.group])
                group.setFlags(Qt.ItemFlag.ItemIsEnabled)
                groups[spec.group] = group
            row = QTreeWidgetItem(group, [spec.title, self._registry.display_keys(spec.name)])
            row.setData(0, NAME_ROLE, spec.name)
        self.tree.expandAll()
        self.tree.resizeColumnToContents(0)

    def select_action(self, name: str) -> None:
        for group_row in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(group_row)
            for row in range(group.childCount()):
                if group.child(row).data(0, NAME_ROLE) == name:
                    self.tree.setCurrentItem(group.child(row))
                    return

    def current_name(self) -> str | None:
        item = self.tree.currentItem()
        return item.data(0, NAME_ROLE) if item is not None else None

    def _show_current(self, current: QTreeWidgetItem | None, _previous: object) -> None:
        name = current.data(0, NAME_ROLE) if current is not None else None
        self.keys_edit.setText("; ".join(self._registry.keys(name)) if name else "")
        self.error.clear()

    def _record(self) -> None:
        key = self.recorder.keySequence().toString(QKeySequence.SequenceFormat.PortableText)
        if key:
            current = [k for k in (p.strip() for p in self.keys_edit.text().split(";")) if k]
            self.keys_edit.setText("; ".join([*current, key]))
        self.recorder.clear()

    def assign(self) -> bool:
        """Give the selected action the keys written; False (with the reason shown) if not."""
        name = self.current_name()
        if name is None:
            return False
        try:
            self._registry.set_keys(name, parse_keys(self.keys_edit.text()))
        except (ShortcutConflictError, ValueError) as error:
            self.error.setText(str(error))
            return False
        self.error.clear()
        self.tree.currentItem().setText(1, self._registry.display_keys(name))
        return True

    def _reset_all(self) -> None:
        name = self.current_name()
        self._registry.reset_all()
        self._fill()
        if name is not None:
            self.select_action(name)
