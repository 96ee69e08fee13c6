"""The Train panel, the Runs view and the Models view in the main window, the "Train" and
"Models" menus, and the wiring between them. The window docks the three views at the bottom
(shown on demand, tabbed together) as built-in panels (`studio.gui.builtin_plugin`); other
views show images through the `items_requested` and `open_item_requested` signals, which the
window hands to its gallery pane.

Versions, runs and model versions are not label edits: none of these menus' actions is in the
undo history (their tooltips say so).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenuBar

from studio.api import Project
from studio.gui.models.export_dialog import ExportModelDialog
from studio.gui.models.models_view import ModelsView
from studio.gui.models.register_dialog import RegisterModelDialog
from studio.gui.training import NOT_UNDOABLE
from studio.gui.training.runs_view import RunsView
from studio.gui.training.train_panel import TrainPanel

AddAction = Callable[[str, Callable[[], object]], QAction]
Entries = list[tuple[str, Callable[[], object]] | QAction | None]


class TrainingDocks(QObject):
    """Owns the Train panel, the Runs view and the Models view of `window`."""

    message = Signal(str)
    items_requested = Signal(list)  # item ids to select in the gallery
    open_item_requested = Signal(int)  # an item to show in the labeling canvas
    model_registered = Signal(object)  # the new ModelVersionRecord

    def __init__(self, window: QMainWindow, settings: QSettings | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.settings = settings
        self.project: Project | None = None
        self.panel = TrainPanel(window)
        if settings is not None:  # the training form as the user left it, in every window
            self.panel.form.remember_in(settings)
        self.runs_view = RunsView(window)
        self.models_view = ModelsView(window)
        self.actions: dict[str, QAction] = {}
        self.docks: dict[str, QDockWidget] = {}  # the window's docks of the three views
        self._last_selected = "runs"  # which view's selection "Export model…" exports
        self._connect_models_view()
        self.panel.message.connect(self.message)
        self.panel.run_started.connect(self._run_started)
        self.panel.run_ended.connect(self._run_ended)
        self.panel.versions_changed.connect(self.update_actions)
        self.runs_view.selection_changed.connect(self._runs_selected)
        self.runs_view.items_requested.connect(self.items_requested)
        self.runs_view.open_item_requested.connect(self.open_item_requested)

    def _connect_models_view(self) -> None:
        view = self.models_view
        view.message.connect(self.message)
        view.items_requested.connect(self.items_requested)
        view.register_requested.connect(self.register_model)
        view.export_requested.connect(self.export_model)
        view.selection_changed.connect(self._model_selected)

    def build_menu(
        self, menu_bar: QMenuBar, add_action: AddAction, panel_actions: Mapping[str, QAction]
    ) -> None:
        """The Train menu and the Models menu (each action keyed from the registry); they
        list the View menu's actions that show or hide the three views (`panel_actions`)."""
        self._build_train_menu(menu_bar, add_action, panel_actions)
        self._build_models_menu(menu_bar, add_action, panel_actions)

    def _build_train_menu(
        self, menu_bar: QMenuBar, add_action: AddAction, panel_actions: Mapping[str, QAction]
    ) -> None:
        menu = menu_bar.addMenu("&Train")
        panel, runs = self.panel, self.runs_view
        entries: Entries = [
            ("freeze_version", panel.freeze_version),
            ("delete_version", self.delete_version),
            None,
            panel_actions["train"],
            panel_actions["runs"],
            None,
            ("start_training", self.start),
            ("cancel_training", panel.cancel),
            ("resume_run", self.resume),
            None,
            ("compare_runs", runs.compare),
            ("run_evaluation", runs.show_evaluation),
        ]
        self._fill_menu(menu, entries, add_action)
        for key in ("freeze_version", "delete_version", "start_training"):
            self.actions[key].setStatusTip(NOT_UNDOABLE)

    def _build_models_menu(
        self, menu_bar: QMenuBar, add_action: AddAction, panel_actions: Mapping[str, QAction]
    ) -> None:
        menu = menu_bar.addMenu("&Models")
        entries: Entries = [
            panel_actions["models"],
            None,
            ("register_model", self.register_model),
            ("edit_aliases", self.edit_aliases),
            None,
            ("export_model", self.export_model),
        ]
        self._fill_menu(menu, entries, add_action)
        for key in ("register_model", "edit_aliases"):
            self.actions[key].setStatusTip(NOT_UNDOABLE)
        # The Runs table's context menu offers what applies to a run.
        table = self.runs_view.table
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        for key in ("run_evaluation", "compare_runs", "register_model", "export_model"):
            table.addAction(self.actions[key])

    def _fill_menu(self, menu: Any, entries: Entries, add_action: AddAction) -> None:
        for entry in entries:
            if entry is None:
                menu.addSeparator()
                continue
            if isinstance(entry, QAction):
                menu.addAction(entry)
                continue
            key, slot = entry
            self.actions[key] = action = add_action(key, slot)
            menu.addAction(action)

    # -- the project ---------------------------------------------------------------------

    def set_project(self, project: Project | None) -> None:
        self.project = project
        self.panel.set_project(project)
        self.runs_view.set_project(project)
        self.models_view.set_project(project)
        self.update_actions()

    def refresh(self) -> None:
        """After a change in the project (ours or another process's)."""
        if self.project is not None:
            self.panel.refresh_versions()
            self.runs_view.refresh()
            self.models_view.refresh()
        self.update_actions()

    # -- actions -------------------------------------------------------------------------

    def show(self, name: str) -> None:
        """Show and raise the Train panel ("train"), the Runs view ("runs") or the Models
        view ("models")."""
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
        if run_ids:
            self._last_selected = "runs"
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
            "register_model": has_project,
            "edit_aliases": self.models_view.selected_record() is not None,
            "export_model": has_project,
        }
        for key, value in enabled.items():
            self.actions[key].setEnabled(value)

    # -- models ----------------------------------------------------------------------------

    def _model_selected(self, record: Any) -> None:
        if record is not None:
            self._last_selected = "models"
        self.update_actions()

    def _selected_run_id(self) -> int | None:
        ids = self.runs_view.selected_ids() if self.project is not None else []
        return ids[0] if len(ids) == 1 else None

    def register_model(self) -> RegisterModelDialog | None:
        """The Register dialog, on the run selected in the Runs view when there is one."""
        if self.project is None:
            return None
        dialog = RegisterModelDialog(self.project, self._selected_run_id(), self.window)
        dialog.registered.connect(self._registered)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _registered(self, record: Any) -> None:
        self.models_view.refresh()
        self.show("models")
        self.models_view.select_version(record.id)
        self.update_actions()
        self.message.emit(f"Registered {record.ref} from run {record.run_name}")
        self.model_registered.emit(record)

    def edit_aliases(self) -> None:
        self.show("models")
        self.models_view.edit_aliases()

    def export_source(self) -> str | None:
        """What to export: the selected model version or run, whichever was picked last."""
        record = self.models_view.selected_record()
        run_id = self._selected_run_id()
        if record is not None and (self._last_selected == "models" or run_id is None):
            return record.ref
        return str(run_id) if run_id is not None else None

    def export_model(self, source: str | None = None) -> ExportModelDialog | None:
        if self.project is None:
            return None
        chosen = source if isinstance(source, str) else self.export_source()
        dialog = ExportModelDialog(self.project, chosen, self.settings, self.window)
        dialog.exported.connect(self._exported)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _exported(self, event: dict) -> None:
        verdict = "passed" if (event.get("parity") or {}).get("passed", True) else "failed"
        self.message.emit(f"Exported to {event.get('folder')} (parity check {verdict})")

    def ask_before_close(self) -> bool:
        return self.panel.ask_before_close(self.window)
