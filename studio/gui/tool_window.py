"""What the main window's own windows (duplicates, dataset health, the map) share: they close
as people expect of a secondary window, with Esc or Ctrl+W (Cmd+W), since the main window's
shortcuts do not reach a window of its own while it has the focus."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QWidget


def add_close_keys(window: QWidget) -> None:
    """Esc and every binding of the platform's Close key close `window` (on Linux, Ctrl+F4
    and Ctrl+W: `QKeySequence(StandardKey.Close)` alone is only the first). Key sequences
    are made here: Qt cannot make them before the application exists."""
    keys = [QKeySequence(Qt.Key.Key_Escape)]
    keys += QKeySequence.keyBindings(QKeySequence.StandardKey.Close)
    shortcut = QShortcut(window)
    shortcut.setKeys(keys)
    shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
    shortcut.activated.connect(window.close)
