"""What every annotation shape on the canvas shares: style, selection, caption, hit tests.

A shape item draws one `AnnotationRecord` in scene coordinates, which are image pixels. It
never changes the project: tools ask it for edited geometry (`translated`, `with_vertex_moved`)
and show live feedback through `set_geometry`; the canvas emits the result, and the project's
answer comes back through `Canvas.set_annotations`, which replaces the item.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from studio.core.classes import KeypointSchema
from studio.core.records import AnnotationRecord
from studio.gui.canvas.geometry_edit import Bounds, VertexRef
from studio.gui.canvas.shapes.handles import HANDLE_PIXELS

OUTLINE_PIXELS = 2.0
SELECTED_OUTLINE_PIXELS = 3.0
DEFAULT_OPACITY = 0.3
NO_KEYPOINTS = KeypointSchema()  # a class that names no keypoints
CAPTION_FONT_POINTS = 8.5


@dataclass(frozen=True)
class ShapeStyle:
    """How a shape looks: its class colour, fill opacity, dashed outline, caption text, and
    for keypoints their class's point names and skeleton."""

    color: QColor
    opacity: float = DEFAULT_OPACITY
    dashed: bool = False
    caption: str = ""
    keypoints: KeypointSchema = NO_KEYPOINTS


def style_for(
    record: AnnotationRecord,
    color: QColor,
    opacity: float,
    keypoints: KeypointSchema = NO_KEYPOINTS,
) -> ShapeStyle:
    """Pending suggestions are drawn dashed (whatever made them); a score goes in the caption.

    An accepted suggestion is drawn like a person's shape: the dash means "still to review",
    not "made by a machine" (ADR 0030).
    """
    caption = record.label
    if record.score is not None:
        caption += f" {record.score:.2f}"
    return ShapeStyle(QColor(color), opacity, record.is_pending, caption, keypoints)


def text_color_on(background: QColor) -> QColor:
    """Black or white, whichever reads better on `background`."""
    luminance = 0.299 * background.red() + 0.587 * background.green() + 0.114 * background.blue()
    return QColor("black") if luminance > 150 else QColor("white")


class CaptionItem(QGraphicsItem):
    """The class name (and score) beside a shape, the same size at every zoom."""

    def __init__(self, parent: QGraphicsItem) -> None:
        super().__init__(parent)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self._text = ""
        self._color = QColor("gray")
        self._font = QFont()
        self._font.setPointSizeF(CAPTION_FONT_POINTS)
        self._rect = QRectF()

    def set_text(self, text: str, color: QColor) -> None:
        self.prepareGeometryChange()
        self._text, self._color = text, QColor(color)
        metrics = QFontMetricsF(self._font)
        width = metrics.horizontalAdvance(text) + 8 if text else 0.0
        self._rect = QRectF(0, -metrics.height() - 2, width, metrics.height() + 2)
        self.setVisible(bool(text))

    def text(self) -> str:
        return self._text

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._rect

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self._color)
        painter.drawRoundedRect(self._rect, 2, 2)
        painter.setPen(text_color_on(self._color))
        painter.setFont(self._font)
        painter.drawText(self._rect, Qt.AlignmentFlag.AlignCenter, self._text)


