"""Switching the canvas to a 12-megapixel JPEG: time until the preview and the full image show.

Studio: `Canvas.set_image` on a shown 1280×800 canvas (offscreen) until its `image_shown`
signal says "preview", then "full"; each time the slot repaints the viewport synchronously,
so the figure includes painting the new picture. The canvas alternates between two seeded
4000×3000 JPEGs (photograph-like: smooth colour fields plus grain), so every switch decodes.
The baseline: PIL decoding the same JPEG in full, `Image.open` + `load`, alone, in the same
process, one decode before each switch. Medians of each side; a warm-up switch and decode
are not counted.
"""

from __future__ import annotations

import time
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QEventLoop, QTimer

from benchmarks.fixtures import write_jpegs
from benchmarks.harness import Measurement, Session, median, timed
from benchmarks.qt_application import application
from studio.gui.canvas import Canvas

FULL_SIZE = (4000, 3000)
QUICK_SIZE = (2400, 1800)  # still large enough to get a preview
FULL_SWITCHES = 12
QUICK_SWITCHES = 3
WARM_UP = 1
CANVAS_SIZE = (1280, 800)
TIMEOUT_MS = 30_000


class SwitchClock:
    """Times `Canvas.set_image` to each `image_shown` stage, painting included."""

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        self.stages: dict[str, float] = {}
        self._start = 0.0
        self._loop = QEventLoop()
        canvas.image_shown.connect(self._shown)

    def _shown(self, stage: str) -> None:
        self.canvas.viewport().repaint()
        self.stages[stage] = (time.perf_counter() - self._start) * 1000
        if stage != "preview":
            self._loop.quit()

    def switch(self, path: Path, width: int, height: int) -> dict[str, float]:
        """Milliseconds from `set_image` to each stage shown ("preview", "full")."""
        self.stages = {}
        timeout = QTimer()
        timeout.setSingleShot(True)
        timeout.timeout.connect(self._loop.quit)
        timeout.start(TIMEOUT_MS)
        self._start = time.perf_counter()
        self.canvas.set_image(path, width, height)
        if self.canvas.image_state() != "full":
            self._loop.exec()
        timeout.stop()
        if "full" not in self.stages:
            raise RuntimeError(
                f"{path.name}: the canvas showed {self.stages} within {TIMEOUT_MS} ms"
            )
        return self.stages


def pil_decode_ms(path: Path) -> float:
    def decode() -> None:
        with Image.open(path) as image:
            image.load()

    seconds, _ = timed(decode)
    return seconds * 1000


def run(session: Session) -> list[Measurement]:
    app = application()
    size = QUICK_SIZE if session.quick else FULL_SIZE
    switches = QUICK_SWITCHES if session.quick else FULL_SWITCHES
    folder = session.folder("image-switch")
    write_jpegs(folder, 2, session.seed, size=size)
    photos = sorted(folder.glob("*.jpg"))
    canvas = Canvas()
    canvas.resize(*CANVAS_SIZE)
    canvas.show()
    app.processEvents()
    clock = SwitchClock(canvas)
    preview_ms: list[float] = []
    full_ms: list[float] = []
    baseline_ms: list[float] = []
    try:
        for index in range(WARM_UP + switches):
            path = photos[index % 2]
            baseline = pil_decode_ms(path)
            with session.studio_side("image switch"):
                stages = clock.switch(path, *size)
            if index >= WARM_UP:
                baseline_ms.append(baseline)
                full_ms.append(stages["full"])
                if "preview" in stages:
                    preview_ms.append(stages["preview"])
    finally:
        canvas.shutdown()
        canvas.close()
        canvas.deleteLater()
        app.processEvents()
    if len(preview_ms) < switches // 2 + 1:
        raise RuntimeError(
            f"the preview came first in only {len(preview_ms)} of {switches} switches"
        )
    megapixels = size[0] * size[1] / 1e6
    note = (
        f"switch: Canvas.set_image → image_shown + repaint, {CANVAS_SIZE[0]}×{CANVAS_SIZE[1]} "
        f"canvas, two {size[0]}×{size[1]} JPEGs alternating, {switches} switches; baseline: "
        "PIL Image.open + load of the same JPEG; medians"
    )
    return [
        Measurement(
            benchmark=f"image switch {megapixels:.0f} MP JPEG",
            metric=metric,
            unit="ms",
            studio=median(samples),
            baseline=median(baseline_ms),
            higher_is_better=False,
            note=note,
        )
        for metric, samples in (("preview shown", preview_ms), ("full shown", full_ms))
    ]
