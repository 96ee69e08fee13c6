"""A polyline annotation: an open chain of points in its class colour, never filled.

Its vertices are `(0, index)` (one chain), moved and removed like a polygon's; a polyline
keeps at least 2 points.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QPointF
from PySide6.QtGui import QPainter, QPolygonF
from PySide6.QtWidgets import QStyleOptionGraphicsItem, QWidget

from studio.gui.canvas.geometry_edit import Bounds, VertexRef, ring_points, rounded
from studio.gui.canvas.shapes.base import ShapeItem
from studio.gui.canvas.shapes.handles import paint_vertex_squares

MIN_POLYLINE_POINTS = 2


def distance_to_segment(
    x: float, y: float, start: tuple[float, float], end: tuple[float, float]
) -> float:
    (x0, y0), (x1, y1) = start, end
    dx, dy = x1 - x0, y1 - y0
    length = dx * dx + dy * dy
    t = 0.0 if length == 0 else max(0.0, min(1.0, ((x - x0) * dx + (y - y0) * dy) / length))
    return math.hypot(x - (x0 + t * dx), y - (y0 + t * dy))


class PolylineItem(ShapeItem):
    kind = "polyline"
    too_few_points = "A polyline needs at least 2 points"

    def _geometry_changed(self) -> None:
        self._points = ring_points(self._geometry)

    def points(self) -> list[tuple[float, float]]:
        return list(self._points)

    def bounds(self) -> Bounds:
        xs, ys = self._geometry[0::2], self._geometry[1::2]
        return min(xs), min(ys), max(xs), max(ys)

    def hit(self, x: float, y: float, tolerance: float) -> bool:
        return any(
            distance_to_segment(x, y, start, end) <= tolerance
            for start, end in zip(self._points, self._points[1:], strict=False)
        )

    def translated(self, dx: float, dy: float) -> Any:
        return [rounded(v + (dx if i % 2 == 0 else dy)) for i, v in enumerate(self._geometry)]

    def vertex_at(self, x: float, y: float, tolerance: float) -> VertexRef | None:
        distances = [math.hypot(px - x, py - y) for px, py in self._points]
        index = min(range(len(distances)), key=distances.__getitem__)
        return (0, index) if distances[index] <= tolerance else None

    def with_vertex_moved(self, vertex: VertexRef, x: float, y: float) -> Any:
        geometry = list(self._geometry)
        geometry[2 * vertex[1]], geometry[2 * vertex[1] + 1] = rounded(x), rounded(y)
        return geometry

    def with_point_on_segment(self, x: float, y: float, tolerance: float) -> Any:
        """The geometry with (x, y) inserted into the segment it lies on, or None when it lies
        on none (within `tolerance`)."""
        segments = list(zip(self._points, self._points[1:], strict=False))
        for index, (start, end) in enumerate(segments):
            if distance_to_segment(x, y, start, end) <= tolerance:
                at = 2 * (index + 1)
                return [*self._geometry[:at], rounded(x), rounded(y), *self._geometry[at:]]
        return None

    def without_vertex(self, vertex: VertexRef) -> Any:
        if len(self._points) <= MIN_POLYLINE_POINTS:
            return None
        index = 2 * vertex[1]
        return self._geometry[:index] + self._geometry[index + 2 :]

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        painter.setPen(self.outline_pen())
        painter.drawPolyline(QPolygonF([QPointF(x, y) for x, y in self._points]))
        if self._selected or self._hover_vertex is not None:
            highlighted = self._hover_vertex[1] if self._hover_vertex is not None else None
            paint_vertex_squares(painter, self._points, self._style.color, highlighted)
