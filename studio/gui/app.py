"""Starting the GUI: `studio open PROJECT`, `studio` and `make run` call `run_app`."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from studio.api import Project
from studio.gui.gui_thread_collector import GuiThreadCollector
from studio.gui.main_window import MainWindow
from studio.gui.platform_libraries import check_platform_libraries
from studio.gui.refcount_guard import settle_heap
from studio.gui.resources import icon

APPLICATION_NAME = "Studio"


def application() -> QApplication:
    """The process's QApplication, created on first use."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName(APPLICATION_NAME)
    app.setOrganizationName(APPLICATION_NAME)
    app.setWindowIcon(icon("studio"))
    return app


def run_app(project_path: Path | None = None, settings: QSettings | None = None) -> int:
    """Open the main window (on `project_path` if given) and run the event loop.

    Returns the event loop's exit code. A project that cannot be opened, or a system without
    the libraries of Qt's platform plugin (Qt would abort), raises its StudioError before any
    window appears, so the command line can report it.
    """
    check_platform_libraries()
    app = application()
    project = Project.open(project_path) if project_path is not None else None
    window = MainWindow(project, settings=settings)
    window.show()
    settle_heap()  # start-up is over: later full collections skip its ~100,000 objects
    collector = GuiThreadCollector(parent=app)  # worker threads must never collect Qt objects
    try:
        return app.exec()
    finally:
        window.shutdown()
        collector.stop()
        collector.deleteLater()
