"""Crosshair guides: lines across the image through the pointer, in drawing tools only."""

from __future__ import annotations

from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from studio.gui.canvas import Canvas
from tests.gui.canvas.conftest import hover, view_pos

POINTER = (100.0, 150.0)


def screen(canvas: Canvas) -> QImage:
    canvas.viewport().repaint()
    return canvas.viewport().grab().toImage()


def test_the_crosshair_is_drawn_through_the_pointer_in_a_drawing_tool(
    qtbot: QtBot, canvas: Canvas
) -> None:
    canvas.set_tool("box")
    hover(qtbot, canvas, *POINTER)
    plain = screen(canvas)

    canvas.set_crosshair(True)
    guided = screen(canvas)

    on_vertical = view_pos(canvas, POINTER[0], 20)  # far above the pointer, on its column
    on_horizontal = view_pos(canvas, 350, POINTER[1])
    beside = view_pos(canvas, POINTER[0] + 10, 20)
    for point in (on_vertical, on_horizontal):
        assert guided.pixelColor(point).lightness() > 200
        assert guided.pixelColor(point) != plain.pixelColor(point)
    assert guided.pixelColor(beside) == plain.pixelColor(beside)
    outside = view_pos(canvas, POINTER[0], -20)  # the lines stop at the image's edge
    assert guided.pixelColor(outside) == plain.pixelColor(outside)


def test_the_select_tool_and_a_switched_off_crosshair_draw_no_lines(
    qtbot: QtBot, canvas: Canvas
) -> None:
    canvas.set_crosshair(True)
    hover(qtbot, canvas, *POINTER)
    assert canvas.tool() == "select"
    assert canvas.crosshair_point() is None
    canvas.set_tool("polygon")
    assert canvas.crosshair_point() is not None
    canvas.set_crosshair(False)
    assert canvas.crosshair_point() is None
