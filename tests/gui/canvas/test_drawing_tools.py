"""Drawing with real mouse and key events: box, polygon, brush, eraser and keypoints emit the
right geometry in image pixels (within 1 px of where the pointer went)."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from studio.core.enums import AnnotationKind
from studio.core.geometry import decode_mask, encode_mask, normalize_geometry
from studio.core.records import AnnotationRecord
from studio.gui.canvas import Canvas
from tests.gui.canvas.conftest import (
    CLASSES,
    IMAGE_SIZE,
    Recorder,
    click,
    double_click,
    drag,
    hover,
    record,
    record_signal,
    view_pos,
)

SHIFT = Qt.KeyboardModifier.ShiftModifier


def only_call(recorder: Recorder) -> tuple:
    assert len(recorder.calls) == 1, recorder.calls
    return recorder.calls[0]


def stored(kind: str, geometry: object) -> object:
    """What the project would store: the geometry passes the core's validation."""
    return normalize_geometry(AnnotationKind(kind), geometry, *IMAGE_SIZE)


# -- box -------------------------------------------------------------------------------------


def test_dragging_with_the_box_tool_emits_the_box(qtbot: QtBot, canvas: Canvas) -> None:
    created = record_signal(canvas.shape_created)
    canvas.set_tool("box")

    drag(qtbot, canvas, [(50, 40), (120, 90), (210, 160)])

    kind, box = only_call(created)
    assert kind == "box"
    assert box == pytest.approx([50, 40, 160, 120], abs=1)
    assert stored(kind, box) == box


def test_a_box_dragged_up_and_left_is_normalised_and_clamped_to_the_image(
    qtbot: QtBot, canvas: Canvas
) -> None:
    created = record_signal(canvas.shape_created)
    canvas.set_tool("box")

    drag(qtbot, canvas, [(300, 200), (390, 250), (420, 330)])  # ends outside the image
    drag(qtbot, canvas, [(100, 100), (20, 30)])

    (_, first), (_, second) = created.calls
    assert first == pytest.approx([300, 200, 100, 100], abs=1)
    assert first[0] + first[2] <= IMAGE_SIZE[0]
    assert first[1] + first[3] <= IMAGE_SIZE[1]
    assert second == pytest.approx([20, 30, 80, 70], abs=1)


def test_a_click_without_a_drag_makes_no_box_and_escape_cancels_a_drag(
    qtbot: QtBot, canvas: Canvas
) -> None:
    created = record_signal(canvas.shape_created)
    canvas.set_tool("box")
    click(qtbot, canvas, 100, 100)

    viewport = canvas.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=view_pos(canvas, 10, 10))
    qtbot.mouseMove(viewport, view_pos(canvas, 90, 90))
    assert canvas.current_tool().live_rect() is not None
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=view_pos(canvas, 90, 90))

    assert created.calls == []
    assert canvas.current_tool().live_rect() is None


# -- polygon ---------------------------------------------------------------------------------

TRIANGLE = [(100.0, 50.0), (300.0, 80.0), (180.0, 250.0)]


def flat(points: list[tuple[float, float]]) -> list[float]:
    return [coordinate for point in points for coordinate in point]


def test_a_polygon_closes_by_clicking_its_first_vertex(qtbot: QtBot, canvas: Canvas) -> None:
    created = record_signal(canvas.shape_created)
    canvas.set_tool("polygon")

    for x, y in TRIANGLE:
        click(qtbot, canvas, x, y)
    hover(qtbot, canvas, 200, 200)  # the rubber line follows the pointer
    assert created.calls == []
    click(qtbot, canvas, *TRIANGLE[0])

    kind, rings = only_call(created)
    assert kind == "polygon"
    assert len(rings) == 1
    assert rings[0] == pytest.approx(flat(TRIANGLE), abs=1)
    assert stored(kind, rings) == rings
    assert not canvas.current_tool().busy()


def test_enter_closes_a_polygon_and_backspace_removes_the_last_vertex(
    qtbot: QtBot, canvas: Canvas
) -> None:
    created = record_signal(canvas.shape_created)
    canvas.set_tool("polygon")

    for x, y in [*TRIANGLE, (60, 200)]:
        click(qtbot, canvas, x, y)
    qtbot.keyClick(canvas, Qt.Key.Key_Backspace)
    assert len(canvas.current_tool().points()) == 3
    qtbot.keyClick(canvas, Qt.Key.Key_Return)

    _, rings = only_call(created)
    assert rings[0] == pytest.approx(flat(TRIANGLE), abs=1)


def test_a_double_click_closes_a_polygon_without_doubling_its_last_vertex(
    qtbot: QtBot, canvas: Canvas
) -> None:
    created = record_signal(canvas.shape_created)
    canvas.set_tool("polygon")

    click(qtbot, canvas, *TRIANGLE[0])
    click(qtbot, canvas, *TRIANGLE[1])
    click(qtbot, canvas, *TRIANGLE[2])  # some platforms send a press before the double-click
    double_click(qtbot, canvas, *TRIANGLE[2])

    _, rings = only_call(created)
    assert rings[0] == pytest.approx(flat(TRIANGLE), abs=1)


