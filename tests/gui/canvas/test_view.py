"""The canvas's image display and navigation: preview then full, capped pixmaps,
placeholders, stale loads, zoom about the pointer, fit and 1:1, smoothing, panning."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from studio.gui.canvas import Canvas
from studio.gui.canvas.image_loader import ImageLoader
from tests.gui.canvas.conftest import (
    CANVAS_SIZE,
    IMAGE_SIZE,
    image_point,
    record_signal,
    view_pos,
    wait_for_image,
    write_photo,
)


def send_wheel(canvas: Canvas, position: QPoint, notches: float) -> None:
    """A real wheel event on the viewport (`notches` of 120 eighths of a degree)."""
    global_position = canvas.viewport().mapToGlobal(position)
    event = QWheelEvent(
        QPointF(position),
        QPointF(global_position),
        QPoint(0, 0),
        QPoint(0, round(120 * notches)),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(canvas.viewport(), event)


def test_a_large_jpeg_shows_a_preview_then_the_full_image_capped_for_display(
    qtbot: QtBot, make_canvas: Callable[..., Canvas], tmp_path: Path
) -> None:
    canvas = make_canvas(preview_side=128, max_display_side=512)
    shown = record_signal(canvas.image_shown)
    path = write_photo(tmp_path / "large.jpg", (1600, 1200))

    canvas.set_image(path, 1600, 1200)
    wait_for_image(qtbot, canvas)

    assert [call[0] for call in shown.calls] == ["preview", "full"]
    levels = canvas.image_item.levels()
    assert [(level.width, level.height) for level in levels] == [(100, 75), (400, 300)]
    assert canvas.sceneRect().contains(canvas.image_item.image_rect())
    assert canvas.image_item.image_rect().size().toSize().toTuple() == (1600, 1200)


def test_default_limits_cap_a_very_wide_image_at_4096_pixels(
    qtbot: QtBot, make_canvas: Callable[..., Canvas], tmp_path: Path
) -> None:
    canvas = make_canvas()
    shown = record_signal(canvas.image_shown)
    path = write_photo(tmp_path / "strip.jpg", (9000, 96))

    canvas.set_image(path, 9000, 96)
    wait_for_image(qtbot, canvas)

    assert [call[0] for call in shown.calls] == ["preview", "full"]
    preview, full = canvas.image_item.levels()
    assert max(preview.width, preview.height) <= 1024
    assert full.width <= 4096
    assert full.width == pytest.approx(9000 / 4, abs=1)  # libjpeg's 1/4 scale, not a resize


def test_the_level_painted_follows_the_zoom(large_canvas: Canvas) -> None:
    canvas = large_canvas
    preview, full = canvas.image_item.levels()
    assert preview.width == 400

    canvas.zoom_by(0.4)  # about 0.2: the quarter-size preview has pixels to spare
    assert canvas.image_item.level_for(canvas.zoom()) is preview
    canvas.fit()  # about 0.5: the preview would be enlarged
    assert canvas.image_item.level_for(canvas.zoom()) is full
    canvas.actual_size()
    assert canvas.image_item.level_for(canvas.zoom()) is full


@pytest.fixture
def large_canvas(qtbot: QtBot, make_canvas: Callable[..., Canvas], tmp_path: Path) -> Canvas:
    """A 1600×1200 JPEG with a 400×300 preview."""
    canvas = make_canvas(preview_side=400)
    path = write_photo(tmp_path / "large.jpg", (1600, 1200))
    canvas.set_image(path, 1600, 1200)
    wait_for_image(qtbot, canvas)
    return canvas


def test_a_small_image_shows_in_full_without_a_preview(
    qtbot: QtBot, make_canvas: Callable[..., Canvas], photo: Path
) -> None:
    canvas = make_canvas()
    shown = record_signal(canvas.image_shown)

    canvas.set_image(photo, *IMAGE_SIZE)
    wait_for_image(qtbot, canvas)

    assert [call[0] for call in shown.calls] == ["full"]
    (level,) = canvas.image_item.levels()
    assert (level.width, level.height) == IMAGE_SIZE
    assert canvas.placeholder_text() == ""


def test_a_missing_file_shows_a_placeholder_instead_of_crashing(
    make_canvas: Callable[..., Canvas], tmp_path: Path
) -> None:
    canvas = make_canvas()
    shown = record_signal(canvas.image_shown)
    missing = tmp_path / "gone" / "photo.jpg"

    canvas.set_image(missing, 640, 480)

    assert canvas.placeholder_text() == f"Image file missing: {missing}"
    assert canvas.image_state() == "missing"
    assert [call[0] for call in shown.calls] == ["missing"]
    assert canvas.image_item.levels() == []
    grab = canvas.grab()
    assert not grab.isNull()


def test_an_unreadable_file_shows_why(
    qtbot: QtBot, make_canvas: Callable[..., Canvas], tmp_path: Path
) -> None:
    canvas = make_canvas()
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 this is not a JPEG")

    canvas.set_image(broken, 640, 480)
    wait_for_image(qtbot, canvas, "unreadable")

    assert canvas.placeholder_text().startswith(f"Cannot read {broken}: unreadable or corrupt")


def test_no_image_shows_a_placeholder(make_canvas: Callable[..., Canvas]) -> None:
    canvas = make_canvas()
    canvas.set_image(None, 0, 0)
    assert canvas.placeholder_text() == "No image"


def test_a_stale_load_is_dropped_when_the_user_switches_images(
    qtbot: QtBot, make_canvas: Callable[..., Canvas], tmp_path: Path
) -> None:
    canvas = make_canvas()
    first = write_photo(tmp_path / "first.jpg", (2400, 1800), seed=1)
    second = write_photo(tmp_path / "second.jpg", (300, 200), seed=2)
    shown = record_signal(canvas.image_shown)

    canvas.set_image(first, 2400, 1800)
    canvas.set_image(second, 300, 200)
    wait_for_image(qtbot, canvas)
    canvas.wait_for_loads()
    qtbot.wait(50)  # let any queued result of the first load arrive (and be dropped)

    assert canvas.image_path() == second
    assert [(level.width, level.height) for level in canvas.image_item.levels()] == [(300, 200)]
    assert [call[0] for call in shown.calls] == ["full"]


def test_exif_orientation_is_applied(
    qtbot: QtBot, make_canvas: Callable[..., Canvas], tmp_path: Path
) -> None:
    """A file stored 60×40 with orientation 6 (rotate 90° clockwise) shows 40×60."""
    from PIL import Image

    exif = Image.Exif()
    exif[0x0112] = 6
    path = write_photo(tmp_path / "turned.jpg", (60, 40), exif=exif.tobytes())
    canvas = make_canvas()

    canvas.set_image(path, 40, 60)
    wait_for_image(qtbot, canvas)

    (level,) = canvas.image_item.levels()
    assert (level.width, level.height) == (40, 60)


def test_fit_shows_the_whole_image_centred_and_actual_size_is_one_to_one(
    canvas: Canvas,
) -> None:
    width, height = IMAGE_SIZE
    assert canvas.zoom() == pytest.approx(min((820 - 16) / width, (620 - 16) / height))
    center = view_pos(canvas, width / 2, height / 2)
    assert abs(center.x() - CANVAS_SIZE[0] / 2) <= 1
    assert abs(center.y() - CANVAS_SIZE[1] / 2) <= 1

    canvas.actual_size()
    assert canvas.zoom() == 1.0
    canvas.fit()
    assert canvas.zoom() == pytest.approx(min((820 - 16) / width, (620 - 16) / height))


def test_keys_fit_zoom_and_show_one_to_one(qtbot: QtBot, canvas: Canvas) -> None:
    fitted = canvas.zoom()
    zooms = record_signal(canvas.zoom_changed)

    qtbot.keyClick(canvas, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert canvas.zoom() == 1.0
    qtbot.keyClick(canvas, Qt.Key.Key_Plus)
    assert canvas.zoom() == pytest.approx(1.25)
    qtbot.keyClick(canvas, Qt.Key.Key_Minus)
    assert canvas.zoom() == pytest.approx(1.0)
    qtbot.keyClick(canvas, Qt.Key.Key_F)
    assert canvas.zoom() == pytest.approx(fitted)
    qtbot.keyClick(canvas, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(canvas, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert canvas.zoom() == pytest.approx(fitted)
    assert [call[0] for call in zooms.calls] == pytest.approx([1.0, 1.25, 1.0, fitted, 1.0, fitted])


@pytest.mark.parametrize(("x", "y"), [(100.0, 80.0), (390.0, 20.0), (5.0, 295.0)])
def test_the_wheel_zooms_about_the_point_under_the_cursor(
    canvas: Canvas, x: float, y: float
) -> None:
    position = view_pos(canvas, x, y)
    under_cursor = canvas.scene_point(QPointF(position))

    for notches in (1, 2, 3, -1, -4):
        send_wheel(canvas, position, notches)
        now_at = canvas.view_point(under_cursor)
        assert (now_at.x(), now_at.y()) == pytest.approx((position.x(), position.y()), abs=0.5)

    assert canvas.zoom() != pytest.approx(1.0)


def test_wheel_zoom_is_bounded(canvas: Canvas) -> None:
    center = view_pos(canvas, 200, 150)
    for _ in range(40):
        send_wheel(canvas, center, 3)
    assert canvas.zoom() == 64.0
    for _ in range(80):
        send_wheel(canvas, center, -3)
    assert 0 < canvas.zoom() < 0.5


def test_smooth_when_zoomed_out_nearest_neighbour_past_one_to_one(canvas: Canvas) -> None:
    item = canvas.image_item
    assert item.smooth_at(0.5)
    assert item.smooth_at(1.0)
    assert not item.smooth_at(2.0)


def test_middle_drag_and_space_drag_pan_the_view(qtbot: QtBot, canvas: Canvas) -> None:
    viewport = canvas.viewport()
    start = view_pos(canvas, 200, 150)
    before = image_point(canvas, start)

    qtbot.mousePress(viewport, Qt.MouseButton.MiddleButton, pos=start)
    qtbot.mouseMove(viewport, start + QPoint(40, 0))
    qtbot.mouseRelease(viewport, Qt.MouseButton.MiddleButton, pos=start + QPoint(40, 0))
    moved = image_point(canvas, start)
    assert moved[0] == pytest.approx(before[0] - 40 / canvas.zoom(), abs=0.5)

    qtbot.keyPress(canvas, Qt.Key.Key_Space)
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(viewport, start + QPoint(0, 30))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=start + QPoint(0, 30))
    qtbot.keyRelease(canvas, Qt.Key.Key_Space)
    panned = image_point(canvas, start)
    assert panned[1] == pytest.approx(moved[1] - 30 / canvas.zoom(), abs=0.5)


def test_cursor_moved_reports_image_coordinates(qtbot: QtBot, canvas: Canvas) -> None:
    moves = record_signal(canvas.cursor_moved)
    qtbot.mouseMove(canvas.viewport(), view_pos(canvas, 123, 45))
    assert moves.calls[-1] == pytest.approx((123, 45), abs=0.5)


def test_deleting_the_canvas_while_it_decodes_is_safe(qtbot: QtBot, tmp_path: Path) -> None:
    path = write_photo(tmp_path / "large.jpg", (2400, 1800))
    canvas = Canvas()
    canvas.set_image(path, 2400, 1800)
    loader = canvas.findChild(ImageLoader)
    assert loader is not None

    canvas.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(loader), timeout=5_000)
    qtbot.wait(20)
    canvas.shutdown()  # after Qt deleted it: nothing left to stop, no error
