"""Scene items that show a shape while it is being drawn (never an annotation yet)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from studio.gui.canvas.shapes.handles import HANDLE_PIXELS, paint_vertex_squares
from studio.gui.canvas.tools.base import LIVE_Z

Point = tuple[float, float]


def cosmetic_pen(color: QColor, width: float = 2.0, dashed: bool = False) -> QPen:
    pen = QPen(color, width)
    pen.setCosmetic(True)
    if dashed:
        pen.setStyle(Qt.PenStyle.DashLine)
    return pen


class LivePoints(QGraphicsItem):
    """Points clicked so far, joined (polygon) or not (keypoints), with a rubber line to the
    pointer; the first point grows when a click there would close the polygon."""

    def __init__(self, color: QColor, joined: bool) -> None:
        super().__init__()
        self.setZValue(LIVE_Z)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self._color = QColor(color)
        self._joined = joined
        self._points: list[Point] = []
        self._cursor: Point | None = None
        self._closable = False
        self._view_scale = 1.0

    def set_state(
        self,
        points: Sequence[Point],
        cursor: Point | None,
        closable: bool = False,
        view_scale: float = 1.0,
    ) -> None:
        self.prepareGeometryChange()
        self._points = list(points)
        self._cursor = cursor
        self._closable = closable
        self._view_scale = view_scale
        self.update()

    def points(self) -> list[Point]:
        return list(self._points)

    def boundingRect(self) -> QRectF:  # noqa: N802
        every = self._points + ([self._cursor] if self._cursor else [])
        if not every:
            return QRectF()
        xs, ys = [p[0] for p in every], [p[1] for p in every]
        margin = 2 * HANDLE_PIXELS / max(self._view_scale, 1e-6)
        return QRectF(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)).adjusted(
            -margin, -margin, margin, margin
        )

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        if self._joined and self._points:
            painter.setPen(cosmetic_pen(self._color))
            corners = [QPointF(x, y) for x, y in self._points]
            painter.drawPolyline(corners)
            if self._cursor is not None:
                painter.setPen(cosmetic_pen(self._color, 1.5, dashed=True))
                painter.drawLine(corners[-1], QPointF(*self._cursor))
        highlighted = 0 if self._closable else None
        paint_vertex_squares(painter, self._points, self._color, highlighted)
