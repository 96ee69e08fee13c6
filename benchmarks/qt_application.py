"""The QApplication the window benchmarks measure in: the running one, or a new one on the
offscreen platform unless the environment names another (a real X server, for instance)."""

from __future__ import annotations

import os

from PySide6.QtWidgets import QApplication


def application() -> QApplication:
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    return QApplication([])
