"""The canvas inside a window with shortcuts: it claims the keys it needs at that moment
(Backspace while drawing a polygon, Delete on a selection, navigation keys), and leaves the
others to the window's actions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QMainWindow
from pytestqt.qtbot import QtBot

from studio.gui.canvas import Canvas
from studio.gui.canvas.view import KEY_ZOOM_STEP
from tests.gui.canvas.conftest import CLASSES, IMAGE_SIZE, click, record, record_signal
from tests.gui.conftest import HELD_REPEATS, hold_key


@pytest.fixture
def window_keys(qtbot: QtBot, canvas: Canvas) -> Iterator[list[str]]:
    """Puts the canvas in a shown window with actions on keys it also uses; the list of the
    actions' keys, as they trigger."""
    main = QMainWindow()
    qtbot.addWidget(main)
    triggered: list[str] = []
    for key in ("Backspace", "Delete", "F", "Shift+F", "B"):
        action = QAction(key, main)
        action.setShortcut(QKeySequence(key))
        action.triggered.connect(lambda _=False, key=key: triggered.append(key))
        main.addAction(action)
    main.setCentralWidget(canvas)
    main.resize(*IMAGE_SIZE)
    main.show()
    qtbot.waitExposed(main)
    main.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is main)
    canvas.setFocus()
    yield triggered
    canvas.setParent(None)  # the canvas fixture shuts it down after the window is gone


def test_backspace_edits_the_polygon_in_progress_else_goes_to_the_window(
    qtbot: QtBot, window_keys: list[str], canvas: Canvas
) -> None:
    canvas.set_tool("polygon")
    click(qtbot, canvas, 50, 50)
    click(qtbot, canvas, 100, 50)

    qtbot.keyClick(canvas, Qt.Key.Key_Backspace)
    assert canvas.current_tool().points() == [pytest.approx((50, 50), abs=1)]
    assert window_keys == []

    qtbot.keyClick(canvas, Qt.Key.Key_Escape)
    qtbot.keyClick(canvas, Qt.Key.Key_Backspace)
    assert window_keys == ["Backspace"]


def test_delete_goes_to_the_canvas_while_shapes_are_selected(
    qtbot: QtBot, window_keys: list[str], canvas: Canvas
) -> None:
    deleted = record_signal(canvas.delete_requested)
    canvas.set_annotations([record(4, "box", [10, 10, 50, 50])], CLASSES)

    qtbot.keyClick(canvas, Qt.Key.Key_Delete)
    assert window_keys == ["Delete"]
    canvas.select_annotations([4])
    qtbot.keyClick(canvas, Qt.Key.Key_Delete)
    assert deleted.calls == [([4],)]
    assert window_keys == ["Delete"]


def test_navigation_keys_stay_with_the_canvas_and_others_reach_the_window(
    qtbot: QtBot, window_keys: list[str], canvas: Canvas
) -> None:
    canvas.actual_size()
    qtbot.keyClick(canvas, Qt.Key.Key_F)
    assert canvas.zoom() != 1.0
    qtbot.keyClick(canvas, Qt.Key.Key_F, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(canvas, Qt.Key.Key_B)
    assert window_keys == ["Shift+F", "B"]


def test_a_held_delete_asks_to_delete_once(
    qtbot: QtBot, window_keys: list[str], canvas: Canvas
) -> None:
    deleted = record_signal(canvas.delete_requested)
    canvas.set_annotations([record(4, "box", [10, 10, 50, 50])], CLASSES)
    canvas.select_annotations([4])

    hold_key(canvas, Qt.Key.Key_Delete)

    assert deleted.calls == [([4],)]
    assert window_keys == []


def test_a_held_backspace_removes_one_point_of_the_polygon_in_progress(
    qtbot: QtBot, window_keys: list[str], canvas: Canvas
) -> None:
    canvas.set_tool("polygon")
    for x, y in ((50, 50), (100, 50), (100, 100), (50, 100)):
        click(qtbot, canvas, x, y)

    hold_key(canvas, Qt.Key.Key_Backspace)

    assert len(canvas.current_tool().points()) == 3
    assert window_keys == []


def test_a_held_plus_keeps_zooming(qtbot: QtBot, window_keys: list[str], canvas: Canvas) -> None:
    canvas.actual_size()

    hold_key(canvas, Qt.Key.Key_Plus)

    assert canvas.zoom() == pytest.approx(KEY_ZOOM_STEP ** (HELD_REPEATS + 1))
