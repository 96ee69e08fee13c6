"""Brush and eraser: paint masks with a round brush of `Canvas.brush_size()` image pixels.

The brush paints into the selected mask if exactly one mask is selected, otherwise into a
new mask of the active class. The eraser removes pixels from the selected mask (erasing all
of them asks for the annotation's deletion). The stroke shows live as a vector path of the
brush's width; on release it is rasterised (`mask_paint.stroke_crop`) and emitted ONCE, as
COCO RLE: `shape_created("mask", rle)` or `shape_edited(id, rle)`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsPathItem

from studio.gui.canvas.mask_paint import MaskCrop, apply_stroke, rle_of, stroke_crop
from studio.gui.canvas.shapes import MaskItem
from studio.gui.canvas.tools.base import CURSOR_Z, LIVE_Z, Pointer, Tool
from studio.gui.canvas.tools.live_items import cosmetic_pen

if TYPE_CHECKING:
    from studio.gui.canvas.view import Canvas

MIN_STEP_PIXELS = 0.5  # pointer moves shorter than this (in image pixels) add no point
ERASER_COLOR = QColor(255, 255, 255, 140)


class BrushTool(Tool):
    name = "brush"
    erase = False

    def __init__(self, canvas: Canvas) -> None:
        super().__init__(canvas)
        self._points: list[tuple[float, float]] = []
        self._target: MaskItem | None = None
        self._stroke: QGraphicsPathItem | None = None
        self._outline = QGraphicsEllipseItem()
        self._outline.setZValue(CURSOR_Z)
        self._outline.setPen(cosmetic_pen(QColor("white"), 1.0, dashed=True))
        self._outline.setVisible(False)

    def activate(self) -> None:
        super().activate()
        if self._outline.scene() is None:
            self.canvas.scene().addItem(self._outline)

    def deactivate(self) -> None:
        super().deactivate()
        self._outline.setVisible(False)

    def busy(self) -> bool:
        return bool(self._points)

    def target(self) -> MaskItem | None:
        """The mask a stroke would change: the only selected shape, if it is a mask."""
        selected = self.canvas.layer.selected_items()
        if len(selected) == 1 and isinstance(selected[0], MaskItem):
            return selected[0]
        return None

    def press(self, pointer: Pointer) -> None:
        self.cancel()
        self._target = self.target()
        if self.erase and self._target is None:
            self.canvas.show_message("Select a mask to erase from")
            return
        self._points = [(pointer.x, pointer.y)]
        self._stroke = QGraphicsPathItem()
        self._stroke.setZValue(LIVE_Z)
        self._stroke.setPen(self._stroke_pen())
        self.canvas.scene().addItem(self._stroke)
        self._show_stroke()
        self.hover(pointer)

    def move(self, pointer: Pointer) -> None:
        self.hover(pointer)
        if not self._points:
            return
        last_x, last_y = self._points[-1]
        if abs(pointer.x - last_x) + abs(pointer.y - last_y) >= MIN_STEP_PIXELS:
            self._points.append((pointer.x, pointer.y))
            self._show_stroke()

    def release(self, pointer: Pointer) -> None:
        if not self._points:
            return
        self.move(pointer)
        points, target = self._points, self._target
        self.cancel()
        self._commit(points, target)

    def hover(self, pointer: Pointer) -> None:
        radius = self.canvas.brush_size() / 2
        self._outline.setRect(
            QRectF(pointer.x - radius, pointer.y - radius, 2 * radius, 2 * radius)
        )
        self._outline.setVisible(True)

    def leave(self) -> None:
        self._outline.setVisible(False)

    def brush_size_changed(self) -> None:
        rect = self._outline.rect()
        radius = self.canvas.brush_size() / 2
        center = rect.center()
        self._outline.setRect(
            QRectF(center.x() - radius, center.y() - radius, 2 * radius, 2 * radius)
        )

    def cancel(self) -> None:
        if self._stroke is not None:
            self.canvas.scene().removeItem(self._stroke)
        self._stroke = None
        self._points = []
        self._target = None

    def _stroke_pen(self) -> QPen:
        color = ERASER_COLOR if self.erase else QColor(self.canvas.active_color())
        if not self.erase:
            color.setAlphaF(0.55)
        pen = QPen(color, float(self.canvas.brush_size()))
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        return pen

    def _show_stroke(self) -> None:
        assert self._stroke is not None
        path = QPainterPath(QPointF(*self._points[0]))
        for x, y in self._points[1:]:
            path.lineTo(x, y)
        if len(self._points) == 1:  # a lone click paints a dot
            path.lineTo(self._points[0][0] + 1e-3, self._points[0][1])
        self._stroke.setPath(path)

    def _commit(self, points: list[tuple[float, float]], target: MaskItem | None) -> None:
        if target is None:
            width, height = self.canvas.image_size()
        else:
            width, height = target.image_width, target.image_height
        stroke = stroke_crop(points, self.canvas.brush_size(), width, height)
        if stroke is None:
            return
        if target is None:
            self.canvas.emit_created("mask", rle_of(stroke, width, height))
            return
        changed = apply_stroke(target.crop, stroke, self.erase, width, height)
        if changed is None:
            self.canvas.request_delete([target.annotation_id])
        elif not _same(changed, target.crop):
            self.canvas.emit_edited(target.annotation_id, rle_of(changed, width, height))


def _same(a: MaskCrop, b: MaskCrop | None) -> bool:
    return (
        b is not None
        and (a.x, a.y, a.pixels.shape) == (b.x, b.y, b.pixels.shape)
        and bool((a.pixels == b.pixels).all())
    )


class EraserTool(BrushTool):
    name = "eraser"
    erase = True
