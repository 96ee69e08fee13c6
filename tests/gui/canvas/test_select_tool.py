"""The select tool with real mouse and key events: selection, moving, resizing, vertex edits,
deletion; every drag emits its edit once, at release."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from studio.core.geometry import decode_mask, encode_mask
from studio.gui.canvas import Canvas
from tests.gui.canvas.conftest import (
    CLASSES,
    IMAGE_SIZE,
    click,
    double_click,
    drag,
    hover,
    record,
    record_signal,
    right_click,
    view_pos,
)

SHIFT = Qt.KeyboardModifier.ShiftModifier
ALT = Qt.KeyboardModifier.AltModifier
SQUARE = [[100.0, 100.0, 200.0, 100.0, 200.0, 200.0, 100.0, 200.0]]
BOX = [250.0, 40.0, 100.0, 60.0]
KEYPOINTS = [[30.0, 250.0, 2], [60.0, 270.0, 1], [0.0, 0.0, 0]]


@pytest.fixture
def shapes(canvas: Canvas) -> Canvas:
    """The canvas showing a square polygon (id 1), a box (id 2) and keypoints (id 3)."""
    canvas.set_annotations(
        [
            record(1, "polygon", SQUARE),
            record(2, "box", BOX, class_id=2),
            record(3, "keypoints", KEYPOINTS),
        ],
        CLASSES,
    )
    return canvas


def test_clicking_a_shape_selects_it_and_shift_adds(qtbot: QtBot, shapes: Canvas) -> None:
    selections = record_signal(shapes.selection_changed)

    click(qtbot, shapes, 150, 150)
    click(qtbot, shapes, 300, 70, SHIFT)
    click(qtbot, shapes, 150, 150, SHIFT)
    click(qtbot, shapes, 5, 5)

    assert [call[0] for call in selections.calls] == [[1], [1, 2], [2], []]
    assert shapes.selected_annotations() == []


def test_a_rubber_band_selects_the_shapes_it_touches(qtbot: QtBot, shapes: Canvas) -> None:
    selections = record_signal(shapes.selection_changed)

    drag(qtbot, shapes, [(180, 20), (260, 60), (380, 120)])  # crosses the square and the box
    assert shapes.selected_annotations() == [1, 2]
    drag(qtbot, shapes, [(10, 240), (70, 290)], SHIFT)
    assert shapes.selected_annotations() == [1, 2, 3]
    assert [call[0] for call in selections.calls] == [[1, 2], [1, 2, 3]]


def test_programmatic_selection_does_not_echo(shapes: Canvas) -> None:
    selections = record_signal(shapes.selection_changed)
    shapes.select_annotations([2, 99])
    assert shapes.selected_annotations() == [2]
    assert shapes.layer.item(2).is_selected()
    assert selections.calls == []


def test_dragging_a_polygon_vertex_emits_once_with_exactly_that_vertex_moved(
    qtbot: QtBot, shapes: Canvas
) -> None:
    edited = record_signal(shapes.shape_edited)

    drag(qtbot, shapes, [(200, 100), (220, 90), (240, 80), (250.5, 70.5)])

    annotation_id, rings = edited.calls[0]
    assert len(edited.calls) == 1
    assert annotation_id == 1
    moved = rings[0]
    assert moved[:2] == SQUARE[0][:2]
    assert moved[4:] == SQUARE[0][4:]  # every other vertex is exactly as it was
    assert moved[2:4] == pytest.approx([250.5, 70.5], abs=1)


def test_the_shape_shows_the_drag_live_and_emits_only_at_release(
    qtbot: QtBot, shapes: Canvas
) -> None:
    edited = record_signal(shapes.shape_edited)
    viewport = shapes.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=view_pos(shapes, 100, 200))
    for step in range(1, 6):
        qtbot.mouseMove(viewport, view_pos(shapes, 100 - 10 * step, 200 + 10 * step))
        live = shapes.layer.item(1).geometry()[0]
        assert live[6:8] == pytest.approx([100 - 10 * step, 200 + 10 * step], abs=1)
    assert edited.calls == []

    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=view_pos(shapes, 50, 250))
    assert len(edited.calls) == 1


def test_dragging_inside_a_polygon_moves_it_whole(qtbot: QtBot, shapes: Canvas) -> None:
    edited = record_signal(shapes.shape_edited)

    drag(qtbot, shapes, [(150, 150), (160, 150), (170, 160), (180, 170)])

    annotation_id, rings = edited.calls[0]
    assert len(edited.calls) == 1
    assert annotation_id == 1
    expected = [value + (30 if index % 2 == 0 else 20) for index, value in enumerate(SQUARE[0])]
    assert rings[0] == pytest.approx(expected, abs=1)
    dx, dy = rings[0][0] - SQUARE[0][0], rings[0][1] - SQUARE[0][1]
    assert rings[0] == pytest.approx(
        [v + (dx if i % 2 == 0 else dy) for i, v in enumerate(SQUARE[0])], abs=1e-6
    )


def test_a_move_stops_at_the_image_edge(qtbot: QtBot, shapes: Canvas) -> None:
    edited = record_signal(shapes.shape_edited)
    drag(qtbot, shapes, [(300, 70), (350, 40), (450, -40)])  # the box, far beyond the corner
    _, box = edited.calls[0]
    assert box == [300.0, 0.0, 100.0, 60.0]


def test_resizing_a_box_by_its_corner_handle(qtbot: QtBot, shapes: Canvas) -> None:
    click(qtbot, shapes, 300, 70)  # select the box: its handles appear
    edited = record_signal(shapes.shape_edited)

    drag(qtbot, shapes, [(350, 100), (360, 120), (380.5, 150.5)])  # bottom-right corner

    annotation_id, box = edited.calls[0]
    assert len(edited.calls) == 1
    assert annotation_id == 2
    assert box[:2] == BOX[:2]  # the opposite corner stays put
    assert box[2:] == pytest.approx([130.5, 110.5], abs=1)


def test_resizing_a_box_by_an_edge_handle_changes_one_side(qtbot: QtBot, shapes: Canvas) -> None:
    shapes.select_annotations([2])
    edited = record_signal(shapes.shape_edited)

    drag(qtbot, shapes, [(250, 70), (240, 75), (200, 80)])  # the left edge's handle

    _, box = edited.calls[0]
    assert box == pytest.approx([200, 40, 150, 60], abs=1)
    assert (box[1], box[3]) == (BOX[1], BOX[3])


def test_a_click_without_moving_edits_nothing(qtbot: QtBot, shapes: Canvas) -> None:
    edited = record_signal(shapes.shape_edited)
    click(qtbot, shapes, 200, 100)  # on a vertex
    click(qtbot, shapes, 150, 150)  # inside
    assert edited.calls == []


def test_escape_during_a_drag_puts_the_shape_back(qtbot: QtBot, shapes: Canvas) -> None:
    edited = record_signal(shapes.shape_edited)
    viewport = shapes.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=view_pos(shapes, 150, 150))
    qtbot.mouseMove(viewport, view_pos(shapes, 190, 190))
    assert not shapes.layer.item(1).pos().isNull()

    qtbot.keyClick(shapes, Qt.Key.Key_Escape)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=view_pos(shapes, 190, 190))

    assert edited.calls == []
    assert shapes.layer.item(1).pos().isNull()
    assert shapes.layer.item(1).geometry() == SQUARE


def test_double_clicking_an_edge_inserts_a_vertex(qtbot: QtBot, shapes: Canvas) -> None:
    edited = record_signal(shapes.shape_edited)
    double_click(qtbot, shapes, 150, 200)  # the middle of the bottom edge

    _, rings = edited.calls[0]
    assert len(edited.calls) == 1
    ring = rings[0]
    assert len(ring) == 10
    assert ring[:6] == SQUARE[0][:6]
    assert ring[8:] == SQUARE[0][6:]
    assert ring[6:8] == pytest.approx([150, 200], abs=1)


def test_alt_click_on_a_vertex_removes_it(qtbot: QtBot, canvas: Canvas) -> None:
    pentagon = [[100.0, 100.0, 200.0, 100.0, 220.0, 160.0, 150.0, 220.0, 80.0, 160.0]]
    canvas.set_annotations([record(5, "polygon", pentagon)], CLASSES)
    edited = record_signal(canvas.shape_edited)

    click(qtbot, canvas, 220, 160, ALT)

    assert edited.calls == [(5, [[100.0, 100.0, 200.0, 100.0, 150.0, 220.0, 80.0, 160.0]])]


def test_delete_on_a_hovered_vertex_removes_it_but_not_below_three(
    qtbot: QtBot, shapes: Canvas
) -> None:
    edited = record_signal(shapes.shape_edited)
    deleted = record_signal(shapes.delete_requested)
    messages = record_signal(shapes.message)

    hover(qtbot, shapes, 200, 200)
    assert shapes.layer.hover() is not None
    qtbot.keyClick(shapes, Qt.Key.Key_Delete)

    assert edited.calls == [(1, [[100.0, 100.0, 200.0, 100.0, 100.0, 200.0]])]
    assert deleted.calls == []
    shapes.set_annotations([record(1, "polygon", edited.calls[0][1])], CLASSES)
    hover(qtbot, shapes, 100, 200)
    qtbot.keyClick(shapes, Qt.Key.Key_Backspace)
    assert len(edited.calls) == 1
    assert messages.calls == [("A polygon ring needs at least 3 points",)]


def test_delete_on_a_selection_asks_to_delete_it(qtbot: QtBot, shapes: Canvas) -> None:
    deleted = record_signal(shapes.delete_requested)
    click(qtbot, shapes, 300, 70)
    click(qtbot, shapes, 150, 150, SHIFT)
    hover(qtbot, shapes, 5, 5)
    qtbot.keyClick(shapes, Qt.Key.Key_Delete)
    assert deleted.calls == [([2, 1],)]


def test_dragging_a_keypoint_moves_only_that_point(qtbot: QtBot, shapes: Canvas) -> None:
    edited = record_signal(shapes.shape_edited)
    drag(qtbot, shapes, [(60, 270), (70, 260), (90.5, 240.5)])
    annotation_id, points = edited.calls[0]
    assert annotation_id == 3
    assert (points[0], points[2]) == (KEYPOINTS[0], KEYPOINTS[2])
    assert points[1][:2] == pytest.approx([90.5, 240.5], abs=1)
    assert points[1][2] == 1


def test_a_mask_moves_by_whole_pixels(qtbot: QtBot, canvas: Canvas) -> None:
    width, height = IMAGE_SIZE
    pixels = np.zeros((height, width), dtype=bool)
    pixels[50:80, 60:100] = True
    canvas.set_annotations([record(9, "mask", encode_mask(pixels))], CLASSES)
    edited = record_signal(canvas.shape_edited)

    drag(qtbot, canvas, [(70, 60), (80, 70), (90, 80)])

    _, rle = edited.calls[0]
    moved = decode_mask(rle)
    rows, columns = np.nonzero(moved)
    assert moved.sum() == pixels.sum()
    assert (rows.min(), columns.min()) == pytest.approx((70, 80), abs=1)


def test_set_annotations_during_a_drag_waits_for_the_drag_to_end(
    qtbot: QtBot, shapes: Canvas
) -> None:
    viewport = shapes.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=view_pos(shapes, 150, 150))
    qtbot.mouseMove(viewport, view_pos(shapes, 170, 170))
    dragged = shapes.layer.item(1)

    shapes.set_annotations([record(1, "polygon", SQUARE)], CLASSES)  # e.g. a poll refresh
    assert shapes.layer.item(1) is dragged
    assert shapes.current_tool().busy()

    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=view_pos(shapes, 170, 170))
    assert shapes.layer.item(2) is None  # the pending annotations (the square only) applied
    assert shapes.layer.item(1).geometry() == SQUARE  # the refused edit was put back


def test_hidden_classes_are_not_drawn_nor_hit(qtbot: QtBot, shapes: Canvas) -> None:
    shapes.set_class_visible(2, False)
    assert not shapes.layer.item(2).isVisible()
    click(qtbot, shapes, 300, 70)
    assert shapes.selected_annotations() == []

    shapes.set_class_visible(2, True)
    click(qtbot, shapes, 300, 70)
    assert shapes.selected_annotations() == [2]


def test_class_opacity_sets_the_fill(shapes: Canvas) -> None:
    shapes.set_class_opacity(1, 0.7)
    assert shapes.layer.item(1).fill_brush().color().alphaF() == pytest.approx(0.7, abs=0.01)
    assert shapes.layer.item(2).fill_brush().color().alphaF() == pytest.approx(0.3, abs=0.01)
    shapes.set_class_opacity(1, 3.0)
    assert shapes.layer.item(1).style.opacity == 1.0


def test_pending_suggestions_are_dashed_and_show_their_score(canvas: Canvas) -> None:
    pending = record(4, "box", BOX, source="model", score=0.873, review="pending")
    accepted = record(6, "box", [2, 2, 9, 9], source="sam", review="accepted")
    canvas.set_annotations([pending, record(5, "box", [1, 1, 9, 9]), accepted], CLASSES)
    machine, human = canvas.layer.item(4), canvas.layer.item(5)
    assert machine.outline_pen().style() == Qt.PenStyle.DashLine
    assert machine.caption.text() == "cat 0.87"
    assert human.outline_pen().style() == Qt.PenStyle.SolidLine
    assert human.caption.text() == "cat"
    assert canvas.layer.item(6).outline_pen().style() == Qt.PenStyle.SolidLine


def test_unchanged_annotations_keep_their_items(shapes: Canvas) -> None:
    kept = shapes.layer.item(1)
    shapes.set_annotations(
        [record(1, "polygon", SQUARE), record(2, "box", [0, 0, 5, 5], class_id=2)], CLASSES
    )
    assert shapes.layer.item(1) is kept
    assert shapes.layer.item(2).geometry() == [0, 0, 5, 5]
    assert shapes.layer.item(3) is None


def test_panning_with_the_middle_button_does_not_edit(qtbot: QtBot, shapes: Canvas) -> None:
    edited = record_signal(shapes.shape_edited)
    start = view_pos(shapes, 150, 150)
    viewport = shapes.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.MiddleButton, pos=start)
    qtbot.mouseMove(viewport, start + QPoint(30, 30))
    qtbot.mouseRelease(viewport, Qt.MouseButton.MiddleButton, pos=start + QPoint(30, 30))
    assert edited.calls == []


def test_a_right_click_on_a_shape_selects_it_for_its_menu_and_edits_nothing(
    qtbot: QtBot, shapes: Canvas
) -> None:
    click(qtbot, shapes, 150, 150)
    selections = record_signal(shapes.selection_changed)
    menus = record_signal(shapes.context_menu_requested)
    edited = record_signal(shapes.shape_edited)
    right_click(qtbot, shapes, 5, 5)  # empty space: nothing at all
    assert (selections.calls, menus.calls) == ([], [])
    right_click(qtbot, shapes, 150, 150)  # the selected shape: its menu, selection kept
    assert (selections.calls, len(menus.calls)) == ([], 1)
    right_click(qtbot, shapes, 300, 70)  # another shape becomes the selection first
    assert (selections.calls, len(menus.calls)) == ([([2],)], 2)
    assert edited.calls == []


def test_a_refresh_does_not_re_tint_an_unchanged_mask(canvas: Canvas) -> None:
    width, height = IMAGE_SIZE
    pixels = np.zeros((height, width), dtype=bool)
    pixels[10:50, 10:50] = True
    mask = record(6, "mask", encode_mask(pixels))
    canvas.set_annotations([mask], CLASSES)
    tinted = canvas.layer.item(6).display_image()

    canvas.set_annotations([mask], CLASSES)
    assert canvas.layer.item(6).display_image() is tinted
    canvas.set_class_opacity(1, 0.8)
    assert canvas.layer.item(6).display_image() is not tinted


def test_a_box_squashed_flat_by_its_handle_springs_back(qtbot: QtBot, shapes: Canvas) -> None:
    shapes.select_annotations([2])
    edited = record_signal(shapes.shape_edited)
    messages = record_signal(shapes.message)

    drag(qtbot, shapes, [(350, 70), (300, 70), (250, 70)])  # right edge onto the left edge

    assert edited.calls == []
    assert shapes.layer.item(2).geometry() == BOX
    assert messages.calls == [("A box needs a width and a height",)]
