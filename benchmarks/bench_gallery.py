"""The gallery on a 100,000-item project: first painted screen, longest stall while scrolling,
and resident memory after scrolling, at two thumbnail sizes (96 and 192 px boxes).

Studio: `Project.open`, a `GalleryModel` (item ids, pages of records and badges, thumbnails
from the worker pool) in a `GalleryView` grid at that thumbnail size, shown offscreen. The
baseline: a bare `QListView` grid (left-to-right flow, wrapping, uniform item sizes, as any
grid of 100,000 cells needs) over a trivial `QAbstractListModel` of 100,000 text rows whose
cells are as large as Studio's, shown the same way, in the same process, just before.

- First paint: from creating the widgets (Studio: from opening the project) until the view's
  first paint event has drawn. "Screen complete" also waits for every visible thumbnail.
- Longest stall: once every row is laid out, a 1 ms timer on the GUI thread records the gaps
  between its ticks while a 16 ms timer moves the scroll bar from top to bottom in equal
  steps (every step lands on rows not seen yet, as dragging the scroll bar's thumb does).
  Target: no gap above 16 ms.
- Memory: VmRSS of the process after each side's scroll (the baseline's figure is taken
  first, so Studio's includes whatever the baseline left behind).

Both sides run after `settle_heap()` (a collection, then `gc.freeze`), which the application
calls once it has started: without it, a full collection of the start-up heap pauses the GUI
thread for 60–150 ms every few hundred gallery pages.

The project is built without timing: items are inserted with sqlite3 as
`benchmarks.fixtures` does; their files are a few small JPEGs reached through many folder
links, so every item has its own path and hash (its own thumbnail) but writing the files costs
nothing. A third of the items have one to three boxes, so the badges have work to do.
"""

from __future__ import annotations

import json
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import (
    QAbstractListModel,
    QEventLoop,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSize,
    Qt,
    QTimer,
)
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QListView, QStyleOptionViewItem, QWidget

from benchmarks.fixtures import (
    class_ids,
    connect_like_studio,
    make_project,
    write_jpegs,
)
from benchmarks.harness import Measurement, Session
from benchmarks.qt_application import application
from studio.api import Project
from studio.core.thumbnails import ThumbnailCache
from studio.gui.gallery.model import GalleryModel
from studio.gui.gallery.thumbnail_loader import ThumbnailLoader
from studio.gui.gallery.view import GalleryView
from studio.gui.refcount_guard import settle_heap

FULL_ITEMS = 100_000
QUICK_ITEMS = 2_000
FULL_STEPS = 400
QUICK_STEPS = 40
SHARED_FILES = 50
STEP_MS = 16
TICK_MS = 1
STALL_TARGET_MS = 16.0
VIEW_SIZE = (1000, 760)
PAINT_TIMEOUT_S = 60.0
LAYOUT_SETTLE_S = 0.1
STATUSES = ("new", "in_progress", "done", "reviewed")
THUMBNAIL_SIDES = (96, 192)
PHOTO_SIZE = (320, 240)  # larger than either box: every thumbnail is a reduction


# -- the project ----------------------------------------------------------------------------


def _shared_files(root: Path, item_count: int, seed: int) -> list[str]:
    """Item paths (relative to `root`): `SHARED_FILES` JPEGs seen through folder links."""
    real = root / "shared"
    write_jpegs(real, SHARED_FILES, seed, size=PHOTO_SIZE)
    names = sorted(path.name for path in real.iterdir())
    links = root / "photos"
    links.mkdir()
    folder_count = -(-item_count // SHARED_FILES)
    for folder in range(folder_count):
        (links / f"{folder:05d}").symlink_to(real, target_is_directory=True)
    return [f"photos/{n // SHARED_FILES:05d}/{names[n % SHARED_FILES]}" for n in range(item_count)]


def build_project(folder: Path, item_count: int, seed: int) -> Path:
    """A closed project of `item_count` items with real (shared) files and some boxes."""
    path = folder / "gallery.studio"
    make_project(path, 0, seed)
    paths = _shared_files(folder, item_count, seed)
    rng = np.random.default_rng(seed)
    statuses = rng.choice(STATUSES, size=item_count)
    now = time.time()
    width, height = PHOTO_SIZE
    items = [
        (paths[n], f"{seed:08x}{n:056x}", 4_000, width, height, "JPEG", str(statuses[n]))
        for n in range(item_count)
    ]
    connection = connect_like_studio(path)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(
            "INSERT INTO item (path, sha256, size_bytes, width, height, format, status, tags, "
            "meta, added_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, '[]', '{}', ?, ?)",
            [(*item, now, now) for item in items],
        )
        ids = [row[0] for row in connection.execute("SELECT id FROM item ORDER BY id")]
        connection.executemany(
            "INSERT INTO annotation (item_id, class_id, kind, geometry, source, score, author, "
            "attributes, created_at, updated_at) VALUES (?, ?, 'box', ?, 'human', NULL, "
            "'bench', '{}', ?, ?)",
            _boxes(ids, list(class_ids(path).values()), rng, now),
        )
        connection.execute("COMMIT")
    finally:
        connection.close()
    return path


def _boxes(
    ids: list[int], classes: list[int], rng: np.random.Generator, now: float
) -> list[tuple[object, ...]]:
    rows = []
    for item_id in ids[::3]:
        for _ in range(int(rng.integers(1, 4))):
            box = json.dumps([4.0, 4.0, 40.0, 30.0])
            rows.append((item_id, int(rng.choice(classes)), box, now, now))
    return rows


# -- measuring on the GUI thread ------------------------------------------------------------


class StallMeter(QObject):
    """Records the longest gap between the ticks of a 1 ms timer on the GUI thread."""

    def __init__(self) -> None:
        super().__init__()
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._last = 0.0
        self.longest = 0.0
        self.ticks = 0

    def start(self) -> None:
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self._tick()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self._last)
        self._last = now
        self.ticks += 1


