"""Plugins in the window: a plugin's canvas tool and panel appear where Studio's own do, a
plugin that raises while the window builds is reported and disabled, and the Plugins dialog
lists and disables plugins."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from studio.gui.canvas.tools.base import Tool
from studio.gui.main_window import MainWindow
from studio.gui.panels import SIDE_PANEL_WIDTH, PanelContext
from studio.gui.plugins_dialog import DISABLED_NOTE, ENABLED_NOTE
from studio.plugins.manager import PluginSettings, StudioPlugins, use_plugins
from studio.plugins.markers import hookimpl
from studio.plugins.specs import PanelSpec, ToolSpec
from tests.gui.workspace.conftest import open_first_image, press


class StampTool(Tool):
    name = "stamp"


class NotesPanel(QLabel):
    """Shows the open project's name and how many items the gallery has selected."""

    def __init__(self, context: PanelContext) -> None:
        super().__init__()
        self.setObjectName("notesPanel")
        self.context = context
        context.project_changed.connect(self.show_project)
        context.selection_changed.connect(lambda ids: self.setText(f"{len(ids)} selected"))
        self.show_project(context.project)

    def show_project(self, project: object) -> None:
        self.setText(getattr(getattr(project, "path", None), "name", "no project"))


class WindowPlugin:
    """One canvas tool (key J) and one panel (key Ctrl+Alt+Shift+J)."""

    STUDIO_PLUGIN_API = 1

    @hookimpl
    def studio_canvas_tools(self) -> list[ToolSpec]:
        return [ToolSpec("stamp", "Stamp", "J", "tool-box", StampTool, "Stamp a mark")]

    @hookimpl
    def studio_window_panels(self) -> list[PanelSpec]:
        return [PanelSpec("notes", "Notes", NotesPanel, "right", "Ctrl+Alt+Shift+J")]


PROJECT_PLUGIN = """
from PySide6.QtWidgets import QLabel

from studio.plugins.markers import hookimpl
from studio.plugins.specs import PanelSpec

STUDIO_PLUGIN_API = 1


@hookimpl
def studio_window_panels():
    key = "Ctrl+Alt+Shift+J"
    return [PanelSpec("project_notes", "Notes", lambda c: QLabel("notes"), "left", key)]
"""


class WideChart(QLabel):
    """A panel asking for the width pyqtgraph's plots ask for, and more."""

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(900, 300)


class WideChartPlugin:
    STUDIO_PLUGIN_API = 1

    @hookimpl
    def studio_window_panels(self) -> list[PanelSpec]:
        return [PanelSpec("wide_chart", "Wide chart", lambda _: WideChart("chart"), "right")]


def fail(_: object) -> QWidget:
    raise RuntimeError("the factory is broken")


class BrokenToolPlugin:
    STUDIO_PLUGIN_API = 1

    @hookimpl
    def studio_canvas_tools(self) -> list[ToolSpec]:
        return [ToolSpec("broken_tool", "Broken tool", "J", "tool-box", fail)]


class BrokenPanelPlugin:
    STUDIO_PLUGIN_API = 1

    @hookimpl
    def studio_window_panels(self) -> list[PanelSpec]:
        return [PanelSpec("broken_panel", "Broken panel", fail)]


def test_a_plugin_tool_is_in_the_toolbar_the_shortcuts_and_the_help_and_its_key_works(
    qtbot: QtBot,
    window_plugins: StudioPlugins,
    open_window: Callable[[Path], MainWindow],
    gallery_project: Path,
) -> None:
    window_plugins.register(WindowPlugin(), "window_plugin")
    window = open_window(gallery_project)
    open_first_image(qtbot, window)

    toolbar = [action.objectName() for action in window.tool_bar.actions()]
    assert toolbar[-1] == "tool_stamp"
    assert window.registry.keys("tool_stamp") == ["J"]
    press(qtbot, Qt.Key.Key_J)
    assert window.workspace.canvas.tool() == "stamp"
    assert isinstance(window.workspace.canvas.current_tool(), StampTool)
    assert window.menu_actions["tool_stamp"].isChecked()
    press(qtbot, Qt.Key.Key_F1)
    assert "Stamp" in window.help_overlay.text()


def test_a_plugin_panel_is_in_the_view_menu_with_its_key_and_opens(
    qtbot: QtBot,
    window_plugins: StudioPlugins,
    open_window: Callable[[Path], MainWindow],
    gallery_project: Path,
) -> None:
    window_plugins.register(WindowPlugin(), "window_plugin")
    window = open_window(gallery_project)
    dock = window.docks["notes"]
    panel = dock.widget().panel
    assert isinstance(panel, NotesPanel)
    assert panel.text() == "gallery.studio"
    assert window.panel_actions["notes"] in window.view_menu.actions()

    window.gallery.setFocus()
    press(
        qtbot,
        Qt.Key.Key_J,
        Qt.KeyboardModifier.ControlModifier
        | Qt.KeyboardModifier.AltModifier
        | Qt.KeyboardModifier.ShiftModifier,
    )
    assert not dock.isVisible()
    window.panel_actions["notes"].trigger()
    assert dock.isVisible()
    window.gallery.selectAll()
    assert panel.text() == "30 selected"


