"""The magic wand on the canvas and in the window, on scikit-image's astronaut photograph with
uniform patches painted in, so the region a click selects is known."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from skimage import data

from studio.api import Project
from studio.core.geometry import decode_mask
from studio.gui.canvas import Canvas
from studio.gui.canvas.tools.wand_tool import WandTool
from studio.gui.main_window import MainWindow
from tests.gui.canvas.conftest import (
    CLASSES,
    IMAGE_SIZE,
    Recorder,
    click,
    drag,
    record_signal,
    right_click,
    wait_for_image,
)
from tests.gui.workspace.conftest import open_first_image, press

GREEN = (20, 200, 60)
PATCH = (150, 100, 100, 60)  # x, y, width, height of the first green patch
SECOND = (300, 200, 60, 40)
SHIFT = Qt.KeyboardModifier.ShiftModifier
ALT = Qt.KeyboardModifier.AltModifier


def write_patched_photo(path: Path) -> Path:
    """A 400×300 crop of the astronaut with two uniform green patches (lossless PNG)."""
    pixels = data.astronaut()[: IMAGE_SIZE[1], : IMAGE_SIZE[0]].copy()
    for x, y, width, height in (PATCH, SECOND):
        pixels[y : y + height, x : x + width] = GREEN
    Image.fromarray(pixels).save(path)
    return path


def extent(rings: list[list[float]]) -> tuple[float, float, float, float]:
    xs = [x for ring in rings for x in ring[0::2]]
    ys = [y for ring in rings for y in ring[1::2]]
    return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)


@pytest.fixture
def canvas(qtbot: QtBot, make_canvas: Callable[..., Canvas], tmp_path: Path) -> Canvas:
    shown = make_canvas()
    shown.set_image(write_patched_photo(tmp_path / "patched.png"), *IMAGE_SIZE)
    wait_for_image(qtbot, shown)
    shown.set_annotations([], CLASSES)
    shown.set_active_class(CLASSES[0])
    shown.set_tool("wand")
    shown.setFocus()
    return shown


def wand(canvas: Canvas) -> WandTool:
    tool = canvas.current_tool()
    assert isinstance(tool, WandTool)
    return tool


def wait_for_region(qtbot: QtBot, canvas: Canvas) -> None:
    qtbot.waitUntil(lambda: not wand(canvas).working() and wand(canvas).region() is not None)


def only_call(recorder: Recorder) -> tuple:
    assert len(recorder.calls) == 1, recorder.calls
    return recorder.calls[0]


def test_a_click_previews_the_patch_and_enter_emits_its_polygon(
    qtbot: QtBot, canvas: Canvas
) -> None:
    created = record_signal(canvas.shape_created)
    click(qtbot, canvas, 200, 130)
    wait_for_region(qtbot, canvas)
    assert extent(wand(canvas).region().rings) == pytest.approx(PATCH, abs=0.5)
    assert created.calls == []  # a preview until accepted
    qtbot.keyClick(canvas, Qt.Key.Key_Return)
    kind, rings = only_call(created)
    assert kind == "polygon"
    assert extent(rings) == pytest.approx(PATCH, abs=0.5)
    assert not wand(canvas).busy()


def test_shift_click_adds_a_region_and_shift_enter_emits_a_mask(
    qtbot: QtBot, canvas: Canvas
) -> None:
    created = record_signal(canvas.shape_created)
    click(qtbot, canvas, 200, 130)
    click(qtbot, canvas, 320, 220, SHIFT)
    qtbot.keyClick(canvas, Qt.Key.Key_Return, SHIFT)  # stored once the region is ready
    qtbot.waitUntil(lambda: bool(created.calls))
    kind, rle = only_call(created)
    assert kind == "mask"
    assert decode_mask(rle).sum() == 100 * 60 + 60 * 40


def test_alt_click_cuts_a_region_out(qtbot: QtBot, canvas: Canvas) -> None:
    click(qtbot, canvas, 200, 130)
    click(qtbot, canvas, 320, 220, SHIFT)
    click(qtbot, canvas, 320, 220, ALT)
    wait_for_region(qtbot, canvas)
    assert extent(wand(canvas).region().rings) == pytest.approx(PATCH, abs=0.5)


def test_a_right_click_cuts_a_region_out_as_alt_click_does(qtbot: QtBot, canvas: Canvas) -> None:
    click(qtbot, canvas, 200, 130)
    click(qtbot, canvas, 320, 220, SHIFT)
    wait_for_region(qtbot, canvas)
    assert extent(wand(canvas).region().rings) != pytest.approx(PATCH, abs=0.5)
    right_click(qtbot, canvas, 320, 220)
    wait_for_region(qtbot, canvas)
    assert extent(wand(canvas).region().rings) == pytest.approx(PATCH, abs=0.5)


def test_a_dragged_box_outlines_the_patch_inside_it(qtbot: QtBot, canvas: Canvas) -> None:
    drag(qtbot, canvas, [(140, 90), (200, 120), (260, 170)])
    wait_for_region(qtbot, canvas)
    x, y, width, height = extent(wand(canvas).region().rings)
    assert (x, y) == pytest.approx(PATCH[:2], abs=2)
    assert (width, height) == pytest.approx(PATCH[2:], abs=3)


def test_escape_drops_the_region_and_nothing_is_emitted(qtbot: QtBot, canvas: Canvas) -> None:
    created = record_signal(canvas.shape_created)
    click(qtbot, canvas, 200, 130)
    wait_for_region(qtbot, canvas)
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)
    assert wand(canvas).region() is None
    assert not wand(canvas).busy()
    qtbot.keyClick(canvas, Qt.Key.Key_Return)
    assert created.calls == []


def test_brackets_change_the_tolerance_and_redo_the_region(qtbot: QtBot, canvas: Canvas) -> None:
    messages = record_signal(canvas.message)
    click(qtbot, canvas, 60, 20)  # the photograph's background, not a uniform patch
    wait_for_region(qtbot, canvas)
    before = wand(canvas).region().mask.sum()
    for _ in range(4):
        qtbot.keyClick(canvas, Qt.Key.Key_BracketRight)
    wait_for_region(qtbot, canvas)
    assert wand(canvas).tolerance() > 12
    assert messages.calls[-1] == (f"Wand tolerance: {wand(canvas).tolerance():g}",)
    assert wand(canvas).region().mask.sum() > before
    assert canvas.brush_size() == 24  # the brush kept its size


@pytest.fixture
def patched_project(tmp_path: Path) -> Path:
    path = tmp_path / "wand.studio"
    image = write_patched_photo(tmp_path / "patched.png")
    with Project.create(path, author="tester") as project:
        project.add_classes(["cat", "dog"])
        project.import_media(image)
    return path


def test_in_the_window_w_picks_the_wand_enter_stores_a_polygon_and_undo_removes_it(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], patched_project: Path
) -> None:
    window = open_window(patched_project)
    open_first_image(qtbot, window)
    canvas = window.workspace.canvas
    wait_for_image(qtbot, canvas)
    item_id = window.workspace.controller.item.id
    assert window.tool_bar.actions()[-1].objectName() == "tool_wand"
    press(qtbot, Qt.Key.Key_2)  # the class "dog"
    press(qtbot, Qt.Key.Key_W)
    assert canvas.tool() == "wand"

    click(qtbot, canvas, 200, 130)
    wait_for_region(qtbot, canvas)
    press(qtbot, Qt.Key.Key_Return)

    [annotation] = window.project.annotations(item_id)
    assert (annotation.kind, annotation.label, annotation.source) == ("polygon", "dog", "human")
    assert extent(annotation.geometry) == pytest.approx(PATCH, abs=0.5)
    press(qtbot, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.project.annotations(item_id) == []
    press(qtbot, Qt.Key.Key_F1)
    assert "Magic wand" in window.help_overlay.text()
    assert window.registry.keys("tool_wand") == ["W"]
