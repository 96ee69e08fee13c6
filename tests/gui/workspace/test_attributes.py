"""A class's attributes and keypoints in the window: the schema dialog saves them (undo
restores them), a new shape gets the defaults, the shape list edits them with real widget
events (one undo step each, a bad number refused), and a skeleton placed with real clicks
(one point skipped) exports to COCO keypoints and reads back equal."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QDialogButtonBox, QLineEdit, QSpinBox
from pytestqt.qtbot import QtBot

from studio.api import LabelClassRecord, Project
from studio.gui.main_window import MainWindow
from studio.gui.workspace.class_schema_dialog import ClassSchemaDialog
from tests.gui.canvas.conftest import click, drag, wait_for_image
from tests.gui.workspace.conftest import open_first_image, press

SHIFT = Qt.KeyboardModifier.ShiftModifier
CAT_SCHEMA = [
    {"name": "colour", "type": "choice", "values": ["black", "ginger", "white"]},
    {"name": "lives", "type": "number", "min": 1, "max": 9, "default": 9},
    {"name": "sleeping", "type": "checkbox"},
    {"name": "collar", "type": "text"},
]
FACE = ["nose", "left_eye", "right_eye"]
FACE_EDGES = [[1, 2], [1, 3]]


def user_attributes(path: Path, annotation_id: int) -> dict:
    """A shape's user attributes, read by a second connection to the file."""
    with Project.open(path) as reader:
        (shape,) = [
            a
            for item in reader.item_ids()
            for a in reader.annotations(item)
            if a.id == annotation_id
        ]
        return shape.attributes.get("user", {})


def cat_meta(path: Path) -> dict:
    with Project.open(path) as reader:
        return dict(next(c for c in reader.classes() if c.name == "cat").meta)


@pytest.fixture
def window(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], shape_project: Path
) -> MainWindow:
    with Project.open(shape_project) as project:
        project.set_class_schema("cat", attributes=CAT_SCHEMA, keypoints=FACE, skeleton=FACE_EDGES)
    window = open_window(shape_project)
    open_first_image(qtbot, window)
    wait_for_image(qtbot, window.workspace.canvas)
    return window


def draw_cat_box(qtbot: QtBot, window: MainWindow) -> int:
    press(qtbot, Qt.Key.Key_1)  # the class "cat"
    press(qtbot, Qt.Key.Key_B)
    drag(qtbot, window.workspace.canvas, [(20, 30), (60, 60), (100, 90)])
    qtbot.waitUntil(lambda: len(window.workspace.controller.selection) == 1)
    return window.workspace.controller.selection[0]


def test_the_schema_dialog_saves_the_class_schema_and_undo_restores_it(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], shape_project: Path
) -> None:
    window = open_window(shape_project)
    panel = window.workspace.class_panel
    press(qtbot, Qt.Key.Key_F2, SHIFT)  # the active class "cat"
    qtbot.waitUntil(lambda: panel.schema_dialog is not None and panel.schema_dialog.isVisible())
    dialog = panel.schema_dialog
    row = dialog.add_attribute()
    dialog.table.item(row, 0).setText("lives")
    dialog.table.cellWidget(row, 1).setCurrentIndex(1)  # Number
    dialog.table.item(row, 3).setText("1")
    dialog.table.item(row, 4).setText("9")
    dialog.keypoint_names.setPlainText("nose\nleft_eye")
    dialog.skeleton.setPlainText("nose - left_eye")
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)

    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: "attributes" in cat_meta(shape_project))
    assert cat_meta(shape_project) == {
        "attributes": [{"name": "lives", "type": "number", "default": 1, "min": 1, "max": 9}],
        "keypoints": ["nose", "left_eye"],
        "skeleton": [[1, 2]],
    }
    window.menu_actions["undo"].trigger()
    assert cat_meta(shape_project) == {}


def test_a_skeleton_line_naming_no_keypoint_keeps_the_dialog_open(qtbot: QtBot) -> None:
    dialog = ClassSchemaDialog(LabelClassRecord(1, "cat", "#e6194b", None, 0, False))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.keypoint_names.setPlainText("nose")
    dialog.skeleton.setPlainText("nose - tail")

    qtbot.mouseClick(
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton
    )

    assert dialog.isVisible()
    assert dialog.error.text() == "skeleton line “nose - tail” does not join two keypoints"


