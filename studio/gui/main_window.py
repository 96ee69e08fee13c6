"""Studio's main window: the gallery of the open project, menus, and the status bar.

The central widget is a horizontal QSplitter whose first pane is the gallery; the labeling
canvas joins it as a second pane. A timer polls the project for commits made by other
processes (the CLI, scripts, training workers) and refreshes the gallery and the counts.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, QThreadPool, QTimer
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QSplitter,
)

from studio.api import ImportReport, Project, ProjectStats
from studio.core.errors import NothingToUndoError, StudioError
from studio.gui.gallery_model import STATUS_LABELS, GalleryModel
from studio.gui.gallery_view import THUMBNAIL_SIZE, GalleryView
from studio.gui.import_task import ImportTask
from studio.gui.resources import icon
from studio.gui.theme import THEMES, apply_theme, current_theme, system_theme
from studio.gui.thumbnail_loader import ThumbnailLoader

POLL_INTERVAL_MS = 500
STATUS_MESSAGE_MS = 5000
IMAGE_FILTER = "Images (*.jpg *.jpeg *.png *.bmp *.tif *.tiff *.webp);;All files (*)"
PROJECT_FILTER = "Studio projects (*.studio);;All files (*)"


def describe_stats(stats: ProjectStats) -> str:
    """ "30 items · 20 new · 10 done · 12 annotations": the status bar's summary."""
    parts = [f"{stats.items:,} item{'s' if stats.items != 1 else ''}"]
    parts += [
        f"{count:,} {STATUS_LABELS.get(status, status)}"
        for status, count in stats.by_status.items()
        if count
    ]
    parts.append(f"{stats.annotations:,} annotation{'s' if stats.annotations != 1 else ''}")
    return " · ".join(parts)


