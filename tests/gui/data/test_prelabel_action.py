"""Data ▸ "Pre-label with a model…" and Data ▸ "Accept suggestions above a threshold…" in the
window, on the trained digits: the dialog lists the project's models, a bundle run adds
pending suggestions with progress in the status bar, Esc cancels it, a model class a zipped
bundle has and the project lacks opens the mapping dialog once the zip was read off the
window's thread, and accepting above a threshold is one undo step. Three tests start a bundle
worker (no torch)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from zipfile import ZIP_STORED

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox
from pytestqt.qtbot import QtBot

from studio.api import PrelabelOptions, Project
from studio.gui.data.prelabel_action import BUNDLE as BUNDLE_ENTRY
from studio.gui.data.prelabel_action import (
    AcceptAboveDialog,
    ClassMappingDialog,
    PrelabelDialog,
)
from studio.gui.main_window import MainWindow
from tests.bundle.zips import zip_folder
from tests.gui.workspace.conftest import press
from tests.prelabel_projects import BUNDLE, UNLABELED, trained_digits, unlabeled_ids

WORKER_TIMEOUT_MS = 90_000
CTRL_ALT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier


@pytest.fixture
def digits(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    return trained_digits(tmp_path_factory, tmp_path / "copy")


def click_ok(dialog: QDialog) -> None:
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()


def suggestions(project: Project) -> list:
    return [shape for item in unlabeled_ids(project) for shape in project.annotations(item)]


def test_pre_label_with_a_bundle_from_the_data_menu(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], digits: Path
) -> None:
    window = open_window(digits)
    window.gallery.setFocus()
    press(qtbot, Qt.Key.Key_P, CTRL_ALT)
    dialog = window.prelabeling.dialog
    assert isinstance(dialog, PrelabelDialog)
    assert dialog.isVisible()
    titles = [dialog.source_combo.itemText(row) for row in range(dialog.source_combo.count())]
    assert titles[:2] == ["Newest finished run (tiny)", "Model digits:1 (production)"]
    dialog.source_combo.setCurrentIndex(dialog.source_combo.findData(BUNDLE_ENTRY))
    dialog.bundle_edit.setText(str(digits.parent / BUNDLE))
    dialog.threshold_spin.setValue(0.0)
    click_ok(dialog)
    assert window.prelabeling.job.isVisible()
    qtbot.waitUntil(lambda: not window.prelabeling.running, timeout=WORKER_TIMEOUT_MS)
    shapes = suggestions(window.project)
    assert len(shapes) == UNLABELED
    assert {(shape.source, shape.review) for shape in shapes} == {("model", "pending")}
    assert window.statusBar().currentMessage().startswith(f"Pre-labels: {UNLABELED} pending")
    assert not window.prelabeling.job.isVisible()


def test_esc_right_after_the_start_cancels_pre_labeling_and_keeps_the_batches_done(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], digits: Path
) -> None:
    window = open_window(digits)
    options = PrelabelOptions(str(digits.parent / BUNDLE), threshold=0.0)
    window.prelabeling.start(window.project, options)
    window.gallery.setFocus()
    press(qtbot, Qt.Key.Key_Escape)

    qtbot.waitUntil(lambda: not window.prelabeling.running, timeout=WORKER_TIMEOUT_MS)
    status = window.statusBar().currentMessage()
    kept = re.match(r"Pre-labeling cancelled: (\d+) pending suggestions? on (\d+) images?", status)
    assert kept is not None, status
    shapes = suggestions(window.project)
    assert len(shapes) == int(kept[1]) == int(kept[2])
    assert len(shapes) in (0, UNLABELED)  # one batch of 16: done whole or not at all
    assert not window.prelabeling.job.isVisible()


def test_a_zipped_bundles_classes_are_checked_off_the_window_thread_then_mapped(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], digits: Path
) -> None:
    zipped = zip_folder(digits.parent / BUNDLE, digits.parent / "bundle.zip", None, ZIP_STORED)
    with Project.open(digits) as project:
        project.update_class("3", name="three")
    window = open_window(digits)
    window.prelabeling.start(window.project, PrelabelOptions(str(zipped), threshold=0.0))
    assert window.prelabeling.dialog is None  # the zip is read in the background
    assert window.prelabeling.job.label.line == "Pre-labeling: loading the model…"

    qtbot.waitUntil(lambda: window.prelabeling.dialog is not None, timeout=WORKER_TIMEOUT_MS)
    dialog = window.prelabeling.dialog
    assert isinstance(dialog, ClassMappingDialog)
    assert not window.prelabeling.job.isVisible()
    assert list(dialog.combos) == ["3"]
    dialog.combos["3"].setCurrentIndex(dialog.combos["3"].findData("three"))
    click_ok(dialog)
    qtbot.waitUntil(lambda: not window.prelabeling.running, timeout=WORKER_TIMEOUT_MS)
    labels = {shape.label for shape in suggestions(window.project)}
    assert len(suggestions(window.project)) == UNLABELED
    assert "3" not in labels


def test_accepting_above_a_threshold_from_the_data_menu_is_one_undo_step(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], digits: Path
) -> None:
    window = open_window(digits)
    project = window.project
    first, second = unlabeled_ids(project)[:2]
    sure, unsure = project.suggest_annotations(
        [
            {"item_id": first, "label": "4", "source": "model", "score": 0.95},
            {"item_id": second, "label": "5", "source": "model", "score": 0.4},
        ]
    )
    window.gallery.setFocus()
    press(qtbot, Qt.Key.Key_Y, CTRL_ALT)
    dialog = window.prelabeling.dialog
    assert isinstance(dialog, AcceptAboveDialog)
    assert dialog.isVisible()
    dialog.threshold_spin.setValue(0.9)
    click_ok(dialog)
    reviews = {shape.id: shape.review for shape in suggestions(project)}
    assert (reviews[sure], reviews[unsure]) == ("accepted", "pending")
    assert "Accepted 1 suggestion scoring" in window.statusBar().currentMessage()
    window.undo()
    reviews = {shape.id: shape.review for shape in suggestions(project)}
    assert (reviews[sure], reviews[unsure]) == ("pending", "pending")
