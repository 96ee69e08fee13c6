"""Reviewing suggestions in the window: Y accepts the selected ones, Ctrl+Delete rejects
them, each one undo step; pending ones are dashed, accepted ones solid, rejected ones gone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from studio.api import Project
from studio.gui.main_window import MainWindow
from tests.gui.canvas.conftest import click, wait_for_image
from tests.gui.workspace.conftest import open_first_image, press

CTRL = Qt.KeyboardModifier.ControlModifier
SUGGESTED_BOX = [80, 60, 40, 40]


def reviews(path: Path, item_id: int) -> dict[int, str | None]:
    """Annotation id → review state, rejected ones too, read by a second connection."""
    with Project.open(path) as reader:
        return {a.id: a.review for a in reader.annotations(item_id, include_rejected=True)}


@pytest.fixture
def window(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], shape_project: Path
) -> MainWindow:
    window = open_window(shape_project)
    open_first_image(qtbot, window)
    wait_for_image(qtbot, window.workspace.canvas)
    return window


def suggest_box(window: MainWindow) -> int:
    item_id = window.workspace.controller.item.id
    spec = {"item_id": item_id, "label": "dog", "box": SUGGESTED_BOX, "source": "sam"}
    (suggestion,) = window.project.suggest_annotations([spec])
    window.refresh()
    return suggestion


def test_y_accepts_the_selected_suggestion_and_undo_makes_it_pending_again(
    qtbot: QtBot, window: MainWindow, shape_project: Path
) -> None:
    item_id = window.workspace.controller.item.id
    suggestion = suggest_box(window)
    canvas = window.workspace.canvas
    assert canvas.layer.item(suggestion).outline_pen().style() == Qt.PenStyle.DashLine

    click(qtbot, canvas, 100, 80)
    press(qtbot, Qt.Key.Key_Y)

    assert reviews(shape_project, item_id) == {suggestion: "accepted"}
    assert canvas.layer.item(suggestion).outline_pen().style() == Qt.PenStyle.SolidLine
    press(qtbot, Qt.Key.Key_Z, CTRL)
    assert reviews(shape_project, item_id) == {suggestion: "pending"}
    assert canvas.layer.item(suggestion).outline_pen().style() == Qt.PenStyle.DashLine


def test_ctrl_delete_rejects_the_selected_suggestion_but_keeps_it_in_the_file(
    qtbot: QtBot, window: MainWindow, shape_project: Path
) -> None:
    item_id = window.workspace.controller.item.id
    human = window.project.annotate(item_id, "cat", box=[10, 10, 30, 30])
    suggestion = suggest_box(window)
    canvas = window.workspace.canvas

    click(qtbot, canvas, 100, 80)
    press(qtbot, Qt.Key.Key_Delete, CTRL)

    assert reviews(shape_project, item_id) == {human: None, suggestion: "rejected"}
    assert canvas.layer.item(suggestion) is None
    press(qtbot, Qt.Key.Key_Z, CTRL)
    assert reviews(shape_project, item_id) == {human: None, suggestion: "pending"}
    assert canvas.layer.item(suggestion) is not None


def test_accepting_a_person_s_shape_says_what_to_select(
    qtbot: QtBot, window: MainWindow, shape_project: Path
) -> None:
    item_id = window.workspace.controller.item.id
    human = window.project.annotate(item_id, "cat", box=[80, 60, 40, 40])
    window.refresh()

    click(qtbot, window.workspace.canvas, 100, 80)
    press(qtbot, Qt.Key.Key_Y)

    assert reviews(shape_project, item_id) == {human: None}
    assert "Select a suggestion" in window.statusBar().currentMessage()


def suggest_tag(window: MainWindow, label: str) -> int:
    item_id = window.workspace.controller.item.id
    spec = {"item_id": item_id, "label": label, "source": "model", "score": 0.87}
    (suggestion,) = window.project.suggest_annotations([spec])
    window.refresh()
    return suggestion


def tag_row(window: MainWindow, label: str) -> int:
    model = window.workspace.tag_panel.model
    names = [model.index(row).data() for row in range(model.rowCount())]
    return next(row for row, name in enumerate(names) if name.startswith(label))


def test_a_suggested_tag_is_half_ticked_with_its_score_and_y_accepts_it(
    qtbot: QtBot, window: MainWindow, shape_project: Path
) -> None:
    item_id = window.workspace.controller.item.id
    suggestion = suggest_tag(window, "dog")
    index = window.workspace.tag_panel.model.index(tag_row(window, "dog"))
    assert index.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.PartiallyChecked
    assert index.data().endswith("suggested 0.87")

    window.workspace.canvas.setFocus()
    press(qtbot, Qt.Key.Key_Y)

    assert reviews(shape_project, item_id)[suggestion] == "accepted"
    assert index.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked


def test_ctrl_delete_rejects_the_suggested_tag_when_no_shape_is_selected(
    qtbot: QtBot, window: MainWindow, shape_project: Path
) -> None:
    item_id = window.workspace.controller.item.id
    suggestion = suggest_tag(window, "dog")
    window.workspace.canvas.setFocus()
    press(qtbot, Qt.Key.Key_Delete, CTRL)
    assert reviews(shape_project, item_id)[suggestion] == "rejected"
    index = window.workspace.tag_panel.model.index(tag_row(window, "dog"))
    assert index.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked


def test_the_tag_list_scrolls_to_a_suggested_tag_out_of_sight(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.project.add_classes([f"class {n}" for n in range(30)])
    window.refresh()
    view = window.workspace.tag_panel.view
    view.setFixedHeight(80)
    suggest_tag(window, "class 29")
    row = tag_row(window, "class 29")
    qtbot.waitUntil(
        lambda: view.viewport().rect().intersects(view.visualRect(view.model().index(row)))
    )