class MainWindow(QMainWindow):
    def __init__(
        self,
        project: Project | None = None,
        settings: QSettings | None = None,
        poll_interval_ms: int = POLL_INTERVAL_MS,
    ) -> None:
        super().__init__()
        self.settings = settings if settings is not None else QSettings()
        self.setWindowIcon(icon("studio"))
        self.resize(1200, 800)
        self.menu_actions: dict[str, QAction] = {}
        self.loader = ThumbnailLoader(
            THUMBNAIL_SIZE, parent=self, pixel_ratio=self.devicePixelRatioF()
        )
        self.gallery_model = GalleryModel(self.loader, parent=self)
        self.gallery = GalleryView()
        self.gallery.setModel(self.gallery_model)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.gallery)
        self.setCentralWidget(self.splitter)
        self._import_pool = QThreadPool(self)
        self._import_pool.setMaxThreadCount(1)
        self._import_task: ImportTask | None = None
        self._build_status_bar()
        self._build_menus()
        self._poll_timer = QTimer(self)
        self._poll_timer.setInterval(poll_interval_ms)
        self._poll_timer.timeout.connect(self._poll)
        self._restore_window_state()
        self.set_project(project)

    @property
    def project(self) -> Project | None:
        return self.gallery_model.project

    # -- building ----------------------------------------------------------------------

    def _build_status_bar(self) -> None:
        self.counts_label = QLabel()
        self.counts_label.setObjectName("counts")
        self.import_progress = QProgressBar()
        self.import_progress.setVisible(False)
        self.statusBar().addPermanentWidget(self.import_progress)
        self.statusBar().addPermanentWidget(self.counts_label)

    def _add_action(
        self,
        key: str,
        menu_text: str,
        slot: Callable[[], object],
        shortcuts: tuple[QKeySequence | str, ...] = (),
    ) -> QAction:
        action = QAction(menu_text, self)
        action.setShortcuts([QKeySequence(shortcut) for shortcut in shortcuts])
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work even while the menu bar is hidden
        self.menu_actions[key] = action
        return action

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(
            self._add_action("open", "&Open project…", self.choose_project, ("Ctrl+O",))
        )
        file_menu.addSeparator()
        file_menu.addAction(
            self._add_action("import", "&Import images…", self.choose_images, ("Ctrl+I",))
        )
        file_menu.addAction(
            self._add_action(
                "import_folder", "Import &folder…", self.choose_folder, ("Ctrl+Shift+I",)
            )
        )
        file_menu.addSeparator()
        file_menu.addAction(self._add_action("quit", "&Quit", self.close, ("Ctrl+Q",)))
        edit_menu = self.menuBar().addMenu("&Edit")
        edit_menu.addAction(self._add_action("undo", "&Undo", self.undo, ("Ctrl+Z",)))
        edit_menu.addAction(
            self._add_action("redo", "&Redo", self.redo, ("Ctrl+Shift+Z", "Ctrl+Y"))
        )
        view_menu = self.menuBar().addMenu("&View")
        theme_menu = view_menu.addMenu("&Theme")
        self._theme_group = QActionGroup(self)
        for name in THEMES:
            action = self._add_action(f"theme_{name}", name.capitalize(), self._theme_slot(name))
            action.setCheckable(True)
            self._theme_group.addAction(action)
            theme_menu.addAction(action)

    def _theme_slot(self, name: str) -> Callable[[], None]:
        return lambda: self.set_theme(name)

    # -- the project ---------------------------------------------------------------------

    def set_project(self, project: Project | None) -> None:
        """Show `project`, closing the one shown before (the window owns its project)."""
        previous = self.project
        if previous is not None and previous is not project:
            self._cancel_import()
            self.loader.shutdown()
            previous.close()
        self.gallery_model.set_project(project)
        self.gallery.has_project = project is not None
        title = f"{project.path.name} — Studio" if project is not None else "Studio"
        self.setWindowTitle(title)
        if project is None:
            self._poll_timer.stop()
        else:
            project.poll_changes()  # remember the current version; report later commits
            self._poll_timer.start()
        self._update_after_change()

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

    def choose_project(self) -> None:
        start = str(self.settings.value("last_project_dir", str(Path.home())))
        path, _ = QFileDialog.getOpenFileName(self, "Open project", start, PROJECT_FILTER)
        if path:
            self.open_project_file(Path(path))

    def refresh(self) -> None:
        """Re-read the gallery and the counts (after this or another process changed them)."""
        self.gallery_model.refresh()
        self._update_after_change()

    def _update_after_change(self) -> None:
        project = self.project
        self.counts_label.setText(describe_stats(project.stats()) if project else "")
        has_project = project is not None
        for key in ("import", "import_folder"):
            self.menu_actions[key].setEnabled(has_project and self._import_task is None)
        self.menu_actions["undo"].setEnabled(has_project and project.can_undo())
        self.menu_actions["redo"].setEnabled(has_project and project.can_redo())
        self.gallery.viewport().update()

    def _poll(self) -> None:
        if self.project is not None and self.project.poll_changes():
            self.refresh()

    def _refresh_after_own_edit(self, message: str) -> None:
        assert self.project is not None
        self.project.poll_changes()  # our own commit needs no second refresh from the poll
        self.refresh()
        self.statusBar().showMessage(message, STATUS_MESSAGE_MS)

    # -- editing -------------------------------------------------------------------------

    def undo(self) -> None:
        if self.project is None:
            return
        try:
            step = self.project.undo()
        except NothingToUndoError:
            self.statusBar().showMessage("Nothing to undo", STATUS_MESSAGE_MS)
            return
        self._refresh_after_own_edit(f"Undone: {step.description}")

    def redo(self) -> None:
        if self.project is None:
            return
        try:
            step = self.project.redo()
        except NothingToUndoError:
            self.statusBar().showMessage("Nothing to redo", STATUS_MESSAGE_MS)
            return
        self._refresh_after_own_edit(f"Redone: {step.description}")

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
        if self.project is None or self._import_task is not None:
            return
        task = ImportTask(self.project, paths)
        task.signals.progress.connect(self._show_import_progress)
        task.signals.finished.connect(self._import_finished)
        task.signals.failed.connect(self._import_failed)
        task.signals.cancelled.connect(self._import_ended)
        self._import_task = task
        self.import_progress.setRange(0, 0)
        self.import_progress.setVisible(True)
        self.statusBar().showMessage("Importing…")
        self._update_after_change()
        self._import_pool.start(task)

    @property
    def importing(self) -> bool:
        return self._import_task is not None

    def _show_import_progress(self, done: int, total: int) -> None:
        self.import_progress.setRange(0, total)
        self.import_progress.setValue(done)
        self.import_progress.setFormat(f"Importing {done:,} / {total:,}")

    def _import_ended(self) -> None:
        self._import_task = None
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
        if self._import_task is not None:
            self._import_task.cancel()
            self._import_pool.waitForDone()
            self._import_task = None

    # -- view ----------------------------------------------------------------------------

    def set_theme(self, name: str) -> None:
        apply_theme(QApplication.instance(), name)
        self.menu_actions[f"theme_{name}"].setChecked(True)
        self.settings.setValue("theme", name)

    def _restore_window_state(self) -> None:
        geometry = self.settings.value("window_geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
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

    # -- closing -------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop background work and close the project (safe to call more than once)."""
        self._poll_timer.stop()
        self._cancel_import()
        self.loader.shutdown()
        if self.project is not None:
            self.project.close()
            self.gallery_model.set_project(None)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.settings.setValue("window_geometry", self.saveGeometry())
        self.shutdown()
        event.accept()
        super().closeEvent(event)
