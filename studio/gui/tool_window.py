"""What the main window's own windows (duplicates, dataset health, label errors, the map)
share: they stay above the main window, and they close as people expect of a secondary
window, with Esc or Ctrl+W (Cmd+W), since the main window's shortcuts do not reach a window of
its own while it has the focus."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QWidget

# A tool window, not a plain top-level one: opening an item from it raises the main window to
# show the item, and a plain window (not transient for the main one under X11 window
# managers) then went behind it and was lost at every click in a real desktop.
TOOL_WINDOW = Qt.WindowType.Tool


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