def scroll_top_to_bottom(view: QListView, steps: int) -> StallMeter:
    """Move the scroll bar to the bottom in `steps` equal steps, one every 16 ms."""
    bar = view.verticalScrollBar()
    bar.setValue(0)
    meter = StallMeter()
    loop = QEventLoop()
    step = 0

    def advance() -> None:
        nonlocal step
        step += 1
        bar.setValue(round(bar.maximum() * step / steps))
        if step >= steps:
            stepper.stop()
            QTimer.singleShot(4 * STEP_MS, loop.quit)  # let the last screen paint

    stepper = QTimer()
    stepper.setTimerType(Qt.TimerType.PreciseTimer)
    stepper.setInterval(STEP_MS)
    stepper.timeout.connect(advance)
    meter.start()
    stepper.start()
    loop.exec()
    meter.stop()
    if bar.value() != bar.maximum() or bar.maximum() <= 0:
        raise RuntimeError("the scripted scroll did not reach the bottom of the list")
    return meter


class PaintClock:
    """When a view's viewport has finished its first paint."""

    def __init__(self) -> None:
        self.painted_at: float | None = None

    def painted(self) -> None:
        if self.painted_at is None:
            self.painted_at = time.perf_counter()


class TimedGalleryView(GalleryView):
    def __init__(self, clock: PaintClock) -> None:
        super().__init__()
        self.clock = clock

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        super().paintEvent(event)
        self.clock.painted()


class TimedListView(QListView):
    def __init__(self, clock: PaintClock) -> None:
        super().__init__()
        self.clock = clock

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        super().paintEvent(event)
        self.clock.painted()


class TextRows(QAbstractListModel):
    """The baseline's model: `count` rows of text, made up on demand, in cells of `cell`."""

    def __init__(self, count: int, cell: QSize) -> None:
        super().__init__()
        self._count = count
        self._cell = cell

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else self._count

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> object:
        if role == Qt.ItemDataRole.DisplayRole and index.isValid():
            return f"item {index.row():06d}"
        if role == Qt.ItemDataRole.SizeHintRole and index.isValid():
            return self._cell
        return None


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Run the event loop (sleeping between events, never spinning) until `condition()`."""
    if condition():
        return
    loop = QEventLoop()
    checker = QTimer()
    checker.setInterval(2)
    checker.timeout.connect(lambda: loop.quit() if condition() else None)
    deadline = QTimer()
    deadline.setSingleShot(True)
    deadline.timeout.connect(loop.quit)
    checker.start()
    deadline.start(int(PAINT_TIMEOUT_S * 1000))
    loop.exec()
    checker.stop()
    if not condition():
        raise RuntimeError(f"gave up waiting {PAINT_TIMEOUT_S:.0f} s for {what}")


def wait_until_laid_out(view: QListView) -> None:
    """A batched layout grows the scroll range between events: wait until it stops growing."""
    bar = view.verticalScrollBar()
    seen = [-1, time.perf_counter()]  # the last maximum, and since when

    def settled() -> bool:
        now = time.perf_counter()
        if bar.maximum() != seen[0]:
            seen[:] = [bar.maximum(), now]
            return False
        return now - seen[1] >= LAYOUT_SETTLE_S

    wait_until(settled, "the layout of every row")


def show(view: QWidget) -> None:
    view.resize(*VIEW_SIZE)
    view.show()


def visible_rows_ready(view: QListView) -> bool:
    """True when every row on screen has its thumbnail (or a missing/broken placeholder)."""
    model = view.model()
    area = view.viewport().rect()
    for row in range(model.rowCount()):
        index = model.index(row)
        rect = view.visualRect(index)
        if rect.top() > area.bottom():
            return True
        if rect.intersects(area) and model.data(index, GalleryModel.ThumbnailStateRole) == (
            "loading"
        ):
            return False
    return True


def resident_megabytes() -> float:
    """VmRSS from /proc/self/status; elsewhere the peak resident size (getrusage)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the two sides --------------------------------------------------------------------------