class ShapeItem(QGraphicsItem):
    """Base of the box, polygon, mask and keypoints items."""

    kind: ClassVar[str] = ""
    # What the select tool says when removing a vertex would leave too few.
    too_few_points: ClassVar[str] = "A polygon ring needs at least 3 points"

    def __init__(self, record: AnnotationRecord, style: ShapeStyle) -> None:
        super().__init__()
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.record = record
        self._geometry: Any = record.geometry
        self._style = style
        self._selected = False
        self._hover_vertex: VertexRef | None = None
        self._view_scale = 1.0
        self.caption = CaptionItem(self)
        self._geometry_changed()
        self._update_caption()

    # -- state ---------------------------------------------------------------------------

    @property
    def annotation_id(self) -> int:
        return self.record.id

    @property
    def style(self) -> ShapeStyle:
        return self._style

    def geometry(self) -> Any:
        """The geometry as drawn now (the record's, or live feedback during a drag)."""
        return self._geometry

    def set_geometry(self, geometry: Any) -> None:
        self.prepareGeometryChange()
        self._geometry = geometry
        self._geometry_changed()
        self._update_caption()
        self.update()

    def set_style(self, style: ShapeStyle) -> None:
        if style == self._style:
            return  # a mask re-tints its pixels on a change: not on every refresh
        self._style = style
        self._style_changed()
        self._update_caption()
        self.update()

    def is_selected(self) -> bool:
        return self._selected

    def set_selected(self, selected: bool) -> None:
        if selected != self._selected:
            self._selected = selected
            self.setZValue(self.zValue() + (0.5 if selected else -0.5))
            self.update()

    def set_hover_vertex(self, vertex: VertexRef | None) -> None:
        if vertex != self._hover_vertex:
            self._hover_vertex = vertex
            self.update()

    def set_view_scale(self, scale: float) -> None:
        """The view's zoom: handles and hit margins are sized in screen pixels."""
        self.prepareGeometryChange()
        self._view_scale = scale

    # -- geometry questions (overridden per kind) ----------------------------------------

    def bounds(self) -> Bounds | None:
        raise NotImplementedError

    def move_bounds(self) -> Bounds | None:
        """What a move must keep inside the image: the whole shape, unless a kind says less."""
        return self.bounds()

    def hit(self, x: float, y: float, tolerance: float) -> bool:
        raise NotImplementedError

    def intersects(self, rect: QRectF) -> bool:
        bounds = self.bounds()
        if bounds is None:
            return False
        x0, y0, x1, y1 = bounds
        return rect.intersects(QRectF(x0, y0, max(x1 - x0, 1e-6), max(y1 - y0, 1e-6)))

    def translated(self, dx: float, dy: float) -> Any:
        raise NotImplementedError

    def vertex_at(self, x: float, y: float, tolerance: float) -> VertexRef | None:
        return None

    def with_vertex_moved(self, vertex: VertexRef, x: float, y: float) -> Any:
        raise NotImplementedError(f"a {self.kind} has no vertices")

    def without_vertex(self, vertex: VertexRef) -> Any:
        """The geometry without one vertex, or None when the shape cannot lose it."""
        return None

    def restore(self) -> None:
        """Undo live feedback that was never committed: back to the record's geometry."""
        if not self.pos().isNull():
            self.setPos(0, 0)
        if self._geometry != self.record.geometry:
            self.set_geometry(self.record.geometry)

    # -- drawing -------------------------------------------------------------------------

    def boundingRect(self) -> QRectF:  # noqa: N802
        bounds = self.bounds()
        if bounds is None:
            return QRectF()
        margin = (HANDLE_PIXELS + SELECTED_OUTLINE_PIXELS) / max(self._view_scale, 1e-6)
        x0, y0, x1, y1 = bounds
        return QRectF(x0, y0, x1 - x0, y1 - y0).adjusted(-margin, -margin, margin, margin)

    def outline_pen(self) -> QPen:
        width = SELECTED_OUTLINE_PIXELS if self._selected else OUTLINE_PIXELS
        pen = QPen(self._style.color, width)
        pen.setCosmetic(True)
        pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
        if self._style.dashed:
            pen.setStyle(Qt.PenStyle.DashLine)
        return pen

    def fill_brush(self) -> QBrush:
        fill = QColor(self._style.color)
        boost = 0.15 if self._selected else 0.0
        fill.setAlphaF(min(1.0, max(0.0, self._style.opacity + boost)))
        return QBrush(fill)

    def caption_anchor(self) -> QPointF:
        bounds = self.bounds()
        return QPointF(bounds[0], bounds[1]) if bounds else QPointF()

    def _update_caption(self) -> None:
        self.caption.set_text(self._style.caption, self._style.color)
        self.caption.setPos(self.caption_anchor())

    def _geometry_changed(self) -> None:
        """Hook: recompute caches that follow from the geometry."""

    def _style_changed(self) -> None:
        """Hook: recompute caches that follow from the style."""
