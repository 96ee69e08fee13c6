"""Data ▸ Follow the uncertainty queue (Ctrl+Alt+Q): next opens the queue's items in order,
the SAM look-ahead follows them, and a finished run or a registered model orders the queue
again; the gallery sorts by the queue. The model's scores are cached in this process first
(torch is loaded here already), so the window orders the queue without a worker: the worker
itself is tested in tests/jobs/test_queue_job.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from studio.gui.gallery.model import QUEUE_SORT
from studio.gui.main_window import MainWindow
from studio.jobs.queue_job import score_unlabeled
from tests.gui.workspace.conftest import open_first_image, press
from tests.queue_projects import UNLABELED, copy_of, shared_queue_project  # noqa: F401

CONTROL_ALT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier


def _shown(window: MainWindow) -> int | None:
    return getattr(window.workspace.controller.item, "id", None)


def test_next_and_the_gallery_follow_the_uncertainty_queue(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], queue_project: Path, tmp_path: Path
) -> None:
    project_path = copy_of(queue_project, tmp_path)
    score_unlabeled(project_path, None, emit=lambda _event: None)
    window = open_window(project_path)
    queue = window.uncertainty_queue
    open_first_image(qtbot, window)
    with qtbot.waitSignal(queue.ordered, timeout=120_000):
        press(qtbot, Qt.Key.Key_Q, CONTROL_ALT)
        assert queue.job.isVisible()  # the ordering, with Cancel, in the status bar
    assert not queue.job.isVisible()
    assert window.menu_actions["follow_queue"].isChecked()
    order = queue.queue.item_ids()
    assert len(order) == UNLABELED
    assert window.workspace.navigator.upcoming_ids(3) == order[:3]

    press(qtbot, Qt.Key.Key_D)
    qtbot.waitUntil(lambda: _shown(window) == order[0])
    press(qtbot, Qt.Key.Key_D)
    qtbot.waitUntil(lambda: _shown(window) == order[1])
    assert window.workspace.navigator.upcoming_ids(2) == order[2:4]  # what SAM encodes next
    press(qtbot, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: _shown(window) == order[0])

    with qtbot.waitSignal(queue.ordered, timeout=60_000):
        window.train_panel.run_ended.emit(2, "finished")
    with qtbot.waitSignal(queue.ordered, timeout=60_000):
        window.training.model_registered.emit(None)
    combo = window.filter_bar.sort_combo
    combo.setCurrentIndex(combo.findData(QUEUE_SORT))
    qtbot.waitUntil(lambda: window.gallery_model.ids()[:UNLABELED] == order)
    tooltip = window.gallery_model.index(0).data(Qt.ItemDataRole.ToolTipRole)
    assert f"Uncertainty: {queue.queue.entries[0].uncertainty:.3f} (queue #1)" in tooltip
    combo.setCurrentIndex(combo.findData("name"))

    press(qtbot, Qt.Key.Key_Q, CONTROL_ALT)
    assert not window.workspace.navigator.following
    press(qtbot, Qt.Key.Key_D)
    gallery_row = window.gallery_model.row_of(order[0]) + 1
    qtbot.waitUntil(lambda: _shown(window) == window.gallery_model.item_id(gallery_row))


def test_a_project_without_a_model_says_so_and_stays_in_gallery_order(
    qtbot: QtBot, window: MainWindow
) -> None:
    messages: list[str] = []
    window.uncertainty_queue.message.connect(messages.append)
    window.menu_actions["follow_queue"].trigger()
    qtbot.waitUntil(lambda: any("train a run first" in m for m in messages), timeout=10_000)
    assert not window.menu_actions["follow_queue"].isChecked()
    assert not window.workspace.navigator.following
