"""The Train panel and the Runs view in the main window: two docks at the bottom (shown on
demand, tabbed together), the "Train" menu, and the wiring between them.

Versions and runs are not label edits: none of the Train menu's actions is in the undo
history (their tooltips say so).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenuBar

from studio.api import Project
from studio.gui.training import NOT_UNDOABLE
from studio.gui.training.runs_view import RunsView
from studio.gui.training.train_panel import TrainPanel

AddAction = Callable[[str, Callable[[], object]], QAction]


class TrainingDocks(QObject):
    """Owns the Train panel and the Runs view of `window`."""

    message = Signal(str)
    items_requested = Signal(list)  # item ids to select in the gallery

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.project: Project | None = None
        self.panel = TrainPanel(window)
        self.runs_view = RunsView(window)
        self.actions: dict[str, QAction] = {}
        self.docks: dict[str, QDockWidget] = {}
        for name, title, widget in (
            ("train", "Train", self.panel),
            ("runs", "Runs", self.runs_view),
        ):
            dock = QDockWidget(title, window)
            dock.setObjectName(f"{name}Dock")
            dock.setWidget(widget)
            window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
            dock.hide()
            self.docks[name] = dock
        window.tabifyDockWidget(self.docks["train"], self.docks["runs"])
        self.panel.message.connect(self.message)
        self.panel.run_started.connect(self._run_started)
        self.panel.run_ended.connect(self._run_ended)
        self.panel.versions_changed.connect(self.update_actions)
        self.runs_view.selection_changed.connect(self._runs_selected)
        self.runs_view.items_requested.connect(self.items_requested)

    def build_menu(self, menu_bar: QMenuBar, add_action: AddAction) -> None:
        menu = menu_bar.addMenu("&Train")
        panel, runs = self.panel, self.runs_view
        entries: list[tuple[str, Callable[[], object]] | None] = [
            ("freeze_version", panel.freeze_version),
            ("delete_version", self.delete_version),
            None,
            ("train_panel", lambda: self.show("train")),
            ("runs_view", lambda: self.show("runs")),
            None,
            ("start_training", self.start),
            ("cancel_training", panel.cancel),
            ("resume_run", self.resume),
            None,
            ("compare_runs", runs.compare),
            ("run_evaluation", runs.show_evaluation),
        ]
        for entry in entries:
            if entry is None:
                menu.addSeparator()
                continue
            key, slot = entry
            self.actions[key] = action = add_action(key, slot)
            menu.addAction(action)
        for key in ("freeze_version", "delete_version", "start_training"):
            self.actions[key].setStatusTip(NOT_UNDOABLE)

    # -- the project ---------------------------------------------------------------------

    def set_project(self, project: Project | None) -> None:
        self.project = project
        self.panel.set_project(project)
        self.runs_view.set_project(project)
        self.update_actions()

    def refresh(self) -> None:
        """After a change in the project (ours or another process's)."""
        if self.project is not None:
            self.panel.refresh_versions()
            self.runs_view.refresh()
        self.update_actions()

    # -- actions -------------------------------------------------------------------------

    def show(self, name: str) -> None:
        """Show and raise the Train panel ("train") or the Runs view ("runs")."""
        dock = self.docks[name]
        dock.show()
        dock.raise_()
        dock.widget().setFocus()

    def start(self) -> None:
        self.show("train")
        self.panel.start()

    def resume(self) -> None:
        self.show("train")
        self.panel.resume()

    def delete_version(self) -> None:
        self.show("train")
        self.panel.delete_version()

    def _run_started(self, run_id: int) -> None:
        self.runs_view.refresh()
        self.runs_view.select_run(run_id)
        self.update_actions()

    def _run_ended(self, run_id: int, status: str) -> None:
        self.runs_view.refresh()
        self.update_actions()
        self.message.emit(f"Training run ended: {status}")

    def _runs_selected(self, run_ids: list) -> None:
        project = self.project
        one = project.run(run_ids[0]) if project is not None and len(run_ids) == 1 else None
        self.panel.set_selected_run(one)
        self.update_actions()

    def update_actions(self) -> None:
        if not self.actions:
            return
        panel = self.panel
        has_project = self.project is not None
        selected = len(self.runs_view.selected_ids()) if has_project else 0
        enabled = {
            "freeze_version": has_project,
            "delete_version": has_project and panel.version_id is not None and not panel.is_running,
            "start_training": panel.start_button.isEnabled(),
            "cancel_training": panel.is_running,
            "resume_run": panel.can_resume(),
            "compare_runs": selected >= 2,
            "run_evaluation": selected == 1,
        }
        for key, value in enabled.items():
            self.actions[key].setEnabled(value)

    def ask_before_close(self) -> bool:
        return self.panel.ask_before_close(self.window)
