"""The gallery as one widget: the filter bar over the thumbnail view, on one model, and a
thumbnail-size slider under it (remembered in the user's settings).

Other views show images through the pane, never by reaching into the window: `select(ids)`
selects what the evaluation's "top confusions" point at, `reveal(id)` makes one item current
(clearing a filter that hides it) and emits `revealed`, which the window connects to the
labeling canvas.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QSettings, QSize, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from studio.api import Project
from studio.core.errors import StudioError
from studio.core.wording import counted
from studio.gui.gallery.filters import GalleryFilterBar
from studio.gui.gallery.model import GalleryModel
from studio.gui.gallery.thumbnail_loader import ThumbnailLoader
from studio.gui.gallery.view import (
    DEFAULT_THUMBNAIL_SIDE,
    MAX_THUMBNAIL_SIDE,
    MIN_THUMBNAIL_SIDE,
    THUMBNAIL_STEP,
    GalleryView,
    clamped_side,
)

THUMBNAIL_SIDE_SETTING = "gallery/thumbnail_side"


class GalleryPane(QWidget):
    message = Signal(str)  # a short note for the status bar (a filter the model refused)
    revealed = Signal(int)  # `reveal` made this item current: show it

    def __init__(self, settings: QSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("galleryPane")
        self.settings = settings if settings is not None else QSettings()
        side = self._remembered_side()
        self.loader = ThumbnailLoader(
            QSize(side, side), parent=self, pixel_ratio=self.devicePixelRatioF()
        )
        self.model = GalleryModel(self.loader, parent=self)
        self.view = GalleryView()
        self.view.setModel(self.model)
        self.view.set_thumbnail_side(side)
        self.filter_bar = GalleryFilterBar()
        self.filter_bar.query_changed.connect(self._apply_query)
        self.view.offer_clear_filters(self.filter_bar.clear_action)
        self.size_slider = self._build_size_slider(side)
        self.view.thumbnail_side_changed.connect(self._thumbnail_side_changed)
        size_row = QHBoxLayout()
        size_row.setContentsMargins(6, 2, 6, 2)
        size_row.addStretch(1)
        size_row.addWidget(QLabel("Size", self))
        size_row.addWidget(self.size_slider)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.filter_bar)
        layout.addWidget(self.view, 1)
        layout.addLayout(size_row)

    # -- thumbnail size ----------------------------------------------------------------------

    def _remembered_side(self) -> int:
        try:
            side = int(self.settings.value(THUMBNAIL_SIDE_SETTING, DEFAULT_THUMBNAIL_SIDE))
        except (TypeError, ValueError):
            side = DEFAULT_THUMBNAIL_SIDE  # a hand-edited setting that is not a number
        return clamped_side(side)

    def _build_size_slider(self, side: int) -> QSlider:
        slider = QSlider(Qt.Orientation.Horizontal, self)
        slider.setObjectName("thumbnailSizeSlider")
        slider.setRange(MIN_THUMBNAIL_SIDE, MAX_THUMBNAIL_SIDE)
        slider.setSingleStep(THUMBNAIL_STEP)
        slider.setPageStep(THUMBNAIL_STEP)
        slider.setValue(side)
        slider.setFixedWidth(140)
        slider.setToolTip("Thumbnail size (Ctrl+wheel over the gallery)")
        slider.valueChanged.connect(self._slider_moved)
        return slider

    def _slider_moved(self, value: int) -> None:
        """The slider snaps to whole steps: each size costs a new layout and thumbnails."""
        self.view.set_thumbnail_side(round(value / THUMBNAIL_STEP) * THUMBNAIL_STEP)

    def _thumbnail_side_changed(self, side: int) -> None:
        self.size_slider.setValue(side)
        self.settings.setValue(THUMBNAIL_SIDE_SETTING, side)

    def bigger_thumbnails(self) -> None:
        self.view.set_thumbnail_side(self.view.thumbnail_side + THUMBNAIL_STEP)

    def smaller_thumbnails(self) -> None:
        self.view.set_thumbnail_side(self.view.thumbnail_side - THUMBNAIL_STEP)

    # -- the project --------------------------------------------------------------------

    @property
    def project(self) -> Project | None:
        return self.model.project

    def set_project(self, project: Project | None) -> None:
        self.model.set_project(project)
        self.filter_bar.set_classes(project.classes() if project is not None else [])
        self.view.has_project = project is not None

    def refresh(self) -> None:
        """Re-read the items and the classes the filter offers (after any change)."""
        self.model.refresh()
        if self.project is not None:
            self.filter_bar.set_classes(self.project.classes())

    def _apply_query(self, query: dict) -> None:
        try:
            self.model.set_query(**query)
        except ValueError as error:
            self.message.emit(f"Filter: {error}")

    def selected_ids(self) -> list[int]:
        """The selected items in gallery order."""
        rows = sorted(index.row() for index in self.view.selectionModel().selectedIndexes())
        return [self.model.item_id(row) for row in rows]

    def select(self, item_ids: Iterable[int]) -> str:
        """Select these items (those the current filter shows) and make the first current;
        returns what was done, for the status bar."""
        wanted = [int(item_id) for item_id in item_ids]
        rows = [row for row in (self.model.row_of(i) for i in wanted) if row is not None]
        selection = QItemSelection()
        for row in rows:
            selection.select(self.model.index(row), self.model.index(row))
        selection_model = self.view.selectionModel()
        selection_model.select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        if rows:
            first = self.model.index(rows[0])
            selection_model.setCurrentIndex(first, QItemSelectionModel.SelectionFlag.NoUpdate)
            self.view.scrollTo(first)
        missing = len(wanted) - len(rows)
        note = f" ({missing:,} hidden by the gallery's filter)" if missing else ""
        return f"{counted(len(rows), 'image')} selected{note}"

    def reveal(self, item_id: int) -> str:
        """Make `item_id` the selected, current thumbnail, clearing the filters first when
        they hide it, and emit `revealed`. "" when done, else why not (for the status bar)."""
        project = self.project
        if project is None:
            return "No project is open"
        try:
            project.item(int(item_id))
        except StudioError:
            return f"Image {item_id} is not in the project any more"
        if self.model.row_of(int(item_id)) is None:
            self.filter_bar.clear_filters()
        row = self.model.row_of(int(item_id))
        if row is not None:
            index = self.model.index(row)
            self.view.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect
            )
            self.view.scrollTo(index)
        self.revealed.emit(int(item_id))
        return ""