def test_escape_drops_a_polygon_and_enter_needs_three_points(qtbot: QtBot, canvas: Canvas) -> None:
    created = record_signal(canvas.shape_created)
    canvas.set_tool("polygon")
    click(qtbot, canvas, 10, 10)
    click(qtbot, canvas, 50, 10)
    qtbot.keyClick(canvas, Qt.Key.Key_Return)
    assert canvas.current_tool().busy()
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)

    assert not canvas.current_tool().busy()
    assert created.calls == []


# -- brush and eraser ------------------------------------------------------------------------


def brush_reference(points: list[tuple[float, float]], diameter: float) -> np.ndarray:
    """Pixels whose centres lie within the brush radius of the stroke's segments."""
    width, height = IMAGE_SIZE
    ys, xs = np.mgrid[0:height, 0:width] + 0.5
    painted = np.zeros((height, width), dtype=bool)
    radius = diameter / 2
    for (ax, ay), (bx, by) in itertools.pairwise(points):
        dx, dy = bx - ax, by - ay
        t = np.clip(((xs - ax) * dx + (ys - ay) * dy) / (dx * dx + dy * dy), 0, 1)
        painted |= (xs - ax - t * dx) ** 2 + (ys - ay - t * dy) ** 2 <= radius**2
    return painted


def test_a_brush_stroke_on_empty_space_creates_a_mask(qtbot: QtBot, canvas: Canvas) -> None:
    created = record_signal(canvas.shape_created)
    canvas.set_tool("brush")
    canvas.set_brush_size(20)
    stroke = [(60.0, 60.0), (100.0, 70.0), (160.0, 120.0), (200.0, 120.0)]

    drag(qtbot, canvas, stroke)

    kind, rle = only_call(created)
    assert kind == "mask"
    assert rle["size"] == [IMAGE_SIZE[1], IMAGE_SIZE[0]]
    assert stored(kind, rle) == rle
    painted = decode_mask(rle)
    # the pointer lands on whole screen pixels (half an image pixel here): compare with a
    # stroke of the radius one pixel narrower and one wider
    inner, outer = brush_reference(stroke, 18), brush_reference(stroke, 22)
    assert painted[inner].all()
    assert not painted[~outer].any()
    assert painted.sum() == pytest.approx(brush_reference(stroke, 20).sum(), rel=0.05)


def test_brush_size_keys_and_a_single_click_dot(qtbot: QtBot, canvas: Canvas) -> None:
    created = record_signal(canvas.shape_created)
    sizes = record_signal(canvas.brush_size_changed)
    canvas.set_tool("brush")
    canvas.set_brush_size(8)
    qtbot.keyClick(canvas, Qt.Key.Key_BracketRight)
    qtbot.keyClick(canvas, Qt.Key.Key_BracketRight)
    qtbot.keyClick(canvas, Qt.Key.Key_BracketLeft)
    assert [call[0] for call in sizes.calls] == [8, 10, 12, 10]

    click(qtbot, canvas, 200.25, 150.25)

    _, rle = only_call(created)
    rows, columns = np.nonzero(decode_mask(rle))
    assert (columns.min(), columns.max()) == pytest.approx((195, 204), abs=1)
    assert (rows.min(), rows.max()) == pytest.approx((145, 154), abs=1)


def mask_record(annotation_id: int, pixels: np.ndarray) -> AnnotationRecord:
    return record(annotation_id, "mask", encode_mask(pixels))


def test_brushing_a_selected_mask_adds_to_it_and_the_eraser_removes(
    qtbot: QtBot, canvas: Canvas
) -> None:
    width, height = IMAGE_SIZE
    square = np.zeros((height, width), dtype=bool)
    square[100:200, 100:200] = True
    canvas.set_annotations([mask_record(7, square)], CLASSES)
    canvas.select_annotations([7])
    edited = record_signal(canvas.shape_edited)
    created = record_signal(canvas.shape_created)

    canvas.set_tool("brush")
    canvas.set_brush_size(10)
    drag(qtbot, canvas, [(250.0, 150.0), (300.0, 150.0)])
    annotation_id, rle = only_call(edited)
    grown = decode_mask(rle)
    assert annotation_id == 7
    assert grown[square].all()
    assert grown[150, 260:296].all()
    assert created.calls == []

    canvas.set_tool("eraser")
    drag(qtbot, canvas, [(150.0, 80.0), (150.0, 220.0)])
    annotation_id, rle = edited.calls[-1]
    erased = decode_mask(rle)
    assert not erased[100:200, 147:153].any()
    assert erased[100:200, 100:140].all()
    assert erased[100:200, 160:200].all()
    assert len(edited.calls) == 2


