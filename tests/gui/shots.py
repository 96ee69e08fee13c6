"""Screenshots from GUI tests: always grabbed (a widget that cannot paint fails the test),
saved only when STUDIO_TEST_SHOTS names a folder, so a test run writes nothing outside
its temporary folders."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget


def save_shot(widget: QWidget, name: str) -> None:
    QApplication.processEvents()
    picture = widget.grab()
    assert not picture.isNull(), f"{name}: the widget did not paint"
    folder = os.environ.get("STUDIO_TEST_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        picture.save(str(Path(folder) / name))
