"""The Train menu of the main window: shortcuts, docks, polling of runs made elsewhere."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from studio.api import Project
from studio.gui.main_window import MainWindow
from studio.gui.training.version_dialog import FreezeVersionDialog
from tests.gui.training import TINY_SETTINGS

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
ALT = Qt.KeyboardModifier.AltModifier
RUN_TIMEOUT_MS = 180_000


@pytest.fixture
def window(open_window: Callable[[Path], MainWindow], digits_path: Path) -> MainWindow:
    return open_window(digits_path)


def saw_a_batch(window: MainWindow) -> bool:
    return any(event["event"] == "batch" for event in window.train_panel.events)


def test_train_shortcuts_open_the_dialog_and_the_docks(qtbot: QtBot, window: MainWindow) -> None:
    assert window.registry.conflicts() == {}
    docks = window.training_docks
    assert not docks["train"].isVisible()

    qtbot.keyClick(window.gallery, Qt.Key.Key_M, CTRL | SHIFT)
    assert docks["train"].isVisible()
    qtbot.keyClick(window.gallery, Qt.Key.Key_R, CTRL)
    assert docks["runs"].isVisible()
    assert not window.menu_actions["start_training"].isEnabled()  # no version yet

    qtbot.keyClick(window.gallery, Qt.Key.Key_V, CTRL | ALT)
    dialog = window.findChild(FreezeVersionDialog)
    assert dialog is not None
    qtbot.waitUntil(dialog.create_button.isEnabled, timeout=10_000)
    dialog.create()

    assert [version.name for version in window.project.versions()] == ["v1"]
    assert window.train_panel.version_combo.currentText().startswith("v1")
    assert window.menu_actions["start_training"].isEnabled()


def test_a_run_made_by_another_process_appears_on_polling(
    qtbot: QtBot, window: MainWindow, digits_path: Path
) -> None:
    with Project.open(digits_path, author="cli") as other:
        other.create_version()
        other.new_run(name="from-the-cli", **TINY_SETTINGS)

    qtbot.waitUntil(lambda: window.runs_view.model.rowCount() == 1, timeout=10_000)
    assert window.runs_view.model.record_at(0).name == "from-the-cli"
    assert window.train_panel.version_combo.count() == 1


@pytest.mark.slow
def test_f5_starts_and_closing_the_window_can_cancel_the_run(
    qtbot: QtBot, window: MainWindow, digits_path: Path
) -> None:
    window.project.create_version()
    window.refresh()
    panel = window.train_panel
    panel.form.set_values({**TINY_SETTINGS, "epochs": 20})

    qtbot.keyClick(window.gallery, Qt.Key.Key_F5)
    assert panel.is_running
    assert window.training_docks["train"].isVisible()
    qtbot.waitUntil(
        lambda: any(e["event"] == "batch" for e in panel.events), timeout=RUN_TIMEOUT_MS
    )
    run_id = panel.run.id

    def choose_cancel() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        button = next(b for b in box.buttons() if b.text() == "Cancel the run")
        button.click()

    QTimer.singleShot(200, choose_cancel)
    window.close()

    assert not window.isVisible()
    with Project.open(digits_path) as project:
        run = project.run(run_id)
        qtbot.waitUntil(lambda: run.status == "cancelled", timeout=RUN_TIMEOUT_MS)


@pytest.mark.slow
def test_shift_f5_cancels_the_running_run(qtbot: QtBot, window: MainWindow) -> None:
    window.project.create_version()
    window.refresh()
    panel = window.train_panel
    panel.form.set_values({**TINY_SETTINGS, "epochs": 20})
    qtbot.keyClick(window.gallery, Qt.Key.Key_F5)
    qtbot.waitUntil(
        lambda: any(e["event"] == "batch" for e in panel.events), timeout=RUN_TIMEOUT_MS
    )

    qtbot.keyClick(window.gallery, Qt.Key.Key_F5, SHIFT)

    qtbot.waitUntil(lambda: not panel.is_running, timeout=RUN_TIMEOUT_MS)
    assert panel.last_status == "cancelled"
    assert window.runs_view.model.record_at(0).status == "cancelled"
