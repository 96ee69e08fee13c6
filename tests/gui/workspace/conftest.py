"""Workspace fixtures: a tag project (classes 0–9) and a shapes project, and key helpers."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from studio.api import Project
from studio.gui.main_window import MainWindow
from tests.conftest import write_images

TAG_IMAGES = 12
SHAPE_IMAGES = 4
SHAPE_SIZE = (160, 120)


@pytest.fixture
def tag_project(tmp_path: Path) -> Path:
    """12 images, classes "0"–"9" whose keys are their own digits, single-label mode."""
    path = tmp_path / "digits.studio"
    write_images(tmp_path / "images", TAG_IMAGES)
    with Project.create(path, author="tester") as project:
        project.add_classes([{"name": str(digit), "hotkey": str(digit)} for digit in range(10)])
        project.import_media([tmp_path / "images"])
        project.set_setting("labeling_mode", "single_label")
    return path


@pytest.fixture
def shape_project(tmp_path: Path) -> Path:
    """4 images of 160×120 and the classes cat and dog, in objects mode."""
    path = tmp_path / "shapes.studio"
    write_images(tmp_path / "images", SHAPE_IMAGES, size=SHAPE_SIZE)
    with Project.create(path, author="tester") as project:
        project.add_classes(["cat", "dog"])
        project.import_media([tmp_path / "images"])
    return path


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None, "no widget has the keyboard focus"
    return widget


def press(
    qtbot: QtBot, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
) -> None:
    """A real key press and release on whichever widget has the focus, as a user's key."""
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)
    qtbot.keyClick(focused(), key, modifier)


def open_first_image(qtbot: QtBot, window: MainWindow) -> None:
    """Focus the gallery on its first thumbnail and press Enter, as a user would."""
    window.gallery.setFocus()
    window.gallery.setCurrentIndex(window.gallery_model.index(0))
    press(qtbot, Qt.Key.Key_Return)
    first = window.gallery_model.item_id(0)
    qtbot.waitUntil(lambda: getattr(window.workspace.controller.item, "id", None) == first)
