"""The window's panels and size: every panel closable and in the View menu with its key, a
1024×700 window that stays 1024×700, Reset layout, and the layout saved for the next window."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings, QSize, Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QDockWidget, QScrollArea
from pytestqt.qtbot import QtBot

from studio.gui.main_window import MainWindow
from studio.gui.panels import SIDE_PANEL_WIDTH
from studio.gui.theme import THEMES
from studio.gui.window_layout import STATE_KEY
from studio.plugins.manager import StudioPlugins
from tests.gui.test_window_plugins import WindowPlugin

SMALL = QSize(1024, 700)
RIGHT = Qt.DockWidgetArea.RightDockWidgetArea
LEFT = Qt.DockWidgetArea.LeftDockWidgetArea
BOTTOM = Qt.DockWidgetArea.BottomDockWidgetArea


def resized(window: MainWindow, size: QSize) -> QSize:
    window.resize(size)
    for _ in range(3):  # the dock layout settles over a few passes
        QApplication.processEvents()
    return window.size()


def in_front(dock: QDockWidget) -> bool:
    """Shown and not behind another dock's tab (Qt moves those out of sight)."""
    return dock.isVisible() and not dock.visibleRegion().isEmpty()


def close_every_panel(window: MainWindow) -> None:
    for dock in window.docks.values():
        dock.close()


def test_the_window_at_1024_by_700_is_1024_by_700_with_every_panel_closed_or_train_open(
    window: MainWindow,
) -> None:
    close_every_panel(window)
    assert resized(window, SMALL) == SMALL
    assert window.minimumSizeHint().width() <= 800
    assert window.minimumSizeHint().height() <= 500

    window.panel_actions["train"].trigger()
    assert window.docks["train"].isVisible()
    assert resized(window, SMALL) == SMALL
    assert window.minimumSizeHint().width() <= 800
    assert window.minimumSizeHint().height() <= SMALL.height()
    frame = window.docks["train"].widget()
    assert isinstance(frame, QScrollArea)
    assert frame.widget() is window.train_panel
    assert window.workspace.height() >= 300  # the canvas keeps its room


def test_at_1024_wide_the_canvas_keeps_the_largest_share_with_the_default_panels(
    window: MainWindow,
) -> None:
    """The filter bar wraps and the tool bar drops its names: both once held the canvas to
    about 200 px at this width."""
    resized(window, SMALL)
    assert window.workspace.width() >= 0.4 * SMALL.width()
    assert window.workspace.width() > window.gallery_pane.width()
    assert window.tool_bar.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonIconOnly
    filters = window.filter_bar
    assert filters.height() > filters.sizeHint().height()  # its buttons took a second row
    assert resized(window, QSize(1680, 1000)).width() == 1680
    assert window.tool_bar.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonTextUnderIcon


def test_the_side_panels_fit_their_column_at_1024_wide_without_a_sideways_scroll_bar(
    window: MainWindow,
) -> None:
    """The class buttons wrap and the labeling-mode box elides: both once needed 300 px."""
    resized(window, SMALL)
    for name in ("classes", "tags", "shapes"):
        frame = window.docks[name].widget()
        assert isinstance(frame, QScrollArea)
        assert frame.widget().minimumSizeHint().width() <= frame.viewport().width(), name


def test_every_panel_is_in_the_view_menu_with_a_key_and_closes_and_opens(
    qtbot: QtBot, window: MainWindow
) -> None:
    assert set(window.docks) == {"classes", "tags", "shapes", "train", "runs", "models"}
    for name, dock in window.docks.items():
        action = window.panel_actions[name]
        assert action in window.view_menu.actions(), name
        assert not action.shortcut().isEmpty(), name
        assert dock.features() & QDockWidget.DockWidgetFeature.DockWidgetClosable, name
        was_open = not dock.isHidden()
        action.trigger()
        if was_open:  # in front: it closes, and opens again
            assert dock.isHidden(), name
            action.trigger()
        assert dock.isVisible(), name
        assert action.isChecked(), name


