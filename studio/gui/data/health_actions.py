"""The Data menu's duplicates and health actions: open their windows on the open project,
pass a chosen group to the gallery, and refresh after edits."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from studio.api import Project
from studio.gui.data.duplicates_window import DuplicatesWindow
from studio.gui.data.health_window import HealthWindow
from studio.gui.panels import PanelContext

AddAction = Callable[[str, Callable[[], object]], QAction]


class DataHealthActions(QObject):
    """Data ▸ Duplicates… and Data ▸ Dataset health, for a window with `select_items(ids)`
    and `refresh()`; the project and the change signals come from its `PanelContext`."""

    def __init__(self, window: QWidget, context: PanelContext) -> None:
        super().__init__(window)
        self.window = window
        self.context = context
        self.duplicates: DuplicatesWindow | None = None
        self.health: HealthWindow | None = None
        context.annotations_changed.connect(self._labels_changed)
        context.project_changed.connect(self._project_changed)

    def add_actions(self, menu: QMenu, add_action: AddAction) -> None:
        menu.addAction(add_action("duplicates", self.show_duplicates))
        menu.addAction(add_action("dataset_health", self.show_health))

    def _project(self) -> Project | None:
        return self.context.project

    def show_duplicates(self) -> DuplicatesWindow | None:
        project = self._project()
        if project is None:
            return None
        if self.duplicates is None or self.duplicates.project is not project:
            self._close(self.duplicates)
            self.duplicates = DuplicatesWindow(project, self.window)
            self.duplicates.items_requested.connect(self.window.select_items)
            self.duplicates.edited.connect(self._edited)
        self.duplicates.show()
        self.duplicates.raise_()
        self.duplicates.find()
        return self.duplicates

    def show_health(self) -> HealthWindow | None:
        project = self._project()
        if project is None:
            return None
        if self.health is None or self.health.project is not project:
            self._close(self.health)
            self.health = HealthWindow(project, self.window)
        self.health.show()
        self.health.raise_()
        self.health.refresh()
        return self.health

    def _edited(self, message: str) -> None:
        self.window.refresh()
        self.context.show_message(message)

    def _labels_changed(self) -> None:
        """Labels changed (an edit, an undo, another process): refresh what is shown."""
        if self.health is not None and self.health.isVisible():
            self.health.refresh()
        if self.duplicates is not None and self.duplicates.isVisible():
            self.duplicates.find()

    def _project_changed(self, _project: object) -> None:
        self._close(self.duplicates)
        self._close(self.health)
        self.duplicates = self.health = None

    @staticmethod
    def _close(window: QWidget | None) -> None:
        if window is not None:
            window.close()
            window.deleteLater()
