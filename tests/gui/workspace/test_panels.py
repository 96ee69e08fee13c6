"""The side panels: classes (add, rename, recolour, hide, opacity), image tags and the mode."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QColorDialog, QInputDialog
from pytestqt.qtbot import QtBot

from studio.api import Project
from studio.gui.main_window import MainWindow
from studio.gui.workspace.class_keys import class_for_key, class_hotkeys
from tests.conftest import write_images
from tests.gui.canvas.conftest import drag, wait_for_image
from tests.gui.workspace.conftest import open_first_image, press

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def window(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], shape_project: Path
) -> MainWindow:
    window = open_window(shape_project)
    open_first_image(qtbot, window)
    return window


def class_rows(window: MainWindow) -> list[tuple[str, str]]:
    model = window.workspace.class_panel.model
    return [
        (model.data(model.index(row, 0)), model.data(model.index(row, 1)))
        for row in range(model.rowCount())
    ]


def test_digit_keys_follow_explicit_hotkeys_then_the_panel_order(project: Project) -> None:
    classes = project.add_classes(
        ["cat", {"name": "dog", "hotkey": "1"}, "fox", {"name": "owl", "hotkey": "x"}]
    )
    assert class_hotkeys(classes) == {
        classes[1].id: "1",
        classes[0].id: "2",
        classes[2].id: "3",
        classes[3].id: "4",
    }
    assert class_for_key(classes, "2").name == "cat"
    assert class_for_key(classes, "9") is None
    many = project.add_classes([f"c{n}" for n in range(12)])
    assert sorted(class_hotkeys(many).values()) == sorted("1234567890")


def test_add_rename_and_recolour_classes_from_the_keyboard(
    qtbot: QtBot, window: MainWindow, monkeypatch
) -> None:
    answers = iter([("bird", True), ("eagle", True)])
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: next(answers))
    monkeypatch.setattr(QColorDialog, "getColor", lambda *a, **k: QColor("#123456"))

    press(qtbot, Qt.Key.Key_N, CTRL_SHIFT)
    assert class_rows(window) == [("cat", "1"), ("dog", "2"), ("bird", "3")]
    assert window.workspace.controller.active_class.name == "bird"
    press(qtbot, Qt.Key.Key_F2)
    press(qtbot, Qt.Key.Key_C, CTRL_SHIFT)

    eagle = window.project.classes()[-1]
    assert (eagle.name, eagle.color) == ("eagle", "#123456")
    assert class_rows(window)[-1] == ("eagle", "3")
    tags = window.workspace.tag_panel.model
    assert tags.data(tags.index(2)) == "eagle  (3)"
    press(qtbot, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.project.classes()[-1].color != "#123456"
    assert class_rows(window)[-1] == ("eagle", "3")


def test_hiding_a_class_and_its_opacity_reach_the_canvas(qtbot: QtBot, window: MainWindow) -> None:
    item_id = window.workspace.controller.item.id
    cat_box = window.project.annotate(item_id, "cat", box=[10, 10, 30, 30])
    dog_box = window.project.annotate(item_id, "dog", box=[50, 50, 30, 30])
    window.refresh()
    canvas, panel = window.workspace.canvas, window.workspace.class_panel
    shape = {i.annotation_id: i for i in canvas.layer.items()}

    press(qtbot, Qt.Key.Key_H)  # the active class, cat
    assert not shape[cat_box].isVisible()
    assert shape[dog_box].isVisible()
    cat_row = panel.model.index(0, 0)
    assert panel.model.data(cat_row, Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked
    panel.model.setData(cat_row, Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    assert shape[cat_box].isVisible()

    panel.view.setCurrentIndex(panel.model.index(1, 0))
    assert window.workspace.controller.active_class.name == "dog"
    panel.opacity.setValue(80)
    assert canvas.layer.class_opacity(window.project.classes()[1].id) == pytest.approx(0.8)
    assert canvas.layer.class_opacity(window.project.classes()[0].id) == pytest.approx(0.3)
    panel.view.setCurrentIndex(panel.model.index(0, 0))
    assert panel.opacity.value() == 30


def test_the_tag_panel_ticks_tags_and_the_mode_is_a_project_setting(
    qtbot: QtBot, window: MainWindow
) -> None:
    item_id = window.workspace.controller.item.id
    tags = window.workspace.tag_panel.model
    checked = Qt.CheckState.Checked.value

    tags.setData(tags.index(0), checked, Qt.ItemDataRole.CheckStateRole)
    tags.setData(tags.index(1), checked, Qt.ItemDataRole.CheckStateRole)
    assert sorted(a.label for a in window.project.annotations(item_id)) == ["cat", "dog"]

    mode_box = window.workspace.tag_panel.mode_box
    mode_box.setCurrentIndex(mode_box.findData("single_label"))
    mode_box.activated.emit(mode_box.currentIndex())
    assert window.project.setting("labeling_mode") == "single_label"
    assert window.workspace.controller.mode == "single_label"
    tags.setData(tags.index(0), checked, Qt.ItemDataRole.CheckStateRole)
    assert [a.label for a in window.project.annotations(item_id)] == ["cat"]
    single = next(a for a in window.mode_menu.actions() if a.data() == "single_label")
    assert single.isChecked()
    tags.setData(tags.index(0), Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    assert window.project.annotations(item_id) == []


def test_a_shape_without_a_class_is_refused_with_a_message(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], tmp_path: Path
) -> None:
    path = tmp_path / "no_classes.studio"
    with Project.create(path) as project:
        project.import_media(write_images(tmp_path / "pictures", 1, size=(120, 90)))
    window = open_window(path)
    open_first_image(qtbot, window)
    wait_for_image(qtbot, window.workspace.canvas)
    press(qtbot, Qt.Key.Key_B)

    drag(qtbot, window.workspace.canvas, [(10, 10), (60, 60)])

    assert window.statusBar().currentMessage() == "Add a class first: a shape needs one"
    assert window.workspace.canvas.layer.items() == []
    assert window.project.stats().annotations == 0
