"""Studio's main window: the gallery, the labeling workspace, its panels, menus, status bar.

Left: the gallery pane with its filter bar; middle: the labeling canvas; docks: the panels of
the panel registry (the classes, the image's tags and its shapes on the right, the training
views at the bottom, and any plugin's), each closable and listed in the View menu with its
key; `window_layout` places them, sizes the window to the screen and keeps the user's layout.
The canvas tools come from the tool registry. Every action comes from the shortcut registry,
so menus, the help overlay (F1) and the shortcut editor list the same keys. A timer polls the
project for commits made by other processes (the CLI, scripts, training workers) and
refreshes the gallery, the counts and the shown image.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QDockWidget,
    QFileDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QSplitter,
    QTextEdit,
    QToolBar,
    QWidget,
)

from studio.api import HistoryStep, ImportReport, LabelImportReport, Project
from studio.core.errors import NothingToUndoError, StudioError
from studio.gui.data.health_actions import DataHealthActions
from studio.gui.data.label_errors import LabelErrors
from studio.gui.data.map_window import add_map_action
from studio.gui.data.prelabel_action import Prelabeling
from studio.gui.data.queue_action import UncertaintyQueue
from studio.gui.gallery.bulk_actions import BulkActions
from studio.gui.gallery.hidden_selection import select_in_gallery
from studio.gui.gallery.model import describe_stats
from studio.gui.gallery.pane import GalleryPane
from studio.gui.key_repeat import KeyRepeatFilter
from studio.gui.labels_io.export_dialog import ExportLabelsDialog
from studio.gui.labels_io.import_dialog import ImportLabelsDialog
from studio.gui.panels import (
    PanelContext,
    PanelFrame,
    build_panel,
    panel_shortcut,
    toggle_dock,
    window_panels,
)
from studio.gui.plugin_host import gui_plugins
from studio.gui.plugins_dialog import PluginsDialog
from studio.gui.project_actions import ProjectActions
from studio.gui.resources import icon
from studio.gui.sam.everything_action import SegmentEverything
from studio.gui.status_job import StatusJobs
from studio.gui.task_runner import TaskRunner, stop_when_cancelled
from studio.gui.theme import THEMES, apply_theme, current_theme, system_theme
from studio.gui.training.window_docks import TrainingDocks
from studio.gui.window_layout import WindowLayout
from studio.gui.workspace.help_overlay import HelpOverlay
from studio.gui.workspace.shortcut_dialog import ShortcutDialog
from studio.gui.workspace.shortcuts import ShortcutRegistry, ShortcutSpec
from studio.gui.workspace.status_readout import StatusReadout
from studio.gui.workspace.tag_panel import MODE_TITLES
from studio.gui.workspace.workspace import LabelingWorkspace
from studio.plugins.manager import StudioPlugins
from studio.plugins.specs import PanelSpec

POLL_INTERVAL_MS = 500
CATCH_UP_DELAY_MS = 150  # the gallery and counts follow the workspace's edits after this
STATUS_MESSAGE_MS = 5000
TOOL_ICON_SIZE = 24
TEXT_FIELDS = (QLineEdit, QAbstractSpinBox, QTextEdit, QPlainTextEdit)  # Esc leaves them
IMAGE_FILTER = "Images (*.jpg *.jpeg *.png *.bmp *.tif *.tiff *.webp);;All files (*)"
PROJECT_FILTER = "Studio projects (*.studio);;All files (*)"


class MainWindow(QMainWindow):
    def __init__(
        self,
        project: Project | None = None,
        settings: QSettings | None = None,
        poll_interval_ms: int = POLL_INTERVAL_MS,
        plugins: StudioPlugins | None = None,
    ) -> None:
        """`plugins`: whose tools and panels the window offers (default: the process's)."""
        super().__init__()
        self.settings = settings if settings is not None else QSettings()
        self.plugins = gui_plugins(plugins)
        self.setWindowIcon(icon("studio"))
        self.registry = ShortcutRegistry(self.settings, parent=self)
        self._key_repeats = KeyRepeatFilter(self)
        self.menu_actions: dict[str, QAction] = {}
        self._labels_revision: tuple = ()
        self._build_gallery()
        self.workspace = LabelingWorkspace(
            self.registry, self.settings, self.gallery, self.gallery_model, self, self.plugins
        )
        self.menu_actions.update(self.workspace.labeling_actions)
        self.addActions(list(self.workspace.labeling_actions.values()))
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.gallery_pane)
        self.splitter.addWidget(self.workspace)
        self.setCentralWidget(self.splitter)
        self.window_layout = WindowLayout(self, self.settings, self.splitter, self.gallery_pane)
        self.window_layout.panels_shown.connect(lambda: self._show_open_panels())
        self.training = TrainingDocks(self, self.settings)
        self.training.message.connect(self._show_message)
        self.training.items_requested.connect(self.select_items)
        self.training.open_item_requested.connect(self.open_item)
        self.train_panel, self.runs_view = self.training.panel, self.training.runs_view
        self.panel_context = PanelContext(self.workspace, self.training, self)
        self.panel_context.message_requested.connect(self._show_message)
        self.docks: dict[str, QDockWidget] = {}
        self.panel_actions: dict[str, QAction] = {}  # each panel's entry in the View menu
        self._project_panels: set[str] = set()  # panels of the open project's own plugins
        self._panel_problems: list[str] = []
        for spec in window_panels(self.plugins):
            self._add_panel(spec)
        self.training.docks = {name: self.docks[name] for name in ("train", "runs", "models")}
        self.training_docks = self.training.docks
        self._import_runner = TaskRunner(self)
        self._import_runner.progress.connect(self._show_import_progress)
        self._import_runner.finished.connect(self._import_finished)
        self._import_runner.failed.connect(self._import_failed)
        self._import_runner.cancelled.connect(self._import_ended)
        self.status_jobs = StatusJobs()  # every Data and SAM action's background job
        self.everything = SegmentEverything(self.settings, self.status_jobs, self)
        self.label_errors = LabelErrors(self, self)
        self.everything.message.connect(self._show_message)
        self.everything.ended.connect(self._everything_ended)
        self.everything.failed.connect(
            lambda message: self._show_error("Segment everything failed", message)
        )
        self.everything.checkpoint_wanted.connect(self.workspace.choose_sam_checkpoint)
        self.prelabeling = Prelabeling(self, self.settings, self.status_jobs)
        self.prelabeling.message.connect(self._show_message)
        self.prelabeling.ended.connect(self._everything_ended)  # re-read, then say what changed
        self.prelabeling.failed.connect(lambda text: self._show_error("Pre-labeling failed", text))
        self.uncertainty_queue = UncertaintyQueue(self.workspace.navigator, self.status_jobs, self)
        self.uncertainty_queue.message.connect(self._show_message)
        self.train_panel.run_ended.connect(self.uncertainty_queue.run_ended)
        self.training.model_registered.connect(self.uncertainty_queue.model_registered)
        self._build_status_bar()
        self.project_actions = ProjectActions(self, self.settings)  # new, open, recent, demo
        self._build_menus()
        self._build_tool_bar()
        self.help_overlay = HelpOverlay(self.registry, self)
        self.help_overlay.customize_requested.connect(self.edit_shortcuts)
        self.help_overlay.add_action_group("Gallery", self.filter_bar.shortcut_actions())
        self.help_overlay.add_action_group("Selected images", self.bulk_actions.actions())
        self._connect_workspace()
        self._poll_timer = QTimer(self)
        self._poll_timer.setInterval(poll_interval_ms)
        self._poll_timer.timeout.connect(self._poll)
        self._catch_up = QTimer(self)
        self._catch_up.setSingleShot(True)
        self._catch_up.setInterval(CATCH_UP_DELAY_MS)
        self._catch_up.timeout.connect(self._catch_up_now)
        self._restore_window_state()
        self.project_actions.install()  # the welcome page while no project is open
        self.set_project(project)
        self._report_plugin_problems(self.workspace.canvas.tool_problems + self._panel_problems)

    @property
    def project(self) -> Project | None:
        return self.gallery_model.project

    # -- building ----------------------------------------------------------------------

    def _build_gallery(self) -> None:
        self.gallery_pane = GalleryPane(self.settings)
        self._add_action("thumbnails_bigger", self.gallery_pane.bigger_thumbnails)
        self._add_action("thumbnails_smaller", self.gallery_pane.smaller_thumbnails)
        self.gallery_pane.message.connect(self._show_message)
        self.loader = self.gallery_pane.loader
        self.gallery_model = self.gallery_pane.model
        self.gallery = self.gallery_pane.view
        self.filter_bar = self.gallery_pane.filter_bar
        self.bulk_actions = BulkActions(self.gallery, self.gallery_model, self)
        self.bulk_actions.edited.connect(self._bulk_edited)
        self.bulk_actions.failed.connect(self._show_message)
        self.addActions(self.filter_bar.shortcut_actions())

    def _add_panel(self, spec: PanelSpec) -> None:
        """Dock the panel `spec` describes, listed in the View menu (with its key, if any);
        a plugin whose factory raises is reported and its panel left out."""
        widget = build_panel(spec, self.panel_context, self.plugins)
        if not isinstance(widget, QWidget):
            self._panel_problems.append(str(widget))
            return
        dock = QDockWidget(spec.title, self)
        dock.setObjectName(f"{spec.name}Dock")
        dock.setWidget(PanelFrame(widget, side=spec.area != "bottom"))
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.window_layout.add(dock, spec.area)
        self.docks[spec.name] = dock
        if self._source_of(spec) == "project":
            self._project_panels.add(spec.name)
        # The key lives in the shortcut registry (Studio's own panels are declared there), so
        # users can rebind it; a plugin's panel joins it, with or without a key.
        name = panel_shortcut(spec.name)
        if name not in {known.name for known in self.registry.specs()}:
            keys = (spec.key,) if spec.key else ()
            self.registry.add(ShortcutSpec(name, spec.title, "View", keys))
        action = self._add_action(name, lambda: toggle_dock(dock))
        action.setCheckable(True)
        action.triggered.connect(lambda: action.setChecked(not dock.isHidden()))  # raised only
        action.setChecked(not dock.isHidden())
        dock.toggleViewAction().toggled.connect(action.setChecked)
        self.panel_actions[spec.name] = action

    def _source_of(self, entry: object) -> str | None:
        owner = self.plugins.owner(entry)
        return next((i.source for i in self.plugins.infos() if i.name == owner), None)

    def _remove_project_panels(self) -> None:
        """Take away the panels of a closed project's own plugins (unloaded with it)."""
        for name in self._project_panels:
            dock = self.docks.pop(name)
            action = self.panel_actions.pop(name)
            self.view_menu.removeAction(action)
            self.removeAction(action)
            self.menu_actions.pop(panel_shortcut(name), None)
            self.registry.remove(panel_shortcut(name))
            self.window_layout.remove(dock)
            dock.deleteLater()
        self._project_panels.clear()

    def _build_status_bar(self) -> None:
        self.import_progress = QProgressBar()
        self.import_progress.setVisible(False)
        self.statusBar().addPermanentWidget(self.import_progress)
        self.statusBar().addPermanentWidget(self.status_jobs)
        self.readout = StatusReadout(self.statusBar(), self.workspace)
        self.counts_label = QLabel()
        self.counts_label.setObjectName("counts")
        self.statusBar().addPermanentWidget(self.counts_label)
        self.read_only_label = QLabel("Read-only")
        self.read_only_label.setObjectName("read_only")
        self.read_only_label.setVisible(False)
        self.statusBar().addPermanentWidget(self.read_only_label)

    def _add_action(self, key: str, slot: Callable[[], object]) -> QAction:
        action = self.registry.make_action(key, self, slot)
        self.addAction(action)  # shortcuts work even while the menu bar is hidden
        self.menu_actions[key] = action
        return action

    def _build_menus(self) -> None:
        actions = self.menu_actions
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self._add_action("new_project", self.project_actions.new_project))
        file_menu.addAction(self._add_action("open", self.project_actions.choose_project))
        file_menu.addMenu(self.project_actions.recent_menu)
        file_menu.addSeparator()
        file_menu.addAction(self._add_action("import", self.choose_images))
        file_menu.addAction(self._add_action("import_folder", self.choose_folder))
        file_menu.addAction(actions["relink"])
        file_menu.addSeparator()
        file_menu.addAction(self._add_action("import_labels", self.import_labels))
        file_menu.addAction(self._add_action("export_labels", self.export_labels))
        file_menu.addSeparator()
        file_menu.addAction(self._add_action("quit", self.close))
        edit_menu = self.menuBar().addMenu("&Edit")
        edit_menu.addAction(self._add_action("undo", self.undo))
        edit_menu.addAction(self._add_action("redo", self.redo))
        edit_menu.addSeparator()
        edit_menu.addActions([actions[n] for n in ("copy_shapes", "paste_shapes", "delete_shapes")])
        edit_menu.addActions([actions[n] for n in ("bring_to_front", "send_to_back")])
        edit_menu.addAction(actions["copy_previous"])
        edit_menu.addActions([actions["turn_anticlockwise"], actions["turn_clockwise"]])
        self.menuBar().addMenu(self.bulk_actions.menu(self))
        self._build_label_menu()
        go_menu = self.menuBar().addMenu("&Go")
        go_menu.addActions([actions[n] for n in ("next_image", "previous_image", "next_unlabeled")])
        self._build_view_menu()
        data_menu = self.menuBar().addMenu("&Data")  # models back into labeling, then checks
        self.prelabeling.add_actions(data_menu, self._add_action)
        self.uncertainty_queue.add_actions(data_menu, self._add_action)
        data_menu.addSeparator()
        self.label_errors.build_menu(data_menu, self._add_action)
        data_menu.addSeparator()
        self.data_health = DataHealthActions(self, self.panel_context)
        self.data_health.add_actions(data_menu, self._add_action)
        self.data_map = add_map_action(data_menu, self._add_action, self, self)
        self.training.build_menu(self.menuBar(), self._add_action, self.panel_actions)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self._add_action("help", self.help_overlay_toggle))
        help_menu.addAction(self._add_action("edit_shortcuts", self.edit_shortcuts))
        help_menu.addAction(self._add_action("plugins", self.show_plugins))

    def _build_label_menu(self) -> None:
        actions = self.menu_actions
        menu = self.menuBar().addMenu("&Label")
        menu.addActions(self.workspace.tool_actions())
        menu.addActions([actions["brush_bigger"], actions["brush_smaller"]])
        everything = self._add_action("sam_everything", self.segment_everything)
        self.bulk_actions.assistant_actions.append(everything)
        menu.addActions([actions["sam_checkpoint"], everything, actions["boxes_to_masks"]])
        menu.addSeparator()
        classes = ("class_picker", "add_class", "rename_class", "recolor_class", "class_schema")
        menu.addActions([actions[name] for name in classes])
        menu.addAction(actions["toggle_class_visibility"])
        menu.addSeparator()
        review = ("mark_done_next", "mark_done", "mark_done_empty", "mark_reviewed")
        menu.addActions([actions[name] for name in (*review, "mark_rejected")])
        menu.addSeparator()
        self.mode_menu = menu.addMenu("Labeling &mode")
        self._mode_group = QActionGroup(self)
        for mode, title in MODE_TITLES.items():
            action = QAction(title, self)
            action.setCheckable(True)
            action.setData(mode)
            action.triggered.connect(self._mode_slot(mode))
            self._mode_group.addAction(action)
            self.mode_menu.addAction(action)
        self.workspace.controller.mode_changed.connect(self._show_mode)

    def _build_view_menu(self) -> None:
        actions = self.menu_actions
        self.view_menu = view_menu = self.menuBar().addMenu("&View")
        view_menu.addActions([actions[n] for n in ("fit", "actual_size", "zoom_in", "zoom_out")])
        view_menu.addAction(actions["crosshair"])
        view_menu.addSeparator()
        gallery_action = self._add_action("toggle_gallery", self.toggle_gallery)
        gallery_action.setCheckable(True)
        gallery_action.setChecked(True)
        view_menu.addAction(gallery_action)
        view_menu.addActions(list(self.panel_actions.values()))
        view_menu.addAction(self._add_action("reset_layout", self.reset_layout))
        view_menu.addSeparator()
        view_menu.addActions(self.filter_bar.shortcut_actions())
        view_menu.addActions([actions["thumbnails_bigger"], actions["thumbnails_smaller"]])
        theme_menu = view_menu.addMenu("&Theme")
        self._theme_group = QActionGroup(self)
        for name in THEMES:
            action = QAction(name.capitalize(), self)
            action.setCheckable(True)
            action.triggered.connect(self._theme_slot(name))
            self.menu_actions[f"theme_{name}"] = action
            self._theme_group.addAction(action)
            theme_menu.addAction(action)

    def _build_tool_bar(self) -> None:
        self.tool_bar = QToolBar("Tools", self)
        self.tool_bar.setObjectName("toolsBar")
        self.tool_bar.setMovable(False)
        self.tool_bar.setIconSize(QSize(TOOL_ICON_SIZE, TOOL_ICON_SIZE))
        self.tool_bar.addActions(self.workspace.tool_actions())
        self.addToolBar(Qt.ToolBarArea.LeftToolBarArea, self.tool_bar)
        self.window_layout.fit_tool_bar(self.tool_bar)

    def _theme_slot(self, name: str) -> Callable[[], None]:
        return lambda: self.set_theme(name)

    def _mode_slot(self, mode: str) -> Callable[[], None]:
        return lambda: self.workspace.controller.set_mode(mode)

    def _show_mode(self, mode: str) -> None:
        for action in self._mode_group.actions():
            action.setChecked(action.data() == mode)

    def _connect_workspace(self) -> None:
        self.gallery_pane.revealed.connect(self.workspace.navigator.open_item)
        self.gallery.selectionModel().selectionChanged.connect(
            lambda: self.panel_context.report_selection(self.gallery_pane.selected_ids)
        )
        self.workspace.controller.item_changed.connect(self.panel_context.current_item_changed.emit)
        self.workspace.message.connect(self._show_message)
        self.workspace.edited.connect(self._after_own_edit)
        self.workspace.relink_running.connect(
            lambda running: self.menu_actions["relink"].setEnabled(not running)
        )

    # -- the project ---------------------------------------------------------------------

    def set_project(self, project: Project | None) -> None:
        """Show `project`, closing the one shown before (the window owns its project)."""
        previous = self.project
        if previous is not None and previous is not project:
            self._cancel_import()
            self.everything.stop()
            self.prelabeling.stop()
            self.label_errors.stop()
            self.uncertainty_queue.stop()
            self.workspace.finish_relink()
            self.loader.shutdown()
            previous.close()  # which unloads its own plugins
            self._remove_project_panels()
        self.gallery_pane.set_project(project)
        self.workspace.set_project(project)
        self.training.set_project(project)
        self.uncertainty_queue.set_project(project)
        self.panel_context.set_project(project)
        self._show_read_only(project)
        if project is None:
            self._poll_timer.stop()
        else:
            project.poll_changes()  # remember the current version; report later commits
            self._labels_revision = project.labels_revision()
            self._poll_timer.start()
        self._update_after_change()
        if project is not None and project is not previous:
            self._offer_project_plugins(project)

    def _offer_project_plugins(self, project: Project) -> None:
        """Ask once, listing the files, whether to trust and load the project's own plugins;
        No keeps them off (opening a project never runs its code by itself)."""
        if not self.plugins.settings.third_party:  # --no-plugins: nothing to ask about
            return
        if project.plugin_folder_status() != "untrusted":
            return
        folder = project.plugin_folder
        files = sorted(p.name for p in folder.iterdir() if not p.name.startswith((".", "_")))
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Trust this project's plugins?",
            f"{project.path.name} comes with plugins in {folder}:\n\n"
            + "\n".join(f"  {name}" for name in files)
            + "\n\nThey are Python code and run with your rights. Load them only if you "
            "trust where the project came from. Trusting is remembered until a file changes.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setObjectName("trustPluginsBox")
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda answer: self._trust_answered(project, answer))
        box.open()

    def _trust_answered(self, project: Project, answer: int) -> None:
        if answer != QMessageBox.StandardButton.Yes or project is not self.project:
            self._show_message("The project's plugins stay off")
            return
        try:
            loaded = project.trust_plugins()
        except (StudioError, OSError) as error:
            self._show_error("Cannot load the project's plugins", str(error))
            return
        self._add_new_panels()
        names = ", ".join(info.name for info in loaded) or "none"
        tools = any("studio_canvas_tools" in info.hooks for info in loaded)
        later = "; their canvas tools come at the next start" if tools else ""
        self._show_message(f"Project plugins loaded: {names}{later}")

    def _add_new_panels(self) -> None:
        """Dock the panels of plugins loaded or enabled since the window was built (its
        canvas tools are fixed once built: a new tool shows after a restart)."""
        self._panel_problems = []
        for spec in window_panels(self.plugins):
            if spec.name not in self.docks:
                self._add_panel(spec)
                if spec.name in self.docks:
                    self.view_menu.addAction(self.panel_actions[spec.name])
        self._report_plugin_problems(self._panel_problems)

    def _report_plugin_problems(self, problems: list[str]) -> None:
        """Plugins that raised while the window built their tools or panels (disabled now)."""
        if problems:
            self._show_error(
                "A plugin failed and was disabled",
                "\n".join(problems),
                "Help ▸ Plugins lists every plugin and its errors; the log has the traceback.",
                QMessageBox.Icon.Warning,
            )

    def _show_read_only(self, project: Project | None) -> None:
        """The title and a status-bar notice say when the project was opened read-only."""
        read_only = project is not None and project.read_only
        self.read_only_label.setVisible(read_only)
        self.read_only_label.setToolTip(
            f"{project.read_only_reason}; changes are refused" if read_only else ""
        )
        if project is None:
            self.setWindowTitle("Studio")
        else:
            notice = " (read-only)" if read_only else ""
            self.setWindowTitle(f"{project.path.name}{notice} — Studio")

    def open_project_file(self, path: Path) -> bool:
        """Open the project at `path` in this window; on failure say why and keep the old one."""
        try:
            project = Project.open(path)
        except (StudioError, OSError) as error:
            self._show_error("Cannot open the project", f"{path}\n\n{error}")
            return False
        self.set_project(project)
        self.settings.setValue("last_project_dir", str(Path(path).parent))
        return True

    def refresh(self) -> None:
        """Re-read the gallery, the counts and the shown image (after any change)."""
        self._catch_up.stop()
        self.gallery_pane.refresh()
        if self.project is not None:
            self.training.refresh()
        self.workspace.reload()
        self._update_after_change()

    def _update_after_change(self) -> None:
        project = self.project
        self.counts_label.setText(describe_stats(project.stats()) if project else "")
        has_project = project is not None
        for key in ("import", "import_folder"):
            self.menu_actions[key].setEnabled(has_project and not self.importing)
        for key in ("import_labels", "export_labels"):
            self.menu_actions[key].setEnabled(has_project)
        self._update_history_actions()
        self.training.update_actions()
        self.gallery.viewport().update()
        self.panel_context.labels_changed()

    def _update_history_actions(self) -> None:
        project = self.project
        self.menu_actions["undo"].setEnabled(project is not None and project.can_undo())
        self.menu_actions["redo"].setEnabled(project is not None and project.can_redo())

    def _poll(self) -> None:
        """After another process's commit: the whole window when labels changed, else only
        the training views (a worker commits its heartbeat and metrics while it trains)."""
        if self.project is None or not self.project.poll_changes():
            return
        revision = self.project.labels_revision()
        if revision != self._labels_revision:
            self._labels_revision = revision
            self.refresh()
        else:
            self.training.refresh()

    def _after_own_edit(self) -> None:
        """An edit made in the workspace (which shows it already): the poll skips our own
        commit, and the gallery and the counts catch up a moment later, once for a burst of
        edits. Re-reading a 100,000-item gallery takes about 0.1 s: too long for every key."""
        if self.project is None:
            return
        self.project.poll_changes()
        self._update_history_actions()
        self._catch_up.start()

    def _catch_up_now(self) -> None:
        self._catch_up.stop()
        if self.project is not None:
            self.gallery_pane.refresh()
            self._update_after_change()

    def _bulk_edited(self, message: str) -> None:
        """The bulk actions refreshed the gallery themselves; the rest follows now."""
        if self.project is not None:
            self.project.poll_changes()
            self.workspace.reload()
            self._update_after_change()
        self._show_message(message)

    def _show_message(self, message: str) -> None:
        self.statusBar().showMessage(message, STATUS_MESSAGE_MS)

    # -- editing -------------------------------------------------------------------------

    def undo(self) -> None:
        self._step("undo")

    def redo(self) -> None:
        self._step("redo")

    def _step(self, direction: str) -> None:
        if self.project is None:
            return
        controller = self.workspace.controller
        try:
            step: HistoryStep = controller.undo() if direction == "undo" else controller.redo()
        except NothingToUndoError:
            self._show_message(f"Nothing to {direction}")
            return
        except StudioError as error:  # a conflict, or a read-only project
            self._show_error(f"Cannot {direction}", str(error))
            return
        self.project.poll_changes()
        self.refresh()  # at once: `follow` needs the gallery's rows as they are now
        self.workspace.follow(step)
        self._show_message(f"{'Undone' if direction == 'undo' else 'Redone'}: {step.description}")

    # -- importing -----------------------------------------------------------------------

    def choose_images(self) -> None:
        start = str(self.settings.value("last_import_dir", str(Path.home())))
        paths, _ = QFileDialog.getOpenFileNames(self, "Import images", start, IMAGE_FILTER)
        if paths:
            self.settings.setValue("last_import_dir", str(Path(paths[0]).parent))
            self.import_paths([Path(path) for path in paths])

    def choose_folder(self) -> None:
        start = str(self.settings.value("last_import_dir", str(Path.home())))
        folder = QFileDialog.getExistingDirectory(self, "Import a folder of images", start)
        if folder:
            self.settings.setValue("last_import_dir", folder)
            self.import_paths([Path(folder)])

    def import_paths(self, paths: list[Path]) -> None:
        """Import files and folders on a worker thread; the gallery updates when it is done."""
        project = self.project
        if project is None or self.importing:
            return
        self._import_runner.start(
            lambda progress, cancel: project.import_media(
                paths, progress=stop_when_cancelled(progress, cancel)
            )
        )
        self.import_progress.setRange(0, 0)
        self.import_progress.setVisible(True)
        self.statusBar().showMessage("Importing…")
        self._update_after_change()

    @property
    def importing(self) -> bool:
        return self._import_runner.busy

    def _show_import_progress(self, done: int, total: int) -> None:
        self.import_progress.setRange(0, total)
        self.import_progress.setValue(done)
        self.import_progress.setFormat(f"Importing {done:,} / {total:,}")

    def _import_ended(self) -> None:
        self.import_progress.setVisible(False)
        self.statusBar().clearMessage()
        if self.project is not None:
            self.project.poll_changes()
            self.refresh()

    def _import_finished(self, report: ImportReport) -> None:
        self._import_ended()
        self.statusBar().showMessage(f"Import: {report.summary()}", STATUS_MESSAGE_MS)
        if report.failed:
            details = "\n".join(f"{path}: {reason}" for path, reason in report.failed)
            self._show_error(
                "Some files were not imported", report.summary(), details, QMessageBox.Icon.Warning
            )

    def _import_failed(self, message: str) -> None:
        self._import_ended()
        self._show_error("The import failed", message)

    def _cancel_import(self) -> None:
        self._import_runner.shutdown()

    # -- Segment Anything ----------------------------------------------------------------

    def segment_everything(self) -> None:
        """Ask for the options and segment everything in the images selected in the gallery,
        or in the shown image when none is selected."""
        project = self.project
        if project is None:
            self._show_message("Open a project first")
            return
        item_ids = self.bulk_actions.selected_ids()
        shown = self.workspace.controller.item
        if not item_ids and shown is not None:
            item_ids = [shown.id]
        active = self.workspace.controller.active_class
        self.everything.ask(project, item_ids, active.name if active else None)

    def _everything_ended(self, message: str) -> None:
        """The gallery, the counts and the shown image show the new suggestions."""
        if self.project is not None:
            self.project.poll_changes()
            self.refresh()
        self._show_message(message)

    # -- label files ---------------------------------------------------------------------

    def import_labels(self) -> ImportLabelsDialog | None:
        """The window-modal "Import labels" dialog; the window refreshes after the import."""
        if self.project is None:
            return None
        dialog = ImportLabelsDialog(self.project, self.settings, self)
        dialog.imported.connect(self._labels_imported)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def export_labels(self) -> ExportLabelsDialog | None:
        if self.project is None:
            return None
        selected = self.bulk_actions.selected_ids()
        shown = self.workspace.controller.item
        open_id = shown.id if shown is not None else None
        dialog = ExportLabelsDialog(self.project, self.settings, selected, self, open_id)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _labels_imported(self, report: LabelImportReport) -> None:
        if self.project is not None:
            self.project.poll_changes()
            self.refresh()
        self._show_message(f"Labels {report.summary()}")  # its warnings were in the preview

    # -- view ----------------------------------------------------------------------------

    def toggle_gallery(self) -> None:
        """Hide the gallery for a wider canvas, or show it again (navigation keys still work)."""
        shown = not self.gallery_pane.isVisible()
        self.gallery_pane.setVisible(shown)
        self.menu_actions["toggle_gallery"].setChecked(shown)

    def show_plugins(self) -> PluginsDialog:
        """The Plugins dialog: each plugin, where it came from, its hooks and errors."""
        dialog = PluginsDialog(self.plugins, self)
        dialog.changed.connect(self._add_new_panels)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def help_overlay_toggle(self) -> None:
        self.help_overlay.toggle()

    def edit_shortcuts(self) -> ShortcutDialog:
        self.help_overlay.hide()
        dialog = ShortcutDialog(self.registry, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def set_theme(self, name: str) -> None:
        apply_theme(QApplication.instance(), name)
        self.menu_actions[f"theme_{name}"].setChecked(True)
        self.settings.setValue("theme", name)

    def reset_layout(self) -> None:
        """View ▸ Reset layout: the default panels in their default places, the gallery shown."""
        self.window_layout.reset()
        self.menu_actions["toggle_gallery"].setChecked(True)
        self._show_open_panels()

    def _show_open_panels(self) -> None:
        """Tick the View menu's open panels (restoring a layout hides docks silently)."""
        for name, dock in self.docks.items():
            self.panel_actions[name].setChecked(not dock.isHidden())

    def _restore_window_state(self) -> None:
        self.window_layout.restore()
        self._show_open_panels()
        saved = self.settings.value("theme")
        app = QApplication.instance()
        name = saved if saved in THEMES else current_theme(app) or system_theme()
        self.set_theme(name)

    def _show_error(
        self,
        title: str,
        text: str,
        details: str = "",
        severity: QMessageBox.Icon = QMessageBox.Icon.Critical,
    ) -> None:
        """A window-modal message that does not block the event loop."""
        box = QMessageBox(severity, title, text, QMessageBox.StandardButton.Ok, self)
        box.setDetailedText(details)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    # -- training ------------------------------------------------------------------------

    def select_items(self, item_ids: list) -> QMessageBox | None:
        """Select these items in the gallery and open the first; when the filter hides some,
        the returned question offers to clear it. The error analysis and duplicates use it."""
        return select_in_gallery(self.gallery_pane, item_ids, self, self._show_message)

    def open_item(self, item_id: int) -> None:
        """Show this item in the labeling canvas, selected in the gallery (whose filters are
        cleared when they hide it); the error analysis and the lineage use it."""
        problem = self.gallery_pane.reveal(item_id)
        if problem:
            self._show_message(problem)
            return
        self.raise_()
        self.activateWindow()

    def select_annotations(self, annotation_ids: list[int]) -> None:
        """Select shapes of the open item in the canvas (the label-error review's box)."""
        self.workspace.controller.select(annotation_ids)

    # -- the keyboard --------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        """Tell X11's auto-repeats from presses before shortcuts and widgets see a key (the
        native window exists from the first show on; installing again is harmless)."""
        super().showEvent(event)
        handle = self.windowHandle()
        if handle is not None:
            handle.installEventFilter(self._key_repeats)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        """Esc in a text field of the window (a gallery filter, a score, a panel's field)
        gives the keyboard back to the canvas, where the labeling keys work again; an Esc
        that nothing else used (no dialog, popup, editor or canvas tool) cancels the status
        bar's job started last."""
        if event.key() == Qt.Key.Key_Escape and isinstance(self.focusWidget(), TEXT_FIELDS):
            self.workspace.canvas.setFocus(Qt.FocusReason.ShortcutFocusReason)
            event.accept()
            return
        pressed_escape = event.key() == Qt.Key.Key_Escape and not event.isAutoRepeat()
        if pressed_escape and self.status_jobs.cancel_newest():  # held: one job, not the next
            event.accept()
            return
        super().keyPressEvent(event)

    # -- closing -------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop background work and close the project (safe to call more than once)."""
        self._poll_timer.stop()
        self._catch_up.stop()
        self._cancel_import()
        self.everything.stop()
        self.prelabeling.stop()
        self.label_errors.stop()
        self.uncertainty_queue.stop()
        self.project_actions.stop()
        self.workspace.shutdown()
        self.loader.shutdown()
        if self.project is not None:
            self.workspace.set_project(None)
            self.project.close()
            self.gallery_model.set_project(None)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self.training.ask_before_close():
            event.ignore()
            return
        self.window_layout.save()
        self.shutdown()
        event.accept()
        super().closeEvent(event)
