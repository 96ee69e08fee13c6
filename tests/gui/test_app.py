"""`run_app`: the entry point of `studio open PROJECT` and `make run`."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from studio.api import Project
from studio.core.errors import StudioError
from studio.gui.app import run_app
from studio.gui.main_window import MainWindow
from tests.gui.conftest import IMAGE_COUNT


def visible_main_windows() -> list[MainWindow]:
    return [
        widget
        for widget in QApplication.topLevelWidgets()
        if isinstance(widget, MainWindow) and widget.isVisible()
    ]


def test_run_app_shows_the_project_and_returns_when_closed(
    qtbot: QtBot, gallery_project: Path, settings: QSettings
) -> None:
    seen: dict[str, object] = {}

    def inspect_and_close() -> None:
        windows = visible_main_windows()
        seen["frozen"] = gc.get_freeze_count() > 0  # start-up's heap is settled
        seen["automatic collection"] = gc.isenabled()  # worker threads must never collect
        seen["windows"] = len(windows)
        seen["rows"] = windows[0].gallery_model.rowCount()
        seen["title"] = windows[0].windowTitle()
        windows[0].close()

    QTimer.singleShot(200, inspect_and_close)
    safety = QTimer()
    safety.setSingleShot(True)
    safety.timeout.connect(QApplication.quit)
    safety.start(30_000)

    gc.unfreeze()  # so that only run_app can have frozen the heap seen below
    gc.enable()  # as in a fresh process, so that only run_app can have turned it off
    try:
        exit_code = run_app(gallery_project, settings=settings)
        collection_after = gc.isenabled()
    finally:
        gc.unfreeze()  # give the rest of the test session its usual collector back
        gc.disable()  # the GUI tests' own state (tests/gui/conftest.py)

    assert safety.isActive()  # the window's close ended the loop, not the safety timer
    safety.stop()
    assert exit_code == 0
    assert collection_after  # run_app gave the process its collector back
    assert seen == {
        "frozen": True,
        "automatic collection": False,
        "windows": 1,
        "rows": IMAGE_COUNT,
        "title": "gallery.studio — Studio",
    }
    assert not Path(f"{gallery_project}-wal").exists()
    with Project.open(gallery_project) as project:
        assert project.count_items() == IMAGE_COUNT


def test_run_app_refuses_a_file_that_is_not_a_project(
    qtbot: QtBot, tmp_path: Path, settings: QSettings
) -> None:
    bad = tmp_path / "notes.studio"
    bad.write_text("not a database")

    with pytest.raises(StudioError, match=r"notes\.studio"):
        run_app(bad, settings=settings)

    assert visible_main_windows() == []
    assert bad.read_text() == "not a database"
