"""A rotated box annotation: `[cx, cy, width, height, angle]`, the angle in degrees clockwise
on screen about the centre (`studio.core.geometry`, ADR 0045).

When selected it shows its 4 corners and a rotation handle on a stalk above the side that is
the top before rotation. Its vertices are `(0, 0)`…`(0, 3)`, the corners in
`rotated_box_corners`' order (dragging one resizes the box, the opposite corner staying put),
and `(0, ROTATION_HANDLE)`, the handle (dragging it turns the box about its centre).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QPainter, QPainterPath, QPolygonF
from PySide6.QtWidgets import QStyleOptionGraphicsItem, QWidget

from studio.core.geometry import rotated_box_corners
from studio.gui.canvas.geometry_edit import Bounds, VertexRef, ring_points, rounded
from studio.gui.canvas.shapes.base import ShapeItem
from studio.gui.canvas.shapes.handles import HANDLE_PIXELS, paint_vertex_squares

ROTATION_HANDLE = 4
STALK_PIXELS = 24.0  # from the top side to the rotation handle, in screen pixels
MIN_SIDE = 1.0  # image pixels


def turned(box: Sequence[float], degrees: float) -> list[float]:
    """The box turned by `degrees` more (clockwise on screen), angle kept in [0, 360)."""
    cx, cy, w, h, angle = box
    return [cx, cy, w, h, round((angle + degrees) % 360.0, 2)]


def _to_local(box: Sequence[float], x: float, y: float) -> tuple[float, float]:
    """(x, y) in the box's own frame: origin at its centre, axes along its sides."""
    cx, cy, _, _, angle = box
    cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    dx, dy = x - cx, y - cy
    return dx * cos + dy * sin, -dx * sin + dy * cos


def _to_image(box: Sequence[float], lx: float, ly: float) -> tuple[float, float]:
    cx, cy, _, _, angle = box
    cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    return cx + lx * cos - ly * sin, cy + lx * sin + ly * cos


def resized_from_corner(box: Sequence[float], corner: int, x: float, y: float) -> list[float]:
    """The box after its corner `corner` was dragged to (x, y), the opposite one fixed."""
    _, _, w, h, angle = box
    opposite = [(-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)][
        (corner + 2) % 4
    ]
    lx, ly = _to_local(box, x, y)
    width, height = max(abs(lx - opposite[0]), MIN_SIDE), max(abs(ly - opposite[1]), MIN_SIDE)
    centre = _to_image(box, (lx + opposite[0]) / 2, (ly + opposite[1]) / 2)
    return [rounded(centre[0]), rounded(centre[1]), rounded(width), rounded(height), angle]


class RotatedBoxItem(ShapeItem):
    kind = "rotated_box"
    too_few_points = "A rotated box keeps its 4 corners"

    def _geometry_changed(self) -> None:
        self._corners = ring_points(rotated_box_corners(self._geometry))
        self._path = QPainterPath()
        self._path.addPolygon(QPolygonF([QPointF(x, y) for x, y in self._corners]))
        self._path.closeSubpath()

    def corners(self) -> list[tuple[float, float]]:
        return list(self._corners)

    def rotation_handle(self) -> tuple[float, float]:
        """Where the rotation handle is drawn: a stalk's length above the top side's middle."""
        stalk = STALK_PIXELS / max(self._view_scale, 1e-6)
        return _to_image(self._geometry, 0.0, -self._geometry[3] / 2 - stalk)

    def bounds(self) -> Bounds:
        xs, ys = [x for x, _ in self._corners], [y for _, y in self._corners]
        return min(xs), min(ys), max(xs), max(ys)

    def move_bounds(self) -> Bounds:
        """Only the centre must stay in the image; the corners may stick out."""
        cx, cy = self._geometry[0], self._geometry[1]
        return cx, cy, cx, cy

    def hit(self, x: float, y: float, tolerance: float) -> bool:
        lx, ly = _to_local(self._geometry, x, y)
        return abs(lx) <= self._geometry[2] / 2 + tolerance and (
            abs(ly) <= self._geometry[3] / 2 + tolerance
        )

    def intersects(self, rect: QRectF) -> bool:
        return self._path.intersects(rect) or self._path.contains(rect)

    def translated(self, dx: float, dy: float) -> Any:
        cx, cy, w, h, angle = self._geometry
        return [rounded(cx + dx), rounded(cy + dy), w, h, angle]

    def vertex_at(self, x: float, y: float, tolerance: float) -> VertexRef | None:
        candidates = list(self._corners)
        if self._selected:
            candidates.append(self.rotation_handle())
        distances = [math.hypot(px - x, py - y) for px, py in candidates]
        index = min(range(len(distances)), key=distances.__getitem__)
        return (0, index) if distances[index] <= tolerance else None

    def with_vertex_moved(self, vertex: VertexRef, x: float, y: float) -> Any:
        if vertex[1] == ROTATION_HANDLE:
            cx, cy, w, h, _ = self._geometry
            angle = math.degrees(math.atan2(y - cy, x - cx)) + 90.0
            return [cx, cy, w, h, round(angle % 360.0, 2)]
        return resized_from_corner(self._geometry, vertex[1], x, y)

    def boundingRect(self) -> QRectF:  # noqa: N802
        margin = HANDLE_PIXELS / max(self._view_scale, 1e-6)
        x, y = self.rotation_handle()
        handle = QRectF(x - margin, y - margin, 2 * margin, 2 * margin)
        return super().boundingRect().united(handle)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        painter.setPen(self.outline_pen())
        painter.setBrush(self.fill_brush())
        painter.drawPath(self._path)
        if not (self._selected or self._hover_vertex is not None):
            return
        handle = self.rotation_handle()
        top_middle = _to_image(self._geometry, 0.0, -self._geometry[3] / 2)
        painter.drawLine(QPointF(*top_middle), QPointF(*handle))
        highlighted = self._hover_vertex[1] if self._hover_vertex is not None else None
        points = [*self._corners, handle] if self._selected else self._corners
        paint_vertex_squares(painter, points, self._style.color, highlighted)
