"""The gallery's list model: the project's items that match a query, fetched lazily.

The model holds only the list of matching item ids (cheap even for a million items), read
with `Project.item_ids(**query)`, so the gallery shows exactly what the API query returns, in
the same order. A row's record and badge (annotation count, classes present) are fetched
when a view first asks for it, together with the uncached rows of a window around it (a few
before, a screenful after: after a jump, one fetch fills the screen), and kept in a bounded
cache; the view only asks for the rows it shows, so opening a 100,000-item project costs one
id query and one fetch. Thumbnails come from a `ThumbnailLoader` and are cached as pixmaps by
content hash (a bounded LRU); until one arrives the row shows a placeholder. When the
thumbnail size changes (`set_thumbnail_size`) the rows on screen ask for thumbnails of the new
size and show the ones they had, scaled, until those arrive.

When the list of ids changes (a new query, or a refresh after an edit) the model reports the
change so that views keep their selection and current item on the rows that stay: precise
row removals and insertions when few blocks changed, else one layout change that moves every
persistent index (selection included) to its item's new row.

One sort is the window's, not the API's: `QUEUE_SORT` orders the rows by the uncertainty queue
the window last ordered (`set_queue`; Data ▸ Follow the uncertainty queue), the items outside
the queue after them by name, and each queued row's tooltip gives its uncertainty.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSize,
    Qt,
)
from PySide6.QtGui import QPixmap

from studio.api import ItemRecord, Project, ProjectFileError, ProjectStats
from studio.gui.gallery.row_diff import plan_row_changes
from studio.gui.gallery.thumbnail_loader import ThumbnailLoader, ThumbnailResult, ThumbnailState
from studio.gui.refcount_guard import protect_singletons
from studio.gui.resources import centered_icon_pixmap

# data() answers None for most roles a view asks; PySide6 6.12 on CPython 3.11 loses a
# reference to None with each such answer, so the process must guard None before any paint.
protect_singletons()

PAGE_SIZE = 60  # rows per fetch (at least): ~1 ms, cheap enough for a paint
PAGE_BEFORE = PAGE_SIZE // 4  # of which before the row asked for (scrolling up)
# Bounded caches: every cached row and pixmap is an object the garbage collector visits in a
# full collection, which runs on the GUI thread; 4,000 rows are over 60 fetches, and 600
# thumbnails cover several screens of the largest gallery. Big thumbnails are fewer: the
# pixmaps together hold at most 64 MB (600 of 128 px, 163 of 320 px), still several screens.
MAX_CACHED_RECORDS = 4_000
MAX_CACHED_PIXMAPS = 600
MAX_PIXMAP_BYTES = 64 * 1024 * 1024
LOADING = "loading"  # ThumbnailStateRole of a row whose thumbnail has not arrived yet
QUEUE_SORT = "queue"  # the window's sort by the uncertainty queue (`set_queue`)
ORDER_KEYS = ("sort", "descending")  # the query's keys that order rows; the others filter

STATUS_LABELS = {
    "new": "new",
    "in_progress": "in progress",
    "done": "done",
    "done_empty": "done (empty)",
    "reviewed": "reviewed",
    "rejected": "rejected",
}

AnyIndex = QModelIndex | QPersistentModelIndex


class Badge(NamedTuple):
    """What a thumbnail shows of an item's annotations."""

    annotation_count: int
    class_ids: tuple[int, ...]  # the classes present, ascending ids


class Cell(NamedTuple):
    """Everything the gallery's delegate draws for one row, in one call."""

    name: str
    status: str
    annotation_count: int
    class_colors: list[str]  # "#rrggbb" of the classes present, in the class order
    decoration: QPixmap  # the thumbnail, or a loading / missing / broken placeholder


def fetch_badges(project: Project, item_ids: Sequence[int]) -> dict[int, Badge]:
    """The badge of each of `item_ids` (every id is in the answer): one query for a page."""
    return {
        item_id: Badge(count, tuple(class_ids))
        for item_id, (count, class_ids) in project.item_badges(list(item_ids)).items()
    }


