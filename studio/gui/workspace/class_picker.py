"""Type-to-search class picker: a small popup line edit with completion over class names.

Typing filters the names (any part of the name, any case); Enter takes the highlighted
completion, else the exact name, else the only or first match. Escape closes it.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPoint, QStringListModel, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QCompleter, QFrame, QLabel, QLineEdit, QVBoxLayout, QWidget

from studio.api import LabelClassRecord


def match_class(classes: Sequence[LabelClassRecord], text: str) -> LabelClassRecord | None:
    """The class `text` names: exact (any case), else the first whose name starts with
    it, else the first that contains it."""
    wanted = text.strip().casefold()
    if not wanted:
        return None
    for test in (
        lambda name: name == wanted,
        lambda name: name.startswith(wanted),
        lambda name: wanted in name,
    ):
        found = next((c for c in classes if test(c.name.casefold())), None)
        if found is not None:
            return found
    return None


class ClassPicker(QFrame):
    chosen = Signal(int)  # class id

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("classPicker")
        self._classes: list[LabelClassRecord] = []
        self.title = QLabel("Class")
        self.title.setObjectName("hint")
        self.line_edit = QLineEdit()
        self.line_edit.setObjectName("classPickerInput")
        self.line_edit.setPlaceholderText("Type a class name…")
        self.names = QStringListModel(self)
        self.completer = QCompleter(self.names, self)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.line_edit.setCompleter(self.completer)
        self.completer.activated.connect(self._take)
        self.line_edit.returnPressed.connect(lambda: self._take(self.line_edit.text()))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.title)
        layout.addWidget(self.line_edit)
        self.setMinimumWidth(280)

    def open_for(self, classes: Sequence[LabelClassRecord], title: str, anchor: QWidget) -> None:
        """Show the picker near the top centre of `anchor`, empty and focused."""
        self._classes = list(classes)
        self.names.setStringList([c.name for c in self._classes])
        self.title.setText(title)
        self.line_edit.clear()
        self.adjustSize()
        top = anchor.mapToGlobal(QPoint((anchor.width() - self.width()) // 2, 40))
        self.move(top)
        self.show()
        self.line_edit.setFocus(Qt.FocusReason.PopupFocusReason)

    def _take(self, text: str) -> None:
        label_class = match_class(self._classes, text)
        if label_class is None or not self.isVisible():  # Enter may arrive twice
            return
        self.completer.popup().hide()
        self.hide()
        self.chosen.emit(label_class.id)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Escape:
            self.hide()
            return
        super().keyPressEvent(event)
