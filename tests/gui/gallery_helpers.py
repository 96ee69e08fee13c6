"""Helpers shared by the gallery tests: selecting rows by item id, reading the selection."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QItemSelection, QItemSelectionModel
from PySide6.QtWidgets import QAbstractItemView

from studio.gui.gallery.model import GalleryModel


def gallery_model(view: QAbstractItemView) -> GalleryModel:
    model = view.model()
    assert isinstance(model, GalleryModel)
    return model


def select_ids(view: QAbstractItemView, item_ids: Iterable[int]) -> None:
    """Make exactly the rows of `item_ids` selected."""
    model = gallery_model(view)
    selection = QItemSelection()
    for item_id in item_ids:
        row = model.row_of(item_id)
        assert row is not None, f"item {item_id} is not in the gallery"
        selection.select(model.index(row), model.index(row))
    view.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)


def selected_ids(view: QAbstractItemView) -> set[int]:
    model = gallery_model(view)
    return {model.item_id(index.row()) for index in view.selectionModel().selectedIndexes()}


def make_current(view: QAbstractItemView, item_id: int) -> None:
    """Make `item_id`'s row the current one without changing the selection."""
    model = gallery_model(view)
    index = model.index(model.row_of(item_id))
    view.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.NoUpdate)