def test_plugins_whose_tool_or_panel_factory_raises_are_disabled_and_the_window_works(
    qtbot: QtBot,
    window_plugins: StudioPlugins,
    open_window: Callable[[Path], MainWindow],
    gallery_project: Path,
) -> None:
    window_plugins.register(BrokenToolPlugin(), "broken_tool")
    window_plugins.register(BrokenPanelPlugin(), "broken_panel")
    window = open_window(gallery_project)
    qtbot.waitUntil(lambda: window.findChild(QMessageBox) is not None)
    report = window.findChild(QMessageBox)
    assert "broken_tool" in report.text()
    assert "broken_panel" in report.text()
    report.close()

    states = {info.name: info for info in window_plugins.infos()}
    assert states["broken_tool"].failed
    assert states["broken_panel"].failed
    assert "the factory is broken" in states["broken_panel"].errors[0]
    assert "broken_panel" not in window.docks
    dialog = window.show_plugins()
    errors = dialog.table.item(dialog.row_of("broken_panel"), 4).text()
    assert "RuntimeError: the factory is broken" in errors
    dialog.close()
    assert "tool_broken_tool" not in window.menu_actions
    open_first_image(qtbot, window)
    press(qtbot, Qt.Key.Key_B)
    assert window.workspace.canvas.tool() == "box"


def test_the_plugins_dialog_lists_every_plugin_and_disables_one(
    qtbot: QtBot, window_plugins: StudioPlugins, window: MainWindow
) -> None:
    window_plugins.register(WindowPlugin(), "window_plugin")
    dialog = window.show_plugins()
    names = [dialog.table.item(row, 1).text() for row in range(dialog.table.rowCount())]
    assert {"studio.gui.builtin_plugin", "window_plugin"} <= set(names)
    row = dialog.row_of("window_plugin")
    assert dialog.table.item(row, 2).text() == "script"
    assert dialog.table.item(row, 5).text() == "canvas_tools, window_panels"

    dialog.set_enabled("window_plugin", False)

    assert not {info.name: info for info in window_plugins.infos()}["window_plugin"].enabled
    assert DISABLED_NOTE in dialog.note.text()
    assert dialog.table.item(row, 0).checkState() == Qt.CheckState.Unchecked
    built_in = dialog.row_of("studio.gui.builtin_plugin")
    assert not dialog.table.item(built_in, 0).flags() & Qt.ItemFlag.ItemIsUserCheckable
    dialog.close()


def open_with_project_plugin(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], project: Path
) -> tuple[MainWindow, QMessageBox]:
    folder = project.parent / f"{project.name}.d" / "plugins"
    folder.mkdir(parents=True)
    (folder / "project_notes.py").write_text(PROJECT_PLUGIN, encoding="utf-8")
    window = open_window(project)
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "trustPluginsBox") is not None)
    return window, window.findChild(QMessageBox, "trustPluginsBox")


def test_trusting_a_projects_plugins_loads_them_and_docks_their_panel(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], gallery_project: Path
) -> None:
    window, question = open_with_project_plugin(qtbot, open_window, gallery_project)
    assert "project_notes.py" in question.text()
    assert "project_notes" not in window.docks

    question.button(QMessageBox.StandardButton.Yes).click()

    assert window.project.plugin_folder_status() == "loaded"
    assert window.panel_actions["project_notes"] in window.view_menu.actions()
    assert window.registry.keys("panel_project_notes") == ["Ctrl+Alt+Shift+J"]
    window.set_project(None)  # closing the project unloads its plugins and takes their panel
    assert "project_notes" not in window.docks
    assert "project_notes" not in window.panel_actions
    assert "panel_project_notes" not in {spec.name for spec in window.registry.specs()}


def test_declining_a_projects_plugins_keeps_them_off(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], gallery_project: Path
) -> None:
    window, question = open_with_project_plugin(qtbot, open_window, gallery_project)

    question.button(QMessageBox.StandardButton.No).click()

    assert window.project.plugin_folder_status() == "untrusted"
    assert "project_notes" not in window.docks
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "trustPluginsBox") is None)


class LatePanelPlugin:
    STUDIO_PLUGIN_API = 1

    @hookimpl
    def studio_window_panels(self) -> list[PanelSpec]:
        return [PanelSpec("late_notes", "Late notes", NotesPanel)]


def test_enabling_a_plugin_in_the_dialog_docks_its_panels_at_once(
    qtbot: QtBot, window_plugins: StudioPlugins, window: MainWindow
) -> None:
    window_plugins.register(LatePanelPlugin(), "late_plugin")
    dialog = window.show_plugins()
    dialog.set_enabled("late_plugin", False)
    assert "late_notes" not in window.docks

    dialog.set_enabled("late_plugin", True)

    assert ENABLED_NOTE in dialog.note.text()
    assert window.panel_actions["late_notes"] in window.view_menu.actions()
    assert isinstance(window.docks["late_notes"].widget().panel, NotesPanel)
    dialog.close()


def test_without_third_party_plugins_the_window_does_not_ask_about_a_projects_plugins(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], gallery_project: Path
) -> None:
    folder = gallery_project.parent / f"{gallery_project.name}.d" / "plugins"
    folder.mkdir(parents=True)
    (folder / "project_notes.py").write_text(PROJECT_PLUGIN, encoding="utf-8")
    use_plugins(StudioPlugins(PluginSettings(third_party=False)).load())

    window = open_window(gallery_project)  # the window asks, if at all, while it opens

    assert window.findChild(QMessageBox, "trustPluginsBox") is None
    assert window.project.plugin_folder_status() == "untrusted"


def test_a_side_panel_asking_for_a_wide_chart_leaves_the_canvas_its_room(
    qtbot: QtBot,
    window_plugins: StudioPlugins,
    open_window: Callable[[Path], MainWindow],
    gallery_project: Path,
) -> None:
    window_plugins.register(WideChartPlugin(), "wide_chart_plugin")
    window = open_window(gallery_project)
    dock = window.docks["wide_chart"]
    assert dock.isVisible()
    assert dock.width() <= SIDE_PANEL_WIDTH + 40  # the column, not the chart's 900 px
