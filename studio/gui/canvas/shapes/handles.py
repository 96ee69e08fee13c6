"""Resize handles of a box and the small squares drawn on vertices.

Handles are not scene items: their positions follow from the geometry, and hit tests are done
in screen pixels by the select tool, so a handle stays the same size and as easy to grab at
every zoom. Painting uses sizes in screen pixels divided by the painter's scale.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen

from studio.gui.canvas.geometry_edit import box_from_corners

HANDLE_PIXELS = 8.0  # side of a drawn handle, in screen pixels
GRAB_PIXELS = 7.0  # how far from a handle or vertex a press still grabs it

# Handle name → (x fraction, y fraction) of the box.
BOX_HANDLES: dict[str, tuple[float, float]] = {
    "top_left": (0.0, 0.0),
    "top": (0.5, 0.0),
    "top_right": (1.0, 0.0),
    "right": (1.0, 0.5),
    "bottom_right": (1.0, 1.0),
    "bottom": (0.5, 1.0),
    "bottom_left": (0.0, 1.0),
    "left": (0.0, 0.5),
}

HANDLE_CURSORS = {
    "top_left": Qt.CursorShape.SizeFDiagCursor,
    "bottom_right": Qt.CursorShape.SizeFDiagCursor,
    "top_right": Qt.CursorShape.SizeBDiagCursor,
    "bottom_left": Qt.CursorShape.SizeBDiagCursor,
    "top": Qt.CursorShape.SizeVerCursor,
    "bottom": Qt.CursorShape.SizeVerCursor,
    "left": Qt.CursorShape.SizeHorCursor,
    "right": Qt.CursorShape.SizeHorCursor,
}


def box_handle_points(box: Sequence[float]) -> dict[str, tuple[float, float]]:
    x, y, w, h = box
    return {name: (x + fx * w, y + fy * h) for name, (fx, fy) in BOX_HANDLES.items()}


def resize_box(
    box: Sequence[float], handle: str, x: float, y: float, width: float, height: float
) -> list[float]:
    """The box after dragging `handle` to (x, y): the opposite side or corner stays put.

    Dragging past the opposite side flips the box rather than giving it a negative size.
    """
    left, top, w, h = box
    right, bottom = left + w, top + h
    fx, fy = BOX_HANDLES[handle]
    if fx == 0.0:
        left = x
    elif fx == 1.0:
        right = x
    if fy == 0.0:
        top = y
    elif fy == 1.0:
        bottom = y
    return box_from_corners(left, top, right, bottom, width, height)


def paint_vertex_squares(
    painter: QPainter,
    points: Iterable[tuple[float, float]],
    color: QColor,
    highlighted: int | None = None,
) -> None:
    """Filled squares of HANDLE_PIXELS screen pixels centred on `points`."""
    scale = painter.worldTransform().m11() or 1.0
    half = HANDLE_PIXELS / 2 / scale
    pen = QPen(QColor("white"), 1)
    pen.setCosmetic(True)
    painter.setPen(pen)
    for index, (x, y) in enumerate(points):
        grow = 1.5 if index == highlighted else 1.0
        painter.setBrush(QColor("white") if index == highlighted else color)
        painter.drawRect(QRectF(x - half * grow, y - half * grow, 2 * half * grow, 2 * half * grow))
