"""Decoding the canvas image off the GUI thread: a fast preview first, then the full image.

`ImageLoader.load(path)` starts two jobs on its own QThreadPool, run side by side:
- preview: for a JPEG much larger than the preview size, libjpeg decodes at 1/2, 1/4 or 1/8
  scale (`Image.draft`), which costs a fraction of the full decode;
- full: the whole image, except that an image larger than `max_side` on its long side is
  decoded (JPEG draft) or reduced to at most `max_side`, so that an 8k×8k image takes 64 MB of
  display memory, not 256 MB, and paints as fast as a 4k one. Scene coordinates stay in image
  pixels: the canvas maps the smaller picture onto the full image rectangle.
EXIF orientation is applied to both. Results come back to the GUI thread through queued
signals carrying the load's generation; the canvas drops those of a superseded load, and a job
whose load was superseded before it started does no work at all. The full image is never
emitted before the preview of the same load, so `preview` always comes first.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shiboken6
from PIL import Image, ImageOps
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, SignalInstance
from PySide6.QtGui import QImage

PREVIEW_SIDE = 1024
MAX_DISPLAY_SIDE = 4096
MAX_THREADS = 3  # the current preview and full decode, plus one superseded decode finishing
PREVIEW_WAIT_SECONDS = 10.0  # the longest a full image waits for its preview's signal
PREVIEW_POLL_SECONDS = 0.05
DCT_REDUCTIONS = (1, 2, 4, 8)
_RGB24, _ARGB32 = QImage.Format.Format_RGB888, QImage.Format.Format_ARGB32
_GREY8 = QImage.Format.Format_Grayscale8


class ImageLoadError(Exception):
    """An image cannot be shown; the message names the file and the problem."""


@dataclass(frozen=True)
class DisplayImage:
    """A decoded picture ready to paint; `pixels` owns the memory the QImage reads."""

    image: QImage
    pixels: bytes

    @property
    def width(self) -> int:
        return self.image.width()

    @property
    def height(self) -> int:
        return self.image.height()


def reduction_for(long_side: int, target: int) -> int:
    """The smallest JPEG DCT reduction that brings `long_side` down to `target` (at most 8)."""
    for factor in DCT_REDUCTIONS:
        if math.ceil(long_side / factor) <= target:
            return factor
    return DCT_REDUCTIONS[-1]


def wants_preview(image: Image.Image, preview_side: int) -> bool:
    """Only a JPEG well above the preview size decodes a preview faster than in full."""
    return image.format == "JPEG" and max(image.size) > 2 * preview_side


def _open(path: Path) -> Image.Image:
    try:
        return Image.open(path)
    except FileNotFoundError:
        raise ImageLoadError(f"Image file missing: {path}") from None
    except Image.DecompressionBombError as error:
        raise ImageLoadError(f"Refused {path} as a decompression bomb ({error})") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageLoadError(f"Cannot read {path}: unreadable or corrupt image ({error})") from None


def _decode(image: Image.Image, path: Path, target_side: int) -> Image.Image:
    """Load `image` (opened, not decoded) at most `target_side` on its long side, upright."""
    try:
        if image.format == "JPEG" and max(image.size) > target_side:
            factor = reduction_for(max(image.size), target_side)
            width, height = image.size
            image.draft(image.mode, (math.ceil(width / factor), math.ceil(height / factor)))
        image.load()
        ImageOps.exif_transpose(image, in_place=True)
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise ImageLoadError(f"Cannot read {path}: unreadable or corrupt image ({error})") from None
    if max(image.size) > target_side:  # box-filter averaging: fast, and free of aliasing
        image = image.reduce(math.ceil(max(image.size) / target_side))
    return image


def decode_preview(path: Path, preview_side: int = PREVIEW_SIDE) -> Image.Image | None:
    """A reduced decode of a large JPEG (None for images that do not need one)."""
    with _open(path) as image:
        if not wants_preview(image, preview_side):
            return None
        return _decode(image, path, preview_side)


def decode_full(path: Path, max_side: int = MAX_DISPLAY_SIDE) -> Image.Image:
    """The image to display: full resolution up to `max_side` on its long side."""
    return decode_levels(path, max_side)[-1]


def decode_levels(
    path: Path, max_side: int = MAX_DISPLAY_SIDE, preview_side: int = PREVIEW_SIDE
) -> list[Image.Image]:
    """The full image to display, after a box-filtered reduction of it for an image that
    gets no preview (a large PNG or TIFF), so that zoomed out it paints fast and unaliased."""
    with _open(path) as image:
        previewed = wants_preview(image, preview_side)
        full = _decode(image, path, max_side)
    if previewed or max(full.size) <= 2 * preview_side:
        return [full]
    return [full.reduce(math.ceil(max(full.size) / preview_side)), full]


def _display_mode(image: Image.Image) -> Image.Image:
    """L, RGB or RGBA: deep greys are scaled to 8 bits, palettes and CMYK expanded."""
    if image.mode in ("L", "RGB", "RGBA"):
        return image
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        pixels = np.asarray(image, dtype=np.float32)
        low, high = float(pixels.min()), float(pixels.max())
        scaled = (pixels - low) * (255.0 / (high - low)) if high > low else pixels * 0
        return Image.fromarray(scaled.astype(np.uint8), "L")
    if image.mode in ("LA", "PA", "RGBa", "La") or "transparency" in image.info:
        return image.convert("RGBA")
    return image.convert("RGB")


def to_display(image: Image.Image) -> DisplayImage:
    """A QImage over one copy of the pixels, in a format Qt paints directly.

    24-bit RGB rather than 32-bit: the copy out of Pillow is the costliest step after the
    decode itself (a 12-megapixel image is 36 MB instead of 48 MB to allocate and fill), and
    the raster engine converts only the pixels it draws.
    """
    image = _display_mode(image)
    width, height = image.size
    if image.mode == "RGB":
        pixels, stride, layout = image.tobytes("raw", "RGB"), 3 * width, _RGB24
    elif image.mode == "RGBA":
        pixels, stride, layout = image.tobytes("raw", "BGRA"), 4 * width, _ARGB32
    else:
        pixels, stride, layout = image.tobytes(), width, _GREY8
    return DisplayImage(QImage(pixels, width, height, stride, layout), pixels)


class _ResultChannel(QObject):
    """Lives in the GUI thread; workers emit on it and Qt queues the calls to that thread."""

    preview = Signal(int, object)
    full = Signal(int, object)
    failed = Signal(int, str)


@dataclass
class _Load:
    """One `load` call: its generation, file, and whether its preview job is over."""

    generation: int
    path: Path
    preview_done: threading.Event


class _DecodeJob(QRunnable):
    def __init__(self, loader: ImageLoader, load: _Load, stage: str) -> None:
        super().__init__()
        self._loader, self._load, self._stage = loader, load, stage

    def run(self) -> None:
        if self._stage == "preview":
            try:
                self._loader._decode_preview(self._load)
            finally:
                self._load.preview_done.set()
        else:
            self._loader._decode_full(self._load)


def _stopper(pool: QThreadPool) -> Callable[[], None]:
    """Stops `pool` before Qt deletes it with its loader.

    Deleting a QThreadPool waits for its running jobs; when the deletion comes from Python
    code (an `event()` override handling deleteLater, say) the waiting thread holds the GIL
    that the jobs need to finish, and the process hangs. This runs first, on the loader's
    `destroyed` signal, and PySide releases the GIL while `waitForDone` waits.
    """

    def stop() -> None:
        if shiboken6.isValid(pool):
            pool.clear()
            pool.waitForDone()

    return stop


class ImageLoader(QObject):
    """Emits `preview_ready(generation, DisplayImage)`, `full_ready(generation, levels)` (a
    list of DisplayImage, the full picture last) and `failed(generation, message)` for the
    loads that `load` starts."""

    preview_ready = Signal(int, object)
    full_ready = Signal(int, object)
    failed = Signal(int, str)

    def __init__(
        self,
        parent: QObject | None = None,
        preview_side: int = PREVIEW_SIDE,
        max_side: int = MAX_DISPLAY_SIDE,
    ) -> None:
        super().__init__(parent)
        self.preview_side = preview_side
        self.max_side = max_side
        self._pool = QThreadPool(self)  # created before the channel, so deleted first
        self._pool.setMaxThreadCount(MAX_THREADS)
        self.destroyed.connect(_stopper(self._pool))
        self._channel = _ResultChannel(self)
        self._channel.preview.connect(self.preview_ready)
        self._channel.full.connect(self.full_ready)
        self._channel.failed.connect(self.failed)
        self._lock = threading.Lock()
        self._generation = 0

    @property
    def generation(self) -> int:
        return self._generation

    def load(self, path: Path) -> int:
        """Start decoding `path`; returns the generation its results will carry."""
        load = _Load(self.cancel(), Path(path), threading.Event())
        self._pool.start(_DecodeJob(self, load, "preview"), 1)
        self._pool.start(_DecodeJob(self, load, "full"), 0)
        return load.generation

    def cancel(self) -> int:
        """Supersede every load started so far (their results will be dropped)."""
        with self._lock:
            self._generation += 1
            return self._generation

    def is_current(self, generation: int) -> bool:
        with self._lock:
            return generation == self._generation

    def wait(self, msecs: int = -1) -> bool:
        """Block until running jobs finish; True when none is left."""
        return self._pool.waitForDone(msecs)

    def shutdown(self) -> None:
        """Drop queued jobs and wait for running ones (safe after Qt deleted the loader:
        deleting its pool already waited)."""
        self.cancel()
        if shiboken6.isValid(self._pool):
            self._pool.clear()
            self._pool.waitForDone()

    def _decode_preview(self, load: _Load) -> None:
        if not self.is_current(load.generation):
            return
        try:
            image = decode_preview(load.path, self.preview_side)
            if image is not None and self.is_current(load.generation):
                self._emit(self._channel.preview, load.generation, to_display(image))
        except Exception:  # the full decode of the same file reports what is wrong with it
            return

    def _decode_full(self, load: _Load) -> None:
        if not self.is_current(load.generation):
            return
        try:
            levels = decode_levels(load.path, self.max_side, self.preview_side)
            shown = [to_display(level) for level in levels]
        except ImageLoadError as error:
            self._emit(self._channel.failed, load.generation, str(error))
            return
        except Exception as error:  # a crashed decode must still end the load, with a reason
            message = f"Cannot read {load.path}: {type(error).__name__}: {error}"
            self._emit(self._channel.failed, load.generation, message)
            return
        if self._preview_finished(load):
            self._emit(self._channel.full, load.generation, shown)

    def _preview_finished(self, load: _Load) -> bool:
        """Wait until the preview's signal has gone (it must come first); False when the
        load was superseded meanwhile (its preview job may then never run)."""
        deadline = time.monotonic() + PREVIEW_WAIT_SECONDS
        while not load.preview_done.wait(PREVIEW_POLL_SECONDS):
            if not self.is_current(load.generation) or time.monotonic() > deadline:
                break
        return self.is_current(load.generation)

    def _emit(self, signal: SignalInstance, generation: int, payload: object) -> None:
        with contextlib.suppress(RuntimeError):  # the canvas was deleted while this job ran
            signal.emit(generation, payload)
