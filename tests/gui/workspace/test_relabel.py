"""Relabelling shapes: the class key, the class picker and the shape context menu change the
class of every selected shape in one undo step; tagging the image and the drawing class stay
apart in every labeling mode."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMenu
from pytestqt.qtbot import QtBot

from studio.api import Project
from studio.gui.main_window import MainWindow
from tests.gui.canvas.conftest import click, drag, right_click, wait_for_image
from tests.gui.workspace.conftest import focused, open_first_image, press

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def classes_of(path: Path, item_id: int) -> list[tuple[str, str, str | None]]:
    """(kind, class, review) of an item's annotations, read by a second connection."""
    with Project.open(path) as reader:
        return [(a.kind, a.label, a.review) for a in reader.annotations(item_id)]


def opened(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], path: Path, **shapes: list
) -> tuple[MainWindow, int]:
    """A window on `path` showing its first image, which got the boxes `shapes` names by
    class (each box a list [x, y, w, h])."""
    window = open_window(path)
    open_first_image(qtbot, window)
    item_id = window.workspace.controller.item.id
    for label, boxes in shapes.items():
        for box in boxes:
            window.project.annotate(item_id, label, box=box)
    window.refresh()
    wait_for_image(qtbot, window.workspace.canvas)
    return window, item_id


def click_menu_entry(qtbot: QtBot, menu: QMenu, text: str) -> None:
    """Click the entry of `menu` whose text starts with `text`, with the mouse."""
    qtbot.waitUntil(menu.isVisible)
    action = next(a for a in menu.actions() if a.text().replace("&", "").startswith(text))
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())


def test_a_class_key_sets_the_drawing_class_then_relabels_every_selected_box_at_once(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], shape_project: Path
) -> None:
    window, item_id = opened(
        qtbot, open_window, shape_project, cat=[[10, 10, 30, 30], [80, 50, 40, 40]]
    )
    canvas, controller = window.workspace.canvas, window.workspace.controller
    press(qtbot, Qt.Key.Key_2)  # the key of "dog", with nothing selected
    assert controller.active_class.name == "dog"
    assert window.statusBar().currentMessage() == "Drawing class: dog"
    assert classes_of(shape_project, item_id) == [("box", "cat", None)] * 2

    click(qtbot, canvas, 20, 20)
    click(qtbot, canvas, 100, 70, SHIFT)
    press(qtbot, Qt.Key.Key_2)

    assert classes_of(shape_project, item_id) == [("box", "dog", None)] * 2
    assert window.statusBar().currentMessage() == "2 boxes → dog"
    press(qtbot, Qt.Key.Key_Z, CTRL)  # one step
    assert classes_of(shape_project, item_id) == [("box", "cat", None)] * 2


def test_a_class_key_after_drawing_a_box_fixes_its_class_and_the_next_one_s(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], shape_project: Path
) -> None:
    window, item_id = opened(qtbot, open_window, shape_project)
    press(qtbot, Qt.Key.Key_B)
    drag(qtbot, window.workspace.canvas, [(20, 30), (60, 60), (100, 90)])  # a cat box

    press(qtbot, Qt.Key.Key_2)  # the new box is still selected

    assert classes_of(shape_project, item_id) == [("box", "dog", None)]
    assert window.workspace.controller.active_class.name == "dog"


def test_the_context_menu_relabels_the_shape_under_the_pointer(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], shape_project: Path
) -> None:
    window, item_id = opened(
        qtbot, open_window, shape_project, cat=[[10, 10, 30, 30], [80, 50, 40, 40]]
    )
    canvas = window.workspace.canvas
    click(qtbot, canvas, 20, 20)  # the other box is selected…

    right_click(qtbot, canvas, 100, 70)  # …the right-clicked one becomes the selection

    menu = window.workspace.shape_menu
    assert menu is not None
    click_menu_entry(qtbot, menu, "Class")
    class_menu = menu.findChild(QMenu, "shapeClassMenu")
    assert [a.text() for a in class_menu.actions()] == ["cat\t1", "dog\t2"]
    click_menu_entry(qtbot, class_menu, "dog")
    assert classes_of(shape_project, item_id) == [("box", "cat", None), ("box", "dog", None)]
    assert window.statusBar().currentMessage() == "1 box → dog"
    press(qtbot, Qt.Key.Key_Z, CTRL)
    assert classes_of(shape_project, item_id) == [("box", "cat", None)] * 2


def test_the_context_menu_sends_a_shape_to_the_back_and_offers_review_for_suggestions(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], shape_project: Path
) -> None:
    window, item_id = opened(qtbot, open_window, shape_project, cat=[[10, 10, 60, 60]])
    window.project.suggest_annotations(
        [{"item_id": item_id, "label": "dog", "box": [30, 30, 60, 60], "source": "model"}]
    )
    window.refresh()
    canvas = window.workspace.canvas
    top = canvas.layer.items()[-1].annotation_id

    right_click(qtbot, canvas, 80, 80)  # only the suggestion is there
    menu = window.workspace.shape_menu
    entries = [a.text().replace("&", "") for a in menu.actions() if not a.isSeparator()]
    assert entries[-2:] == ["Accept\tY", "Reject\tCtrl+Del"]
    click_menu_entry(qtbot, menu, "Send to back")
    press(qtbot, Qt.Key.Key_Escape)  # a selected shape is drawn on top until deselected

    assert canvas.layer.items()[0].annotation_id == top
    assert window.statusBar().currentMessage() == "Sent 1 box to the back"


def test_ctrl_k_on_a_selected_box_in_single_label_mode_relabels_it_and_tags_nothing(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], tag_project: Path
) -> None:
    window, item_id = opened(qtbot, open_window, tag_project, **{"1": [[5, 5, 30, 30]]})
    click(qtbot, window.workspace.canvas, 15, 15)

    press(qtbot, Qt.Key.Key_K, CTRL)
    picker = window.workspace.picker
    qtbot.waitUntil(picker.isVisible)
    assert picker.title.text() == "Class of the selected 1 box"
    qtbot.keyClicks(focused(), "7")
    press(qtbot, Qt.Key.Key_Return)

    assert classes_of(tag_project, item_id) == [("box", "7", None)]  # and no tag
    assert window.statusBar().currentMessage() == "1 box → 7"


@pytest.mark.parametrize(
    ("tool_key", "expected"),
    [(Qt.Key.Key_V, "tag"), (Qt.Key.Key_B, "box")],
    ids=["select-tool", "box-tool"],
)
def test_in_single_label_mode_a_digit_tags_the_image_unless_a_drawing_tool_is_active(
    qtbot: QtBot,
    open_window: Callable[[Path], MainWindow],
    tag_project: Path,
    tool_key: Qt.Key,
    expected: str,
) -> None:
    window, item_id = opened(qtbot, open_window, tag_project)
    press(qtbot, tool_key)
    press(qtbot, Qt.Key.Key_4)
    controller = window.workspace.controller
    if expected == "tag":
        assert classes_of(tag_project, item_id) == [("tag", "4", None)]
        assert window.statusBar().currentMessage() == "Image tagged: 4"
    else:
        assert classes_of(tag_project, item_id) == []
        assert controller.active_class.name == "4"
        assert window.statusBar().currentMessage() == "Drawing class: 4"
    assert QApplication.focusWidget() is window.workspace.canvas
