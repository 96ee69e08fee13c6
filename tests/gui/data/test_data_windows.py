"""The Data menu's Duplicates and Dataset health windows, and the freeze dialog's warning."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from studio.gui.data.duplicates_window import DuplicatesWindow
from studio.gui.data.health_window import HealthWindow
from studio.gui.main_window import MainWindow
from studio.gui.training.version_dialog import FreezeVersionDialog
from tests.duplicate_photos import copy_of, write_photo_project

MainWindowOpener = Callable[[Path], MainWindow]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_photo_project(tmp_path_factory.mktemp("template"))


@pytest.fixture
def photo_project(template: Path, tmp_path: Path) -> Path:
    """The photographs and copies, tagged "photo" and done; the astronaut's copy in test."""
    return copy_of(template, tmp_path / "project")


def shown_duplicates(qtbot: QtBot, window: MainWindow) -> DuplicatesWindow:
    qtbot.keyClick(
        window, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
    )
    found = window.data_health.duplicates
    assert found is not None
    qtbot.waitUntil(lambda: found.model.rowCount() == 2, timeout=10_000)
    return found


def choose(found: DuplicatesWindow, group_row: int, image_row: int | None = None) -> None:
    index = found.model.index(group_row, 0)
    if image_row is not None:
        index = found.model.index(image_row, 0, index)
    found.view.setCurrentIndex(index)


def test_choosing_a_group_selects_its_items_in_the_gallery(
    qtbot: QtBot, open_window: MainWindowOpener, photo_project: Path
) -> None:
    window = open_window(photo_project)
    found = shown_duplicates(qtbot, window)
    choose(found, 0)
    group = found.chosen_group()
    assert group is not None
    assert window.gallery_pane.selected_ids() == list(group.item_ids)
    assert found.model.item(0).child(0).icon().isNull() is False


def test_esc_closes_the_duplicates_window_and_the_shortcut_shows_it_again(
    qtbot: QtBot, open_window: MainWindowOpener, photo_project: Path
) -> None:
    window = open_window(photo_project)
    found = shown_duplicates(qtbot, window)
    found.activateWindow()
    qtbot.waitUntil(found.isActiveWindow)
    qtbot.keyClick(found.view, Qt.Key.Key_Escape)
    assert not found.isVisible()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    assert shown_duplicates(qtbot, window).isVisible()


def test_keeping_one_image_removes_the_others_and_undo_brings_them_back(
    qtbot: QtBot, open_window: MainWindowOpener, photo_project: Path
) -> None:
    window = open_window(photo_project)
    found = shown_duplicates(qtbot, window)
    choose(found, 0, image_row=0)
    group, kept = found.chosen_group(), found.chosen_item()
    found.keep_button.click()
    removed = set(group.item_ids) - {kept}
    assert removed.isdisjoint(window.project.item_ids())
    qtbot.waitUntil(lambda: found.model.rowCount() == 1, timeout=10_000)
    window.undo()
    assert removed <= set(window.project.item_ids())
    qtbot.waitUntil(lambda: found.model.rowCount() == 2, timeout=10_000)


def test_a_group_marked_not_duplicates_is_not_listed_again(
    qtbot: QtBot, open_window: MainWindowOpener, photo_project: Path
) -> None:
    window = open_window(photo_project)
    found = shown_duplicates(qtbot, window)
    choose(found, 1)
    found.dismiss_button.click()
    qtbot.waitUntil(lambda: found.model.rowCount() == 1, timeout=10_000)
    assert "1 marked not duplicates" in found.summary.text()


def test_the_health_window_charts_the_labels_and_follows_edits(
    qtbot: QtBot, open_window: MainWindowOpener, photo_project: Path
) -> None:
    window = open_window(photo_project)
    qtbot.keyClick(
        window, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
    )
    health: HealthWindow = window.data_health.health
    qtbot.waitUntil(lambda: health.health is not None, timeout=10_000)
    assert health.health.class_balance["photo"]["none"] == 10
    assert "10 images never reviewed" in health.summary.text()
    assert len(health.balance.getPlotItem().items) == 4  # one bar set per split
    window.project.set_status(window.project.item_ids()[:3], "reviewed")
    window.refresh()
    qtbot.waitUntil(lambda: "7 images never reviewed" in health.summary.text(), timeout=10_000)


def test_freezing_with_duplicates_across_splits_warns_and_freezes(
    qtbot: QtBot, open_window: MainWindowOpener, photo_project: Path
) -> None:
    window = open_window(photo_project)
    dialog: FreezeVersionDialog = window.training.panel.freeze_version()
    qtbot.waitUntil(lambda: dialog.plan is not None, timeout=10_000)
    assert not dialog.leaks_label.isHidden()
    assert "1 group of duplicate images would be in train and in val or test" in (
        dialog.leaks_label.text()
    )
    dialog.create_button.click()
    message = dialog.leak_message
    assert isinstance(message, QMessageBox)
    assert "1 group of duplicate images straddle train and val/test" in message.text()
    assert window.project.latest_version() is not None
    message.close()


def test_the_duplicates_window_stays_above_the_main_window(
    qtbot: QtBot, open_window: MainWindowOpener, photo_project: Path
) -> None:
    """Choosing a group raises the main window to show it; a window that is not a tool
    window of the main one went behind it in a real desktop."""
    window = open_window(photo_project)
    found = shown_duplicates(qtbot, window)
    assert found.windowType() == Qt.WindowType.Tool
    assert found.windowHandle().transientParent() is window.windowHandle()
