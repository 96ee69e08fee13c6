"""The gallery's view: a grid of thumbnails that stays fast with 100,000 items.

A QListView in list mode whose items flow left to right and wrap is a grid; with uniform
item sizes it lays items out by arithmetic instead of measuring each one, and it asks the
model only for the rows on screen. (Icon mode draws the same grid, but its item bookkeeping
costs 20–60 ms of the GUI thread per scroll step at 100,000 items; list mode costs under 2.)
The delegate draws the whole cell, so nothing of icon mode is missed.

Rows are laid out in batches of 5,000 between events, so the first screen paints at once
(laying out 100,000 rows in one go holds the GUI thread for 150–250 ms) and the scroll range
grows to its full length within a fraction of a second.

While the user scrolls, the thumbnail workers are held back (see `ThumbnailLoader.hold`):
every frame of a fast scroll goes to drawing, and the thumbnails of the screen where the
scrolling stops come a moment later.

List mode lays out every row again whenever any row's data changes (115 ms at 100,000 rows,
for each batch of thumbnails that arrives). A cell's size never depends on its data here, so
the view skips that and only repaints.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QAbstractItemView, QListView, QWidget

from studio.gui.gallery_delegate import GalleryDelegate
from studio.gui.gallery_model import GalleryModel

THUMBNAIL_SIZE = QSize(160, 120)
SPACING = 8
LAYOUT_BATCH = 5_000
SCROLL_HOLD_MS = 120  # thumbnails wait until the scrolling has paused this long
EMPTY_HINTS = {
    False: "No project is open.\nOpen one with File → Open project… (Ctrl+O).",
    True: "This project has no images yet.\nAdd some with File → Import images… (Ctrl+I).",
}


class GalleryView(QListView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gallery")
        self.setViewMode(QListView.ViewMode.ListMode)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(LAYOUT_BATCH)
        self.setIconSize(THUMBNAIL_SIZE)
        self.setSpacing(SPACING)
        self.setItemDelegate(GalleryDelegate(THUMBNAIL_SIZE, self))
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setWordWrap(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalScrollBar().setSingleStep(THUMBNAIL_SIZE.height() // 3)
        self.setMouseTracking(True)
        self.verticalScrollBar().valueChanged.connect(self._hold_thumbnails)
        self.has_project = False

    def _hold_thumbnails(self) -> None:
        model = self.model()
        if isinstance(model, GalleryModel):
            model.hold_thumbnails(SCROLL_HOLD_MS)

    def dataChanged(  # noqa: N802
        self,
        top_left: QModelIndex | QPersistentModelIndex,
        bottom_right: QModelIndex | QPersistentModelIndex,
        roles: Sequence[int] = (),
    ) -> None:
        """Repaint the changed cells without QListView's relayout of every row."""
        QAbstractItemView.dataChanged(self, top_left, bottom_right, list(roles))

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
