"""The main window on a real project: gallery, counts, polling, undo/redo, import, placeholders."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QPointF, QSize, Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot

from studio.api import Project
from studio.gui.gallery.model import GalleryModel
from studio.gui.gallery.view import THUMBNAIL_SIZE
from studio.gui.main_window import MainWindow
from studio.gui.resources import centered_icon_pixmap
from studio.gui.theme import theme_colors
from tests.conftest import write_images
from tests.gui.conftest import IMAGE_COUNT, thumbnail_states, wait_for_thumbnails

REPOSITORY = Path(__file__).resolve().parents[2]
EXTERNAL_WRITER = """
import sys
from studio.api import Project

with Project.open(sys.argv[1], author="other process") as project:
    report = project.import_media([sys.argv[2]])
    project.annotate(report.added[0], "dog", box=[1, 2, 3, 4])
    project.set_status(report.added[0], "done")
"""


def names_in_gallery(model: GalleryModel) -> list[str]:
    return [model.data(model.index(row)) for row in range(model.rowCount())]


def test_gallery_shows_every_item_with_its_thumbnail(qtbot: QtBot, window: MainWindow) -> None:
    model = window.gallery_model

    assert model.rowCount() == IMAGE_COUNT
    assert names_in_gallery(model) == [f"image_{n:04d}.jpg" for n in range(IMAGE_COUNT)]
    wait_for_thumbnails(qtbot, model)
    assert thumbnail_states(model) == ["ready"] * IMAGE_COUNT
    decoration = model.data(model.index(3), Qt.ItemDataRole.DecorationRole)
    assert isinstance(decoration, QPixmap)
    assert decoration.size() == QSize(128, 96)  # the 64×48 images fill the 128 px box
    tooltip = model.data(model.index(3), Qt.ItemDataRole.ToolTipRole)
    assert "image_0003.jpg" in tooltip
    assert "64×48 px · JPEG" in tooltip
    assert "Status: done" in tooltip
    assert window.windowTitle() == "gallery.studio — Studio"


def test_status_bar_shows_the_counts(window: MainWindow) -> None:
    assert window.counts_label.text() == (
        "30 items · 20 new · 2 in progress · 8 done · 10 annotations"
    )


def test_external_process_changes_show_after_polling(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    model = window.gallery_model
    window.gallery.selectionModel().select(
        model.index(5), window.gallery.selectionModel().SelectionFlag.Select
    )
    extra = write_images(tmp_path / "more", 3, seed=99)
    extra_names = [path.name for path in extra]
    for offset, path in enumerate(extra):
        path.rename(path.with_name(f"extra_{offset}.jpg"))

    subprocess.run(
        [sys.executable, "-c", EXTERNAL_WRITER, str(window.project.path), str(tmp_path / "more")],
        check=True,
        cwd=REPOSITORY,
        timeout=120,
    )

    qtbot.waitUntil(lambda: model.rowCount() == IMAGE_COUNT + 3, timeout=10_000)
    assert extra_names == ["image_0000.jpg", "image_0001.jpg", "image_0002.jpg"]
    assert names_in_gallery(model)[-3:] == ["extra_0.jpg", "extra_1.jpg", "extra_2.jpg"]
    assert window.counts_label.text() == (
        "33 items · 22 new · 2 in progress · 9 done · 11 annotations"
    )
    selected = window.gallery.selectionModel().selectedIndexes()
    assert [index.row() for index in selected] == [5]  # an append keeps the selection


def test_ctrl_z_undoes_and_ctrl_shift_z_redoes(qtbot: QtBot, window: MainWindow) -> None:
    project = window.project
    item_id = project.item_ids()[20]
    annotation_id = project.annotate(item_id, "cat", box=[0, 0, 10, 10])
    qtbot.waitUntil(lambda: "11 annotations" in window.counts_label.text(), timeout=5000)

    qtbot.keyClick(window.gallery, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)

    assert project.annotations(item_id) == []
    assert "10 annotations" in window.counts_label.text()
    assert window.statusBar().currentMessage() == "Undone: Add box (cat) on image_0020.jpg"

    qtbot.keyClick(
        window.gallery,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )

    assert [a.id for a in project.annotations(item_id)] == [annotation_id]
    assert "11 annotations" in window.counts_label.text()


def test_ctrl_y_redoes(qtbot: QtBot, window: MainWindow) -> None:
    project = window.project
    item_id = project.item_ids()[0]
    project.set_status(item_id, "rejected")
    qtbot.keyClick(window.gallery, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert project.item(item_id).status == "done"

    qtbot.keyClick(window.gallery, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)

    assert project.item(item_id).status == "rejected"
    assert window.gallery_model.data(window.gallery_model.index(0), GalleryModel.StatusRole) == (
        "rejected"
    )


def test_undo_with_nothing_to_undo_says_so(qtbot: QtBot, window: MainWindow) -> None:
    project = window.project
    while project.can_undo():
        project.undo()
    window.refresh()
    assert not window.menu_actions["undo"].isEnabled()

    window.undo()

    assert window.statusBar().currentMessage() == "Nothing to undo"
    assert window.counts_label.text() == "0 items · 0 annotations"  # the import was undone
    assert window.menu_actions["redo"].isEnabled()
    while project.can_redo():
        window.redo()
    window.redo()
    assert window.statusBar().currentMessage() == "Nothing to redo"
    assert window.counts_label.text() == (
        "30 items · 20 new · 2 in progress · 8 done · 10 annotations"
    )


def test_missing_file_shows_the_placeholder(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], gallery_project: Path
) -> None:
    (gallery_project.parent / "images" / "image_0004.jpg").unlink()

    window = open_window(gallery_project)
    model = window.gallery_model
    wait_for_thumbnails(qtbot, model)

    states = thumbnail_states(model)
    assert states[4] == "missing"
    assert states.count("ready") == IMAGE_COUNT - 1
    shown = model.data(model.index(4), Qt.ItemDataRole.DecorationRole)
    expected = centered_icon_pixmap("missing", THUMBNAIL_SIZE)
    assert shown.toImage() == expected.toImage()
    assert "the file is missing" in model.data(model.index(4), Qt.ItemDataRole.ToolTipRole)
    assert model.data(model.index(4)) == "image_0004.jpg"
    window.gallery.scrollTo(model.index(4))
    assert not window.gallery.grab().isNull()  # painting the placeholder does not crash


def test_unreadable_file_shows_the_broken_placeholder(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], gallery_project: Path
) -> None:
    (gallery_project.parent / "images" / "image_0007.jpg").write_bytes(b"garbage, not a JPEG")

    window = open_window(gallery_project)
    model = window.gallery_model
    wait_for_thumbnails(qtbot, model)

    assert thumbnail_states(model)[7] == "failed"
    shown = model.data(model.index(7), Qt.ItemDataRole.DecorationRole)
    assert shown.toImage() == centered_icon_pixmap("broken", THUMBNAIL_SIZE).toImage()
    tooltip = model.data(model.index(7), Qt.ItemDataRole.ToolTipRole)
    assert "image_0007.jpg: unreadable or corrupt image" in tooltip


def test_ctrl_i_imports_in_the_background(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch
) -> None:
    new_images = write_images(tmp_path / "incoming", 4, seed=7)
    broken = tmp_path / "incoming" / "broken.jpg"
    broken.write_bytes(b"not an image")
    monkeypatch.setattr(
        QFileDialog,
        "getOpenFileNames",
        lambda *args, **kwargs: ([str(p) for p in [*new_images, broken]], ""),
    )

    qtbot.keyClick(window.gallery, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)

    qtbot.waitUntil(lambda: not window.importing, timeout=30_000)
    assert window.gallery_model.rowCount() == IMAGE_COUNT + 4
    assert window.project.count_items() == IMAGE_COUNT + 4
    assert "34 items" in window.counts_label.text()
    assert not window.import_progress.isVisible()
    report_boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]
    assert any("broken.jpg" in box.detailedText() for box in report_boxes)
    for box in report_boxes:
        box.close()


def test_theme_menu_switches_the_palette(window: MainWindow, settings) -> None:
    window.menu_actions["theme_dark"].trigger()

    window_color = QApplication.instance().palette().window().color().name()
    assert window_color == theme_colors("dark")["window"]
    assert settings.value("theme") == "dark"
    assert window.menu_actions["theme_dark"].isChecked()
    assert not window.menu_actions["theme_light"].isChecked()

    window.menu_actions["theme_light"].trigger()

    assert (
        QApplication.instance().palette().window().color().name()
        == (theme_colors("light")["window"])
    )


def test_closing_the_window_closes_the_project(window: MainWindow) -> None:
    path = window.project.path

    window.close()

    assert window.project is None
    assert not Path(f"{path}-wal").exists()  # checkpointed: a closed project is one file
    with Project.open(path) as reopened:
        assert reopened.count_items() == IMAGE_COUNT


def test_opening_a_bad_file_reports_it_and_keeps_the_project(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    bad = tmp_path / "not_a_project.studio"
    bad.write_text("hello")
    before = window.project

    assert not window.open_project_file(bad)

    assert window.project is before
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]
    assert any(str(bad) in box.text() for box in boxes)
    for box in boxes:
        box.close()


def test_open_project_replaces_the_shown_project(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    other = tmp_path / "other.studio"
    write_images(tmp_path / "other_images", 2, seed=3)
    with Project.create(other) as project:
        project.import_media([tmp_path / "other_images"])
    first = window.project

    assert window.open_project_file(other)

    assert window.project.path == other.resolve()
    assert window.gallery_model.rowCount() == 2
    assert window.windowTitle() == "other.studio — Studio"
    assert not Path(f"{first.path}-wal").exists()


def test_ctrl_o_opens_the_chosen_project(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch, settings
) -> None:
    other = tmp_path / "picked.studio"
    with Project.create(other) as project:
        project.import_media(write_images(tmp_path / "picked", 1, seed=11))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(other), ""))

    qtbot.keyClick(window.gallery, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)

    assert window.project.path == other.resolve()
    assert window.gallery_model.rowCount() == 1
    assert settings.value("last_project_dir") == str(tmp_path)


def test_ctrl_q_quits(qtbot: QtBot, window: MainWindow) -> None:
    path = window.project.path

    qtbot.keyClick(window.gallery, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)

    assert not window.isVisible()
    assert window.project is None
    assert not Path(f"{path}-wal").exists()


def test_the_window_has_gallery_canvas_panels_and_tools(qtbot: QtBot, window: MainWindow) -> None:
    assert window.splitter.widget(0) is window.gallery_pane
    assert window.splitter.widget(1) is window.workspace
    assert window.gallery_pane.isAncestorOf(window.filter_bar)
    for name in ("classes", "tags", "shapes"):
        dock = window.docks[name]
        assert window.dockWidgetArea(dock) == Qt.DockWidgetArea.RightDockWidgetArea, name
        assert dock.isVisible()
    for name in ("train", "runs", "models"):  # shown on demand, tabbed together
        dock = window.docks[name]
        assert window.dockWidgetArea(dock) == Qt.DockWidgetArea.BottomDockWidgetArea, name
        assert not dock.isVisible()
    for name in ("train", "runs", "models"):
        window.training.show(name)
    assert set(window.tabifiedDockWidgets(window.docks["runs"])) == {
        window.docks["train"],
        window.docks["models"],
    }
    tools = [action.objectName() for action in window.tool_bar.actions()]
    built_in = (
        "select", "box", "polygon", "polyline", "rotated_box", "brush", "eraser", "keypoints",
        "sam", "wand",
    )  # fmt: skip
    assert tools == [f"tool_{name}" for name in built_in]
    assert window.menu_actions["tool_select"].isChecked()


def test_the_status_bar_follows_the_image_the_cursor_and_the_zoom(
    qtbot: QtBot, window: MainWindow
) -> None:
    canvas = window.workspace.canvas
    window.gallery.setFocus()
    window.gallery.setCurrentIndex(window.gallery_model.index(4))
    qtbot.keyClick(window.gallery, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: canvas.image_state() == "full")

    assert window.readout.position.text() == f"5 / {IMAGE_COUNT}"
    assert window.readout.image_size.text() == "64×48"
    qtbot.mouseMove(canvas.viewport(), canvas.mapFromScene(QPointF(20.5, 30.5)))
    assert window.readout.cursor.text() == "20, 30 px"
    qtbot.keyClick(canvas, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.readout.zoom.text() == "100%"
    qtbot.keyClick(canvas, Qt.Key.Key_Right)  # the opened image has the keyboard
    assert window.readout.position.text() == f"6 / {IMAGE_COUNT}"


def test_the_first_image_is_shown_at_once_and_a_click_opens_another(
    qtbot: QtBot, window: MainWindow
) -> None:
    ids = window.project.item_ids()
    assert window.workspace.controller.item.id == ids[0]
    assert window.gallery.selectionModel().selectedIndexes() == []  # nothing selected for bulk
    target = window.gallery.visualRect(window.gallery_model.index(3)).center()

    qtbot.mouseClick(window.gallery.viewport(), Qt.MouseButton.LeftButton, pos=target)

    assert window.workspace.controller.item.id == ids[3]
    assert window.readout.position.text() == f"4 / {IMAGE_COUNT}"


def test_g_hides_the_gallery_and_navigation_still_works(qtbot: QtBot, window: MainWindow) -> None:
    ids = window.project.item_ids()
    canvas = window.workspace.canvas
    width_with_gallery = canvas.width()
    canvas.setFocus()

    qtbot.keyClick(canvas, Qt.Key.Key_G)
    qtbot.waitUntil(lambda: canvas.width() > width_with_gallery)
    assert not window.gallery_pane.isVisible()
    qtbot.keyClick(canvas, Qt.Key.Key_D)
    assert window.workspace.controller.item.id == ids[1]
    qtbot.keyClick(canvas, Qt.Key.Key_G)
    assert window.gallery_pane.isVisible()
    assert window.menu_actions["toggle_gallery"].isChecked()
    assert window.gallery.currentIndex().row() == 1


def test_the_position_follows_a_gallery_filter(qtbot: QtBot, window: MainWindow) -> None:
    window.gallery.setCurrentIndex(window.gallery_model.index(12))
    qtbot.keyClick(window.gallery, Qt.Key.Key_Return)  # item 13 of 30, a new one
    assert window.readout.position.text() == f"13 / {IMAGE_COUNT}"

    window.filter_bar.set_query({"status": ["new"]})  # 20 new items; the shown one is 3rd

    qtbot.waitUntil(lambda: window.readout.position.text() == "3 / 20")
    window.filter_bar.set_query({"status": ["done"]})  # the shown image is filtered out
    qtbot.waitUntil(lambda: window.readout.position.text() == "")
