"""Segment everything from the window, with the tiny random SAM: the options dialog, a real
`sam-everything` worker on two of three selected photographs, Esc cancelling a run, and the
one line without a checkpoint. Two tests start a worker; the others run none."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from studio.api import Project
from studio.api.sam import no_checkpoint_message
from studio.gui.main_window import MainWindow
from studio.gui.sam.everything_action import EverythingDialog
from studio.jobs.sam_everything_job import EverythingOptions
from tests.gui.gallery.test_filters import tick
from tests.gui.sam.fixtures import TinySam
from tests.gui.workspace.conftest import open_first_image, press
from tests.sam_projects import CLASS, photo_project

PHOTOS = ("coffee", "chelsea", "astronaut")
WORKER_TIMEOUT_MS = 90_000
SHIFT = Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def sam_photos(tmp_path: Path, tiny_sam: TinySam) -> Path:
    """Three photographs (one class) with the tiny checkpoint chosen and their embeddings
    cached, so that the window's look-ahead starts no encoder worker beside the test's."""
    path = photo_project(tmp_path / "photos", PHOTOS)
    tiny_sam.install_decoder()
    with Project.open(path) as project:
        tiny_sam.choose_for(project)
        for item in project.items_by_ids(project.item_ids()):
            tiny_sam.cache_embedding(project.media_path(item), item.sha256)
    return path


def fill_dialog(dialog: EverythingDialog) -> None:
    """A 4 × 4 grid keeping every mask: random weights predict low IoUs."""
    dialog.points_spin.setValue(4)
    dialog.iou_spin.setValue(0.0)
    dialog.stability_spin.setValue(0.0)


def click_segment(dialog: EverythingDialog) -> None:
    buttons = dialog.findChild(QDialogButtonBox)
    buttons.button(QDialogButtonBox.StandardButton.Ok).click()


def status(window: MainWindow) -> str:
    return window.statusBar().currentMessage()


def test_segment_everything_adds_pending_sam_suggestions_to_the_selected_images_only(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], sam_photos: Path
) -> None:
    window = open_window(sam_photos)
    open_first_image(qtbot, window)
    first, second, third = window.gallery_model.ids()
    window.gallery_pane.select([first, second])
    press(qtbot, Qt.Key.Key_S, SHIFT)
    dialog = window.everything.dialog
    assert dialog is not None
    assert dialog.isVisible()
    fill_dialog(dialog)
    click_segment(dialog)
    assert window.everything.job.isVisible()

    qtbot.waitUntil(lambda: not window.everything.running, timeout=WORKER_TIMEOUT_MS)
    project = window.project
    added = {item: project.annotations(item) for item in (first, second)}
    assert all(added.values())
    assert {(a.source, a.review, a.label) for a in added[first] + added[second]} == {
        ("sam", "pending", CLASS)
    }
    assert project.annotations(third) == []
    count = len(added[first]) + len(added[second])
    assert f"{count} pending suggestions added on 2 images" in status(window)
    assert not window.everything.job.isVisible()
    assert len(window.workspace.controller.shapes) == len(added[first])  # the canvas shows them
    tick(window.filter_bar.review_button, "pending")
    qtbot.waitUntil(lambda: window.gallery_model.ids() == [first, second])


def test_esc_right_after_the_start_cancels_and_leaves_every_image_untouched(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], sam_photos: Path
) -> None:
    window = open_window(sam_photos)
    ids = window.gallery_model.ids()
    window.everything.start(window.project, ids, EverythingOptions(CLASS, 4, 0.0, 0.0))
    window.gallery.setFocus()
    press(qtbot, Qt.Key.Key_Escape)

    qtbot.waitUntil(lambda: not window.everything.running, timeout=WORKER_TIMEOUT_MS)
    assert "Segment everything cancelled: 0 pending suggestions" in status(window)
    assert all(window.project.annotations(item) == [] for item in ids)
    assert not window.everything.job.isVisible()


def test_without_a_checkpoint_the_action_says_where_checkpoints_come_from(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], tmp_path: Path
) -> None:
    path = photo_project(tmp_path / "photos", PHOTOS[:2])
    window = open_window(path)
    open_first_image(qtbot, window)
    window.menu_actions["sam_everything"].trigger()
    assert status(window) == no_checkpoint_message(window.project.path)
    assert window.everything.dialog is None
    assert not window.everything.running
    assert window.workspace.sam_checkpoint_dialog.isVisible()
    assert all(window.project.annotations(item) == [] for item in window.project.item_ids())


def test_with_nothing_selected_it_segments_the_shown_image(
    qtbot: QtBot,
    open_window: Callable[[Path], MainWindow],
    sam_photos: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = open_window(sam_photos)
    started: list[tuple] = []
    monkeypatch.setattr(
        window.everything, "start", lambda _project, ids, options: started.append((ids, options))
    )
    open_first_image(qtbot, window)
    window.gallery.clearSelection()
    window.menu_actions["sam_everything"].trigger()
    dialog = window.everything.dialog
    fill_dialog(dialog)
    click_segment(dialog)
    assert started == [([window.workspace.controller.item.id], EverythingOptions(CLASS, 4, 0, 0))]


def test_the_dialog_remembers_its_values(settings: QSettings, qtbot: QtBot) -> None:
    dialog = EverythingDialog(["cat", "dog"], settings, active_class="cat")
    qtbot.addWidget(dialog)
    assert dialog.options() == EverythingOptions("cat")  # segment-anything's defaults
    dialog.class_combo.setCurrentText("dog")
    fill_dialog(dialog)
    click_segment(dialog)

    again = EverythingDialog(["cat", "dog"], settings, active_class="cat")
    qtbot.addWidget(again)
    assert again.options() == EverythingOptions("dog", 4, 0.0, 0.0)


def test_the_label_menu_and_the_gallerys_context_menu_offer_it(
    open_window: Callable[[Path], MainWindow], tmp_path: Path
) -> None:
    window = open_window(photo_project(tmp_path / "photos", PHOTOS[:1]))
    label_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Label")
    titles = [action.text() for action in label_menu.actions()]
    checkpoint = titles.index("SAM checkpoint…")
    assert titles[checkpoint + 1] == "Segment everything (SAM)…"
    context_menu = window.bulk_actions.menu(window.gallery)
    assert window.menu_actions["sam_everything"] in context_menu.actions()
    assert window.registry.keys("sam_everything") == ["Shift+S"]