def _file_name(stored_path: str) -> str:
    """The last part of a stored (POSIX-style) item path, without pathlib's cost per paint."""
    return stored_path.rpartition("/")[2]


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
    """One row per item matching the current query, in the query's order."""

    ItemIdRole = Qt.ItemDataRole.UserRole + 1
    StatusRole = Qt.ItemDataRole.UserRole + 2
    ThumbnailStateRole = Qt.ItemDataRole.UserRole + 3
    AnnotationCountRole = Qt.ItemDataRole.UserRole + 4  # int
    ClassColorsRole = Qt.ItemDataRole.UserRole + 5  # ["#rrggbb", ...] in the class order
    ClassNamesRole = Qt.ItemDataRole.UserRole + 6  # [name, ...] in the same order

    def __init__(self, loader: ThumbnailLoader, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._project: Project | None = None
        self._query: dict[str, Any] = {}
        self._queue: dict[int, float] = {}  # item id -> uncertainty, in queue order
        self._ids: list[int] = []
        self._row_of: dict[int, int] = {}
        self._rows: OrderedDict[int, tuple[ItemRecord, Badge]] = OrderedDict()
        self._class_order: dict[int, int] = {}
        self._class_colors: dict[int, str] = {}
        self._class_names: dict[int, str] = {}
        self._pixmaps: OrderedDict[str, QPixmap] = OrderedDict()
        # thumbnails made for an earlier thumbnail size, shown until their replacement comes
        self._stale: OrderedDict[str, QPixmap] = OrderedDict()
        self._problems: dict[int, ThumbnailResult] = {}
        # sha256 → the items shown with a thumbnail of that content on its way (kept
        # duplicates are several items with one content, and one request serves them all)
        self._pending: dict[str, set[int]] = {}
        self._screenful = 0  # cells a view shows at once (`set_screenful`)
        self._loader = loader
        self._loader.batch_ready.connect(self._receive_thumbnails)
        self._make_placeholders()

    def _make_placeholders(self) -> None:
        box, ratio = self._loader.display_size, self._loader.pixel_ratio
        self._loading = centered_icon_pixmap("loading", box, pixel_ratio=ratio)
        self._missing = centered_icon_pixmap("missing", box, pixel_ratio=ratio)
        self._broken = centered_icon_pixmap("broken", box, pixel_ratio=ratio)

    def set_thumbnail_size(self, size: QSize) -> None:
        """Make thumbnails for a `size` box from now on. Thumbnails on their way are dropped;
        those already made stay on show (the delegate scales them) until the new ones come."""
        if size == self._loader.display_size:
            return
        self._loader.cancel_waiting()
        self._loader.display_size = QSize(size)
        self._pending.clear()
        self._stale.update(self._pixmaps)
        self._pixmaps.clear()
        while len(self._stale) > self._max_pixmaps():
            self._stale.popitem(last=False)
        self._make_placeholders()

    # -- the project and the query -------------------------------------------------------

    @property
    def project(self) -> Project | None:
        return self._project

    @property
    def query(self) -> dict[str, Any]:
        """The filters and sort in force (keyword arguments of `Project.item_ids`)."""
        return dict(self._query)

    @property
    def filtered(self) -> bool:
        """True when a filter, not only the sort order, chooses the rows shown."""
        return any(key not in ORDER_KEYS for key in self._query)

    def set_project(self, project: Project | None) -> None:
        """Show all of `project` (or nothing): clears the query, every cached row and thumbnail."""
        self.beginResetModel()
        self._loader.cancel_waiting()
        self._project = project
        self._query = {}
        self._ids = project.item_ids() if project is not None else []
        self._index_rows()
        self._read_classes()
        self._rows.clear()
        self._pixmaps.clear()
        self._stale.clear()
        self._problems.clear()
        self._pending.clear()
        self.endResetModel()

    def set_query(self, **filters: Any) -> None:
        """Show the items `Project.item_ids(**filters)` returns, in its order.

        Filters: status, split, label (class names or ids), source, score_min, score_max,
        text, tag; sort ("name", "date", "status", "score") and descending. Rows that stay
        keep their selection. Invalid filters raise ValueError and change nothing.
        """
        new_ids = self._matching_ids(filters) if self._project is not None else []
        self._query = dict(filters)
        self._show_ids(new_ids)

    def refresh(self) -> None:
        """Re-read the item list and every row's data, keeping selection where rows survive."""
        if self._project is None:
            return
        new_ids = self._matching_ids(self._query)
        self._read_classes()
        self._show_ids(new_ids)
        self._rows.clear()
        self._problems.clear()
        if self._ids:
            self.dataChanged.emit(self.index(0), self.index(len(self._ids) - 1))

    def set_queue(self, entries: Sequence[tuple[int, float]]) -> None:
        """The uncertainty queue's (item id, uncertainty) pairs, in order; the rows follow
        them at once when the gallery is sorted by the queue."""
        self._queue = dict(entries)
        if self._query.get("sort") == QUEUE_SORT:
            self.refresh()

    def _matching_ids(self, query: Mapping[str, Any]) -> list[int]:
        """`Project.item_ids(**query)`, with the queue's order for `QUEUE_SORT`."""
        assert self._project is not None
        if query.get("sort") != QUEUE_SORT:
            return self._project.item_ids(**query)
        filters = {key: value for key, value in query.items() if key not in ORDER_KEYS}
        by_name = self._project.item_ids(**filters, sort="name")
        rank = {item_id: position for position, item_id in enumerate(self._queue)}
        ordered = sorted(by_name, key=lambda item_id: rank.get(item_id, len(rank)))
        return ordered[::-1] if query.get("descending") else ordered

    def _read_classes(self) -> None:
        classes = self._project.classes() if self._project is not None else []
        self._class_order = {record.id: position for position, record in enumerate(classes)}
        self._class_colors = {record.id: record.color for record in classes}
        self._class_names = {record.id: record.name for record in classes}

    def _show_ids(self, new_ids: list[int]) -> None:
        """Replace the row list, reporting removals and insertions, or a layout change."""
        plan = plan_row_changes(self._ids, new_ids)
        if plan is None:
            self._relayout(new_ids)
            return
        for first, last in plan.removals:
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._ids[first : last + 1]
            self.endRemoveRows()
        for first, block in plan.insertions:
            self.beginInsertRows(QModelIndex(), first, first + len(block) - 1)
            self._ids[first:first] = block
            self.endInsertRows()
        self._index_rows()

    def _relayout(self, new_ids: list[int]) -> None:
        """One layout change: every persistent index follows its item, or dies with it.

        Views and selection models keep persistent indexes of what they show, select and
        hold current; moving them keeps the user's selection through a sort or a new filter.
        """
        self.layoutAboutToBeChanged.emit()
        old_ids = self._ids
        persistent = self.persistentIndexList()
        self._ids = list(new_ids)
        self._index_rows()
        moved = []
        for index in persistent:
            row = self._row_of.get(old_ids[index.row()]) if index.row() < len(old_ids) else None
            moved.append(self.index(row, index.column()) if row is not None else QModelIndex())
        self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()

    def _index_rows(self) -> None:
        self._row_of = {item_id: row for row, item_id in enumerate(self._ids)}

    # -- Qt model interface ----------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._ids)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._ids):
            return None
        cached = self._row(index.row())
        if cached is None:
            return None
        record, badge = cached
        if role == Qt.ItemDataRole.DisplayRole:
            return _file_name(record.path)
        if role == Qt.ItemDataRole.DecorationRole:
            return self._decoration(record)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(record, badge)
        if role == self.ItemIdRole:
            return record.id
        if role == self.StatusRole:
            return record.status
        if role == self.ThumbnailStateRole:
            state = self._thumbnail_state(record)
            return state.value if state is not None else LOADING
        if role == self.AnnotationCountRole:
            return badge.annotation_count
        if role == self.ClassColorsRole:
            return [self._class_colors[class_id] for class_id in self._ordered_classes(badge)]
        if role == self.ClassNamesRole:
            return [self._class_names[class_id] for class_id in self._ordered_classes(badge)]
        return None

    def _ordered_classes(self, badge: Badge) -> list[int]:
        """The badge's classes in the project's class order (unknown ones are left out)."""
        known = [class_id for class_id in badge.class_ids if class_id in self._class_order]
        return sorted(known, key=self._class_order.__getitem__)

    # -- rows ------------------------------------------------------------------------

    def item_id(self, row: int) -> int:
        return self._ids[row]

    def ids(self) -> list[int]:
        """Every row's item id, in row order (a copy)."""
        return list(self._ids)

    def ids_in_rows(self, first: int, last: int) -> list[int]:
        """The item ids of rows `first` to `last`, both included."""
        return self._ids[first : last + 1]

    def row_of(self, item_id: int) -> int | None:
        return self._row_of.get(item_id)

    def record(self, row: int) -> ItemRecord | None:
        """The record of `row`, fetching its page from the project when not cached."""
        cached = self._row(row)
        return cached[0] if cached is not None else None

    def cell(self, row: int) -> Cell | None:
        """What `row` shows, without a Qt round trip per role (the delegate's fast path)."""
        cached = self._row(row)
        if cached is None:
            return None
        record, badge = cached
        return Cell(
            _file_name(record.path),
            record.status,
            badge.annotation_count,
            [self._class_colors[class_id] for class_id in self._ordered_classes(badge)],
            self._decoration(record),
        )

    def badge(self, row: int) -> Badge | None:
        """The annotation count and classes of `row`'s item, fetched with its page."""
        cached = self._row(row)
        return cached[1] if cached is not None else None

    def _row(self, row: int) -> tuple[ItemRecord, Badge] | None:
        item_id = self._ids[row]
        cached = self._rows.get(item_id)
        if cached is None and self._project is not None:
            try:
                self._fetch_around(row)
            except ProjectFileError:
                return None  # closed under the model (the window is closing): show nothing
            cached = self._rows.get(item_id)
        return cached

    def set_screenful(self, cells: int) -> None:
        """A view shows up to `cells` rows at once: each fetch covers that many after the row
        asked for, so that a screen after a jump costs one fetch (small thumbnails put more
        cells on a screen than `PAGE_SIZE`)."""
        self._screenful = max(0, cells)

    def _fetch_around(self, row: int) -> None:
        """Fetch the uncached rows of the window around `row` (records and badges)."""
        assert self._project is not None
        first = max(0, row - PAGE_BEFORE)
        window = self._ids[first : first + max(PAGE_SIZE, PAGE_BEFORE + self._screenful)]
        wanted = [item_id for item_id in window if item_id not in self._rows]
        records = self._project.items_by_ids(wanted)
        badges = fetch_badges(self._project, [record.id for record in records])
        for record in records:
            self._rows[record.id] = (record, badges[record.id])
        while len(self._rows) > MAX_CACHED_RECORDS:
            self._rows.popitem(last=False)

    # -- thumbnails ------------------------------------------------------------------

    def hold_thumbnails(self, msecs: int) -> None:
        """Make no new thumbnails for `msecs` ms (the view is scrolling past them)."""
        self._loader.hold(msecs)

    def _max_pixmaps(self) -> int:
        """How many thumbnails of the present size the pixmap cache keeps."""
        pixels = self._loader.display_size * self._loader.pixel_ratio
        size_bytes = max(1, pixels.width() * pixels.height() * 4)
        return max(1, min(MAX_CACHED_PIXMAPS, MAX_PIXMAP_BYTES // size_bytes))

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
        waiting = self._pending.get(record.sha256)
        if waiting is not None:
            waiting.add(record.id)
        elif self._project is not None:
            self._pending[record.sha256] = {record.id}
            self._loader.request(record.id, record.sha256, self._project.media_path(record))
        return self._stale.get(record.sha256, self._loading)

    def _receive_thumbnails(self, results: list[ThumbnailResult]) -> None:
        changed_rows = []
        for result in results:
            request = result.request
            waiting = self._pending.pop(request.sha256, set()) | {request.item_id}
            if result.state is ThumbnailState.READY and result.image is not None:
                self._pixmaps[request.sha256] = QPixmap.fromImage(result.image)
                self._stale.pop(request.sha256, None)
            elif result.state in (ThumbnailState.MISSING, ThumbnailState.FAILED):
                self._problems[request.item_id] = result  # the others have files of their own
            if result.state is not ThumbnailState.DROPPED:
                rows = (self._row_of.get(item_id) for item_id in waiting)
                changed_rows.extend(row for row in rows if row is not None)
        while len(self._pixmaps) > self._max_pixmaps():
            self._pixmaps.popitem(last=False)
        roles = [Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.ToolTipRole]
        for first, last in _contiguous_ranges(changed_rows):
            self.dataChanged.emit(self.index(first), self.index(last), roles)

    def _tooltip(self, record: ItemRecord, badge: Badge) -> str:
        lines = [
            record.path,
            f"{record.width}×{record.height} px · {record.format} · "
            f"{human_size(record.size_bytes)}",
            f"Status: {STATUS_LABELS.get(record.status, record.status)}",
        ]
        if record.split:
            lines.append(f"Split: {record.split}")
        if record.id in self._queue:
            place = list(self._queue).index(record.id) + 1
            lines.append(f"Uncertainty: {self._queue[record.id]:.3f} (queue #{place})")
        if record.tags:
            lines.append(f"Tags: {', '.join(record.tags)}")
        count = badge.annotation_count
        if count:
            names = ", ".join(self._class_names[c] for c in self._ordered_classes(badge))
            lines.append(f"{count} annotation{'s' if count != 1 else ''}: {names}")
        problem = self._problems.get(record.id)
        if problem is not None:
            lines.append(problem.message)
        return "\n".join(lines)


def describe_stats(stats: ProjectStats) -> str:
    """ "30 items · 20 new · 10 done · 12 annotations · 4 suggestions": the status bar's
    summary (pending suggestions apart from the annotations, only when there are some)."""
    parts = [f"{stats.items:,} item{'s' if stats.items != 1 else ''}"]
    parts += [
        f"{count:,} {STATUS_LABELS.get(status, status)}"
        for status, count in stats.by_status.items()
        if count
    ]
    parts.append(f"{stats.annotations:,} annotation{'s' if stats.annotations != 1 else ''}")
    pending = stats.pending_suggestions
    if pending:
        parts.append(f"{pending:,} suggestion{'s' if pending != 1 else ''}")
    return " · ".join(parts)
