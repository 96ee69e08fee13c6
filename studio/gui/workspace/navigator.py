"""Moving through the gallery's items: open, next, previous, next new, and the position.

The order is the gallery's (its filters and sort), so "next" is the thumbnail after the one
shown, unless the navigator `follow`s another order of item ids (the uncertainty queue, Data ▸
Follow the uncertainty queue): then next and previous walk that order. Opening an item makes
it the gallery's current, selected row and scrolls to it.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QObject, QTimer, Signal
from PySide6.QtWidgets import QAbstractItemView

from studio.gui.gallery.model import GalleryModel

NEW_STATUS = "new"


class ItemNavigator(QObject):
    item_requested = Signal(object)  # int | None: the item to show
    position_changed = Signal(int, int)  # row of the shown item (-1: none or filtered out), rows

    def __init__(
        self, view: QAbstractItemView, model: GalleryModel, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._view = view
        self._model = model
        self._item_id: int | None = None
        self._order: list[int] | None = None  # item ids next/previous walk instead of rows
        view.activated.connect(self._activated)
        # The model signals rows mid-change; the position is read once the change is over.
        self._position_timer = QTimer(self)
        self._position_timer.setSingleShot(True)
        self._position_timer.setInterval(0)
        self._position_timer.timeout.connect(self._report_position)
        for signal in (
            model.modelReset,
            model.layoutChanged,
            model.rowsInserted,
            model.rowsRemoved,
        ):
            signal.connect(self._position_timer.start)

    @property
    def model(self) -> GalleryModel:
        return self._model

    @property
    def item_id(self) -> int | None:
        return self._item_id

    def row(self) -> int | None:
        """The gallery row of the shown item (None if none is shown or it is filtered out)."""
        return self._model.row_of(self._item_id) if self._item_id is not None else None

    def open_row(self, row: int, select: bool = True) -> bool:
        """Show the item of `row`; it becomes the gallery's current row (and its selection,
        unless `select` is False)."""
        if not 0 <= row < self._model.rowCount():
            return False
        index = self._model.index(row)
        selection = self._view.selectionModel()
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect
        if not select:
            flags = QItemSelectionModel.SelectionFlag.NoUpdate
        selection.setCurrentIndex(index, flags)
        self._view.scrollTo(index)
        self._show(self._model.item_id(row))
        return True

    def open_item(self, item_id: int | None) -> bool:
        """Show `item_id`, selecting its thumbnail when the gallery lists it."""
        row = self._model.row_of(item_id) if item_id is not None else None
        if row is not None:
            return self.open_row(row)
        self._show(item_id)
        return item_id is not None

    def follow(self, order: Sequence[int] | None) -> None:
        """Make next and previous walk `order` (item ids) instead of the gallery's rows; None
        goes back to the gallery's order."""
        self._order = None if order is None else list(order)

    @property
    def following(self) -> bool:
        return self._order is not None

    def next(self) -> bool:
        if self._order is not None:
            return self._step_in_order(1)
        return self.open_row(self._anchor_row(1))

    def previous(self) -> bool:
        if self._order is not None:
            return self._step_in_order(-1)
        return self.open_row(self._anchor_row(-1))

    def upcoming_ids(self, count: int) -> list[int]:
        """The ids of the (at most) `count` items that next opens after the shown one."""
        if self._order is not None:
            return self._order[self._order_position() + 1 :][:count]
        row = self.row()
        if row is None:
            return []
        last = min(row + count, self._model.rowCount() - 1)
        return [self._model.item_id(later) for later in range(row + 1, last + 1)]

    def _order_position(self) -> int:
        """The shown item's place in the followed order; -1 when it is not in it."""
        order = self._order or []
        return order.index(self._item_id) if self._item_id in order else -1

    def _step_in_order(self, step: int) -> bool:
        order = self._order or []
        position = self._order_position() + step
        if self._order_position() < 0:
            position = 0 if step > 0 else -1
        return 0 <= position < len(order) and self.open_item(order[position])

    def previous_item_id(self) -> int | None:
        """The item before the shown one in the gallery (the source of "copy previous")."""
        row = self.row()
        return self._model.item_id(row - 1) if row is not None and row > 0 else None

    def next_new(self, new_ids: set[int]) -> bool:
        """Open the next item (after the shown one, wrapping) whose id is in `new_ids`."""
        count = self._model.rowCount()
        start = self.row()
        first = 0 if start is None else start + 1
        for offset in range(count):
            row = (first + offset) % count
            if row != start and self._model.item_id(row) in new_ids:
                return self.open_row(row)
        return False

    def forget(self) -> None:
        """Nothing is shown any more (another project, or the item was removed)."""
        self._item_id = None
        self._report_position()

    def _anchor_row(self, step: int) -> int:
        row = self.row()
        if row is None:
            current = self._view.currentIndex()
            return current.row() if current.isValid() else 0
        return row + step

    def _activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_row(index.row())

    def _show(self, item_id: int | None) -> None:
        self._item_id = item_id
        self.item_requested.emit(item_id)
        self._report_position()

    def _report_position(self) -> None:
        row = self.row()
        self.position_changed.emit(-1 if row is None else row, self._model.rowCount())