def test_every_panel_has_a_close_button_in_every_theme(window: MainWindow) -> None:
    for name, dock in window.docks.items():
        if dock.isHidden():
            window.panel_actions[name].trigger()
    for theme in THEMES:
        window.set_theme(theme)
        for name, dock in window.docks.items():
            button = dock.findChild(QAbstractButton, "qt_dockwidget_closebutton")
            assert button.isVisible(), (theme, name)
            assert not button.icon().isNull(), (theme, name)  # a style sheet can take it away


def test_a_panel_key_brings_a_panel_behind_another_tab_to_the_front(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.panel_actions["train"].trigger()
    window.panel_actions["runs"].trigger()
    train, runs = window.docks["train"], window.docks["runs"]
    qtbot.waitUntil(lambda: in_front(runs) and not in_front(train))

    window.gallery.setFocus()
    ctrl_shift = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(window.gallery, Qt.Key.Key_M, ctrl_shift)

    qtbot.waitUntil(lambda: in_front(train))
    assert not runs.isHidden()
    assert not in_front(runs)
    qtbot.keyClick(window.gallery, Qt.Key.Key_M, ctrl_shift)
    assert train.isHidden()


def test_reset_layout_brings_back_the_default_docks(qtbot: QtBot, window: MainWindow) -> None:
    docks = window.docks
    docks["classes"].close()
    window.addDockWidget(LEFT, docks["tags"])
    docks["shapes"].setFloating(True)
    window.panel_actions["models"].trigger()
    window.toggle_gallery()

    window.gallery.setFocus()
    qtbot.keyClick(
        window.gallery,
        Qt.Key.Key_R,
        Qt.KeyboardModifier.ControlModifier
        | Qt.KeyboardModifier.AltModifier
        | Qt.KeyboardModifier.ShiftModifier,
    )

    for name in ("classes", "tags", "shapes"):
        assert window.dockWidgetArea(docks[name]) == RIGHT, name
        assert docks[name].isVisible(), name
        assert not docks[name].isFloating(), name
    for name in ("train", "runs", "models"):
        assert window.dockWidgetArea(docks[name]) == BOTTOM, name
        assert docks[name].isHidden(), name
    assert window.gallery_pane.isVisible()
    assert window.menu_actions["toggle_gallery"].isChecked()
    for name in ("train", "runs", "models"):
        window.panel_actions[name].trigger()
    assert set(window.tabifiedDockWidgets(docks["runs"])) == {docks["train"], docks["models"]}
    assert docks["tags"].width() <= SIDE_PANEL_WIDTH


def test_the_layout_and_the_training_settings_come_back_in_a_new_window(
    qtbot: QtBot,
    window_plugins: StudioPlugins,
    open_window: Callable[[Path], MainWindow],
    gallery_project: Path,
) -> None:
    window_plugins.register(WindowPlugin(), "window_plugin")
    first = open_window(gallery_project)
    first.docks["classes"].close()
    first.panel_actions["runs"].trigger()
    first.addDockWidget(LEFT, first.docks["shapes"])
    first.addDockWidget(LEFT, first.docks["notes"])
    first.train_panel.form.epochs.setValue(7)
    first.close()

    second = open_window(gallery_project)

    assert second.docks["classes"].isHidden()
    assert not second.panel_actions["classes"].isChecked()
    assert second.docks["runs"].isVisible()
    assert second.dockWidgetArea(second.docks["shapes"]) == LEFT
    assert second.dockWidgetArea(second.docks["notes"]) == LEFT  # a plugin's panel too
    assert second.train_panel.form.epochs.value() == 7
    assert second.train_panel.form.preset_combo.currentText() == "Custom"
    second.menu_actions["reset_layout"].trigger()
    assert second.dockWidgetArea(second.docks["notes"]) == RIGHT
    assert second.docks["notes"].isVisible()


def test_a_new_window_fits_the_screen_and_ignores_a_layout_of_an_older_studio(
    qtbot: QtBot, settings: QSettings
) -> None:
    first = MainWindow(None, settings=settings)
    qtbot.addWidget(first)
    available = first.screen().availableGeometry().size()
    assert first.width() <= available.width()
    assert first.height() <= available.height()
    first.docks["classes"].close()
    settings.setValue(STATE_KEY, first.saveState())  # version 0, as before layouts had one

    second = MainWindow(None, settings=settings)
    qtbot.addWidget(second)
    second.window_layout.show_panels(True)  # as when a project opens

    assert not second.docks["classes"].isHidden()
