"""A grid of images with captions; Enter or a double-click on one emits
`open_item_requested(item_id)` (the main window shows that item in the labeling canvas)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListView, QListWidget, QListWidgetItem, QWidget

ITEM_ID_ROLE = Qt.ItemDataRole.UserRole
KEY_ROLE = Qt.ItemDataRole.UserRole + 1
PLACEHOLDER = QColor(200, 200, 200)


@dataclass(frozen=True)
class GridEntry:
    key: object  # what the picture for this entry comes back with
    item_id: int
    caption: str
    tooltip: str = ""


def placeholder_icon(side: int) -> QIcon:
    pixmap = QPixmap(side, side)
    pixmap.fill(PLACEHOLDER)
    return QIcon(pixmap)


class ImageGrid(QListWidget):
    open_item_requested = Signal(int)

    def __init__(self, icon_side: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.icon_side = icon_side
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setIconSize(QSize(icon_side, icon_side))
        self.setGridSize(QSize(icon_side + 24, icon_side + 44))
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setWrapping(True)
        self.setWordWrap(True)
        self.setUniformItemSizes(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self._rows: dict[object, QListWidgetItem] = {}
        self._placeholder = placeholder_icon(icon_side)
        self.itemActivated.connect(self._activated)

    def set_entries(self, entries: Sequence[GridEntry]) -> None:
        self.clear()
        self._rows = {}
        for entry in entries:
            row = QListWidgetItem(self._placeholder, entry.caption)
            row.setData(ITEM_ID_ROLE, entry.item_id)
            row.setData(KEY_ROLE, entry.key)
            row.setToolTip(entry.tooltip or entry.caption)
            row.setTextAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            self.addItem(row)
            self._rows[entry.key] = row
        if entries:
            self.setCurrentRow(0)

    def set_image(self, key: object, image: QImage) -> None:
        row = self._rows.get(key)
        if row is not None and not image.isNull():
            row.setIcon(QIcon(QPixmap.fromImage(image)))

    def has_image(self, key: object) -> bool:
        row = self._rows.get(key)
        return row is not None and row.icon().cacheKey() != self._placeholder.cacheKey()

    def item_ids(self) -> list[int]:
        return [int(self.item(row).data(ITEM_ID_ROLE)) for row in range(self.count())]

    def current_item_id(self) -> int | None:
        row = self.currentItem()
        return None if row is None else int(row.data(ITEM_ID_ROLE))

    def current_key(self) -> object:
        row = self.currentItem()
        return None if row is None else row.data(KEY_ROLE)

    def open_current(self) -> None:
        item_id = self.current_item_id()
        if item_id is not None:
            self.open_item_requested.emit(item_id)

    def _activated(self, row: QListWidgetItem) -> None:
        self.open_item_requested.emit(int(row.data(ITEM_ID_ROLE)))
