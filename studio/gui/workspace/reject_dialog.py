"""The small dialog that asks why an image is rejected.

The reason is typed or picked from the recent ones (kept in the user's settings). The
dialog is window-modal and opened with `open()`, so the event loop keeps running; it emits
`reason_given` when the user confirms.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QVBoxLayout,
    QWidget,
)

RECENT_KEY = "recent_reject_reasons"
MAX_RECENT = 10
MIN_WIDTH = 380


def recent_reasons(settings: QSettings) -> list[str]:
    stored = settings.value(RECENT_KEY)
    if stored is None:
        return []
    values = stored if isinstance(stored, list) else [stored]
    return [str(value) for value in values if str(value).strip()]


def remember_reason(settings: QSettings, reason: str) -> None:
    """Put `reason` first among the recent reasons (at most MAX_RECENT kept)."""
    reasons = [reason, *(r for r in recent_reasons(settings) if r != reason)][:MAX_RECENT]
    settings.setValue(RECENT_KEY, reasons)


class RejectDialog(QDialog):
    reason_given = Signal(str)

    def __init__(self, settings: QSettings, item_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("rejectDialog")
        self.setWindowTitle("Reject the image")
        self.setMinimumWidth(MIN_WIDTH)
        self._settings = settings
        self.reason = QComboBox()
        self.reason.setObjectName("rejectReason")
        self.reason.setEditable(True)
        self.reason.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.reason.addItems(recent_reasons(settings))
        self.reason.setCurrentText("")
        self.reason.lineEdit().setPlaceholderText("Why? (blurry, wrong subject, duplicate…)")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Reject")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.reason.currentTextChanged.connect(self._update_ok)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Reject {item_name}, because:"))
        layout.addWidget(self.reason)
        layout.addWidget(self.buttons)
        self._update_ok(self.reason.currentText())

    def _update_ok(self, text: str) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(text.strip()))

    def accept(self) -> None:
        text = self.reason.currentText().strip()
        if not text:
            return
        remember_reason(self._settings, text)
        super().accept()
        self.reason_given.emit(text)
