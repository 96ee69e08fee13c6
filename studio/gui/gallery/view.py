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

The grid fills the pane: the thumbnail size (a square box, `set_thumbnail_side`, Ctrl+wheel)
sets the narrowest a cell may be, the viewport's width the number of columns, and the cells
share out the rest of the width, so there is never a ragged gap at the right nor a horizontal
scroll bar.

A single click opens the image (`activated`), as in labelme and CVAT; Ctrl- and Shift-click
only change the selection, and a drag only draws the rubber band. When the gallery has the
keyboard, the arrows, Home/End and PageUp/PageDown move through the grid in two dimensions
(the window's Left/Right/PageUp/PageDown "previous/next image" keys wait until it gives the
keyboard back) and Enter opens the current cell.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QMouseEvent, QResizeEvent, QWheelEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QListView,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.gui.gallery.delegate import GalleryDelegate
from studio.gui.gallery.model import GalleryModel

DEFAULT_THUMBNAIL_SIDE = 128
MIN_THUMBNAIL_SIDE = 48
MAX_THUMBNAIL_SIDE = 320
THUMBNAIL_STEP = 16  # one Ctrl+wheel notch, one key press, one page of the slider
THUMBNAIL_SIZE = QSize(DEFAULT_THUMBNAIL_SIDE, DEFAULT_THUMBNAIL_SIDE)  # the default box
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


def clamped_side(side: int) -> int:
    """A thumbnail side within the gallery's range."""
    return max(MIN_THUMBNAIL_SIDE, min(MAX_THUMBNAIL_SIDE, int(side)))


# Keys the grid keeps for itself while it has the keyboard (some are window shortcuts too):
# the moves, alone or with Ctrl or Shift (which extend the selection), and a plain Enter.
MOVE_KEYS = {
    Qt.Key.Key_Left,
    Qt.Key.Key_Right,
    Qt.Key.Key_Up,
    Qt.Key.Key_Down,
    Qt.Key.Key_Home,
    Qt.Key.Key_End,
    Qt.Key.Key_PageUp,
    Qt.Key.Key_PageDown,
}
OPEN_KEYS = {Qt.Key.Key_Return, Qt.Key.Key_Enter}
SELECTING = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
WHEEL_NOTCH = 120  # angleDelta of one wheel notch; touchpads send fractions of it
CLICK_SLOP = 4  # pixels a press may move and still count as a click


