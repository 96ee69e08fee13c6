"""The picture under the annotations, and the placeholder shown when there is none.

`ImageItem` spans the image rectangle (0, 0, width, height) in scene coordinates, which are
image pixels, and paints one of its levels: the preview and the full picture. It picks the
smallest level that still has at least one level pixel per screen pixel, so a 12-megapixel
photograph fitted to the window paints from the 1-megapixel preview (a DCT-scaled decode, so
also free of the aliasing of a bilinear downscale), and only the exposed part of the level is
drawn. Zoomed out it smooths; zoomed in past 1:1 it uses nearest neighbour, so pixels show.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from studio.gui.canvas.image_loader import DisplayImage

EMPTY_FILL = QColor(38, 40, 44)
PLACEHOLDER_TEXT = QColor(220, 223, 228)


class ImageItem(QGraphicsItem):
    def __init__(self) -> None:
        super().__init__()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self._width = 0
        self._height = 0
        self._levels: list[DisplayImage] = []

    def reset(self, width: int, height: int) -> None:
        """Show an empty frame of the image's size until levels arrive."""
        self.prepareGeometryChange()
        self._width, self._height = max(0, width), max(0, height)
        self._levels = []
        self.update()

    def add_level(self, level: DisplayImage) -> None:
        self._levels = sorted([*self._levels, level], key=lambda image: image.width)
        self.update()

    def levels(self) -> list[DisplayImage]:
        return list(self._levels)

    def largest_level(self) -> DisplayImage | None:
        return self._levels[-1] if self._levels else None

    def image_rect(self) -> QRectF:
        return QRectF(0, 0, self._width, self._height)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self.image_rect()

    def level_for(self, zoom: float) -> DisplayImage | None:
        """The smallest level with at least one pixel per screen pixel at `zoom`."""
        for level in self._levels:
            if self._width and level.width / self._width >= zoom:
                return level
        return self.largest_level()

    @staticmethod
    def smooth_at(zoom: float) -> bool:
        """Smooth when zoomed out; nearest neighbour past 1:1, so single pixels are visible."""
        return zoom <= 1.0

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        zoom = painter.worldTransform().m11() * (widget.devicePixelRatioF() if widget else 1.0)
        level = self.level_for(zoom)
        exposed = option.exposedRect.intersected(self.image_rect())
        if level is None:
            painter.fillRect(exposed, EMPTY_FILL)
            return
        sx, sy = level.width / self._width, level.height / self._height
        source = QRectF(
            exposed.x() * sx, exposed.y() * sy, exposed.width() * sx, exposed.height() * sy
        )
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.smooth_at(zoom))
        painter.drawImage(exposed, level.image, source)


class PlaceholderItem(QGraphicsItem):
    """Centred text in screen-sized letters ("Image file missing: …")."""

    def __init__(self) -> None:
        super().__init__()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self._font = QFont()
        self._font.setPointSizeF(11)
        self._text = ""
        self._rect = QRectF()

    def show_text(self, text: str, center: QPointF) -> None:
        self.prepareGeometryChange()
        self._text = text
        metrics = QFontMetricsF(self._font)
        lines = text.splitlines() or [""]
        width = max(metrics.horizontalAdvance(line) for line in lines) + 24
        height = metrics.lineSpacing() * len(lines) + 16
        self._rect = QRectF(-width / 2, -height / 2, width, height)
        self.setPos(center)
        self.setVisible(True)

    def text(self) -> str:
        return self._text if self.isVisible() else ""

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._rect

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 150))
        painter.drawRoundedRect(self._rect, 6, 6)
        painter.setPen(PLACEHOLDER_TEXT)
        painter.setFont(self._font)
        painter.drawText(self._rect, Qt.AlignmentFlag.AlignCenter, self._text)
