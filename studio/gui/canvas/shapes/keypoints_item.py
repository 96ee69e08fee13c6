"""A keypoints annotation: numbered dots, filled when visible (v = 2), hollow when hidden (1).

Points with v = 0 (absent) are not drawn and cannot be grabbed.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import QStyleOptionGraphicsItem, QWidget

from studio.gui.canvas.geometry_edit import (
    Bounds,
    VertexRef,
    keypoint_bounds,
    move_keypoint,
    translate_keypoints,
)
from studio.gui.canvas.shapes.base import ShapeItem

DOT_PIXELS = 5.0


class KeypointsItem(ShapeItem):
    kind = "keypoints"

    def shown_points(self) -> list[tuple[int, float, float, int]]:
        """(index, x, y, visibility) of the points that are drawn."""
        return [(index, x, y, int(v)) for index, (x, y, v) in enumerate(self._geometry) if v > 0]

    def bounds(self) -> Bounds | None:
        return keypoint_bounds(self._geometry)

    def hit(self, x: float, y: float, tolerance: float) -> bool:
        return self.vertex_at(x, y, tolerance) is not None

    def translated(self, dx: float, dy: float) -> Any:
        return translate_keypoints(self._geometry, dx, dy)

    def vertex_at(self, x: float, y: float, tolerance: float) -> VertexRef | None:
        best, best_distance = None, tolerance
        for index, px, py, _ in self.shown_points():
            distance = ((px - x) ** 2 + (py - y) ** 2) ** 0.5
            if distance <= best_distance:
                best, best_distance = (0, index), distance
        return best

    def with_vertex_moved(self, vertex: VertexRef, x: float, y: float) -> Any:
        return move_keypoint(self._geometry, vertex[1], x, y)

    def without_vertex(self, vertex: VertexRef) -> Any:
        """A removed keypoint becomes absent (v = 0): the others keep their numbers."""
        return [
            [0.0, 0.0, 0] if index == vertex[1] else [x, y, int(v)]
            for index, (x, y, v) in enumerate(self._geometry)
        ]

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        scale = painter.worldTransform().m11() or 1.0
        pen = self.outline_pen()
        pen.setStyle(Qt.PenStyle.SolidLine)
        font = QFont()
        font.setPointSizeF(7.5)
        for index, x, y, visibility in self.shown_points():
            grow = 1.5 if self._hover_vertex == (0, index) or self._selected else 1.0
            radius = DOT_PIXELS * grow / scale
            painter.setPen(pen)
            painter.setBrush(self._style.color if visibility == 2 else Qt.BrushStyle.NoBrush)
            painter.drawEllipse(QPointF(x, y), radius, radius)
            self._paint_number(painter, font, index + 1, QPointF(x, y), radius, scale)

    def _paint_number(
        self, painter: QPainter, font: QFont, number: int, at: QPointF, radius: float, scale: float
    ) -> None:
        """The point's number beside it, in screen-sized text."""
        painter.save()
        painter.translate(at.x() + radius, at.y() - radius)
        painter.scale(1 / scale, 1 / scale)
        painter.setFont(font)
        painter.setPen(QColor("white"))
        painter.drawText(QRectF(0, -12, 24, 12), Qt.AlignmentFlag.AlignLeft, str(number))
        painter.restore()
