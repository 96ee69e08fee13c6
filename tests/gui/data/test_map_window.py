"""The map of the data's window: a lasso drawn with real mouse events selects exactly the
images under it in the gallery, a click opens one, the dots take the chosen colouring, and
Esc or Ctrl+W closes the window."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from matplotlib.path import Path as Outline
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from studio.api.data_map import DataMap, MapPoint
from studio.core.label_issues import ItemQuality, store_findings
from studio.core.map_colours import NO_CLASS
from studio.gui.data.map_view import MISSING_COLOUR
from studio.gui.data.map_window import DataMapWindow, category_colours
from studio.gui.main_window import MainWindow
from tests.gui.gallery_helpers import selected_ids

# The lasso's corners, as fractions of the plot's width and height: an irregular pentagon.
LASSO = [(0.23, 0.18), (0.81, 0.27), (0.66, 0.79), (0.31, 0.71), (0.12, 0.47)]
STEPS_PER_SIDE = 8
MOVE_INTERVAL_MS = 15  # pyqtgraph drops mouse moves closer than 10 ms (its mouseRateLimit)


def grid_map(window: MainWindow) -> DataMap:
    """The project's items on a 6 × 5 grid, slightly jittered so no dot sits on the lasso."""
    project = window.project
    assert project is not None
    generator = np.random.default_rng(3)
    points = []
    for index, item in enumerate(project.items()):
        x = (index % 6) / 5 + generator.uniform(-0.03, 0.03)
        y = (index // 6) / 4 + generator.uniform(-0.03, 0.03)
        points.append(MapPoint(item.id, x, y, item.path, item.sha256, "-", item.split, item.status))
    return DataMap(tuple(points), "a test layout", "00" * 32, "tsne")


def map_window(qtbot: QtBot, window: MainWindow) -> DataMapWindow:
    shown = DataMapWindow(window.project, window.select_items, window.open_item, window)
    shown.resize(800, 600)
    shown.show()
    qtbot.waitExposed(shown)
    shown.show_map(grid_map(window))
    QApplication.processEvents()
    return shown


def pixel_of(shown: DataMapWindow, point: MapPoint) -> QPointF:
    """Where a dot is drawn, in the plot's viewport pixels."""
    scene = shown.view.view_box.mapViewToScene(QPointF(point.x, point.y))
    return QPointF(shown.view.plot.mapFromScene(scene))


def send(target: QWidget, kind: QEvent.Type, position: QPoint, buttons: Qt.MouseButton) -> None:
    button = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove else Qt.MouseButton.LeftButton
    local = QPointF(position)
    event = QMouseEvent(
        kind,
        local,
        QPointF(target.mapToGlobal(position)),
        button,
        buttons,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(target, event)


def draw_lasso(target: QWidget) -> list[QPoint]:
    """Press, drag along the pentagon's sides and release, as a hand would; returns the
    pixels the mouse went through."""
    width, height = target.width(), target.height()
    corners = [QPointF(fx * width, fy * height) for fx, fy in LASSO]
    trail = []
    for start, end in zip(corners, corners[1:] + corners[:1], strict=True):
        for step in range(STEPS_PER_SIDE):
            along = start + (end - start) * (step / STEPS_PER_SIDE)
            trail.append(along.toPoint())
    left = Qt.MouseButton.LeftButton
    send(target, QEvent.Type.MouseButtonPress, trail[0], left)
    for position in trail[1:]:
        QTest.qWait(MOVE_INTERVAL_MS)
        send(target, QEvent.Type.MouseMove, position, left)
    send(target, QEvent.Type.MouseButtonRelease, trail[-1], Qt.MouseButton.NoButton)
    QApplication.processEvents()
    return trail


def test_the_lasso_selects_exactly_the_images_under_it_in_the_gallery(
    qtbot: QtBot, window: MainWindow
) -> None:
    shown = map_window(qtbot, window)
    viewport = shown.view.plot.viewport()

    trail = draw_lasso(viewport)

    outline = Outline([(point.x(), point.y()) for point in trail])
    expected = {
        point.item_id
        for point in shown.found.points
        if outline.contains_point((pixel_of(shown, point).x(), pixel_of(shown, point).y()))
    }
    assert 3 < len(expected) < len(shown.found.points) - 3
    assert selected_ids(window.gallery) == expected
    assert f"{len(expected)} images lassoed" in shown.status.text()


def test_clicking_a_dot_opens_its_image(qtbot: QtBot, window: MainWindow) -> None:
    shown = map_window(qtbot, window)
    target = shown.found.points[7]

    QTest.mouseClick(
        shown.view.plot.viewport(), Qt.MouseButton.LeftButton, pos=pixel_of(shown, target).toPoint()
    )

    qtbot.waitUntil(lambda: selected_ids(window.gallery) == {target.item_id})


def test_classes_keep_their_own_colours_and_no_class_is_grey(qtbot: QtBot) -> None:
    values = ["cat", NO_CLASS, "dog", "train", "cat", None]
    colours, legend = category_colours(values, {"cat": "#e53935", "dog": "#1e88e5"})
    names = [colour.name() for colour in colours]
    assert names[0] == names[4] == "#e53935"
    assert names[2] == "#1e88e5"
    assert names[1] == names[5] == MISSING_COLOUR
    assert names[3] not in {"#e53935", "#1e88e5", MISSING_COLOUR}
    assert list(legend) == sorted({"cat", NO_CLASS, "dog", "train"})


def test_colour_by_status_gives_each_status_its_colour_and_a_legend(
    qtbot: QtBot, window: MainWindow
) -> None:
    shown = map_window(qtbot, window)

    shown.colour_combo.setCurrentIndex(shown.colour_combo.findData("status"))

    brushes = {brush.color().name() for brush in shown.view.scatter.data["brush"]}
    assert len(brushes) == 3  # done, in progress, new
    for status in ("done", "in_progress", "new"):
        assert status in shown.legend.text()


def test_colour_by_label_quality_ramps_the_judged_items_and_greys_the_others(
    qtbot: QtBot, window: MainWindow
) -> None:
    assert window.project is not None
    judged = window.project.item_ids()[:3]
    scores = [
        ItemQuality(item_id, "tag", score)
        for item_id, score in zip(judged, (0.1, 0.5, 0.9), strict=True)
    ]
    store_findings(window.project.context.database, [], "a test", 0.0, scores)
    shown = map_window(qtbot, window)

    shown.colour_combo.setCurrentIndex(shown.colour_combo.findData("label_quality"))

    assert shown.found is not None
    brushes = shown.view.scatter.data["brush"]
    colours = {
        point.item_id: brush.color().name()
        for point, brush in zip(shown.found.points, brushes, strict=True)
    }
    grey = {colour for item_id, colour in colours.items() if item_id not in judged}
    assert len(grey) == 1
    assert len({colours[item_id] for item_id in judged} - grey) == 3
    assert "grey: never judged" in shown.legend.text()


def test_esc_and_ctrl_w_close_the_map_window(qtbot: QtBot, window: MainWindow) -> None:
    shown = map_window(qtbot, window)
    for key, modifier in (
        (Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier),
        (Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier),
    ):
        shown.show()
        shown.activateWindow()
        qtbot.waitUntil(shown.isActiveWindow)
        qtbot.keyClick(shown.colour_combo, key, modifier)
        assert not shown.isVisible()


def test_the_data_menu_holds_the_map_on_ctrl_alt_j(window: MainWindow) -> None:
    action = window.menu_actions["data_map"]

    assert action.text() == "Map of the data"
    assert action.shortcut().toString() == "Ctrl+Alt+J"
    data_menu = next(menu.menu() for menu in window.menuBar().actions() if menu.text() == "&Data")
    assert action in data_menu.actions()


def test_the_menu_action_computes_the_map_in_the_background_with_progress(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], trained_digits: Path
) -> None:
    window = open_window(trained_digits)
    seen: list[tuple[int, int]] = []

    window.menu_actions["data_map"].trigger()
    shown = window.data_map.window
    shown.runner.progress.connect(lambda done, total: seen.append((done, total)))
    assert shown.job.isVisible()
    qtbot.waitUntil(lambda: shown.found is not None, timeout=180_000)

    assert len(shown.found.points) == 150
    assert (150, 150) in seen
    assert not shown.job.isVisible()
    assert "150 images by run" in shown.status.text()


def test_the_map_stays_above_the_main_window_that_a_click_raises(
    qtbot: QtBot, window: MainWindow
) -> None:
    shown = map_window(qtbot, window)
    assert shown.windowType() == Qt.WindowType.Tool
    assert shown.windowHandle().transientParent() is window.windowHandle()
