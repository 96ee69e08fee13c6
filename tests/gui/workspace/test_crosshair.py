"""The crosshair toggle: a key and a View menu entry, remembered for the next window."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from studio.gui.main_window import MainWindow
from tests.gui.workspace.conftest import open_first_image, press


def test_shift_c_toggles_the_crosshair_and_the_next_window_remembers_it(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], shape_project: Path
) -> None:
    window = open_window(shape_project)
    open_first_image(qtbot, window)
    action = window.workspace.labeling_actions["crosshair"]
    assert action in window.view_menu.actions()
    assert not window.workspace.canvas.crosshair()

    press(qtbot, Qt.Key.Key_C, Qt.KeyboardModifier.ShiftModifier)

    assert action.isChecked()
    assert window.workspace.canvas.crosshair()
    window.close()
    assert open_window(shape_project).workspace.canvas.crosshair()
