"""Canvas fixtures: a shown Canvas, real JPEG files, records, and mouse helpers that press,
move and release on the viewport at the positions of image coordinates."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt
from pytestqt.qtbot import QtBot

from studio.core.records import AnnotationRecord, LabelClassRecord
from studio.gui.canvas import Canvas

IMAGE_SIZE = (400, 300)
CANVAS_SIZE = (820, 620)  # fits 400×300 at zoom 2: one screen pixel is half an image pixel
CLASSES = [
    LabelClassRecord(1, "cat", "#e6194b", "1", 0, False),
    LabelClassRecord(2, "dog", "#3cb44b", "2", 1, False),
]
NO_BUTTON = Qt.KeyboardModifier.NoModifier


def write_photo(path: Path, size: tuple[int, int], seed: int = 0, **save: Any) -> Path:
    """A photograph-like JPEG (smooth colour fields plus grain) of `size`."""
    rng = np.random.default_rng(seed)
    width, height = size
    coarse = rng.integers(0, 256, size=(max(height // 30, 2), max(width // 30, 2), 3))
    smooth = Image.fromarray(coarse.astype(np.uint8)).resize(size, Image.Resampling.BILINEAR)
    grain = rng.integers(-10, 11, size=(height, width, 3))
    pixels = np.clip(np.asarray(smooth, dtype=np.int16) + grain, 0, 255).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path, **({"quality": 90} | save))
    return path


def record(
    annotation_id: int,
    kind: str,
    geometry: Any,
    class_id: int = 1,
    source: str = "human",
    score: float | None = None,
    review: str | None = None,
) -> AnnotationRecord:
    label = next(c.name for c in CLASSES if c.id == class_id)
    return AnnotationRecord(
        annotation_id, 1, class_id, label, kind, geometry, source, score, "t", {}, 0.0, 0.0, review
    )


class Recorder:
    """Collects every emission of a signal."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def __call__(self, *args: Any) -> None:
        self.calls.append(args)


def record_signal(signal: Any) -> Recorder:
    recorder = Recorder()
    signal.connect(recorder)
    return recorder


def view_pos(canvas: Canvas, x: float, y: float) -> QPoint:
    """The viewport position showing image point (x, y)."""
    return canvas.mapFromScene(QPointF(x, y))


def image_point(canvas: Canvas, position: QPoint) -> tuple[float, float]:
    """The image coordinates the canvas sees for a viewport position."""
    scene = canvas.scene_point(QPointF(position))
    return scene.x(), scene.y()


def drag(
    qtbot: QtBot,
    canvas: Canvas,
    points: Sequence[tuple[float, float]],
    modifiers: Qt.KeyboardModifier = NO_BUTTON,
    button: Qt.MouseButton = Qt.MouseButton.LeftButton,
) -> None:
    """Press at the first image point, move through the others, release at the last."""
    viewport = canvas.viewport()
    positions = [view_pos(canvas, x, y) for x, y in points]
    qtbot.mousePress(viewport, button, modifiers, positions[0])
    for position in positions[1:]:
        qtbot.mouseMove(viewport, position)
    qtbot.mouseRelease(viewport, button, modifiers, positions[-1])


def click(
    qtbot: QtBot, canvas: Canvas, x: float, y: float, modifiers: Qt.KeyboardModifier = NO_BUTTON
) -> None:
    position = view_pos(canvas, x, y)
    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, modifiers, position)


def right_click(qtbot: QtBot, canvas: Canvas, x: float, y: float) -> None:
    position = view_pos(canvas, x, y)
    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.RightButton, NO_BUTTON, position)


def double_click(qtbot: QtBot, canvas: Canvas, x: float, y: float) -> None:
    """What a platform sends for a double-click: press, release, double-click, release.

    (QTest's mouseDClick sends only the double-click event and leaves the button down.)
    """
    click(qtbot, canvas, x, y)
    position = view_pos(canvas, x, y)
    qtbot.mouseDClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=position)
    qtbot.mouseRelease(canvas.viewport(), Qt.MouseButton.LeftButton, pos=position)


def hover(qtbot: QtBot, canvas: Canvas, x: float, y: float) -> None:
    """Move the pointer (no button down) onto image point (x, y).

    It arrives from a pixel away: Qt drops a move to where the pointer already is, which in
    a test may be where an earlier test left it.
    """
    position = view_pos(canvas, x, y)
    qtbot.mouseMove(canvas.viewport(), position + QPoint(2, 2))
    qtbot.mouseMove(canvas.viewport(), position)


def wait_for_image(qtbot: QtBot, canvas: Canvas, state: str = "full") -> None:
    qtbot.waitUntil(lambda: canvas.image_state() == state, timeout=10_000)


@pytest.fixture
def make_canvas(qtbot: QtBot) -> Iterator[Callable[..., Canvas]]:
    """Shown canvases (keyword arguments go to Canvas); their decoders stop after the test."""
    made: list[Canvas] = []

    def make(**options: Any) -> Canvas:
        canvas = Canvas(**options)
        qtbot.addWidget(canvas)
        canvas.resize(*CANVAS_SIZE)
        canvas.show()
        qtbot.waitExposed(canvas)
        made.append(canvas)
        return canvas

    yield make
    for canvas in made:
        canvas.shutdown()


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    return write_photo(tmp_path / "photo.jpg", IMAGE_SIZE)


@pytest.fixture
def canvas(qtbot: QtBot, make_canvas: Callable[..., Canvas], photo: Path) -> Canvas:
    """A canvas showing a decoded 400×300 photograph, fitted (zoom 2), with the classes."""
    shown = make_canvas()
    shown.set_image(photo, *IMAGE_SIZE)
    wait_for_image(qtbot, shown)
    shown.set_annotations([], CLASSES)
    shown.set_active_class(CLASSES[0])
    shown.setFocus()
    return shown
