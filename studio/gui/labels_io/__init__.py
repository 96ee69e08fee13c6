"""Importing and exporting label files (COCO, YOLO, VOC, …) from the GUI.

`import_dialog.ImportLabelsDialog` previews an import with a dry run and then runs it;
`export_dialog.ExportLabelsDialog` writes the project's labels in a chosen format. Both do
their work on a worker thread (`tasks`). This module holds what both share: the red error line
and the progress bar's text.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QLabel, QProgressBar

from studio.api import LabelFormat

ERROR_ON_LIGHT = "#c62828"
ERROR_ON_DARK = "#ff6b6b"


def error_label(object_name: str) -> QLabel:
    """A word-wrapped, selectable label in red (readable on the light and the dark theme):
    the full message of an error, which names the file and the record."""
    label = QLabel()
    label.setObjectName(object_name)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    window = QApplication.palette().color(QPalette.ColorRole.Window)
    color = ERROR_ON_DARK if window.lightness() < 128 else ERROR_ON_LIGHT
    label.setStyleSheet(f"color: {color};")
    label.setVisible(False)
    return label


def show_error(label: QLabel, message: str) -> None:
    label.setText(message)
    label.setVisible(bool(message))


def show_progress(bar: QProgressBar, done: int, total: int, verb: str) -> None:
    """A determinate bar once a total is known ("Importing 120 / 4,000")."""
    if total <= 0:
        bar.setRange(0, 0)
        return
    bar.setRange(0, total)
    bar.setValue(min(done, total))
    bar.setFormat(f"{verb} {done:,} / {total:,}")


def start_busy(bar: QProgressBar, verb: str) -> None:
    """An indeterminate bar until the first progress report."""
    bar.setRange(0, 0)
    bar.setFormat(verb)
    bar.setVisible(True)


def can_read(label_format: LabelFormat) -> bool:
    return type(label_format).read is not LabelFormat.read


def can_write(label_format: LabelFormat) -> bool:
    return type(label_format).write is not LabelFormat.write
