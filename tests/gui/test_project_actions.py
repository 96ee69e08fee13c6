"""File ▸ New project, Open, Open recent, the demo, and what a window without a project offers."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMenu
from pytestqt.qtbot import QtBot

from studio.api import Project
from studio.core.user_config import DATA_DIR_ENV
from studio.gui.main_window import MainWindow
from studio.gui.recent_projects import RecentProjects
from tests.conftest import write_images

# Available with no project open: starting or opening one, quitting, help, and the layout.
WINDOW_ACTIONS = {"new_project", "open", "quit", "help", "edit_shortcuts", "plugins"}


def make_project(path: Path, images: int = 1) -> Path:
    with Project.create(path) as project:
        project.import_media(write_images(path.parent / f"{path.stem}-images", images))
    return path


def menu_entries(window: MainWindow) -> list[QAction]:
    def walk(menu: QMenu) -> list[QAction]:
        found = []
        for action in menu.actions():
            if action.menu() is not None:
                found += walk(action.menu())
            elif not action.isSeparator():
                found.append(action)
        return found

    return [entry for top in window.menuBar().actions() for entry in walk(top.menu())]


def enabled_entries(window: MainWindow) -> set[str]:
    """The enabled menu entries, by action name (by text when the action has none)."""
    recent = set(window.project_actions.recent_menu.actions())
    layout = set(window.panel_actions.values())
    return {
        action.objectName() or action.text().replace("&", "")
        for action in menu_entries(window)
        if action.isEnabled() and action not in recent and action not in layout
    }


def test_without_a_project_only_new_open_quit_help_and_themes_are_enabled(
    qtbot: QtBot, empty_window: MainWindow, tmp_path: Path
) -> None:
    assert enabled_entries(empty_window) == WINDOW_ACTIONS | {"Light", "Dark"}
    assert not empty_window.menu_actions["relink"].isEnabled()

    assert empty_window.open_project_file(make_project(tmp_path / "a.studio"))

    for name in ("relink", "tool_box", "mark_done_next", "next_image", "fit", "dataset_health"):
        assert empty_window.menu_actions[name].isEnabled(), name


def test_new_project_refuses_an_existing_file_then_creates_opens_and_imports(
    qtbot: QtBot, empty_window: MainWindow, tmp_path: Path
) -> None:
    existing = make_project(tmp_path / "taken.studio")
    write_images(tmp_path / "photos", 3)
    dialog = empty_window.project_actions.new_project()
    dialog.path_edit.setText(str(existing))
    dialog.images_edit.setText(str(tmp_path / "photos"))
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert "already exists" in dialog.error.text()
    assert empty_window.project is None

    dialog.path_edit.setText(str(tmp_path / "birds"))
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)

    assert empty_window.project.path == tmp_path / "birds.studio"
    qtbot.waitUntil(lambda: not empty_window.importing and empty_window.project.count_items() == 3)
    assert empty_window.windowTitle().startswith("birds.studio")


def test_the_recent_projects_are_kept_newest_first_and_open_from_the_menu(
    empty_window: MainWindow, settings: QSettings, tmp_path: Path
) -> None:
    first, second = make_project(tmp_path / "a.studio"), make_project(tmp_path / "b.studio")
    empty_window.open_project_file(first)
    empty_window.open_project_file(second)

    entries = empty_window.project_actions.recent_menu.entries()
    assert [Path(entry.data()) for entry in entries] == [second, first]
    entries[1].trigger()
    assert empty_window.project.path == first
    assert RecentProjects(settings).paths() == [first, second]  # kept for the next start


def test_the_open_dialog_starts_in_the_recent_projects_folder(
    qtbot: QtBot, settings: QSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "projects"
    folder.mkdir()
    RecentProjects(settings).add(make_project(folder / "a.studio"))
    window = MainWindow(None, settings=settings)
    qtbot.addWidget(window)
    asked: list[str] = []

    def cancelled_dialog(_parent: object, _title: str, start: str, _filter: str) -> tuple:
        asked.append(start)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", cancelled_dialog)
    window.menu_actions["open"].trigger()

    assert asked == [str(folder)]
    window.close()


def test_the_demo_is_made_in_the_background_the_first_time_then_opened_at_once(
    qtbot: QtBot, settings: QSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))
    window = MainWindow(None, settings=settings)
    qtbot.addWidget(window)
    page = window.project_actions.welcome

    qtbot.mouseClick(page.demo_button, Qt.MouseButton.LeftButton)

    assert not page.demo_button.isEnabled()  # the window goes on while the demo is made
    qtbot.waitUntil(lambda: window.project is not None, timeout=20_000)
    assert window.project.path == tmp_path / "data" / "demo" / "photos.studio"
    assert page.demo_button.isEnabled()
    assert window.gallery_model.rowCount() == window.project.count_items() > 10
    window.set_project(None)
    window.project_actions.open_demo()  # made already: opened at once
    assert window.project.path == tmp_path / "data" / "demo" / "photos.studio"
    window.close()
