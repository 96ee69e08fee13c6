"""The gallery's list model: every item of the project, fetched lazily by page.

The model holds only the list of item ids (cheap even for a million items). A row's record is
fetched with its page of `PAGE_SIZE` neighbours when a view first asks for it, and kept in a
bounded cache; the view only asks for the rows it shows, so opening a 100,000-item project
costs one id query and one page. Thumbnails come from a `ThumbnailLoader` and are cached as
pixmaps by content hash (a bounded LRU); until one arrives the row shows a placeholder.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import PurePosixPath
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QPixmap

from studio.api import ItemRecord, Project
from studio.gui.resources import centered_icon_pixmap
from studio.gui.row_diff import plan_row_changes
from studio.gui.thumbnail_loader import ThumbnailLoader, ThumbnailResult, ThumbnailState

PAGE_SIZE = 200
MAX_CACHED_RECORDS = 20_000
MAX_CACHED_PIXMAPS = 2_000
LOADING = "loading"  # ThumbnailStateRole of a row whose thumbnail has not arrived yet

STATUS_LABELS = {
    "new": "new",
    "in_progress": "in progress",
    "done": "done",
    "done_empty": "done (empty)",
    "reviewed": "reviewed",
    "rejected": "rejected",
}

AnyIndex = QModelIndex | QPersistentModelIndex


def human_size(size_bytes: int) -> str:
    value = float(size_bytes)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def _contiguous_ranges(rows: list[int]) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    for row in sorted(set(rows)):
        if ranges and ranges[-1][1] == row - 1:
            ranges[-1] = (ranges[-1][0], row)
        else:
            ranges.append((row, row))
    return ranges


class GalleryModel(QAbstractListModel):
    """One row per item of the project, in the project's gallery order."""

    ItemIdRole = Qt.ItemDataRole.UserRole + 1
    StatusRole = Qt.ItemDataRole.UserRole + 2
    ThumbnailStateRole = Qt.ItemDataRole.UserRole + 3

    def __init__(self, loader: ThumbnailLoader, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._project: Project | None = None
        self._ids: list[int] = []
        self._row_of: dict[int, int] = {}
        self._records: OrderedDict[int, ItemRecord] = OrderedDict()
        self._pixmaps: OrderedDict[str, QPixmap] = OrderedDict()
        self._problems: dict[int, ThumbnailResult] = {}
        self._pending: set[str] = set()
        self._loader = loader
        self._loader.batch_ready.connect(self._receive_thumbnails)
        box, ratio = loader.display_size, loader.pixel_ratio
        self._loading = centered_icon_pixmap("loading", box, pixel_ratio=ratio)
        self._missing = centered_icon_pixmap("missing", box, pixel_ratio=ratio)
        self._broken = centered_icon_pixmap("broken", box, pixel_ratio=ratio)

    # -- the project -----------------------------------------------------------------

    @property
    def project(self) -> Project | None:
        return self._project

    def set_project(self, project: Project | None) -> None:
        """Show `project` (or nothing); drops every cached record and thumbnail."""
        self.beginResetModel()
        self._loader.cancel_waiting()
        self._project = project
        self._ids = project.item_ids() if project is not None else []
        self._index_rows()
        self._records.clear()
        self._pixmaps.clear()
        self._problems.clear()
        self._pending.clear()
        self.endResetModel()

    def refresh(self) -> None:
        """Re-read the item list and every row's data, keeping selection where rows survive."""
        if self._project is None:
            return
        new_ids = self._project.item_ids()
        plan = plan_row_changes(self._ids, new_ids)
        if plan is None:
            self.beginResetModel()
            self._ids = new_ids
            self._forget_rows()
            self.endResetModel()
            return
        for first, last in plan.removals:
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._ids[first : last + 1]
            self.endRemoveRows()
        for first, block in plan.insertions:
            self.beginInsertRows(QModelIndex(), first, first + len(block) - 1)
            self._ids[first:first] = block
            self.endInsertRows()
        self._forget_rows()
        if self._ids:
            self.dataChanged.emit(self.index(0), self.index(len(self._ids) - 1))

    def _forget_rows(self) -> None:
        """Row data may have changed: drop records and problems (thumbnails stay valid)."""
        self._index_rows()
        self._records.clear()
        self._problems.clear()

    def _index_rows(self) -> None:
        self._row_of = {item_id: row for row, item_id in enumerate(self._ids)}

    # -- Qt model interface ----------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._ids)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._ids):
            return None
        record = self.record(index.row())
        if record is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return PurePosixPath(record.path).name
        if role == Qt.ItemDataRole.DecorationRole:
            return self._decoration(record)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(record)
        if role == self.ItemIdRole:
            return record.id
        if role == self.StatusRole:
            return record.status
        if role == self.ThumbnailStateRole:
            state = self._thumbnail_state(record)
            return state.value if state is not None else LOADING
        return None

    # -- rows ------------------------------------------------------------------------

    def item_id(self, row: int) -> int:
        return self._ids[row]

    def row_of(self, item_id: int) -> int | None:
        return self._row_of.get(item_id)

    def record(self, row: int) -> ItemRecord | None:
        """The record of `row`, fetching its page from the project when not cached."""
        item_id = self._ids[row]
        record = self._records.get(item_id)
        if record is None and self._project is not None:
            self._fetch_page(row // PAGE_SIZE)
            record = self._records.get(item_id)
        return record

    def _fetch_page(self, page: int) -> None:
        assert self._project is not None
        page_ids = self._ids[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        for record in self._project.items_by_ids(page_ids):
            self._records[record.id] = record
        while len(self._records) > MAX_CACHED_RECORDS:
            self._records.popitem(last=False)

    # -- thumbnails ------------------------------------------------------------------

    def _thumbnail_state(self, record: ItemRecord) -> ThumbnailState | None:
        problem = self._problems.get(record.id)
        if problem is not None:
            return problem.state
        return ThumbnailState.READY if record.sha256 in self._pixmaps else None

    def _decoration(self, record: ItemRecord) -> QPixmap:
        problem = self._problems.get(record.id)
        if problem is not None:
            return self._missing if problem.state is ThumbnailState.MISSING else self._broken
        pixmap = self._pixmaps.get(record.sha256)
        if pixmap is not None:
            self._pixmaps.move_to_end(record.sha256)
            return pixmap
        if record.sha256 not in self._pending and self._project is not None:
            self._pending.add(record.sha256)
            self._loader.request(record.id, record.sha256, self._project.media_path(record))
        return self._loading

    def _receive_thumbnails(self, results: list[ThumbnailResult]) -> None:
        changed_rows = []
        for result in results:
            request = result.request
            self._pending.discard(request.sha256)
            if result.state is ThumbnailState.READY and result.image is not None:
                self._pixmaps[request.sha256] = QPixmap.fromImage(result.image)
            elif result.state in (ThumbnailState.MISSING, ThumbnailState.FAILED):
                self._problems[request.item_id] = result
            row = self._row_of.get(request.item_id)
            if row is not None and result.state is not ThumbnailState.DROPPED:
                changed_rows.append(row)
        while len(self._pixmaps) > MAX_CACHED_PIXMAPS:
            self._pixmaps.popitem(last=False)
        roles = [Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.ToolTipRole]
        for first, last in _contiguous_ranges(changed_rows):
            self.dataChanged.emit(self.index(first), self.index(last), roles)

    def _tooltip(self, record: ItemRecord) -> str:
        lines = [
            record.path,
            f"{record.width}×{record.height} px · {record.format} · "
            f"{human_size(record.size_bytes)}",
            f"Status: {STATUS_LABELS.get(record.status, record.status)}",
        ]
        if record.split:
            lines.append(f"Split: {record.split}")
        if record.tags:
            lines.append(f"Tags: {', '.join(record.tags)}")
        problem = self._problems.get(record.id)
        if problem is not None:
            lines.append(problem.message)
        return "\n".join(lines)
