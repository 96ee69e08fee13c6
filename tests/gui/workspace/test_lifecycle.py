"""The workspace and the world: writes of other processes, closing and reopening, moved files."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from studio.api import Project
from studio.gui.main_window import MainWindow
from studio.gui.workspace.reject_dialog import RejectDialog
from tests.gui.canvas.conftest import drag, wait_for_image
from tests.gui.workspace.conftest import focused, open_first_image, press

REPOSITORY = Path(__file__).resolve().parents[3]
EXTERNAL_WRITER = """
import sys
from studio.api import Project

with Project.open(sys.argv[1], author="script") as project:
    item_id = int(sys.argv[2])
    project.annotate(item_id, "dog", box=[30, 20, 40, 50], source="model", score=0.9)
    project.set_status(item_id, "done")
"""
CTRL = Qt.KeyboardModifier.ControlModifier


def test_an_external_write_shows_on_the_canvas_and_in_the_shape_list(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], shape_project: Path
) -> None:
    window = open_window(shape_project)
    open_first_image(qtbot, window)
    item_id = window.workspace.controller.item.id

    subprocess.run(
        [sys.executable, "-c", EXTERNAL_WRITER, str(shape_project), str(item_id)],
        check=True,
        cwd=REPOSITORY,
        timeout=120,
    )

    shapes = window.workspace.shape_panel.model
    qtbot.waitUntil(lambda: shapes.rowCount() == 1, timeout=10_000)
    assert shapes.data(shapes.index(0)) == "dog · Box · model · suggestion · 0.90"
    (item,) = window.workspace.canvas.layer.items()
    assert item.record.geometry == [30.0, 20.0, 40.0, 50.0]
    assert window.workspace.controller.item.status == "done"
    assert "1 done" in window.counts_label.text()


def test_closing_and_reopening_finds_every_edit_and_the_undo_history(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], shape_project: Path
) -> None:
    window = open_window(shape_project)
    open_first_image(qtbot, window)
    wait_for_image(qtbot, window.workspace.canvas)
    first = window.workspace.controller.item.id
    press(qtbot, Qt.Key.Key_B)
    drag(qtbot, window.workspace.canvas, [(10, 10), (60, 40)])
    press(qtbot, Qt.Key.Key_Space)
    press(qtbot, Qt.Key.Key_X, Qt.KeyboardModifier.ShiftModifier)
    dialog = window.findChild(RejectDialog)
    qtbot.waitUntil(lambda: focused() is dialog.reason)
    qtbot.keyClicks(focused(), "out of focus")
    press(qtbot, Qt.Key.Key_Return)
    second = window.workspace.controller.item.id
    window.close()

    with Project.open(shape_project) as reopened:
        assert [(a.kind, a.label) for a in reopened.annotations(first)] == [("box", "cat")]
        assert reopened.item(first).status == "done"
        assert reopened.item(second).meta == {"reject_reason": "out of focus"}
    again = open_window(shape_project)
    again.gallery.setFocus()
    press(qtbot, Qt.Key.Key_Z, CTRL)  # the history survived the restart
    assert again.project.item(second).status == "new"
    press(qtbot, Qt.Key.Key_Z, CTRL)
    assert again.project.item(first).status == "in_progress"
    assert again.workspace.controller.item.id == first  # undo shows what it changed


def test_missing_media_shows_the_placeholder_and_relink_finds_the_file(
    qtbot: QtBot,
    open_window: Callable[[Path], MainWindow],
    shape_project: Path,
    tmp_path: Path,
    monkeypatch,
) -> None:
    images = shape_project.parent / "images"
    moved = tmp_path / "moved"
    shutil.move(images, moved)
    window = open_window(shape_project)
    canvas = window.workspace.canvas
    open_first_image(qtbot, window)

    wait_for_image(qtbot, canvas, "missing")
    assert "image_0000.jpg" in canvas.placeholder_text()
    bar = window.workspace.missing_bar
    assert bar.isVisible()
    assert "image_0000.jpg" in bar.message.text()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(moved))

    press(qtbot, Qt.Key.Key_L, CTRL)

    qtbot.waitUntil(lambda: not window.workspace.relinking, timeout=20_000)
    wait_for_image(qtbot, canvas, "full")
    assert not bar.isVisible()
    assert window.statusBar().currentMessage() == "Relinked 4 files"
    assert window.project.media_path(window.workspace.controller.item) == (moved / "image_0000.jpg")
    assert window.menu_actions["relink"].isEnabled()
