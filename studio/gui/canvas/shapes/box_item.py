"""A box annotation: a filled rectangle in its class colour, with 8 resize handles when selected."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QStyleOptionGraphicsItem, QWidget

from studio.gui.canvas.geometry_edit import Bounds, box_bounds, translate_box
from studio.gui.canvas.shapes.base import ShapeItem
from studio.gui.canvas.shapes.handles import box_handle_points, paint_vertex_squares


class BoxItem(ShapeItem):
    kind = "box"

    def rect(self) -> QRectF:
        x, y, w, h = self._geometry
        return QRectF(x, y, w, h)

    def bounds(self) -> Bounds:
        return box_bounds(self._geometry)

    def hit(self, x: float, y: float, tolerance: float) -> bool:
        return self.rect().adjusted(-tolerance, -tolerance, tolerance, tolerance).contains(x, y)

    def translated(self, dx: float, dy: float) -> Any:
        return translate_box(self._geometry, dx, dy)

    def handle_points(self) -> dict[str, tuple[float, float]]:
        return box_handle_points(self._geometry)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        painter.setPen(self.outline_pen())
        painter.setBrush(self.fill_brush())
        painter.drawRect(self.rect())
        if self._selected:
            paint_vertex_squares(painter, self.handle_points().values(), self._style.color)
