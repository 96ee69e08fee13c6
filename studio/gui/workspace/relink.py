"""Missing media: the bar above the canvas that says so, and what a relink found."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from studio.api import RelinkReport
from studio.gui.resources import icon

ICON_SIZE = 20


def describe_relink(report: RelinkReport) -> str:
    found, missing = len(report.relinked), len(report.still_missing)
    text = f"Relinked {found:,} file{'s' if found != 1 else ''}"
    return f"{text}; {missing:,} still missing" if missing else text


class MissingMediaBar(QFrame):
    """Shown above the canvas while the shown image's file cannot be found."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("missingMedia")
        picture = QLabel()
        picture.setPixmap(icon("missing").pixmap(ICON_SIZE, ICON_SIZE))
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.button = QPushButton("Relink…")
        self.button.setToolTip("Choose the folder the images are in now (Ctrl+L)")
        self.button.setObjectName("relinkButton")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(picture)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.button)
        self.hide()

    def show_missing(self, path: Path | None) -> None:
        """Say that `path` is missing (None: hide the bar)."""
        if path is None:
            self.hide()
            return
        self.message.setText(f"Missing file: {path.name}. Did its folder move?")
        self.message.setToolTip(str(path))
        self.show()
