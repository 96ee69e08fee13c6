"""Data ▸ Duplicates…: groups of identical and near-identical images, to review.

The search (`Project.data_health.find_duplicates`, hashes from the user's cache) and the
thumbnails run on the window's one background mechanism, `TaskRunner`. Groups are rows of a
Qt item model, each with its images as children (thumbnail, file, size). Choosing a group
selects its items in the gallery; "Keep this one" removes the group's other items from the
project (one undoable edit, like any item removal); "Not duplicates" remembers the group in
the project's `not_duplicates` setting, so it is not listed or warned about again.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from studio.api import DuplicateGroup, DuplicateOptions, DuplicateReport, Project
from studio.core.duplicates import DEFAULT_THRESHOLD, HASH_BITS
from studio.core.errors import StudioError
from studio.core.thumbnails import ThumbnailCache, ThumbnailError
from studio.core.wording import counted
from studio.gui.task_runner import Progress, TaskRunner, stop_when_cancelled
from studio.gui.tool_window import TOOL_WINDOW, add_close_keys

ICON_SIZE = 96
GROUP_ROLE = Qt.ItemDataRole.UserRole + 1  # a group row's DuplicateGroup
ITEM_ROLE = Qt.ItemDataRole.UserRole + 2  # an image row's item id


@dataclass(frozen=True)
class FoundDuplicates:
    """What the background search hands the window: the report, each listed item's path,
    and the thumbnail file of each (None when it cannot be read)."""

    report: DuplicateReport
    paths: dict[int, str]
    thumbnails: dict[int, str | None]


def search(project: Project, options: DuplicateOptions, progress: Progress) -> FoundDuplicates:
    """The duplicate groups, with their items' paths and thumbnails (made when missing)."""
    report = project.data_health.find_duplicates(options, progress)
    listed = [item_id for group in report.groups for item_id in group.item_ids]
    cache = ThumbnailCache()
    paths, thumbnails = {}, {}
    for item in project.items_by_ids(listed):
        paths[item.id] = item.path
        try:
            thumbnails[item.id] = str(cache.thumbnail(project.media_path(item), item.sha256))
        except ThumbnailError:
            thumbnails[item.id] = None
    return FoundDuplicates(report, paths, thumbnails)


