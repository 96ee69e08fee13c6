"""The welcome page: shown while no project is open; its buttons and recent projects work."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog
from pytestqt.qtbot import QtBot

from studio.api import Project
from studio.gui.main_window import MainWindow
from studio.gui.new_project_dialog import NewProjectDialog
from tests.conftest import write_images


def test_the_welcome_page_fills_the_window_until_a_project_opens(
    qtbot: QtBot, empty_window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = empty_window.project_actions.welcome
    assert page.isVisible()
    assert not empty_window.workspace.isVisible()
    assert not empty_window.docks["classes"].isVisible()  # the empty panels are put away
    assert not empty_window.tool_bar.isVisible()
    path = tmp_path / "chosen.studio"
    with Project.create(path) as project:
        project.import_media(write_images(tmp_path / "images", 2))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_args: (str(path), ""))

    qtbot.mouseClick(page.open_button, Qt.MouseButton.LeftButton)

    assert empty_window.project.path == path
    assert empty_window.workspace.isVisible()
    assert not page.isVisible()
    assert empty_window.docks["classes"].isVisible()
    assert empty_window.panel_actions["classes"].isChecked()
    assert empty_window.tool_bar.isVisible()
    empty_window.set_project(None)
    assert page.isVisible()
    assert page.recent_list.item(0).text().startswith("chosen.studio")


def test_a_click_on_a_recent_project_opens_it(
    qtbot: QtBot, empty_window: MainWindow, tmp_path: Path
) -> None:
    path = tmp_path / "recent.studio"
    Project.create(path).close()
    empty_window.project_actions.recent.add(path)
    page = empty_window.project_actions.welcome
    entry = page.recent_list.item(0)

    rect = page.recent_list.visualItemRect(entry)
    qtbot.mouseClick(page.recent_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())

    assert empty_window.project.path == path


def test_new_project_on_the_welcome_page_asks_for_the_file(
    qtbot: QtBot, empty_window: MainWindow
) -> None:
    page = empty_window.project_actions.welcome

    qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)

    dialog = QApplication.activeModalWidget()
    assert isinstance(dialog, NewProjectDialog)
    assert not dialog.create_button.isEnabled()  # until a file name is typed
    dialog.reject()