@dataclass
class Figures:
    first_paint_s: float
    complete_s: float
    longest_stall_s: float
    resident_mb: float


def studio_cell(side: int) -> QSize:
    """The size of a cell of Studio's gallery with `side` px thumbnails in a `VIEW_SIZE` view."""
    probe = GalleryView()
    probe.resize(*VIEW_SIZE)
    probe.set_thumbnail_side(side)
    option = QStyleOptionViewItem()
    option.initFrom(probe)
    cell = probe.itemDelegate().sizeHint(option, QModelIndex())
    probe.deleteLater()
    return cell


def run_baseline(item_count: int, steps: int, cell: QSize) -> Figures:
    clock = PaintClock()
    start = time.perf_counter()
    model = TextRows(item_count, cell)
    view = TimedListView(clock)
    view.setFlow(QListView.Flow.LeftToRight)
    view.setWrapping(True)
    view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    view.setUniformItemSizes(True)
    view.setModel(model)
    show(view)
    wait_until(lambda: clock.painted_at is not None, "the bare list's first paint")
    first_paint = (clock.painted_at or start) - start
    wait_until_laid_out(view)
    meter = scroll_top_to_bottom(view, steps)
    figures = Figures(first_paint, first_paint, meter.longest, resident_megabytes())
    view.close()
    view.deleteLater()
    return figures


def run_studio(session: Session, path: Path, cache_dir: Path, steps: int, side: int) -> Figures:
    clock = PaintClock()
    with session.studio_side("gallery"):
        start = time.perf_counter()
        project = Project.open(path, author="bench")
        loader = ThumbnailLoader(QSize(side, side), cache=ThumbnailCache(cache_dir))
        model = GalleryModel(loader)
        view = TimedGalleryView(clock)
        view.setModel(model)
        view.set_thumbnail_side(side)
        model.set_project(project)
        view.has_project = True
        show(view)
        wait_until(lambda: clock.painted_at is not None, "the gallery's first paint")
        first_paint = (clock.painted_at or start) - start
        wait_until(lambda: visible_rows_ready(view), "the first screen's thumbnails")
        complete = time.perf_counter() - start
        wait_until_laid_out(view)
        meter = scroll_top_to_bottom(view, steps)
    figures = Figures(first_paint, complete, meter.longest, resident_megabytes())
    view.close()
    loader.shutdown()
    project.close()
    view.deleteLater()
    return figures


def run(session: Session) -> list[Measurement]:
    item_count = QUICK_ITEMS if session.quick else FULL_ITEMS
    steps = QUICK_STEPS if session.quick else FULL_STEPS
    folder = session.folder("gallery")
    path = build_project(folder, item_count, session.seed)
    application()
    settle_heap()  # as the application does once started
    rows: list[Measurement] = []
    for side in THUMBNAIL_SIDES:
        cell = studio_cell(side)
        baseline = run_baseline(item_count, steps, cell)
        cache = folder / f"thumbnails-{side}"  # each size starts with an empty disk cache
        studio = run_studio(session, path, cache, steps, side)
        rows += _rows(item_count, steps, side, cell, studio, baseline)
    return rows


def _rows(
    item_count: int, steps: int, side: int, cell: QSize, studio: Figures, baseline: Figures
) -> list[Measurement]:
    name = f"gallery {item_count:,} items, {side} px thumbnails"
    stall_ms = studio.longest_stall_s * 1000
    verdict = "within" if stall_ms <= STALL_TARGET_MS else "MISSES"
    note = (
        f"gallery: GalleryView grid ({side} px thumbnails, cells {cell.width()}×{cell.height()}) "
        f"+ GalleryModel on Project.open vs a bare QListView grid of the same cells over "
        f"{item_count:,} text rows, offscreen, {VIEW_SIZE[0]}×{VIEW_SIZE[1]}; scroll top to "
        f"bottom in {steps} steps of {STEP_MS} ms; stall = longest gap of a {TICK_MS} ms timer; "
        f"Studio's longest stall {stall_ms:.1f} ms {verdict} the {STALL_TARGET_MS:g} ms target; "
        "both after settle_heap() (gc.freeze of the start-up heap); "
        "RSS: the baseline ran first in the same process"
    )

    def row(metric: str, unit: str, studio_value: float, baseline_value: float) -> Measurement:
        return Measurement(name, metric, unit, studio_value, baseline_value, False, note=note)

    return [
        row("first paint", "ms", studio.first_paint_s * 1000, baseline.first_paint_s * 1000),
        row("screen complete", "ms", studio.complete_s * 1000, baseline.complete_s * 1000),
        row("longest stall scrolling", "ms", stall_ms, baseline.longest_stall_s * 1000),
        row("RSS after scrolling", "MB", studio.resident_mb, baseline.resident_mb),
    ]
