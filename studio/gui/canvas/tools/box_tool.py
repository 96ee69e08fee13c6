"""Box tool: press at one corner, drag, release at the other. Esc cancels the drag."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGraphicsRectItem

from studio.gui.canvas.geometry_edit import box_from_corners
from studio.gui.canvas.tools.base import LIVE_Z, Pointer, Tool
from studio.gui.canvas.tools.live_items import cosmetic_pen

if TYPE_CHECKING:
    from studio.gui.canvas.view import Canvas

MIN_SIDE_IMAGE_PIXELS = 1.0
MIN_SIDE_SCREEN_PIXELS = 3.0  # a click without a drag makes no box


class BoxTool(Tool):
    name = "box"

    def __init__(self, canvas: Canvas) -> None:
        super().__init__(canvas)
        self._start: tuple[float, float] | None = None
        self._live: QGraphicsRectItem | None = None

    def busy(self) -> bool:
        return self._start is not None

    def press(self, pointer: Pointer) -> None:
        self.cancel()
        self._start = self.clamped(pointer)
        color = self.canvas.active_color()
        fill = QColor(color)
        fill.setAlphaF(0.2)
        self._live = QGraphicsRectItem()
        self._live.setPen(cosmetic_pen(color, dashed=True))
        self._live.setBrush(fill)
        self._live.setZValue(LIVE_Z)
        self.canvas.scene().addItem(self._live)
        self._show(self._start)

    def move(self, pointer: Pointer) -> None:
        if self._start is not None:
            self._show(self.clamped(pointer))

    def release(self, pointer: Pointer) -> None:
        if self._start is None:
            return
        box = self._box(self.clamped(pointer))
        self.cancel()
        if self._big_enough(box):
            self.canvas.emit_created("box", box)

    def cancel(self) -> None:
        if self._live is not None:
            self.canvas.scene().removeItem(self._live)
        self._live = None
        self._start = None

    def live_rect(self) -> QRectF | None:
        return self._live.rect() if self._live is not None else None

    def _box(self, corner: tuple[float, float]) -> list[float]:
        assert self._start is not None
        width, height = self.canvas.image_size()
        return box_from_corners(*self._start, *corner, width, height)

    def _show(self, corner: tuple[float, float]) -> None:
        assert self._live is not None
        x, y, w, h = self._box(corner)
        self._live.setRect(QRectF(x, y, w, h))

    def _big_enough(self, box: list[float]) -> bool:
        zoom = self.canvas.zoom()
        return all(
            side >= MIN_SIDE_IMAGE_PIXELS and side * zoom >= MIN_SIDE_SCREEN_PIXELS
            for side in box[2:]
        )
