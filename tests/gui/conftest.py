"""GUI fixtures: a real project with real images, and a shown MainWindow on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from studio.api import Project
from studio.gui.gallery.model import GalleryModel
from studio.gui.gui_thread_collector import GuiThreadCollector
from studio.gui.main_window import MainWindow
from studio.gui.theme import DEFAULT_THEME, apply_theme, current_theme
from studio.plugins.manager import PluginSettings, StudioPlugins, use_plugins
from tests.conftest import write_images
from tests.gui.sam.fixtures import tiny_sam  # noqa: F401  (a fixture)

IMAGE_COUNT = 30
LABELED = 10  # the first 10 items get a box each
DONE = 8  # of which 8 are done and 2 in progress
HELD_REPEATS = 7  # auto-repeats of a held key (X11: a quarter second); 8 presses toggle back


@pytest.fixture(scope="package", autouse=True)
def gui_thread_collector(qapp: QApplication) -> Iterator[GuiThreadCollector]:
    """Garbage is collected on the GUI thread only while GUI tests run, as in `run_app`.

    Without it a worker thread of one test (a label import, a thumbnail decode) could collect
    a cycle holding a widget of an earlier test, and Qt crashes deleting it off its thread.
    """
    collector = GuiThreadCollector()
    yield collector
    collector.stop()


@pytest.fixture(autouse=True)
def _collect_what_is_due(gui_thread_collector: GuiThreadCollector) -> Iterator[None]:
    """Short tests seldom let the collector's timer fire: collect after each, on this thread."""
    yield
    gui_thread_collector.collect_due()


@pytest.fixture(autouse=True)
def _theme_as_it_was(qapp: QApplication) -> Iterator[None]:
    """A test that switches the theme (a window's View ▸ Theme, a chart's test) leaves the
    application in the one it found: pixel checks of later tests assume the light theme."""
    before = current_theme(qapp) or DEFAULT_THEME
    yield
    if current_theme(qapp) != before:
        apply_theme(qapp, before)


@pytest.fixture(autouse=True)
def window_plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[StudioPlugins]:
    """Each test's own plugins: Studio's defaults, no installed plugin (`only=()`: an empty
    set to load), a project's trusted folder allowed; choices kept in the test's folder.
    Processes a test starts (a second window, a worker) load no installed plugin either."""
    monkeypatch.setenv("STUDIO_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("STUDIO_NO_PLUGINS", "1")
    manager = StudioPlugins(PluginSettings(only=(), config_dir=tmp_path / "config"))
    previous = use_plugins(manager.load())
    yield manager
    use_plugins(previous)


@pytest.fixture
def gallery_project(tmp_path: Path) -> Path:
    """A closed project file: 30 images, 10 with a box, 8 done, 2 in progress, 20 new."""
    path = tmp_path / "gallery.studio"
    write_images(tmp_path / "images", IMAGE_COUNT)
    with Project.create(path, author="tester") as project:
        project.add_classes(["cat", "dog"])
        project.import_media([tmp_path / "images"])
        ids = project.item_ids()
        project.add_annotations(
            {"item_id": item_id, "label": "cat" if n % 2 else "dog", "box": [4, 4, 20, 16]}
            for n, item_id in enumerate(ids[:LABELED])
        )
        project.set_status(ids[:DONE], "done")
        project.set_status(ids[DONE:LABELED], "in_progress")
    return path


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    """Settings in a file of the test's own, never the user's."""
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def open_window(qtbot: QtBot, settings: QSettings) -> Iterator[Callable[[Path], MainWindow]]:
    """Opens a shown, active MainWindow on a project file; closes it after the test."""
    windows: list[MainWindow] = []

    def open_(path: Path) -> MainWindow:
        window = MainWindow(Project.open(path, author="gui"), settings=settings)
        qtbot.addWidget(window)
        window.resize(1000, 700)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
        windows.append(window)
        return window

    yield open_
    for window in windows:
        window.close()


@pytest.fixture
def window(open_window: Callable[[Path], MainWindow], gallery_project: Path) -> MainWindow:
    return open_window(gallery_project)


@pytest.fixture
def empty_window(qtbot: QtBot, settings: QSettings) -> Iterator[MainWindow]:
    """A shown MainWindow with no project open (the welcome page); closed after the test."""
    window = MainWindow(None, settings=settings)
    qtbot.addWidget(window)
    window.resize(1000, 700)
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.close()


def request_all_thumbnails(model: GalleryModel) -> None:
    """Ask for every row's decoration, as a view scrolled over all of them would."""
    for row in range(model.rowCount()):
        model.data(model.index(row), Qt.ItemDataRole.DecorationRole)


def thumbnail_states(model: GalleryModel) -> list[str]:
    return [
        model.data(model.index(row), GalleryModel.ThumbnailStateRole)
        for row in range(model.rowCount())
    ]


def wait_for_thumbnails(qtbot: QtBot, model: GalleryModel, timeout_ms: int = 20_000) -> None:
    request_all_thumbnails(model)
    qtbot.waitUntil(lambda: "loading" not in thumbnail_states(model), timeout=timeout_ms)


def hold_key(
    widget: QWidget,
    key: Qt.Key,
    modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
    repeats: int = HELD_REPEATS,
) -> None:
    """Hold `key` down on `widget` as X11 delivers it: a press, `repeats` auto-repeated release
    and press pairs, then the last release. The events take the path of real keys: window
    shortcuts (which see the auto-repeat flag) first, then the widget."""
    text = chr(key) if 0x20 <= key < 0x7F else ""
    if not modifier & Qt.KeyboardModifier.ShiftModifier:
        text = text.lower()
    QTest.simulateEvent(widget, True, key, modifier, text, False)
    for _ in range(repeats):
        QTest.simulateEvent(widget, False, key, modifier, text, True)
        QTest.simulateEvent(widget, True, key, modifier, text, True)
    QTest.simulateEvent(widget, False, key, modifier, text, False)
