"""A polygon annotation: one or more rings, vertices shown when selected or hovered."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPainterPath, QPolygonF
from PySide6.QtWidgets import QStyleOptionGraphicsItem, QWidget

from studio.gui.canvas.geometry_edit import (
    Bounds,
    VertexRef,
    move_vertex,
    nearest_edge,
    nearest_vertex,
    polygon_bounds,
    remove_vertex,
    ring_points,
    translate_rings,
)
from studio.gui.canvas.shapes.base import ShapeItem
from studio.gui.canvas.shapes.handles import paint_vertex_squares


def rings_path(rings: list[list[float]]) -> QPainterPath:
    """Closed sub-paths, odd-even filled, so a ring inside another reads as a hole."""
    path = QPainterPath()
    path.setFillRule(Qt.FillRule.OddEvenFill)
    for ring in rings:
        path.addPolygon(QPolygonF([QPointF(x, y) for x, y in ring_points(ring)]))
        path.closeSubpath()
    return path


class PolygonItem(ShapeItem):
    kind = "polygon"

    def _geometry_changed(self) -> None:
        self._path = rings_path(self._geometry)

    def path(self) -> QPainterPath:
        return self._path

    def bounds(self) -> Bounds:
        return polygon_bounds(self._geometry)

    def hit(self, x: float, y: float, tolerance: float) -> bool:
        if self.path().contains(QPointF(x, y)):
            return True
        return nearest_edge(self._geometry, x, y, tolerance) is not None

    def intersects(self, rect: QRectF) -> bool:
        return self.path().intersects(rect) or self.path().contains(rect)

    def translated(self, dx: float, dy: float) -> Any:
        return translate_rings(self._geometry, dx, dy)

    def vertex_at(self, x: float, y: float, tolerance: float) -> VertexRef | None:
        return nearest_vertex(self._geometry, x, y, tolerance)

    def with_vertex_moved(self, vertex: VertexRef, x: float, y: float) -> Any:
        return move_vertex(self._geometry, vertex, x, y)

    def without_vertex(self, vertex: VertexRef) -> Any:
        return remove_vertex(self._geometry, vertex)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        painter.setPen(self.outline_pen())
        painter.setBrush(self.fill_brush())
        painter.drawPath(self.path())
        if not (self._selected or self._hover_vertex is not None):
            return
        for ring_index, ring in enumerate(self._geometry):
            highlighted = None
            if self._hover_vertex is not None and self._hover_vertex[0] == ring_index:
                highlighted = self._hover_vertex[1]
            paint_vertex_squares(painter, ring_points(ring), self._style.color, highlighted)
