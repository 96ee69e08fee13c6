"""The gallery's view: a grid of thumbnails that stays fast with 100,000 items.

Icon mode with `Static` movement and uniform item sizes makes QListView lay items out by
arithmetic instead of measuring each one, and it asks the model only for the rows on screen.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QAbstractItemView, QListView, QWidget

from studio.gui.gallery_delegate import GalleryDelegate

THUMBNAIL_SIZE = QSize(160, 120)
SPACING = 8
EMPTY_HINTS = {
    False: "No project is open.\nOpen one with File → Open project… (Ctrl+O).",
    True: "This project has no images yet.\nAdd some with File → Import images… (Ctrl+I).",
}


class GalleryView(QListView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gallery")
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)  # after IconMode, which sets Free
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setUniformItemSizes(True)
        self.setIconSize(THUMBNAIL_SIZE)
        self.setSpacing(SPACING)
        self.setItemDelegate(GalleryDelegate(THUMBNAIL_SIZE, self))
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setWordWrap(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalScrollBar().setSingleStep(THUMBNAIL_SIZE.height() // 3)
        self.setMouseTracking(True)
        self.has_project = False

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        super().paintEvent(event)
        model = self.model()
        if model is not None and model.rowCount() > 0:
            return
        painter = QPainter(self.viewport())
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(
            self.viewport().rect(), Qt.AlignmentFlag.AlignCenter, EMPTY_HINTS[self.has_project]
        )
        painter.end()
