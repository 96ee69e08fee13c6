"""The SAM tool in the window, with a tiny random SAM: its embedding is put into the test's
cache by the encoder directly, so no worker runs (tests/gui/sam covers the worker)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from studio.api import Project
from studio.gui.canvas import Canvas
from studio.gui.canvas.tools.sam_tool import SamTool
from studio.gui.main_window import MainWindow
from tests.gui.canvas.conftest import click, hover, right_click, wait_for_image
from tests.gui.canvas.test_wand_tool import write_patched_photo
from tests.gui.sam.fixtures import TinySam
from tests.gui.workspace.conftest import open_first_image, press


@pytest.fixture
def sam_project(tmp_path: Path) -> Path:
    path = tmp_path / "sam.studio"
    with Project.create(path, author="tester") as project:
        project.add_classes(["cat", "dog"])
        project.import_media(write_patched_photo(tmp_path / "photo.png"))
    return path


@pytest.fixture
def sam_window(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], sam_project: Path, tiny_sam: TinySam
) -> MainWindow:
    """The window on the first image, whose embedding is cached, with the SAM tool chosen."""
    tiny_sam.install_decoder()
    with Project.open(sam_project) as project:
        tiny_sam.choose_for(project)
        [item] = project.items_by_ids(project.item_ids())
        tiny_sam.cache_embedding(project.media_path(item), item.sha256)
    window = open_window(sam_project)
    open_first_image(qtbot, window)
    wait_for_image(qtbot, window.workspace.canvas)
    press(qtbot, Qt.Key.Key_S)
    return window


def sam(canvas: Canvas) -> SamTool:
    tool = canvas.current_tool()
    assert isinstance(tool, SamTool)
    return tool


def shown_mask(qtbot: QtBot, canvas: Canvas) -> np.ndarray:
    qtbot.waitUntil(lambda: not sam(canvas).working() and sam(canvas).answer() is not None)
    answer = sam(canvas).answer()
    assert answer is not None
    assert answer.mask is not None
    return answer.mask


def test_a_click_previews_a_mask_and_the_preview_follows_the_pointer(
    qtbot: QtBot, sam_window: MainWindow
) -> None:
    canvas = sam_window.workspace.canvas
    click(qtbot, canvas, 200, 130)
    after_click = shown_mask(qtbot, canvas)
    assert after_click.shape == (300, 400)
    assert after_click.any()
    hover(qtbot, canvas, 60, 250)
    qtbot.waitUntil(lambda: sam(canvas).answer().prompts is None)  # a hover preview
    assert not np.array_equal(shown_mask(qtbot, canvas), after_click)


def test_enter_after_hovering_stores_the_clicked_mask_not_the_hover_preview(
    qtbot: QtBot, sam_window: MainWindow
) -> None:
    canvas, project = sam_window.workspace.canvas, sam_window.project
    item_id = sam_window.workspace.controller.item.id
    click(qtbot, canvas, 200, 130)
    shown_mask(qtbot, canvas)
    hover(qtbot, canvas, 60, 250)
    qtbot.waitUntil(lambda: sam(canvas).answer().prompts is None)
    press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: len(project.annotations(item_id)) == 1)
    [suggestion] = project.annotations(item_id)
    assert suggestion.kind == "mask"
    assert len(suggestion.attributes["sam_prompts"]["points"]) == 1


def test_enter_stores_a_pending_sam_polygon_y_accepts_it_and_undo_removes_it(
    qtbot: QtBot, sam_window: MainWindow
) -> None:
    canvas, project = sam_window.workspace.canvas, sam_window.project
    item_id = sam_window.workspace.controller.item.id
    click(qtbot, canvas, 200, 130)
    shown_mask(qtbot, canvas)
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(project.annotations(item_id)) == 1)
    [suggestion] = project.annotations(item_id)
    assert (suggestion.kind, suggestion.source, suggestion.review) == ("polygon", "sam", "pending")
    [[x, y, positive]] = suggestion.attributes["sam_prompts"]["points"]
    assert (x, y, positive) == (pytest.approx(200, abs=2), pytest.approx(130, abs=2), 1)
    press(qtbot, Qt.Key.Key_Y)
    [accepted] = project.annotations(item_id)
    assert accepted.review == "accepted"
    press(qtbot, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # the acceptance
    press(qtbot, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # the suggestion
    assert project.annotations(item_id) == []


def test_shift_m_turns_the_selected_boxes_into_pending_sam_masks_in_one_undo_step(
    qtbot: QtBot, sam_window: MainWindow
) -> None:
    project, controller = sam_window.project, sam_window.workspace.controller
    item_id = controller.item.id
    dog = next(c for c in project.classes() if c.name == "dog")
    boxes = [
        project.annotate(item_id, dog.id, box=box)
        for box in ([150, 100, 100, 60], [20, 20, 80, 80])
    ]
    sam_window.workspace.reload()
    controller.select(boxes)
    press(qtbot, Qt.Key.Key_M, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: len(project.annotations(item_id)) == 4)
    masks = [a for a in project.annotations(item_id) if a.kind == "mask"]
    assert {(a.label, a.source, a.review) for a in masks} == {("dog", "sam", "pending")}
    assert sorted(a.attributes["sam_prompts"]["box"] for a in masks) == sorted(
        [[150, 100, 100, 60], [20, 20, 80, 80]]
    )
    press(qtbot, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [a.id for a in project.annotations(item_id)] == boxes


def test_a_right_click_adds_a_negative_point_and_changes_the_mask(
    qtbot: QtBot, sam_window: MainWindow
) -> None:
    canvas = sam_window.workspace.canvas
    click(qtbot, canvas, 200, 130)
    one_click = shown_mask(qtbot, canvas)
    right_click(qtbot, canvas, 60, 250)
    qtbot.waitUntil(lambda: len(sam(canvas).answer().prompts["points"]) == 2)
    after_right_click = shown_mask(qtbot, canvas)
    [_, [x, y, label]] = sam(canvas).answer().prompts["points"]
    assert (x, y, label) == (pytest.approx(60, abs=2), pytest.approx(250, abs=2), 0)
    assert not np.array_equal(after_right_click, one_click)


def test_backspace_undoes_the_last_click(qtbot: QtBot, sam_window: MainWindow) -> None:
    canvas = sam_window.workspace.canvas
    click(qtbot, canvas, 200, 130)
    one_click = shown_mask(qtbot, canvas)
    click(qtbot, canvas, 60, 250, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: not np.array_equal(shown_mask(qtbot, canvas), one_click))
    press(qtbot, Qt.Key.Key_Backspace)
    qtbot.waitUntil(lambda: np.array_equal(shown_mask(qtbot, canvas), one_click))
    assert len(sam(canvas).answer().prompts["points"]) == 1


def test_backspace_on_the_only_click_clears_it_and_a_new_click_starts_afresh(
    qtbot: QtBot, sam_window: MainWindow
) -> None:
    canvas = sam_window.workspace.canvas
    click(qtbot, canvas, 200, 130)
    shown_mask(qtbot, canvas)
    press(qtbot, Qt.Key.Key_Backspace)
    qtbot.waitUntil(lambda: not sam(canvas).busy() and sam(canvas).answer() is None)
    click(qtbot, canvas, 60, 250)
    shown_mask(qtbot, canvas)
    [[x, y, _]] = sam(canvas).answer().prompts["points"]
    assert (x, y) == (pytest.approx(60, abs=2), pytest.approx(250, abs=2))


def test_m_shows_the_next_of_the_multimask_outputs(qtbot: QtBot, sam_window: MainWindow) -> None:
    canvas = sam_window.workspace.canvas
    click(qtbot, canvas, 200, 130)
    first = shown_mask(qtbot, canvas)
    press(qtbot, Qt.Key.Key_M)
    qtbot.waitUntil(lambda: not np.array_equal(shown_mask(qtbot, canvas), first))
    assert sam(canvas).answer().masks_offered == 3


def test_without_a_checkpoint_the_tool_says_where_checkpoints_come_from(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], sam_project: Path, tiny_sam: TinySam
) -> None:
    window = open_window(sam_project)
    open_first_image(qtbot, window)
    press(qtbot, Qt.Key.Key_S)
    dialog = window.workspace.sam_checkpoint_dialog
    assert dialog is not None
    assert dialog.isVisible()
    assert "sam_vit_b_01ec64.pth" in dialog.text.text()
    assert "375 MB" in dialog.text.text()
    assert not dialog.use_file(sam_project)  # not a checkpoint: refused, with its message
    assert dialog.error.isVisible()
    assert str(sam_project) in dialog.error.text()
    assert dialog.use_file(tiny_sam.checkpoint)
    assert window.project.sam_checkpoint().path == tiny_sam.checkpoint


def test_the_label_menu_and_the_help_list_the_sam_tool_and_its_checkpoint_action(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], sam_project: Path
) -> None:
    window = open_window(sam_project)
    label_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Label")
    titles = [action.text() for action in label_menu.actions()]
    assert "Segment Anything" in titles
    assert "SAM checkpoint…" in titles
    assert window.registry.keys("tool_sam") == ["S"]
    press(qtbot, Qt.Key.Key_F1)
    assert "Segment Anything" in window.help_overlay.text()
    assert "SAM checkpoint" in window.help_overlay.text()


def test_brackets_make_the_outline_closer_or_looser_and_enter_stores_that_outline(
    qtbot: QtBot, sam_window: MainWindow
) -> None:
    canvas, project = sam_window.workspace.canvas, sam_window.project
    item_id = sam_window.workspace.controller.item.id
    click(qtbot, canvas, 200, 130)
    shown_mask(qtbot, canvas)
    points = sum(len(ring) for ring in sam(canvas).answer().rings)
    for _ in range(4):
        press(qtbot, Qt.Key.Key_BracketRight)
    assert sam(canvas).outline_tolerance() == pytest.approx(1.5**4, abs=0.01)
    qtbot.waitUntil(lambda: not sam(canvas).working())
    looser = sam(canvas).answer().rings
    assert sum(len(ring) for ring in looser) < points
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(project.annotations(item_id)) == 1)
    [stored] = project.annotations(item_id)
    assert stored.geometry == [[float(value) for value in ring] for ring in looser]
