"""Copy and paste of shapes between images: Ctrl+C takes the selected shapes, Ctrl+V pastes
them into the shown image as one undo step, selected, once per press however long held."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from studio.api import Project
from studio.gui.main_window import MainWindow
from tests.gui.canvas.conftest import click, wait_for_image
from tests.gui.conftest import hold_key
from tests.gui.workspace.conftest import focused, open_first_image, press

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
BOX, TRIANGLE = [10, 10, 30, 30], [[60, 20, 100, 20, 80, 60]]


def shapes_of(path: Path, item_id: int) -> list[tuple[str, str, object]]:
    with Project.open(path) as reader:
        return [(a.kind, a.label, a.geometry) for a in reader.annotations(item_id)]


def copy_two_shapes_and_go_to_the_next_image(qtbot: QtBot, window: MainWindow) -> tuple[int, int]:
    """Draw-free setup: the first image gets a box and a triangle, both are selected with the
    mouse and copied with Ctrl+C, and D opens the next image. (first id, second id)"""
    open_first_image(qtbot, window)
    first = window.workspace.controller.item.id
    window.project.annotate(first, "cat", box=BOX)
    window.project.annotate(first, "dog", polygon=TRIANGLE)
    window.refresh()
    canvas = window.workspace.canvas
    wait_for_image(qtbot, canvas)
    click(qtbot, canvas, 20, 20)
    click(qtbot, canvas, 80, 30, SHIFT)
    press(qtbot, Qt.Key.Key_C, CTRL)
    assert window.statusBar().currentMessage() == "Copied 2 shapes"
    press(qtbot, Qt.Key.Key_D)
    qtbot.waitUntil(lambda: window.workspace.controller.item.id != first)
    return first, window.workspace.controller.item.id


def test_shapes_copied_on_one_image_paste_into_the_next_as_one_undo_step(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], shape_project: Path
) -> None:
    window = open_window(shape_project)
    first, second = copy_two_shapes_and_go_to_the_next_image(qtbot, window)
    press(qtbot, Qt.Key.Key_C, CTRL)  # nothing is selected here: the clipboard is kept
    assert window.statusBar().currentMessage() == "Select the shapes to copy first"

    press(qtbot, Qt.Key.Key_V, CTRL)

    assert shapes_of(shape_project, second) == shapes_of(shape_project, first)
    pasted = [a.id for a in window.project.annotations(second)]
    assert window.workspace.canvas.selected_annotations() == pasted
    assert window.statusBar().currentMessage() == "Pasted 2 shapes"
    press(qtbot, Qt.Key.Key_Z, CTRL)
    assert shapes_of(shape_project, second) == []
    assert len(shapes_of(shape_project, first)) == 2


def test_a_held_ctrl_v_pastes_once(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], shape_project: Path
) -> None:
    window = open_window(shape_project)
    _, second = copy_two_shapes_and_go_to_the_next_image(qtbot, window)

    hold_key(focused(), Qt.Key.Key_V, CTRL)

    assert len(shapes_of(shape_project, second)) == 2
