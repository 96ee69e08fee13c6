"""Thumbnails for the gallery, made off the GUI thread and delivered in batches.

`ThumbnailLoader.request` queues a request; at most one worker per thread of the loader's own
QThreadPool serves the queue: it asks the core disk cache for the thumbnail (decoding the
image only on a cache miss), reads it into a QImage scaled to the display size, and hands the
result back. The loader collects results for a few milliseconds (a single-shot QTimer) and
emits them as one `batch_ready` list, so a screenful of thumbnails costs a handful of
repaints, not hundreds.

Workers run at idle priority: on a machine with few cores, decoding thumbnails must never take
the processor from the GUI thread while the user scrolls. While the gallery scrolls fast the
view also holds the workers back (`hold`): Python threads share one interpreter lock, and a
screenful of thumbnails nobody will see is not worth slowing every frame of the scroll; they
resume a moment after the scrolling stops, newest request first.

Requests are served newest first: after a fast scroll, the thumbnails now on screen come
before those the user scrolled past. When too many wait, the oldest are dropped and reported
as `DROPPED`, so the model asks again if those rows come back into view.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QSize, Qt, QThread, QThreadPool, QTimer, Signal
from PySide6.QtGui import QImage

from studio.core.thumbnails import DEFAULT_SIZE, ThumbnailCache, ThumbnailError

BATCH_INTERVAL_MS = 30
HOLD_POLL_S = 0.01  # how often a held-back worker looks whether it may go on
MAX_WAITING = 1000
MAX_THREADS = 4
LARGE_CACHE_SIZE = 2 * DEFAULT_SIZE


class ThumbnailState(Enum):
    READY = "ready"
    MISSING = "missing"  # the image file is not where the project says
    FAILED = "failed"  # the file is there but cannot be decoded
    DROPPED = "dropped"  # never made: too many requests were waiting


@dataclass(frozen=True)
class ThumbnailRequest:
    item_id: int
    sha256: str
    path: Path


@dataclass(frozen=True)
class ThumbnailResult:
    request: ThumbnailRequest
    state: ThumbnailState
    image: QImage | None = None
    message: str = ""


def cache_size_for(display: QSize, pixel_ratio: float) -> int:
    """The cached thumbnail size that covers `display` on a screen of `pixel_ratio`.

    Only two sizes are cached, `DEFAULT_SIZE` and `LARGE_CACHE_SIZE`, so that moving the
    gallery's size slider does not decode every image again for each step; a box larger than
    the large size gets that one, enlarged smoothly as it is drawn.
    """
    needed = math.ceil(max(display.width(), display.height()) * pixel_ratio)
    return DEFAULT_SIZE if needed <= DEFAULT_SIZE else LARGE_CACHE_SIZE


def load_thumbnail(
    request: ThumbnailRequest, cache: ThumbnailCache, display: QSize, pixel_ratio: float = 1.0
) -> ThumbnailResult:
    """Make or fetch one thumbnail as a QImage that fits in `display` (runs in a worker).

    On a high-density screen the image has `pixel_ratio` times the pixels and says so
    (`devicePixelRatio`), so it is drawn sharp at the same logical size. A large image is
    scaled down smoothly; an image smaller than the box (the cache never enlarges, so its
    thumbnail is the whole image, e.g. a 32×32 digit) is enlarged to fill the box with
    nearest-neighbour sampling, which shows its pixels as sharp squares instead of a blur.
    """
    if not request.path.is_file():
        message = f"the file is missing: {request.path}"
        return ThumbnailResult(request, ThumbnailState.MISSING, message=message)
    cache_size = cache_size_for(display, pixel_ratio)
    try:
        path = cache.thumbnail(request.path, request.sha256, cache_size)
    except ThumbnailError as error:
        return ThumbnailResult(request, ThumbnailState.FAILED, message=str(error))
    image = QImage(str(path))
    if image.isNull():
        message = f"cannot read the cached thumbnail {path}"
        return ThumbnailResult(request, ThumbnailState.FAILED, message=message)
    pixels = display * pixel_ratio
    whole_image = max(image.width(), image.height()) < cache_size
    if image.width() > pixels.width() or image.height() > pixels.height():
        image = image.scaled(
            pixels,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    elif whole_image:
        image = image.scaled(
            pixels,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.FastTransformation,
        )
    image.setDevicePixelRatio(pixel_ratio)
    return ThumbnailResult(request, ThumbnailState.READY, image=image)


class _ResultChannel(QObject):
    """Lives in the GUI thread; a worker emits `arrived` when finished results were waiting
    for nobody, and Qt queues the call to the GUI thread."""

    arrived = Signal()


class _LoadJob(QRunnable):
    def __init__(self, loader: ThumbnailLoader) -> None:
        super().__init__()
        self._loader = loader

    def run(self) -> None:
        self._loader._serve_until_empty()


class ThumbnailLoader(QObject):
    """Produces gallery thumbnails on a thread pool; emits `batch_ready(list[ThumbnailResult])`."""

    batch_ready = Signal(list)

    def __init__(
        self,
        display_size: QSize,
        cache: ThumbnailCache | None = None,
        parent: QObject | None = None,
        pixel_ratio: float = 1.0,
    ) -> None:
        super().__init__(parent)
        self.display_size = QSize(display_size)
        self.pixel_ratio = pixel_ratio
        self._cache = cache or ThumbnailCache()
        self._waiting: deque[ThumbnailRequest] = deque()
        self._finished: list[ThumbnailResult] = []  # made by workers, not yet collected
        self._lock = threading.Lock()
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max(1, min(MAX_THREADS, QThread.idealThreadCount())))
        self._pool.setThreadPriority(QThread.Priority.IdlePriority)
        self._workers = 0  # jobs started and not finished
        self._generation = 0  # moves on when waiting requests are cancelled
        self._held_until = 0.0  # time.monotonic() before which workers start nothing new
        self._channel = _ResultChannel(self)
        self._channel.arrived.connect(self._collect)
        self._collected: list[ThumbnailResult] = []
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(BATCH_INTERVAL_MS)
        self._flush_timer.timeout.connect(self._flush)

    def request(self, item_id: int, sha256: str, path: Path) -> None:
        """Queue a thumbnail; its result comes later in a `batch_ready` batch."""
        with self._lock:
            self._waiting.append(ThumbnailRequest(item_id, sha256, Path(path)))
            dropped = [self._waiting.popleft() for _ in range(len(self._waiting) - MAX_WAITING)]
            start_worker = self._workers < self._pool.maxThreadCount()
            if start_worker:
                self._workers += 1
        self._collected.extend(ThumbnailResult(r, ThumbnailState.DROPPED) for r in dropped)
        if dropped and not self._flush_timer.isActive():
            self._flush_timer.start()
        if start_worker:
            self._pool.start(_LoadJob(self))

    def hold(self, msecs: int) -> None:
        """Start no new thumbnail for the next `msecs` milliseconds (the gallery is scrolling)."""
        with self._lock:
            self._held_until = max(self._held_until, time.monotonic() + msecs / 1000)

    def resume(self) -> None:
        """End a `hold` now."""
        with self._lock:
            self._held_until = 0.0

    def cancel_waiting(self) -> None:
        """Forget every request no worker has started (e.g. when the project closes)."""
        with self._lock:
            self._waiting.clear()
            self._finished.clear()
            self._generation += 1  # a result in the making when cancelled is thrown away
        self._collected.clear()

    def wait_for_workers(self, msecs: int = -1) -> bool:
        """Block until running workers finish; True when none is left."""
        return self._pool.waitForDone(msecs)

    def shutdown(self) -> None:
        self.cancel_waiting()
        self.wait_for_workers()
        self._flush_timer.stop()
        self._collected.clear()

    def _serve_until_empty(self) -> None:
        """A worker's loop: serve the newest waiting request until none is left."""
        while True:
            with self._lock:
                if not self._waiting:
                    self._workers -= 1
                    return
                held = self._held_until - time.monotonic()
                request = self._waiting.pop() if held <= 0 else None  # newest first
                generation = self._generation
            if request is None:
                time.sleep(min(held, HOLD_POLL_S))
                continue
            result = self._make(request)
            with self._lock:
                if generation != self._generation:
                    continue
                self._finished.append(result)
                first = len(self._finished) == 1
            if first:
                self._channel.arrived.emit()

    def _make(self, request: ThumbnailRequest) -> ThumbnailResult:
        try:
            return load_thumbnail(request, self._cache, self.display_size, self.pixel_ratio)
        except Exception as error:  # a row must never wait forever for a crashed worker
            message = f"cannot make a thumbnail of {request.path}: {type(error).__name__}: {error}"
            return ThumbnailResult(request, ThumbnailState.FAILED, message=message)

    def _collect(self) -> None:
        with self._lock:
            finished, self._finished = self._finished, []
        self._collected.extend(finished)
        if self._collected and not self._flush_timer.isActive():
            self._flush_timer.start()

    def _flush(self) -> None:
        batch, self._collected = self._collected, []
        if batch:
            self.batch_ready.emit(batch)
