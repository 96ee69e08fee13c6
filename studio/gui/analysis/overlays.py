"""Images with a ground-truth shape drawn solid and a predicted one dashed, made off the GUI
thread (QImage and QPainter work in any thread; QPixmap only in the GUI thread).

The base picture comes from the app's thumbnail cache (decoded once, shared with the
gallery), so a gallery of errors over large photographs stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, QRunnable, Qt, QThread, QThreadPool, Signal
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPainterPath, QPen, QPolygonF

from studio.core.geometry import decode_mask, rotated_box_corners
from studio.core.thumbnails import ThumbnailCache, ThumbnailError

TRUTH_WIDTH = 2.0
PREDICTION_WIDTH = 2.0
FILL_ALPHA = 0.22
HALO = QColor(0, 0, 0, 150)
MAX_THREADS = 2


@dataclass(frozen=True)
class OverlayRequest:
    """One picture to make: `key` comes back with it; `side` is the longest side wanted."""

    key: object
    path: Path
    sha256: str
    width: int  # the item's size in pixels, in which geometries are given
    height: int
    side: int
    truth: tuple[str, Any, str] | None = None  # (kind, geometry, colour)
    prediction: tuple[str, Any, str] | None = None


def _mask_outlines(geometry: Mapping[str, Any]) -> list[np.ndarray]:
    """Contours of a stored RLE mask, as (N, 2) arrays of x, y pixel coordinates."""
    from skimage.measure import find_contours  # heavy import, needed only for masks

    pixels = np.pad(decode_mask(dict(geometry)).astype(np.uint8), 1)
    return [contour[:, ::-1] - 1 for contour in find_contours(pixels, 0.5)]


def shape_path(kind: str, geometry: Any) -> QPainterPath:
    """A box, polygon, rotated box or mask as a painter path in image pixels."""
    path = QPainterPath()
    if kind == "box":
        x, y, width, height = (float(value) for value in geometry)
        path.addRect(QRectF(x, y, width, height))
    elif kind == "polygon":
        for ring in geometry:
            points = [QPointF(ring[i], ring[i + 1]) for i in range(0, len(ring) - 1, 2)]
            path.addPolygon(QPolygonF(points))
            path.closeSubpath()
    elif kind == "rotated_box":
        corners = rotated_box_corners(geometry)
        path.addPolygon(QPolygonF([QPointF(corners[i], corners[i + 1]) for i in range(0, 8, 2)]))
        path.closeSubpath()
    elif kind == "mask":
        for outline in _mask_outlines(geometry):
            path.addPolygon(QPolygonF([QPointF(x + 0.5, y + 0.5) for x, y in outline]))
            path.closeSubpath()
    return path


def draw_shape(
    painter: QPainter, kind: str, geometry: Any, color: str, scale: float, dashed: bool
) -> None:
    """Solid outline and light fill for the truth; a dashed outline for a prediction. A
    dark halo under the outline keeps it visible on any picture."""
    path = shape_path(kind, geometry)
    width = PREDICTION_WIDTH if dashed else TRUTH_WIDTH
    painter.save()
    painter.scale(scale, scale)
    painter.setPen(QPen(HALO, (width + 2) / scale))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawPath(path)
    pen = QPen(QColor(color), width / scale)
    if dashed:
        pen.setStyle(Qt.PenStyle.DashLine)
    fill = QColor(color)
    fill.setAlphaF(0.0 if dashed else FILL_ALPHA)
    painter.setPen(pen)
    painter.setBrush(QBrush(fill))
    painter.drawPath(path)
    painter.restore()


def render_overlay(request: OverlayRequest, cache: ThumbnailCache) -> QImage:
    """The item's picture at most `side` pixels long with the shapes drawn over it; a grey
    square naming the problem when the image cannot be read."""
    try:
        cached = cache.thumbnail(request.path, request.sha256, max(request.side, 1))
        image = QImage(str(cached))
    except ThumbnailError:
        image = QImage()
    if image.isNull():
        image = QImage(request.side, request.side, QImage.Format.Format_ARGB32)
        image.fill(QColor(128, 128, 128))
        return image
    image = image.convertToFormat(QImage.Format.Format_ARGB32)
    if max(image.width(), image.height()) != request.side:  # small images are shown larger
        image = image.scaled(
            request.side,
            request.side,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    scale = image.width() / max(request.width, 1)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    for shape, dashed in ((request.truth, False), (request.prediction, True)):
        if shape is not None:
            kind, geometry, color = shape
            draw_shape(painter, kind, geometry, color, scale, dashed)
    painter.end()
    return image


class _Channel(QObject):
    made = Signal(int, object, QImage)  # generation, key, image


class _RenderJob(QRunnable):
    def __init__(self, renderer: OverlayRenderer, request: OverlayRequest, generation: int):
        super().__init__()
        self._renderer = renderer
        self._request = request
        self._generation = generation

    def run(self) -> None:
        if self._generation != self._renderer.generation:
            return  # the list it was made for is gone
        image = render_overlay(self._request, self._renderer.cache)
        self._renderer.channel.made.emit(self._generation, self._request.key, image)


class OverlayRenderer(QObject):
    """Makes overlay pictures on a small thread pool; `rendered(key, QImage)` for each
    request of the current generation (`cancel()` starts a new one)."""

    rendered = Signal(object, QImage)

    def __init__(self, parent: QObject | None = None, cache: ThumbnailCache | None = None):
        super().__init__(parent)
        self.cache = cache or ThumbnailCache()
        self.generation = 0
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max(1, min(MAX_THREADS, QThread.idealThreadCount())))
        self.channel = _Channel(self)
        self.channel.made.connect(self._made)

    def request(self, request: OverlayRequest) -> None:
        self._pool.start(_RenderJob(self, request, self.generation))

    def cancel(self) -> None:
        self.generation += 1  # jobs of older generations skip themselves
        self._pool.clear()

    def wait(self, msecs: int = -1) -> bool:
        return self._pool.waitForDone(msecs)

    def _made(self, generation: int, key: object, image: QImage) -> None:
        if generation == self.generation:
            self.rendered.emit(key, image)
