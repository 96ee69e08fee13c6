"""The main window on the demo project (`make run` opens exactly this)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from studio.api import Project
from studio.core.demo import create_demo_project
from studio.gui.main_window import MainWindow


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return create_demo_project(tmp_path_factory.mktemp("demo"))


def test_main_window_shows_the_demo_project(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], demo_path: Path
) -> None:
    with Project.open(demo_path) as project:
        expected_count = project.count_items()
        stats = project.stats()
        first_names = [Path(item.path).name for item in project.items(limit=5)]

    window = open_window(demo_path)
    model = window.gallery_model

    assert model.rowCount() == expected_count > 1797
    assert [model.data(model.index(row)) for row in range(5)] == first_names
    assert window.counts_label.text().startswith(f"{expected_count:,} items")
    assert f"{stats.annotations:,} annotations" in window.counts_label.text()
    visible = [
        row
        for row in range(model.rowCount())
        if window.gallery.visualRect(model.index(row)).intersects(window.gallery.viewport().rect())
    ]
    assert 0 < len(visible) < 100  # only a screenful is laid out on screen
    window.gallery.viewport().repaint()
    qtbot.waitUntil(
        lambda: all(
            model.data(model.index(row), model.ThumbnailStateRole) == "ready" for row in visible
        ),
        timeout=30_000,
    )
    pixmap = model.data(model.index(visible[0]), Qt.ItemDataRole.DecorationRole)
    assert pixmap.width() == pixmap.height() > 0  # the 32×32 digits, square