def test_the_shape_list_edits_attributes_one_undo_step_each_and_refuses_a_bad_number(
    qtbot: QtBot, window: MainWindow, shape_project: Path
) -> None:
    box = draw_cat_box(qtbot, window)
    assert user_attributes(shape_project, box) == {
        "colour": "black",
        "lives": 9,
        "sleeping": False,
        "collar": "",
    }
    editors = window.workspace.shape_panel.attributes.editors
    colour, lives = editors["colour"], editors["lives"]
    sleeping, collar = editors["sleeping"], editors["collar"]
    assert [type(editor) for editor in (colour, lives, sleeping, collar)] == [
        QComboBox,
        QSpinBox,
        QCheckBox,
        QLineEdit,
    ]

    colour.setFocus()
    qtbot.keyClick(colour, Qt.Key.Key_Down)
    qtbot.mouseClick(sleeping, Qt.MouseButton.LeftButton, pos=QPoint(8, sleeping.height() // 2))
    qtbot.mouseClick(lives, Qt.MouseButton.LeftButton)
    qtbot.keyClick(lives, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(lives, "3")
    qtbot.keyClick(lives, Qt.Key.Key_Return)
    qtbot.mouseClick(collar, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(collar, "red bell")
    qtbot.keyClick(collar, Qt.Key.Key_Return)

    assert user_attributes(shape_project, box) == {
        "colour": "ginger",
        "lives": 3,
        "sleeping": True,
        "collar": "red bell",
    }
    undo = window.menu_actions["undo"]
    undo.trigger()
    assert user_attributes(shape_project, box)["collar"] == ""
    undo.trigger()
    assert user_attributes(shape_project, box)["lives"] == 9
    undo.trigger()
    assert user_attributes(shape_project, box)["sleeping"] is False
    undo.trigger()
    assert user_attributes(shape_project, box)["colour"] == "black"
    assert (collar.text(), colour.currentText()) == ("", "black")

    qtbot.mouseClick(lives, Qt.MouseButton.LeftButton)
    qtbot.keyClick(lives, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(lives, "12")
    qtbot.keyClick(lives, Qt.Key.Key_Return)  # a bad number: refused, said, shown as it was

    assert window.statusBar().currentMessage() == "attribute 'lives': 12 is above the maximum 9"
    assert user_attributes(shape_project, box)["lives"] == 9
    assert lives.value() == 9


def test_a_skeleton_placed_with_clicks_exports_to_coco_keypoints_and_reads_back_equal(
    qtbot: QtBot, window: MainWindow, shape_project: Path, tmp_path: Path
) -> None:
    canvas = window.workspace.canvas
    press(qtbot, Qt.Key.Key_1)
    press(qtbot, Qt.Key.Key_K)
    assert window.statusBar().currentMessage() == "click: nose (1 of 3); N skips; Enter ends"

    click(qtbot, canvas, 40, 40)
    assert window.statusBar().currentMessage() == "click: left_eye (2 of 3); N skips; Enter ends"
    press(qtbot, Qt.Key.Key_N)
    click(qtbot, canvas, 60, 50)  # right_eye, the last: the shape is made

    item_id = window.workspace.controller.item.id
    with Project.open(shape_project) as project:
        (points,) = [a for a in project.annotations(item_id) if a.kind == "keypoints"]
        assert [point[2] for point in points.geometry] == [2, 0, 2]  # left_eye skipped
        assert points.geometry[0][:2] == pytest.approx([40, 40], abs=1)
        assert points.geometry[2][:2] == pytest.approx([60, 50], abs=1)
        project.export_labels(tmp_path / "coco", format="coco")
    document = json.loads(next((tmp_path / "coco").rglob("*.json")).read_text())
    (written,) = document["annotations"]
    assert written["keypoints"] == [value for point in points.geometry for value in point]
    assert written["num_keypoints"] == 2
    cat = next(c for c in document["categories"] if c["name"] == "cat")
    assert (cat["keypoints"], cat["skeleton"]) == (FACE, FACE_EDGES)

    with Project.create(tmp_path / "back.studio") as back:
        back.import_labels(tmp_path / "coco")
        (item,) = back.item_ids()
        (read,) = [a for a in back.annotations(item) if a.kind == "keypoints"]
        assert read.geometry == points.geometry
        read_cat = next(c for c in back.classes() if c.name == "cat")
        assert (read_cat.meta["keypoints"], read_cat.meta["skeleton"]) == (FACE, FACE_EDGES)