class GalleryView(QListView):
    thumbnail_side_changed = Signal(int)

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
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._delegate = GalleryDelegate(THUMBNAIL_SIZE, self)
        self.setItemDelegate(self._delegate)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setWordWrap(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalScrollBar().setSingleStep(THUMBNAIL_SIZE.height() // 3)
        self.setMouseTracking(True)
        self.verticalScrollBar().valueChanged.connect(self._hold_thumbnails)
        self._has_project = False
        self._press: tuple[QPoint, bool] | None = None  # where a left press was, and if plain
        self._wheel_rest = 0  # Ctrl+wheel turned less than a notch so far
        self.empty_message = EmptyGalleryMessage(self.viewport())

    # -- thumbnail size and the grid ---------------------------------------------------------

    @property
    def thumbnail_side(self) -> int:
        return self._delegate.thumbnail_size.width()

    def set_thumbnail_side(self, side: int) -> None:
        """Draw thumbnails in a `side`×`side` box (clamped to the allowed range); the model
        makes its thumbnails for that box, and the grid finds its new number of columns."""
        side = clamped_side(side)
        if side == self.thumbnail_side:
            return
        size = QSize(side, side)
        self._delegate.thumbnail_size = size
        self.setIconSize(size)
        self.verticalScrollBar().setSingleStep(side // 3)
        model = self.model()
        if isinstance(model, GalleryModel):
            model.set_thumbnail_size(size)
        self._fit_cells()
        self.scheduleDelayedItemsLayout()  # the cells' height changed, if not their width
        self.thumbnail_side_changed.emit(side)

    def _fit_cells(self) -> None:
        """Share the width out between the columns, and tell the model how many cells a
        screen shows (it fetches that many rows at once)."""
        self._delegate.fit_width(self._layout_width(), SPACING)
        model = self.model()
        if isinstance(model, GalleryModel):
            row_height = self._delegate.cell_height(self.fontMetrics()) + 2 * SPACING
            rows = -(-self.viewport().height() // row_height) + 1  # a part row at each edge
            model.set_screenful(rows * self._delegate.columns)

    def _layout_width(self) -> int:
        """The width QListView lays a wrapping row out in: the viewport's width with room
        for the vertical scroll bar, whether it shows or not (so the scroll bar coming and
        going never changes the number of columns)."""
        extent = 0
        if not self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollView_ScrollBarOverlap):
            extent = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        return self.maximumViewportSize().width() - extent

    def columns(self) -> int:
        """How many cells a row of the grid holds at the present width and thumbnail size."""
        return self._delegate.columns

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        """Ctrl+wheel makes the thumbnails bigger or smaller; the wheel alone scrolls."""
        if not event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            super().wheelEvent(event)
            return
        self._wheel_rest += event.angleDelta().y()
        notches = int(self._wheel_rest / WHEEL_NOTCH)  # towards zero: a touchpad's fractions add up
        self._wheel_rest -= notches * WHEEL_NOTCH
        if notches:
            self.set_thumbnail_side(self.thumbnail_side + notches * THUMBNAIL_STEP)
        event.accept()

    # -- clicks and keys ---------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            plain = not event.modifiers() & SELECTING
            self._press = (event.position().toPoint(), plain)
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        """A plain click on a cell opens it (`activated`), after the selection follows it.

        A double click still opens the cell a second time, as QListView does: opening the
        shown image again costs nothing, and hands the keyboard back to the canvas, which
        the double click's second press took."""
        press, self._press = self._press, None
        super().mouseReleaseEvent(event)
        if event.button() != Qt.MouseButton.LeftButton or press is None:
            return
        where, plain = press
        position = event.position().toPoint()
        moved = (position - where).manhattanLength() > CLICK_SLOP
        index = self.indexAt(position)
        if not plain or moved or not index.isValid() or index != self.indexAt(where):
            return
        if not self._style_opens_on_click():
            self.activated.emit(index)

    def _style_opens_on_click(self) -> bool:
        """Some styles (KDE's) make Qt itself emit `activated` on a single click."""
        hint = QStyle.StyleHint.SH_ItemView_ActivateItemOnSingleClick
        return bool(self.style().styleHint(hint, None, self))

    def moveCursor(  # noqa: N802
        self, action: QAbstractItemView.CursorAction, modifiers: Qt.KeyboardModifier
    ) -> QModelIndex:
        """PageUp and PageDown move a screenful of rows straight up or down (QListView's own
        search for a cell a viewport away can land in the gap between rows and stay put)."""
        pages = {
            QAbstractItemView.CursorAction.MovePageDown: 1,
            QAbstractItemView.CursorAction.MovePageUp: -1,
        }
        model, current = self.model(), self.currentIndex()
        if action not in pages or model is None or not current.isValid():
            return super().moveCursor(action, modifiers)
        row_height = max(1, self.visualRect(current).height() + 2 * SPACING)
        rows = max(1, self.viewport().height() // row_height)
        target = current.row() + pages[action] * rows * self.columns()
        column = current.row() % self.columns()
        if target < 0:
            target = column
        elif target >= model.rowCount():
            target = model.rowCount() - 1
        return model.index(target, 0)

    def event(self, event: QEvent) -> bool:
        """While the grid has the keyboard, its navigation keys move in the grid rather than
        trigger window shortcuts that share them (Left/Right: previous/next image)."""
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
            moving = event.key() in MOVE_KEYS and not modifiers & ~SELECTING
            if moving or (event.key() in OPEN_KEYS and not modifiers):
                event.accept()
                return True
        return super().event(event)

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
        self._fit_cells()
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
        self._fit_cells()
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
