"""Drawing in the window with the mouse: every shape lands in the project file at once, and
undo / redo (also across images) put the file and the canvas back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from studio.api import Project
from studio.core.geometry import decode_mask
from studio.gui.main_window import MainWindow
from tests.gui.canvas.conftest import click, drag, wait_for_image
from tests.gui.workspace.conftest import open_first_image, press

CTRL = Qt.KeyboardModifier.ControlModifier
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def stored(path: Path, item_id: int) -> list[tuple[str, str, object]]:
    """(kind, label, geometry) of an item's annotations, read by a second connection."""
    with Project.open(path) as reader:
        return [(a.kind, a.label, a.geometry) for a in reader.annotations(item_id)]


def shape_rows(window: MainWindow) -> list[str]:
    model = window.workspace.shape_panel.model
    return [model.data(model.index(row)) for row in range(model.rowCount())]


def canvas_ids(window: MainWindow) -> list[int]:
    return sorted(item.annotation_id for item in window.workspace.canvas.layer.items())


@pytest.fixture
def window(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], shape_project: Path
) -> MainWindow:
    window = open_window(shape_project)
    open_first_image(qtbot, window)
    wait_for_image(qtbot, window.workspace.canvas)
    return window


def test_a_box_drawn_with_the_mouse_is_in_the_file_and_undo_redo_work(
    qtbot: QtBot, window: MainWindow, shape_project: Path
) -> None:
    canvas = window.workspace.canvas
    item_id = window.workspace.controller.item.id
    press(qtbot, Qt.Key.Key_2)  # the class "dog"
    press(qtbot, Qt.Key.Key_B)

    drag(qtbot, canvas, [(20, 30), (60, 60), (100, 90)])

    ((kind, label, box),) = stored(shape_project, item_id)
    assert (kind, label) == ("box", "dog")
    assert box == pytest.approx([20, 30, 80, 60], abs=1)
    (annotation_id,) = canvas_ids(window)
    assert shape_rows(window) == ["dog · Box"]
    assert window.workspace.shape_panel.selected_ids() == [annotation_id]  # the new shape
    assert canvas.selected_annotations() == [annotation_id]
    assert window.project.item(item_id).status == "in_progress"
    qtbot.waitUntil(lambda: "1 annotation" in window.counts_label.text())

    press(qtbot, Qt.Key.Key_Z, CTRL)
    assert stored(shape_project, item_id) == []
    assert canvas_ids(window) == []
    assert shape_rows(window) == []
    assert window.project.item(item_id).status == "new"

    press(qtbot, Qt.Key.Key_Z, CTRL_SHIFT)
    assert stored(shape_project, item_id) == [("box", "dog", box)]
    assert canvas_ids(window) == [annotation_id]
    assert window.statusBar().currentMessage() == "Redone: Add box (dog) on image_0000.jpg"


def test_moving_a_vertex_commits_once_and_undo_restores_it_exactly(
    qtbot: QtBot, window: MainWindow, shape_project: Path
) -> None:
    item_id = window.workspace.controller.item.id
    original = [(20.0, 20.0), (100.0, 25.0), (60.0, 90.0)]
    window.project.annotate(item_id, "cat", polygon=original)
    window.refresh()
    canvas = window.workspace.canvas

    drag(qtbot, canvas, [(100, 25), (110, 40), (120, 60)])  # the select tool drags a vertex

    ((_, _, moved),) = stored(shape_project, item_id)
    assert moved[0][2:4] == pytest.approx([120, 60], abs=1)
    assert moved[0][:2] == [20.0, 20.0]
    press(qtbot, Qt.Key.Key_Z, CTRL)  # the whole drag is one step
    assert stored(shape_project, item_id) == [
        ("polygon", "cat", [[c for point in original for c in point]])
    ]
    press(qtbot, Qt.Key.Key_Y, CTRL)
    assert stored(shape_project, item_id)[0][2] == moved


def test_polygon_and_brush_strokes_are_stored(
    qtbot: QtBot, window: MainWindow, shape_project: Path
) -> None:
    item_id = window.workspace.controller.item.id
    canvas = window.workspace.canvas
    press(qtbot, Qt.Key.Key_P)
    for x, y in [(10, 10), (70, 12), (40, 60)]:
        click(qtbot, canvas, x, y)
    press(qtbot, Qt.Key.Key_Return)  # the canvas claims Enter while a polygon is open
    press(qtbot, Qt.Key.Key_R)
    canvas.set_brush_size(10)
    drag(qtbot, canvas, [(100, 80), (120, 80), (140, 80)])

    (polygon, mask) = stored(shape_project, item_id)
    assert polygon[:2] == ("polygon", "cat")
    assert polygon[2][0] == pytest.approx([10, 10, 70, 12, 40, 60], abs=1)
    assert mask[:2] == ("mask", "cat")
    pixels = decode_mask(mask[2])
    assert pixels.shape == (120, 160)
    assert pixels[80, 100:141].all()  # the stroke from x 100 to 140
    assert not pixels[40, 40]
    assert np.count_nonzero(pixels[80]) == pytest.approx(50, abs=4)  # 40 px + the brush's ends
    assert shape_rows(window) == ["cat · Polygon", "cat · Mask"]


