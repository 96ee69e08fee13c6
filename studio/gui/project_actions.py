"""Starting and switching projects in the window: New project, Open, Open recent, the demo.

`ProjectActions` owns what the window does around "which project is open":
- File ▸ New project… creates a project through `studio.api`, opens it and imports the
  chosen folder of images; File ▸ Open starts in the folder of the project used last;
  File ▸ Open recent lists the last ten (`studio.gui.recent_projects`).
- While no project is open the central area shows the welcome page (`studio.gui.welcome`),
  and every action that needs a project is disabled (those of the Help menu, the themes,
  the panels' entries, New, Open, Open recent and Quit stay available).
- "Open the demo" opens `<data folder>/demo/photos.studio`, made first, on a background
  task with its progress in the status bar and on the page, when it does not exist yet.
- The first time a project is open, the first-run hint (at the bottom of the central area)
  names the three keys that matter.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, Qt
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QFileDialog, QMenu, QStackedWidget

from studio.api import Project
from studio.core.errors import StudioError
from studio.core.photo_demo import PHOTO_DEMO_FILE_NAME, create_photo_demo
from studio.core.user_config import data_dir
from studio.gui.first_run_hint import FirstRunHint
from studio.gui.new_project_dialog import NewProjectChoice, NewProjectDialog
from studio.gui.recent_projects import RecentMenu, RecentProjects
from studio.gui.status_job import JobText
from studio.gui.task_runner import Progress, TaskRunner, stop_when_cancelled
from studio.gui.theme import THEMES
from studio.gui.welcome import WelcomePage

if TYPE_CHECKING:
    from studio.gui.main_window import MainWindow

PROJECT_FILTER = "Studio projects (*.studio);;All files (*)"
LAST_FOLDER_KEY = "last_project_dir"
DEMO_FOLDER = "demo"
MESSAGE_MS = 5000  # as long as the window's own status messages
ALWAYS_AVAILABLE = {"new_project", "open", "quit"}  # of the menus that need a project
# Menus whose entries are the window's, not the project's (menu titles without "&").
WINDOW_MENUS = {"Help"}


class ProjectActions(QObject):
    def __init__(self, window: MainWindow, settings: QSettings) -> None:
        super().__init__(window)
        self.window = window
        self.settings = settings
        self.recent = RecentProjects(settings, self)
        self.recent_menu = RecentMenu(self.recent, window)
        self.recent_menu.chosen.connect(self.open_recent)
        self.recent_menu.message.connect(self._say)
        self.welcome = WelcomePage()
        self.welcome.new_requested.connect(self.new_project)
        self.welcome.open_requested.connect(self.choose_project)
        self.welcome.demo_requested.connect(self.open_demo)
        self.welcome.recent_chosen.connect(self.open_recent)
        self.recent.changed.connect(lambda: self.welcome.set_recent(self.recent.paths()))
        self.welcome.set_recent(self.recent.paths())
        self.project_only = QActionGroup(self)
        self.project_only.setExclusionPolicy(QActionGroup.ExclusionPolicy.None_)
        self.demo_runner = TaskRunner(self)
        self.demo_runner.progress.connect(self.welcome.show_demo_progress)
        self.demo_runner.started.connect(lambda: self.welcome.set_demo_running(True))
        self.demo_runner.idle.connect(lambda: self.welcome.set_demo_running(False))
        self.demo_runner.finished.connect(self._demo_created)
        self.demo_runner.failed.connect(
            lambda message: window._show_error("Cannot create the demo", message)
        )
        self.demo_runner.cancelled.connect(lambda: self._say("The demo was not created"))
        window.status_jobs.add(
            self.demo_runner,
            JobText(
                "Creating the demo",
                counts="images",
                cancel_tip="Stop making the demo; the next “Open the demo” starts again",
            ),
        )
        self.stack: QStackedWidget | None = None
        self.hint: FirstRunHint | None = None
        window.panel_context.project_changed.connect(self._project_changed)

    def install(self) -> None:
        """Put the welcome page under the window's central area (call once it is built)."""
        window = self.window
        content = window.takeCentralWidget()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.welcome)
        self.stack.addWidget(content)
        window.setCentralWidget(self.stack)
        self.hint = FirstRunHint(window.registry, self.settings, self.stack)
        self._show_project(window.project)

    # -- the actions -------------------------------------------------------------------------

    def start_folder(self) -> Path:
        """Where the Open and New dialogs start: the folder used last, else the newest recent
        project's, else the home folder."""
        stored = self.settings.value(LAST_FOLDER_KEY)
        if stored and Path(str(stored)).is_dir():
            return Path(str(stored))
        return self.recent.last_folder() or Path.home()

    def choose_project(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.window, "Open project", str(self.start_folder()), PROJECT_FILTER
        )
        if path:
            self.window.open_project_file(Path(path))

    def open_recent(self, path: Path) -> bool:
        if not path.is_file():
            self.recent.remove(path)
            self.window._show_error(
                "The project is missing", f"{path}: no such file; it is off the recent list now"
            )
            return False
        return self.window.open_project_file(path)

    def new_project(self) -> NewProjectDialog:
        """The window-modal New project dialog; the project is made when it is accepted."""
        dialog = NewProjectDialog(self.start_folder(), self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.create_project(dialog.choice))
        dialog.open()
        return dialog

    def create_project(self, choice: NewProjectChoice | None) -> bool:
        """Create the chosen project, show it, and import its first images (if chosen)."""
        if choice is None:
            return False
        try:
            choice.path.parent.mkdir(parents=True, exist_ok=True)
            project = Project.create(choice.path)
        except (StudioError, OSError) as error:
            self.window._show_error("Cannot create the project", f"{choice.path}\n\n{error}")
            return False
        self.window.set_project(project)
        self._say(f"Created {choice.path.name}")
        if choice.images is not None:
            self.window.import_paths([choice.images])
        return True

    def demo_path(self) -> Path:
        return data_dir() / DEMO_FOLDER / PHOTO_DEMO_FILE_NAME

    def open_demo(self) -> None:
        """Open the demo; make it first (in the background) when it does not exist yet."""
        path = self.demo_path()
        if path.is_file():
            self.window.open_project_file(path)
            return
        if self.demo_runner.busy:
            return

        def build(progress: Progress, cancel: threading.Event) -> Path:
            return create_photo_demo(path.parent, stop_when_cancelled(progress, cancel))

        self.demo_runner.start(build)

    def _demo_created(self, path: Path) -> None:
        if self.window.project is None:  # the user may have opened another meanwhile
            self.window.open_project_file(path)
        else:
            self._say(f"The demo is ready: {path}")

    def stop(self) -> None:
        self.demo_runner.shutdown()

    def _say(self, message: str) -> None:
        self.window.statusBar().showMessage(message, MESSAGE_MS)

    # -- following the open project ----------------------------------------------------------

    def _project_changed(self, project: Project | None) -> None:
        if project is not None:
            self.recent.add(project.path)
            self.settings.setValue(LAST_FOLDER_KEY, str(project.path.parent))
        self._show_project(project)

    def _show_project(self, project: Project | None) -> None:
        has_project = project is not None
        for group in self._gather_project_actions():
            group.setEnabled(has_project)
        if self.stack is None:
            return
        self.stack.setCurrentIndex(1 if has_project else 0)
        self.window.window_layout.show_panels(has_project)
        if has_project and self.hint is not None:
            self.hint.show_once()
        elif self.hint is not None:
            self.hint.hide()

    def _gather_project_actions(self) -> set[QActionGroup]:
        """Put every action that needs a project into the `project_only` group (once), so
        disabling the group disables them whatever their owners enable meanwhile; return it
        with the groups such actions belong to already (the canvas tools, the modes)."""
        window = self.window
        seen: set[QAction] = set()
        wanted: list[QAction] = []
        for top in window.menuBar().actions():
            menu = top.menu()
            if menu is None:
                continue
            title = menu.title().replace("&", "")
            if title in WINDOW_MENUS:
                seen.update(_menu_actions(menu, skip=()))
                continue
            entries = _menu_actions(menu, skip=(self.recent_menu,))
            seen.update(entries)
            if title == "View":  # all but the themes: the panels are put away meanwhile
                themes = {window.menu_actions[f"theme_{name}"] for name in THEMES}
                wanted += [a for a in entries if a not in themes]
                wanted += window.filter_bar.shortcut_actions()
            else:
                wanted += entries
        # Keyed actions that no menu lists (the class keys, accepting suggestions, …).
        wanted += [a for a in window.menu_actions.values() if a not in seen]
        groups = {self.project_only}
        for action in wanted:
            if action.objectName() in ALWAYS_AVAILABLE:
                continue
            group = action.actionGroup()
            if group is None:
                self.project_only.addAction(action)
            else:
                groups.add(group)
        return groups


def _menu_actions(menu: QMenu, skip: tuple[QMenu, ...]) -> list[QAction]:
    """The menu's entries, those of its sub-menus included (not the menus in `skip`)."""
    found = []
    for action in menu.actions():
        if action.isSeparator():
            continue
        sub = action.menu()
        if sub is None:
            found.append(action)
        elif sub not in skip:
            found += _menu_actions(sub, skip)
    return found
