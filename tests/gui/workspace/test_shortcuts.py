"""The shortcut registry: no key twice, user overrides that persist, the editor, the overlay."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from studio.gui.main_window import MainWindow
from studio.gui.workspace.shortcut_dialog import ShortcutDialog, parse_keys
from studio.gui.workspace.shortcuts import (
    DEFAULT_SHORTCUTS,
    ShortcutConflictError,
    ShortcutRegistry,
    ShortcutSpec,
    normalized,
)
from tests.gui.workspace.conftest import open_first_image, press


def window_keys(window: MainWindow) -> list[str]:
    """Every key of every action in the window, the gallery's own actions included."""
    return [
        normalized(key)
        for action in window.findChildren(QAction)
        for key in action.shortcuts()
        if not key.isEmpty()
    ]


def test_the_default_shortcuts_are_valid_and_distinct(settings: QSettings) -> None:
    registry = ShortcutRegistry(settings)
    for spec in DEFAULT_SHORTCUTS:
        assert spec.keys, f"{spec.name} has no key"
        assert all(normalized(key) for key in spec.keys), spec.name
    assert registry.conflicts() == {}
    names = [spec.name for spec in DEFAULT_SHORTCUTS]
    assert len(names) == len(set(names))


def test_a_held_key_repeats_only_view_actions(settings: QSettings) -> None:
    registry = ShortcutRegistry(settings)
    owner = QObject()
    actions = [registry.make_action(spec.name, owner, lambda: None) for spec in DEFAULT_SHORTCUTS]

    repeating = {action.objectName() for action in actions if action.autoRepeat()}

    assert repeating == {
        "zoom_in",
        "zoom_out",
        "brush_bigger",
        "brush_smaller",
        "thumbnails_bigger",
        "thumbnails_smaller",
    }


def test_no_two_actions_of_the_window_share_a_key(window: MainWindow) -> None:
    keys = window_keys(window)
    assert len(keys) > 60  # the registry's, the filter bar's and the bulk actions'
    assert [key for key, count in Counter(keys).items() if count > 1] == []
    for spec in DEFAULT_SHORTCUTS:  # every registry action is in the window
        assert [normalized(k) for k in window.menu_actions[spec.name].shortcuts()] == [
            normalized(k) for k in spec.keys
        ]


def test_a_changed_key_works_persists_and_refuses_conflicts(
    qtbot: QtBot,
    open_window: Callable[[Path], MainWindow],
    shape_project: Path,
    settings: QSettings,
) -> None:
    window = open_window(shape_project)
    open_first_image(qtbot, window)
    registry = window.registry

    registry.set_keys("tool_box", ["J"])

    press(qtbot, Qt.Key.Key_J)
    assert window.workspace.canvas.tool() == "box"
    press(qtbot, Qt.Key.Key_V)
    press(qtbot, Qt.Key.Key_B)  # the old key does nothing now
    assert window.workspace.canvas.tool() == "select"
    assert settings.value("shortcuts/tool_box") == ["J"]
    with pytest.raises(ShortcutConflictError, match="“Polygon”"):
        registry.set_keys("tool_box", ["P"])
    assert registry.keys("tool_box") == ["J"]
    registry.reset_all()
    assert registry.keys("tool_box") == ["B"]
    assert settings.value("shortcuts/tool_box") is None


def test_the_editor_assigns_keys_and_names_the_conflicts(qtbot: QtBot, window: MainWindow) -> None:
    dialog = window.edit_shortcuts()
    assert isinstance(dialog, ShortcutDialog)
    dialog.select_action("next_unlabeled")
    assert dialog.keys_edit.text() == "N"

    dialog.keys_edit.setText("U; Ctrl+U")
    assert dialog.assign()
    assert window.registry.keys("next_unlabeled") == ["U", "Ctrl+U"]
    assert dialog.tree.currentItem().text(1) == "U, Ctrl+U"

    dialog.keys_edit.setText("Space")
    assert not dialog.assign()
    assert "Mark done and go to the next image" in dialog.error.text()
    assert window.registry.keys("next_unlabeled") == ["U", "Ctrl+U"]
    dialog.keys_edit.setText("")
    assert dialog.assign()  # no key at all is allowed
    assert window.menu_actions["next_unlabeled"].shortcuts() == []
    dialog.close()


def test_parse_keys_refuses_what_qt_cannot_read() -> None:
    assert parse_keys(" ctrl+k ;  / ") == ["Ctrl+K", "/"]
    with pytest.raises(ValueError, match="Ctrl\\+Nonsense"):
        parse_keys("Ctrl+Nonsense")


def test_the_help_overlay_lists_every_shortcut(qtbot: QtBot, window: MainWindow) -> None:
    window.gallery.setFocus()
    press(qtbot, Qt.Key.Key_F1)
    overlay = window.help_overlay
    assert overlay.isVisible()
    text = overlay.text()
    for spec in DEFAULT_SHORTCUTS:
        if not spec.name.startswith("class_") or spec.name == "class_picker":
            assert spec.title in text
        for key in spec.keys:
            assert QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText) in text
    for action in window.bulk_actions.actions():
        assert action.text() in text
    assert "Ctrl+F" in text  # the gallery filter's own shortcut

    press(qtbot, Qt.Key.Key_Space)  # keys do nothing while the overlay is up…
    assert overlay.isVisible()
    assert window.project.count_items(status="done") == 8
    press(qtbot, Qt.Key.Key_Escape)  # …but Escape closes it
    assert not overlay.isVisible()
    assert QApplication.focusWidget() is window.gallery  # the keyboard is back where it was
    press(qtbot, Qt.Key.Key_Question)
    assert overlay.isVisible()
    press(qtbot, Qt.Key.Key_F1)
    assert not overlay.isVisible()


def test_an_added_action_goes_first_in_its_group_and_loses_a_key_already_taken(
    settings: QSettings,
) -> None:
    registry = ShortcutRegistry(settings)
    registry.add(ShortcutSpec("tool_ruler", "Ruler", "Tools", ("U",)))
    registry.add(ShortcutSpec("tool_stamp", "Stamp", "Tools", ("Ctrl+K",)))  # the class picker's

    tools = [spec.name for spec in registry.specs() if spec.group == "Tools"]
    assert tools == ["tool_ruler", "tool_stamp", "brush_bigger", "brush_smaller"]
    assert registry.keys("tool_ruler") == ["U"]
    assert registry.keys("tool_stamp") == []
    assert registry.conflicts() == {}
