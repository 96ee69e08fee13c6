"""A mask annotation: its pixels tinted in the class colour, the outline opaque.

The item keeps only the crop around the mask's set pixels. The tinted image is built once
per geometry or style change (never per paint) and, for a crop larger than
`MAX_DISPLAY_SIDE` on its long side, sampled down so memory stays bounded at 8k×8k; it is
drawn without smoothing, so mask pixels stay crisp when zoomed in.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QStyleOptionGraphicsItem, QWidget

from studio.gui.canvas.geometry_edit import Bounds
from studio.gui.canvas.mask_paint import MaskCrop, crop_of_rle, edge_pixels, rle_of, shifted
from studio.gui.canvas.shapes.base import ShapeItem

MAX_DISPLAY_SIDE = 4096
SELECTED_BOOST = 0.15


def _premultiplied(color: QColor, alpha: float) -> int:
    """One ARGB32-premultiplied pixel value of `color` at `alpha` (0..1)."""
    a = round(min(max(alpha, 0.0), 1.0) * 255)
    red, green, blue = (round(channel * a / 255) for channel in color.getRgb()[:3])
    return (a << 24) | (red << 16) | (green << 8) | blue


def tinted_image(pixels: np.ndarray, color: QColor, opacity: float, max_side: int) -> QImage:
    """The crop as an image: fill at `opacity`, outline pixels opaque."""
    step = max(1, math.ceil(max(pixels.shape) / max_side))
    sampled = pixels[::step, ::step]
    values = np.zeros(sampled.shape, dtype=np.uint32)
    values[sampled] = _premultiplied(color, opacity)
    values[edge_pixels(sampled)] = _premultiplied(color, 1.0)
    height, width = values.shape
    data = np.ascontiguousarray(values).tobytes()
    image = QImage(data, width, height, 4 * width, QImage.Format.Format_ARGB32_Premultiplied)
    return image.copy()  # owns its pixels; `data` may go


class MaskItem(ShapeItem):
    kind = "mask"

    def _geometry_changed(self) -> None:
        self.image_height, self.image_width = (int(side) for side in self._geometry["size"])
        self.crop: MaskCrop | None = crop_of_rle(self._geometry)
        self._tint()

    def _style_changed(self) -> None:
        self._tint()

    def set_selected(self, selected: bool) -> None:
        changed = selected != self._selected
        super().set_selected(selected)
        if changed:
            self._tint()

    def _tint(self) -> None:
        self._image: QImage | None = None
        if self.crop is not None:
            opacity = self._style.opacity + (SELECTED_BOOST if self._selected else 0.0)
            self._image = tinted_image(
                self.crop.pixels, self._style.color, opacity, MAX_DISPLAY_SIDE
            )

    def display_image(self) -> QImage | None:
        return self._image

    def bounds(self) -> Bounds | None:
        if self.crop is None:
            return None
        x0, y0, x1, y1 = self.crop.bounds()
        return float(x0), float(y0), float(x1), float(y1)

    def hit(self, x: float, y: float, tolerance: float) -> bool:
        if self.crop is None:
            return False
        reach = min(int(tolerance), 8)
        left, top = math.floor(x) - reach - self.crop.x, math.floor(y) - reach - self.crop.y
        window = self.crop.pixels[
            max(top, 0) : max(top + 2 * reach + 1, 0), max(left, 0) : max(left + 2 * reach + 1, 0)
        ]
        return bool(window.any())

    def translated(self, dx: float, dy: float) -> Any:
        """Masks move by whole pixels."""
        if self.crop is None:
            return self._geometry
        moved = shifted(self.crop, round(dx), round(dy), self.image_width, self.image_height)
        return rle_of(moved, self.image_width, self.image_height)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        if self.crop is None or self._image is None:
            return
        target = QRectF(self.crop.x, self.crop.y, self.crop.width, self.crop.height)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        painter.drawImage(target, self._image, QRectF(self._image.rect()))
        if self._selected or self._style.dashed:
            pen = QPen(self._style.color, 1.5 if self._selected else 1.0)
            pen.setCosmetic(True)
            pen.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(target)
