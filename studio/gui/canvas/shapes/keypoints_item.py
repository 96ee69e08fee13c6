"""A keypoints annotation: dots filled when visible (v = 2), hollow when hidden (1), each
with its name when the class names its keypoints (else its number), and the class's
skeleton drawn between the points that are there.

Points with v = 0 (absent) are not drawn and cannot be grabbed. A point keeps its place in the
list when moved, so it keeps its name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QStyleOptionGraphicsItem, QWidget

from studio.api import KeypointSchema, LabelClassRecord, StudioError, keypoint_schema
from studio.gui.canvas.geometry_edit import (
    Bounds,
    VertexRef,
    keypoint_bounds,
    move_keypoint,
    translate_keypoints,
)
from studio.gui.canvas.shapes.base import NO_KEYPOINTS, ShapeItem

DOT_PIXELS = 5.0
NAME_PIXELS = (120.0, 14.0)  # the room a point's name takes beside it, in screen pixels
SKELETON_PIXELS = 1.5
NAME_BACKGROUND = QColor(0, 0, 0, 140)  # behind a point's name, so light photos keep it legible


def class_keypoints(label_class: LabelClassRecord | None) -> KeypointSchema:
    """The class's named keypoints and skeleton; none for no class or a malformed meta."""
    if label_class is None:
        return NO_KEYPOINTS
    try:
        return keypoint_schema(label_class.meta)
    except StudioError:
        return NO_KEYPOINTS


def point_name(schema: KeypointSchema, index: int) -> str:
    """The name of point `index` (from 0), or its number when the class names none."""
    return schema.names[index] if index < len(schema.names) else str(index + 1)


def skeleton_lines(points: Sequence[Sequence[float]], schema: KeypointSchema) -> list[QLineF]:
    """The skeleton's edges between points that are there (v > 0)."""
    lines = []
    for first, second in schema.skeleton:
        if first <= len(points) and second <= len(points):
            (x0, y0, v0), (x1, y1, v1) = points[first - 1][:3], points[second - 1][:3]
            if v0 > 0 and v1 > 0:
                lines.append(QLineF(x0, y0, x1, y1))
    return lines


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

    def boundingRect(self) -> QRectF:  # noqa: N802
        """The points' bounds with room for the names written beside them."""
        rect = super().boundingRect()
        if rect.isNull():
            return rect
        scale = max(self._view_scale, 1e-6)
        return rect.adjusted(0, -NAME_PIXELS[1] / scale, NAME_PIXELS[0] / scale, 0)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        scale = painter.worldTransform().m11() or 1.0
        pen = self.outline_pen()
        pen.setStyle(Qt.PenStyle.SolidLine)
        schema = self._style.keypoints
        edge_pen = QPen(self._style.color, SKELETON_PIXELS)
        edge_pen.setCosmetic(True)
        painter.setPen(edge_pen)
        painter.drawLines(skeleton_lines(self._geometry, schema))
        font = QFont()
        font.setPointSizeF(7.5)
        for index, x, y, visibility in self.shown_points():
            grow = 1.5 if self._hover_vertex == (0, index) or self._selected else 1.0
            radius = DOT_PIXELS * grow / scale
            painter.setPen(pen)
            painter.setBrush(self._style.color if visibility == 2 else Qt.BrushStyle.NoBrush)
            painter.drawEllipse(QPointF(x, y), radius, radius)
            name = point_name(schema, index)
            self._paint_name(painter, font, name, QPointF(x, y), radius, scale)

    def _paint_name(
        self, painter: QPainter, font: QFont, name: str, at: QPointF, radius: float, scale: float
    ) -> None:
        """The point's name (or number) beside it, in screen-sized text."""
        painter.save()
        painter.translate(at.x() + radius, at.y() - radius)
        painter.scale(1 / scale, 1 / scale)
        painter.setFont(font)
        width, height = NAME_PIXELS
        text = QFontMetricsF(font).boundingRect(name).width() + 4
        painter.fillRect(QRectF(0, -height, min(text, width), height), NAME_BACKGROUND)
        painter.setPen(QColor("white"))
        painter.drawText(QRectF(2, -height, width - 2, height), Qt.AlignmentFlag.AlignLeft, name)
        painter.restore()
