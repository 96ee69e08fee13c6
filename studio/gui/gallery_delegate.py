"""How one gallery cell is drawn: the thumbnail centred in a fixed box, a status dot, the name.

Every cell has the same size whatever its thumbnail's shape, which keeps the names in a
line and lets the view use uniform item sizes (the size of a cell never depends on data that
arrives later).
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from studio.gui.gallery_model import GalleryModel

PADDING = 6
TEXT_GAP = 6
DOT_SIZE = 8
STATUS_COLORS = {
    "new": QColor("#8a94a6"),
    "in_progress": QColor("#e0a526"),
    "done": QColor("#2fa05a"),
    "done_empty": QColor("#1f9e9a"),
    "reviewed": QColor("#3b7be0"),
    "rejected": QColor("#d64545"),
}


class GalleryDelegate(QStyledItemDelegate):
    def __init__(self, thumbnail_size: QSize, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.thumbnail_size = QSize(thumbnail_size)

    def sizeHint(  # noqa: N802
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        """The same for every cell: padding, thumbnail box, gap, one line of text, padding."""
        width = self.thumbnail_size.width() + 2 * PADDING + 4
        height = self.thumbnail_size.height() + TEXT_GAP + option.fontMetrics.height()
        return QSize(width, height + 2 * PADDING)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        style_option = QStyleOptionViewItem(option)
        self.initStyleOption(style_option, index)
        widget = style_option.widget
        style = widget.style() if widget is not None else None
        painter.save()
        if style is not None:
            style_option.text = ""
            style_option.icon = QIcon()
            style.drawPrimitive(
                QStyle.PrimitiveElement.PE_PanelItemViewItem, style_option, painter, widget
            )
        box = QRect(
            QPoint(
                option.rect.center().x() - self.thumbnail_size.width() // 2 + 1,
                option.rect.top() + PADDING,
            ),
            self.thumbnail_size,
        )
        self._draw_thumbnail(painter, box, index.data(Qt.ItemDataRole.DecorationRole))
        text_rect = QRect(
            option.rect.left() + PADDING,
            box.bottom() + TEXT_GAP,
            option.rect.width() - 2 * PADDING,
            option.fontMetrics.height(),
        )
        self._draw_label(painter, option, text_rect, index)
        painter.restore()

    def _draw_thumbnail(self, painter: QPainter, box: QRect, pixmap: object) -> None:
        if not isinstance(pixmap, QPixmap) or pixmap.isNull():
            return
        size = pixmap.deviceIndependentSize().toSize()
        size.scale(box.size(), Qt.AspectRatioMode.KeepAspectRatio)
        if size.width() > pixmap.width() or size.height() > pixmap.height():
            size = pixmap.deviceIndependentSize().toSize()  # never enlarge a small image
        target = QRect(QPoint(0, 0), size)
        target.moveCenter(box.center())
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawPixmap(target, pixmap)

    def _draw_label(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        rect: QRect,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        name = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        status = index.data(GalleryModel.StatusRole)
        metrics = option.fontMetrics
        text_space = rect.width() - DOT_SIZE - TEXT_GAP
        text = metrics.elidedText(name, Qt.TextElideMode.ElideMiddle, text_space)
        content_width = DOT_SIZE + TEXT_GAP + metrics.horizontalAdvance(text)
        left = rect.left() + (rect.width() - content_width) // 2
        dot = QRect(left, rect.center().y() - DOT_SIZE // 2 + 1, DOT_SIZE, DOT_SIZE)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(STATUS_COLORS.get(str(status), STATUS_COLORS["new"]))
        painter.drawEllipse(dot)
        painter.setPen(option.palette.color(QPalette.ColorRole.Text))
        text_rect = QRect(dot.right() + TEXT_GAP + 1, rect.top(), rect.width(), rect.height())
        painter.drawText(
            text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text
        )