class DuplicatesWindow(QWidget):
    """The groups, a threshold, and the three decisions on the chosen group."""

    items_requested = Signal(list)  # item ids to select in the gallery
    edited = Signal(str)  # items were removed: a status-bar note (the window refreshes)

    def __init__(self, project: Project, parent: QWidget | None = None) -> None:
        super().__init__(parent, TOOL_WINDOW)
        self.setObjectName("duplicatesWindow")
        self.setWindowTitle("Duplicates")
        add_close_keys(self)
        self.project = project
        self.runner = TaskRunner(self)
        self.runner.finished.connect(self._show)
        self.runner.failed.connect(self._failed)
        self.threshold = QSpinBox()
        self.threshold.setRange(0, HASH_BITS // 2)
        self.threshold.setValue(DEFAULT_THRESHOLD)
        self.threshold.setToolTip("Most differing bits of the 64-bit perceptual hash")
        self.find_button = QPushButton("Find")
        self.find_button.clicked.connect(self.find)
        self.summary = QLabel()
        self.model = QStandardItemModel(self)
        self.view = QTreeView()
        self.view.setModel(self.model)
        self.view.setHeaderHidden(True)
        self.view.setIconSize(QSize(ICON_SIZE, ICON_SIZE))
        self.view.selectionModel().currentChanged.connect(self._chosen)
        self.keep_button = QPushButton("Keep this one, remove the others")
        self.keep_button.setToolTip("Removes the group's other images from the project (undoable)")
        self.keep_button.clicked.connect(self.keep_chosen)
        self.dismiss_button = QPushButton("Not duplicates")
        self.dismiss_button.setToolTip("Never list this group again (a project setting)")
        self.dismiss_button.clicked.connect(self.dismiss_chosen)
        top = QHBoxLayout()
        top.addWidget(QLabel("Bits apart at most:"))
        top.addWidget(self.threshold)
        top.addWidget(self.find_button)
        top.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.keep_button)
        buttons.addWidget(self.dismiss_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        self.resize(640, 560)
        self._update_buttons()

    # -- searching -----------------------------------------------------------------------

    def find(self) -> None:
        try:
            options = DuplicateOptions(threshold=self.threshold.value())
        except StudioError as error:
            self.summary.setText(str(error))
            return
        self.summary.setText("Looking for duplicates…")
        project = self.project

        def work(progress: Progress, cancel: threading.Event) -> FoundDuplicates:
            return search(project, options, stop_when_cancelled(progress, cancel))

        self.runner.start(work)

    def _failed(self, message: str) -> None:
        self.summary.setText(message)

    def _show(self, found: FoundDuplicates) -> None:
        report = found.report
        self.model.clear()
        for number, group in enumerate(report.groups, start=1):
            kind = "identical" if group.exact else f"near, {group.distance} bits apart"
            row = QStandardItem(f"Group {number}: {counted(len(group.item_ids), 'image')} ({kind})")
            row.setData(group, GROUP_ROLE)
            row.setEditable(False)
            for item_id in group.item_ids:
                child = QStandardItem(found.paths.get(item_id, f"item {item_id}"))
                child.setData(item_id, ITEM_ROLE)
                child.setEditable(False)
                thumbnail = found.thumbnails.get(item_id)
                if thumbnail:
                    child.setIcon(QIcon(QPixmap(thumbnail)))
                row.appendRow(child)
            self.model.appendRow(row)
        self.view.expandAll()
        dismissed = f"; {report.dismissed} marked not duplicates" if report.dismissed else ""
        unreadable = f"; {len(report.unreadable)} unreadable" if report.unreadable else ""
        groups = len(report.groups)
        self.summary.setText(
            f"{counted(groups, 'group')} among {counted(report.images, 'image')}"
            f"{dismissed}{unreadable}"
        )
        self._update_buttons()

    # -- choosing and deciding -----------------------------------------------------------

    def chosen_group(self) -> DuplicateGroup | None:
        index = self.view.currentIndex()
        if not index.isValid():
            return None
        row = index.parent() if index.parent().isValid() else index
        return row.data(GROUP_ROLE)

    def chosen_item(self) -> int | None:
        """The image row chosen in the group (None when the group row itself is)."""
        index = self.view.currentIndex()
        return index.data(ITEM_ROLE) if index.isValid() and index.parent().isValid() else None

    def _chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        group = self.chosen_group()
        if group is not None:
            self.items_requested.emit(list(group.item_ids))
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.keep_button.setEnabled(self.chosen_item() is not None)
        self.dismiss_button.setEnabled(self.chosen_group() is not None)

    def keep_chosen(self) -> None:
        group, kept = self.chosen_group(), self.chosen_item()
        if group is None or kept is None:
            return
        removed = [item_id for item_id in group.item_ids if item_id != kept]
        kept_name = Path(str(self.view.currentIndex().data())).name
        try:
            self.project.remove_items(removed)
        except StudioError as error:
            self.summary.setText(str(error))
            return
        removed_text = counted(len(removed), "duplicate")
        self.edited.emit(f"Removed {removed_text} of {kept_name} (Ctrl+Z undoes)")

    def dismiss_chosen(self) -> None:
        group = self.chosen_group()
        if group is None:
            return
        try:
            self.project.dismiss_duplicates(group)
        except StudioError as error:
            self.summary.setText(str(error))
            return
        self.find()

    def closeEvent(self, event: object) -> None:  # noqa: N802 (Qt's name)
        self.runner.shutdown()
        super().closeEvent(event)  # type: ignore[arg-type]