def test_erasing_a_whole_mask_asks_to_delete_it(qtbot: QtBot, canvas: Canvas) -> None:
    width, height = IMAGE_SIZE
    speck = np.zeros((height, width), dtype=bool)
    speck[50:54, 50:54] = True
    canvas.set_annotations([mask_record(3, speck)], CLASSES)
    canvas.select_annotations([3])
    deleted = record_signal(canvas.delete_requested)
    messages = record_signal(canvas.message)
    canvas.set_tool("eraser")
    canvas.set_brush_size(30)

    click(qtbot, canvas, 52, 52)
    assert deleted.calls == [([3],)]

    canvas.select_annotations([])
    click(qtbot, canvas, 52, 52)
    assert deleted.calls == [([3],)]
    assert messages.calls == [("Select a mask to erase from",)]


def test_the_brush_stroke_shows_live_before_release(qtbot: QtBot, canvas: Canvas) -> None:
    created = record_signal(canvas.shape_created)
    canvas.set_tool("brush")
    viewport = canvas.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=view_pos(canvas, 50, 50))
    for x in range(60, 160, 20):
        qtbot.mouseMove(viewport, view_pos(canvas, x, 50))

    assert canvas.current_tool().busy()
    assert created.calls == []  # nothing is emitted during the stroke

    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=view_pos(canvas, 150, 50))
    assert len(created.calls) == 1


# -- keypoints -------------------------------------------------------------------------------


def test_keypoints_are_clicked_and_enter_finishes(qtbot: QtBot, canvas: Canvas) -> None:
    created = record_signal(canvas.shape_created)
    canvas.set_tool("keypoints")

    click(qtbot, canvas, 40, 50)
    click(qtbot, canvas, 80, 90, SHIFT)  # a hidden point
    click(qtbot, canvas, 120, 60)
    click(qtbot, canvas, 10, 10)
    qtbot.keyClick(canvas, Qt.Key.Key_Backspace)
    qtbot.keyClick(canvas, Qt.Key.Key_Enter)

    kind, points = only_call(created)
    assert kind == "keypoints"
    expected = [[40, 50, 2], [80, 90, 1], [120, 60, 2]]
    assert np.allclose(points, expected, atol=1)
    assert [point[2] for point in points] == [2, 1, 2]
    assert stored(kind, points) == points


def test_escape_drops_keypoints(qtbot: QtBot, canvas: Canvas) -> None:
    created = record_signal(canvas.shape_created)
    canvas.set_tool("keypoints")
    click(qtbot, canvas, 40, 50)
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)
    qtbot.keyClick(canvas, Qt.Key.Key_Return)
    assert created.calls == []


def test_named_keypoints_are_placed_in_order_and_enter_skips_the_rest(
    qtbot: QtBot, canvas: Canvas
) -> None:
    created = record_signal(canvas.shape_created)
    messages = record_signal(canvas.message)
    hand = {"keypoints": ["wrist", "thumb", "index", "little"], "skeleton": [[1, 2]]}
    canvas.set_active_class(dataclasses.replace(CLASSES[0], meta=hand))
    canvas.set_tool("keypoints")

    qtbot.keyClick(canvas, Qt.Key.Key_N)  # no wrist in view
    click(qtbot, canvas, 40, 50)
    qtbot.keyClick(canvas, Qt.Key.Key_Enter)

    kind, points = only_call(created)
    assert kind == "keypoints"
    assert [point[2] for point in points] == [0, 2, 0, 0]
    assert np.allclose(points[1][:2], [40, 50], atol=1)
    assert messages.calls[:3] == [
        ("click: wrist (1 of 4); N skips; Enter ends",),
        ("click: thumb (2 of 4); N skips; Enter ends",),
        ("click: index (3 of 4); N skips; Enter ends",),
    ]


def test_a_keypoints_shape_with_every_point_skipped_is_not_made(
    qtbot: QtBot, canvas: Canvas
) -> None:
    created = record_signal(canvas.shape_created)
    canvas.set_active_class(dataclasses.replace(CLASSES[0], meta={"keypoints": ["a", "b"]}))
    canvas.set_tool("keypoints")

    qtbot.keyClick(canvas, Qt.Key.Key_N)
    qtbot.keyClick(canvas, Qt.Key.Key_N)

    assert created.calls == []


def test_an_unknown_tool_is_refused_by_name(canvas: Canvas) -> None:
    with pytest.raises(ValueError, match="unknown tool 'lasso'; expected one of: select, box"):
        canvas.set_tool("lasso")
    assert canvas.tool() == "select"


def test_switching_tools_drops_a_shape_in_progress(qtbot: QtBot, canvas: Canvas) -> None:
    tools = record_signal(canvas.tool_changed)
    canvas.set_tool("polygon")
    click(qtbot, canvas, 10, 10)
    canvas.set_tool("box")
    canvas.set_tool("polygon")
    assert not canvas.current_tool().busy()
    assert [call[0] for call in tools.calls] == ["polygon", "box", "polygon"]