def test_selection_follows_between_canvas_and_list_and_delete_removes(
    qtbot: QtBot, window: MainWindow, shape_project: Path
) -> None:
    item_id = window.workspace.controller.item.id
    first = window.project.annotate(item_id, "cat", box=[10, 10, 30, 30])
    second = window.project.annotate(item_id, "dog", box=[80, 60, 40, 40])
    window.refresh()
    canvas, panel = window.workspace.canvas, window.workspace.shape_panel

    click(qtbot, canvas, 100, 80)
    assert panel.selected_ids() == [second]
    panel.view.setCurrentIndex(panel.model.index(0))
    assert canvas.selected_annotations() == [first]

    press(qtbot, Qt.Key.Key_Delete)  # the list has the focus: the window's Delete
    assert [a[1] for a in stored(shape_project, item_id)] == ["dog"]
    click(qtbot, canvas, 100, 80)
    press(qtbot, Qt.Key.Key_Delete)  # the canvas has the focus: its own Delete
    assert stored(shape_project, item_id) == []
    press(qtbot, Qt.Key.Key_Z, CTRL)
    assert [a.id for a in window.project.annotations(item_id)] == [second]


def test_undo_shows_the_image_it_changes(
    qtbot: QtBot, window: MainWindow, shape_project: Path
) -> None:
    canvas = window.workspace.canvas
    first_item = window.workspace.controller.item.id
    press(qtbot, Qt.Key.Key_B)
    drag(qtbot, canvas, [(10, 10), (50, 50)])
    press(qtbot, Qt.Key.Key_D)
    assert window.workspace.controller.item.id != first_item

    press(qtbot, Qt.Key.Key_Z, CTRL)

    assert window.workspace.controller.item.id == first_item
    assert window.gallery.currentIndex().row() == 0
    assert stored(shape_project, first_item) == []
    assert canvas_ids(window) == []


def test_copy_the_previous_images_annotations(
    qtbot: QtBot, window: MainWindow, shape_project: Path
) -> None:
    first = window.workspace.controller.item.id
    window.project.annotate(first, "dog", box=[100, 80, 50, 30])
    window.project.annotate(first, "cat", polygon=[(5, 5), (40, 5), (20, 30)])
    press(qtbot, Qt.Key.Key_D)
    second = window.workspace.controller.item.id

    press(qtbot, Qt.Key.Key_V, CTRL_SHIFT)

    assert stored(shape_project, second) == [
        ("box", "dog", [100.0, 80.0, 50.0, 30.0]),
        ("polygon", "cat", [[5.0, 5.0, 40.0, 5.0, 20.0, 30.0]]),
    ]
    assert shape_rows(window) == ["dog · Box", "cat · Polygon"]
    assert window.statusBar().currentMessage() == "Copied 2 annotations"
    press(qtbot, Qt.Key.Key_Z, CTRL)  # one step for the whole copy
    assert stored(shape_project, second) == []


def test_space_tapped_on_the_canvas_finishes_the_image_and_held_space_pans(
    qtbot: QtBot, window: MainWindow
) -> None:
    canvas = window.workspace.canvas
    first = window.workspace.controller.item.id
    press(qtbot, Qt.Key.Key_B)
    drag(qtbot, canvas, [(10, 10), (50, 50)])
    assert QApplication.focusWidget() is canvas

    qtbot.keyPress(canvas, Qt.Key.Key_Space)  # held while dragging: a pan, no action
    press(qtbot, Qt.Key.Key_Equal)  # zoom in first, so there is room to pan
    scrolled = canvas.horizontalScrollBar().value()
    drag(qtbot, canvas, [(80, 60), (60, 60), (40, 60)])
    qtbot.keyRelease(canvas, Qt.Key.Key_Space)
    assert canvas.horizontalScrollBar().value() != scrolled
    assert window.project.item(first).status == "in_progress"

    press(qtbot, Qt.Key.Key_Space)  # a tap: done, and the next image

    assert window.project.item(first).status == "done"
    assert window.workspace.controller.item.id != first


def test_a_rotated_box_drawn_in_the_window_turns_with_z_and_x_one_undo_step_a_press(
    qtbot: QtBot, window: MainWindow, shape_project: Path
) -> None:
    canvas = window.workspace.canvas
    item_id = window.workspace.controller.item.id
    press(qtbot, Qt.Key.Key_O)
    drag(qtbot, canvas, [(20, 30), (60, 60), (100, 90)])
    press(qtbot, Qt.Key.Key_V)
    click(qtbot, canvas, 60, 60)

    press(qtbot, Qt.Key.Key_X)
    press(qtbot, Qt.Key.Key_X)
    press(qtbot, Qt.Key.Key_Z)

    ((kind, _, turned),) = stored(shape_project, item_id)
    assert kind == "rotated_box"
    assert turned[4] == pytest.approx(1)
    assert shape_rows(window)[0].endswith(" · Rotated box")
    press(qtbot, Qt.Key.Key_Z, CTRL)
    assert stored(shape_project, item_id)[0][2][4] == pytest.approx(2)
