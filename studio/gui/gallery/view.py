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

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QAction, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QListView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.gui.gallery.delegate import GalleryDelegate
from studio.gui.gallery.model import GalleryModel

THUMBNAIL_SIZE = QSize(160, 120)
SPACING = 8
LAYOUT_BATCH = 5_000
SCROLL_HOLD_MS = 120  # thumbnails wait until the scrolling has paused this long
NO_PROJECT_MESSAGE = "No project is open.\nOpen one with File → Open project… (Ctrl+O)."
NO_IMAGES_MESSAGE = "This project has no images yet.\nAdd some with File → Import images… (Ctrl+I)."
NO_MATCH_MESSAGE = "No image matches these filters."


class EmptyGalleryMessage(QWidget):
    """What an empty gallery says, over its viewport: no project, no images yet, or no image
    matching the filters, with a button that clears them."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("galleryEmptyMessage")
        self.text = QLabel(self)
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text.setWordWrap(True)
        self.clear_button = QToolButton(self)
        self.clear_button.setObjectName("clearFiltersButton")
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.text)
        layout.addWidget(self.clear_button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(1)
        self._clear_action: QAction | None = None
        self.clear_button.clicked.connect(self._clear)

    def offer(self, clear_action: QAction) -> None:
        self._clear_action = clear_action
        keys = clear_action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        self.clear_button.setText(f"Clear the filters ({keys})" if keys else "Clear the filters")

    def show_message(self, text: str, offer_clear: bool) -> None:
        self.text.setText(text)
        self.clear_button.setVisible(offer_clear and self._clear_action is not None)
        self.show()

    def _clear(self) -> None:
        if self._clear_action is not None:
            self._clear_action.trigger()


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
        self._has_project = False
        self.empty_message = EmptyGalleryMessage(self.viewport())

    @property
    def has_project(self) -> bool:
        return self._has_project

    @has_project.setter
    def has_project(self, value: bool) -> None:
        self._has_project = value
        self._update_empty_message()

    def offer_clear_filters(self, action: QAction) -> None:
        """The action that clears the gallery's filters: a button of the "no image matches"
        message triggers it, and names its shortcut."""
        self.empty_message.offer(action)
        self._update_empty_message()

    def setModel(self, model: QAbstractItemModel | None) -> None:  # noqa: N802
        super().setModel(model)
        if model is not None:
            for signal in (
                model.modelReset,
                model.layoutChanged,
                model.rowsInserted,
                model.rowsRemoved,
            ):
                signal.connect(self._update_empty_message)
        self._update_empty_message()

    def _update_empty_message(self) -> None:
        model = self.model()
        if model is not None and model.rowCount() > 0:
            self.empty_message.hide()
        elif not self._has_project:
            self.empty_message.show_message(NO_PROJECT_MESSAGE, offer_clear=False)
        elif isinstance(model, GalleryModel) and model.filtered:
            self.empty_message.show_message(NO_MATCH_MESSAGE, offer_clear=True)
        else:
            self.empty_message.show_message(NO_IMAGES_MESSAGE, offer_clear=False)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.empty_message.setGeometry(self.viewport().rect())

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
