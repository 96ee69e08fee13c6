"""How one gallery cell is drawn: the thumbnail centred in a fixed box, badges, the name.

The box is square (`thumbnail_size`, the gallery's size slider); the cell is at least the box
and its padding wide, and `fit_width` widens every cell alike so that a row of them fills the
view. The thumbnail fills its box, aspect ratio kept: the model's thumbnails are made for the
box (a small image already enlarged pixel by pixel, see `load_thumbnail`), and one made for
another size (while its replacement is on its way, or when the disk cache holds only a
smaller one) is scaled smoothly here.

Badges sit in the corners of the thumbnail box: the status (a coloured label) top left, the
number of annotations top right, and a dot in the colour of each class present bottom left.
Every cell has the same size whatever its thumbnail's shape, which keeps the names in a
line and lets the view use uniform item sizes (the size of a cell never depends on data that
arrives later).
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from studio.gui.gallery.model import GalleryModel

PADDING = 6
TEXT_GAP = 6
BADGE_INSET = 4
BADGE_PADDING = 4
CHIP_SIZE = 10
CHIP_GAP = 3
MAX_CHIPS = 6
STATUS_COLORS = {
    "new": QColor("#8a94a6"),
    "in_progress": QColor("#e0a526"),
    "done": QColor("#2fa05a"),
    "done_empty": QColor("#1f9e9a"),
    "reviewed": QColor("#3b7be0"),
    "rejected": QColor("#d64545"),
}
STATUS_BADGES = {
    "new": "NEW",
    "in_progress": "STARTED",
    "done": "DONE",
    "done_empty": "EMPTY",
    "reviewed": "REVIEWED",
    "rejected": "REJECTED",
}
BADGE_TEXT = QColor("#ffffff")
COUNT_BACKGROUND = QColor(20, 22, 26, 190)
CHIP_OUTLINE = QColor(255, 255, 255, 230)

AnyIndex = QModelIndex | QPersistentModelIndex


class GalleryDelegate(QStyledItemDelegate):
    def __init__(self, thumbnail_size: QSize, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.thumbnail_size = QSize(thumbnail_size)
        self._base_font: QFont | None = None
        self._badge_font = QFont()
        self._badge_metrics = QFontMetrics(self._badge_font)
        self._colors: dict[str, QColor] = {}
        self.columns = 1
        self._cell_width = self.narrowest_cell()

    def narrowest_cell(self) -> int:
        """The width of a cell with nothing to spare: the thumbnail box and its padding."""
        return self.thumbnail_size.width() + 2 * PADDING + 4

    def fit_width(self, available: int, spacing: int) -> bool:
        """Make cells as wide as a row `available` pixels wide shared by as many cells as fit
        (QListView puts `spacing` on both sides of each cell, and wraps a cell that would reach
        the row's last pixel); True if that changed the cells' width."""
        usable = available - 1
        columns = max(1, usable // (self.narrowest_cell() + 2 * spacing))
        width = max(self.narrowest_cell(), usable // columns - 2 * spacing)
        if columns == 1:
            width = min(width, max(1, usable - 2 * spacing))  # never wider than the view
        changed = width != self._cell_width
        self.columns, self._cell_width = columns, width
        return changed

    def cell_height(self, metrics: QFontMetrics) -> int:
        """Padding, thumbnail box, gap, one line of text in the font of `metrics`, padding."""
        return self.thumbnail_size.height() + TEXT_GAP + metrics.height() + 2 * PADDING

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:  # noqa: N802
        """The same for every cell (see `fit_width` and `cell_height`)."""
        return QSize(self._cell_width, self.cell_height(option.fontMetrics))

    def thumbnail_box(self, cell: QRect) -> QRect:
        """Where the thumbnail (and its badges) go inside the cell `cell`."""
        top_left = QPoint(
            cell.center().x() - self.thumbnail_size.width() // 2 + 1, cell.top() + PADDING
        )
        return QRect(top_left, self.thumbnail_size)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        """Draw one cell from `GalleryModel.cell` (one Python call, no per-role round trips)."""
        model = index.model()
        cell = model.cell(index.row()) if isinstance(model, GalleryModel) else None
        if cell is None:
            return
        painter.save()
        widget = option.widget
        if widget is not None:
            widget.style().drawPrimitive(
                QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, widget
            )
        box = self.thumbnail_box(option.rect)
        self._draw_thumbnail(painter, box, cell.decoration)
        self._use_font(option.font)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._draw_status(painter, box, cell.status)
        self._draw_count(painter, box, cell.annotation_count)
        self._draw_class_chips(painter, box, cell.class_colors)
        text_rect = QRect(
            option.rect.left() + PADDING,
            box.bottom() + TEXT_GAP,
            option.rect.width() - 2 * PADDING,
            option.fontMetrics.height(),
        )
        self._draw_label(painter, option, text_rect, cell.name)
        painter.restore()

    def _use_font(self, font: QFont) -> None:
        """Badges use a smaller bold copy of the view's font, made once per font."""
        if self._base_font is not None and self._base_font == font:
            return
        self._base_font = QFont(font)
        badge_font = QFont(font)
        badge_font.setPointSizeF(max(6.0, font.pointSizeF() * 0.75))
        badge_font.setBold(True)
        self._badge_font = badge_font
        self._badge_metrics = QFontMetrics(badge_font)

    def _color(self, name: str) -> QColor:
        color = self._colors.get(name)
        if color is None:
            color = self._colors[name] = QColor(name)
        return color

    def _draw_thumbnail(self, painter: QPainter, box: QRect, pixmap: object) -> None:
        """The thumbnail as large as its box allows, aspect ratio kept."""
        if not isinstance(pixmap, QPixmap) or pixmap.isNull():
            return
        size = pixmap.deviceIndependentSize().toSize()
        size.scale(box.size(), Qt.AspectRatioMode.KeepAspectRatio)
        target = QRect(QPoint(0, 0), size)
        target.moveCenter(box.center())
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawPixmap(target, pixmap)

    def _pill(self, painter: QPainter, rect: QRect, background: QColor, text: str) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(background)
        radius = rect.height() / 2.5
        painter.drawRoundedRect(QRectF(rect), radius, radius)
        painter.setPen(BADGE_TEXT)
        painter.setFont(self._badge_font)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)

    def _pill_rect(self, text: str) -> QRect:
        metrics = self._badge_metrics
        return QRect(0, 0, metrics.horizontalAdvance(text) + 2 * BADGE_PADDING, metrics.height())

    def _draw_status(self, painter: QPainter, box: QRect, status: object) -> None:
        if status is None:
            return
        text = STATUS_BADGES.get(str(status), str(status).upper())
        rect = self._pill_rect(text)
        rect.moveTopLeft(box.topLeft() + QPoint(BADGE_INSET, BADGE_INSET))
        self._pill(painter, rect, STATUS_COLORS.get(str(status), STATUS_COLORS["new"]), text)

    def _draw_count(self, painter: QPainter, box: QRect, count: object) -> None:
        if not isinstance(count, int) or count <= 0:
            return
        text = f"{count:,}"
        rect = self._pill_rect(text)
        rect.setWidth(max(rect.width(), rect.height()))
        rect.moveTopRight(box.topRight() + QPoint(-BADGE_INSET, BADGE_INSET))
        self._pill(painter, rect, COUNT_BACKGROUND, text)

    def _draw_class_chips(self, painter: QPainter, box: QRect, colors: object) -> None:
        if not isinstance(colors, list) or not colors:
            return
        left = box.left() + BADGE_INSET
        top = box.bottom() - BADGE_INSET - CHIP_SIZE
        painter.setPen(QPen(CHIP_OUTLINE, 1.5))
        for color in colors[:MAX_CHIPS]:
            painter.setBrush(self._color(color))
            painter.drawEllipse(QRectF(left, top, CHIP_SIZE, CHIP_SIZE))
            left += CHIP_SIZE + CHIP_GAP
        hidden = len(colors) - MAX_CHIPS
        if hidden > 0:
            text = f"+{hidden}"
            rect = self._pill_rect(text)
            rect.moveTopLeft(QPoint(left, top + (CHIP_SIZE - rect.height()) // 2))
            self._pill(painter, rect, COUNT_BACKGROUND, text)

    def _draw_label(
        self, painter: QPainter, option: QStyleOptionViewItem, rect: QRect, name: str
    ) -> None:
        text = option.fontMetrics.elidedText(name, Qt.TextElideMode.ElideMiddle, rect.width())
        painter.setFont(option.font)
        painter.setPen(option.palette.color(QPalette.ColorRole.Text))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
