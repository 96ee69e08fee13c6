"""What the main window's own windows (duplicates, dataset health) share: they close as
people expect of a secondary window, with Esc or Ctrl+W (Cmd+W), since the main window's
shortcuts do not reach a window of its own while it has the focus."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QWidget


def add_close_keys(window: QWidget) -> None:
    """Esc and the platform's Close key close `window` (key sequences are made here: Qt
    cannot make them before the application exists)."""
    keys = (QKeySequence(Qt.Key.Key_Escape), QKeySequence(QKeySequence.StandardKey.Close))
    for key in keys:
        QShortcut(key, window, window.close, context=Qt.ShortcutContext.WindowShortcut)
