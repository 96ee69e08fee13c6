"""What the assistant tools (the magic wand, Segment Anything) share: a press that moves less
than a few screen pixels is a click prompt, a longer drag draws a dashed box prompt, and the
answer is shown as one preview item over the image."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsRectItem

from studio.gui.canvas.geometry_edit import box_from_corners
from studio.gui.canvas.tools.base import LIVE_Z, Pointer, Tool, view_distance
from studio.gui.canvas.tools.live_items import cosmetic_pen

if TYPE_CHECKING:
    from studio.gui.canvas.view import Canvas

DRAG_SCREEN_PIXELS = 4.0  # a press that moves less than this is a click, not a box


class PromptTool(Tool):
    """A tool whose gestures become prompts; subclasses handle `release` and the answer."""

    def __init__(self, canvas: Canvas) -> None:
        super().__init__(canvas)
        self._press: Pointer | None = None
        self._rubber: QGraphicsRectItem | None = None
        self._preview: QGraphicsPathItem | None = None

    def press(self, pointer: Pointer) -> None:
        self._press = pointer

    def move(self, pointer: Pointer) -> None:
        if self._press is None or not self._dragged(pointer):
            return
        if self._rubber is None:
            self._rubber = QGraphicsRectItem()
            self._rubber.setPen(cosmetic_pen(self.canvas.active_color(), dashed=True))
            self._rubber.setZValue(LIVE_Z)
            self.canvas.scene().addItem(self._rubber)
        x, y, width, height = self._box_to(pointer)
        self._rubber.setRect(QRectF(x, y, width, height))

    def _dragged(self, pointer: Pointer, start: Pointer | None = None) -> bool:
        start = start or self._press
        return start is not None and view_distance(start.view, pointer.view) >= DRAG_SCREEN_PIXELS

    def _box_to(self, pointer: Pointer, start: Pointer | None = None) -> list[float]:
        """The box [x, y, width, height] from the press (or `start`) to `pointer`."""
        start = start or self._press
        assert start is not None
        width, height = self.canvas.image_size()
        return box_from_corners(*self.clamped(start), *self.clamped(pointer), width, height)

    def _remove_rubber(self) -> None:
        if self._rubber is not None:
            self.canvas.scene().removeItem(self._rubber)
        self._rubber = None

    def _remove_preview(self) -> None:
        if self._preview is not None:
            self.canvas.scene().removeItem(self._preview)
        self._preview = None
