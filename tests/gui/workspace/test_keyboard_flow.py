"""Labeling with the keyboard only: tags, statuses, navigation, the class picker, rejecting."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from studio.api import Project
from studio.gui.main_window import MainWindow
from studio.gui.workspace.reject_dialog import RejectDialog
from tests.gui.conftest import hold_key
from tests.gui.workspace.conftest import TAG_IMAGES, focused, open_first_image, press

DIGIT_KEYS = [getattr(Qt.Key, f"Key_{digit}") for digit in range(10)]
SHIFT = Qt.KeyboardModifier.ShiftModifier


def tags_of(project: Project, item_id: int) -> list[str]:
    return sorted(a.label for a in project.annotations(item_id) if a.kind == "tag")


def test_label_ten_images_with_hotkeys_only(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], tag_project: Path
) -> None:
    window = open_window(tag_project)
    ids = window.project.item_ids()
    digits = [7, 3, 0, 9, 1, 4, 4, 8, 2, 6]
    open_first_image(qtbot, window)

    for position, digit in enumerate(digits):
        assert window.readout.position.text() == f"{position + 1} / {TAG_IMAGES}"
        press(qtbot, DIGIT_KEYS[(digit + 5) % 10])  # a wrong tag first…
        press(qtbot, DIGIT_KEYS[digit])  # …replaced: single-label projects keep one
        press(qtbot, Qt.Key.Key_Space)  # done, and on to the next image

    with Project.open(tag_project) as reader:  # what the file holds, read by another reader
        assert [tags_of(reader, item_id) for item_id in ids[:10]] == [[str(d)] for d in digits]
        assert [reader.item(item_id).status for item_id in ids] == ["done"] * 10 + ["new"] * 2
    assert window.workspace.controller.item.id == ids[10]
    qtbot.waitUntil(lambda: "10 done" in window.counts_label.text())  # the counts follow
    assert window.gallery.currentIndex().row() == 10


def test_arrows_letters_and_next_new_move_through_the_gallery(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], tag_project: Path
) -> None:
    window = open_window(tag_project)
    ids = window.project.item_ids()
    window.project.set_status(ids[1:4], "done")
    open_first_image(qtbot, window)

    def shown() -> int:
        return ids.index(window.workspace.controller.item.id)

    press(qtbot, Qt.Key.Key_D)
    press(qtbot, Qt.Key.Key_Right)
    press(qtbot, Qt.Key.Key_PageDown)
    assert shown() == 3
    press(qtbot, Qt.Key.Key_A)
    press(qtbot, Qt.Key.Key_Left)
    assert shown() == 1
    press(qtbot, Qt.Key.Key_N)  # the next new image skips 2 and 3, which are done
    assert shown() == 4
    assert window.readout.position.text() == f"5 / {TAG_IMAGES}"
    press(qtbot, Qt.Key.Key_PageUp)
    assert shown() == 3


def test_multi_label_digits_toggle_tags(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], tag_project: Path
) -> None:
    with Project.open(tag_project) as project:
        project.set_setting("labeling_mode", "multi_label")
    window = open_window(tag_project)
    open_first_image(qtbot, window)
    item_id = window.workspace.controller.item.id

    for key in (Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_5, Qt.Key.Key_1):
        press(qtbot, key)

    assert tags_of(window.project, item_id) == ["2", "5"]
    tag_rows = window.workspace.tag_panel.model
    ticked = [
        tag_rows.data(tag_rows.index(row))
        for row in range(tag_rows.rowCount())
        if tag_rows.data(tag_rows.index(row), Qt.ItemDataRole.CheckStateRole)
        == Qt.CheckState.Checked
    ]
    assert ticked == ["2", "5"]
    press(qtbot, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # one key, one undo step
    assert tags_of(window.project, item_id) == ["1", "2", "5"]


def test_class_picker_finds_a_class_by_typing(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], shape_project: Path
) -> None:
    window = open_window(shape_project)
    open_first_image(qtbot, window)
    assert window.workspace.controller.active_class.name == "cat"

    press(qtbot, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    picker = window.workspace.picker
    qtbot.waitUntil(picker.isVisible)
    assert focused() is picker.line_edit
    qtbot.keyClicks(focused(), "DO")  # any case, any part of the name
    press(qtbot, Qt.Key.Key_Return)

    assert not picker.isVisible()
    assert window.workspace.controller.active_class.name == "dog"
    class_view = window.workspace.class_panel.view
    assert class_view.currentIndex().data() == "dog"
    press(qtbot, Qt.Key.Key_Slash)
    qtbot.waitUntil(picker.isVisible)
    press(qtbot, Qt.Key.Key_Escape)
    assert not picker.isVisible()
    assert window.workspace.controller.active_class.name == "dog"


def test_statuses_from_the_keyboard(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], tag_project: Path
) -> None:
    window = open_window(tag_project)
    project = window.project
    open_first_image(qtbot, window)
    item_id = window.workspace.controller.item.id

    press(qtbot, Qt.Key.Key_E, SHIFT)
    assert project.item(item_id).status == "done_empty"
    press(qtbot, Qt.Key.Key_A, SHIFT)
    assert project.item(item_id).status == "reviewed"
    press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert project.item(item_id).status == "done"
    assert window.workspace.controller.item.id == item_id  # Ctrl+Enter stays on the image


def test_reject_with_a_reason(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], tag_project: Path, settings
) -> None:
    window = open_window(tag_project)
    project = window.project
    open_first_image(qtbot, window)
    item_id = window.workspace.controller.item.id

    press(qtbot, Qt.Key.Key_X, SHIFT)
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, RejectDialog))
    qtbot.waitUntil(lambda: focused() is dialog.reason)
    qtbot.keyClicks(focused(), "motion blur")
    press(qtbot, Qt.Key.Key_Return)

    assert project.item(item_id).status == "rejected"
    assert project.item(item_id).meta["reject_reason"] == "motion blur"
    assert settings.value("recent_reject_reasons") == ["motion blur"]
    window.activateWindow()  # the window manager's part, once the dialog is gone
    press(qtbot, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # status and reason at once
    assert (project.item(item_id).status, project.item(item_id).meta) == ("new", {})


def test_done_with_no_objects_refuses_an_image_with_shapes(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], shape_project: Path
) -> None:
    window = open_window(shape_project)
    open_first_image(qtbot, window)
    item_id = window.workspace.controller.item.id
    window.project.annotate(item_id, "cat", box=[1, 1, 20, 20])
    window.refresh()

    press(qtbot, Qt.Key.Key_E, SHIFT)

    assert window.project.item(item_id).status == "in_progress"
    assert "delete them" in window.statusBar().currentMessage()


def test_held_keys_change_data_and_move_once_however_long_they_repeat(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], tag_project: Path
) -> None:
    with Project.open(tag_project) as project:
        project.set_setting("labeling_mode", "multi_label")  # a repeated digit would toggle
    window = open_window(tag_project)
    project, canvas = window.project, window.workspace.canvas
    ids = project.item_ids()
    open_first_image(qtbot, window)

    def shown() -> int:
        return ids.index(window.workspace.controller.item.id)

    hold_key(focused(), Qt.Key.Key_1)
    assert tags_of(project, ids[0]) == ["1"]
    hold_key(focused(), Qt.Key.Key_Space)  # on the canvas: the tap filter's path
    assert [project.item(i).status for i in ids[:2]] == ["done", "new"]
    assert shown() == 1
    window.gallery.setFocus()  # the window's Space action, not the canvas's tap
    hold_key(focused(), Qt.Key.Key_Space)
    assert [project.item(i).status for i in ids[:3]] == ["done", "done", "new"]
    assert shown() == 2
    for key, expected in ((Qt.Key.Key_D, 3), (Qt.Key.Key_Left, 2), (Qt.Key.Key_N, 3)):
        hold_key(focused(), key)
        assert shown() == expected, key
    assert focused() is canvas
    assert [project.item(i).status for i in ids] == ["done"] * 2 + ["new"] * (TAG_IMAGES - 2)


def test_an_opened_image_takes_the_keyboard_from_the_file_name_filter(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], tag_project: Path
) -> None:
    window = open_window(tag_project)
    canvas, name_filter = window.workspace.canvas, window.filter_bar.text_edit
    ids = window.project.item_ids()
    qtbot.waitUntil(lambda: focused() is canvas)  # the first image opened with the window
    press(qtbot, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert focused() is name_filter

    viewport = window.gallery.viewport()
    target = window.gallery.visualRect(window.gallery_model.index(4)).center()
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=target)
    qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=target)
    assert window.workspace.controller.item.id == ids[4]
    assert focused() is canvas
    press(qtbot, Qt.Key.Key_N)
    press(qtbot, Qt.Key.Key_V)

    assert name_filter.text() == ""
    assert window.gallery_model.rowCount() == TAG_IMAGES
    assert window.workspace.controller.item.id == ids[5]  # N: the next new image


def test_escape_leaves_the_window_s_text_fields_for_the_canvas(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], tag_project: Path
) -> None:
    window = open_window(tag_project)
    canvas, bar = window.workspace.canvas, window.filter_bar
    bar.focus_text()
    qtbot.keyClicks(focused(), "nv")

    press(qtbot, Qt.Key.Key_Escape)

    assert focused() is canvas
    assert bar.text_edit.text() == ""  # what was typed there is gone too
    for field in (bar.tag_edit, bar.score_min_box):
        field.setFocus()
        qtbot.waitUntil(lambda field=field: focused() is field)
        press(qtbot, Qt.Key.Key_Escape)
        assert focused() is canvas
