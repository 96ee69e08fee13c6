"""Data ▸ Find label errors… in a real window: the search, the review list, fix and keep."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from benchmarks.flipped_digits import FlippedDigits, flipped_digits_project
from benchmarks.swapped_boxes import SwappedBoxes
from studio.api import Project
from studio.gui.main_window import MainWindow
from studio.ml.label_quality import LabelQualityOptions
from tests.box_label_projects import copy_of_boxes, shared_searched_boxes  # noqa: F401

WORKER_TIMEOUT_MS = 120_000
CTRL_ALT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier


@pytest.fixture(scope="module")
def searched(tmp_path_factory: pytest.TempPathFactory) -> FlippedDigits:
    """300 digits, 15 of them with a flipped label, searched once through the API."""
    digits = flipped_digits_project(tmp_path_factory.mktemp("gui-label-errors"), count=300)
    with Project.open(digits.path) as project:
        project.find_label_issues(LabelQualityOptions(folds=3))
    return digits


@pytest.fixture
def digits(searched: FlippedDigits, tmp_path: Path) -> FlippedDigits:
    """A copy of the searched project file beside it (its images stay where they are)."""
    path = searched.path.with_name(f"{tmp_path.name}.studio")
    shutil.copyfile(searched.path, path)
    return replace(searched, path=path)


def _reviewing(open_window: Callable[[Path], MainWindow], digits: FlippedDigits) -> MainWindow:
    """The window on the searched project, its review window showing the stored list."""
    window = open_window(digits.path)
    window.label_errors.review.show()
    window.label_errors.reload()
    return window


def _searched(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], digits: FlippedDigits
) -> MainWindow:
    window = open_window(digits.path)
    window.menu_actions["find_label_errors"].trigger()
    review = window.label_errors.review
    assert review.isVisible()
    assert window.label_errors.job.isVisible()
    qtbot.waitUntil(lambda: not window.label_errors.running, timeout=WORKER_TIMEOUT_MS)
    return window


def _tag(window: MainWindow, item_id: int) -> str:
    assert window.project is not None
    (tag,) = window.project.annotations(item_id)
    return tag.label


def test_the_search_lists_issues_and_opens_the_first_in_the_canvas(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], digits: FlippedDigits
) -> None:
    """One box (of one class: not judged, which the status bar says) beside the tags."""
    with Project.open(digits.path) as project:
        box = {"item_id": project.item_ids()[0], "label": "3", "box": [2, 2, 20, 20]}
        project.add_annotations([box])
    window = _searched(qtbot, open_window, digits)
    assert "boxes not judged" in window.statusBar().currentMessage()
    review = window.label_errors.review
    issues = review.model.issues
    assert review.model.rowCount() == len(issues) > 0
    assert review.current() == issues[0]
    qtbot.waitUntil(lambda: window.workspace.navigator.item_id == issues[0].item_id)
    assert issues[0].suggested_label in review.summary.text()


def test_the_fix_key_takes_the_suggestion_moves_on_and_undo_brings_it_back(
    open_window: Callable[[Path], MainWindow], digits: FlippedDigits
) -> None:
    window = _reviewing(open_window, digits)
    review = window.label_errors.review
    first, second = review.model.issues[:2]
    review.activateWindow()
    QTest.keyClick(
        review.table,
        Qt.Key.Key_F,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier,
    )
    assert _tag(window, first.item_id) == first.suggested_label
    assert review.current() == second
    window.menu_actions["undo"].trigger()
    assert _tag(window, first.item_id) == first.given_label
    window.label_errors.reload()
    assert first in review.model.issues


def test_the_keep_key_keeps_the_label_and_drops_the_entry(
    open_window: Callable[[Path], MainWindow], digits: FlippedDigits
) -> None:
    window = _reviewing(open_window, digits)
    review = window.label_errors.review
    first = review.model.issues[0]
    QTest.keyClick(
        review.table,
        Qt.Key.Key_K,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier,
    )
    assert _tag(window, first.item_id) == first.given_label
    assert first.item_id not in [issue.item_id for issue in review.model.issues]


def test_cancel_stops_the_search_and_keeps_the_list_as_it_was(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], digits: FlippedDigits
) -> None:
    window = open_window(digits.path)
    assert window.project is not None
    before = window.project.label_issues()
    window.menu_actions["find_label_errors"].trigger()
    window.label_errors.job.cancel_button.click()
    qtbot.waitUntil(lambda: not window.label_errors.running, timeout=WORKER_TIMEOUT_MS)
    assert window.project.label_issues() == before
    assert "cancelled" in window.statusBar().currentMessage()


def test_esc_closes_the_review_window(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], digits: FlippedDigits
) -> None:
    window = _reviewing(open_window, digits)  # opens the first entry's image: the main window
    review = window.label_errors.review
    qtbot.waitExposed(review)
    review.activateWindow()
    qtbot.waitUntil(review.isActiveWindow)
    qtbot.keyClick(review.table, Qt.Key.Key_Escape)
    assert not review.isVisible()


def test_the_review_window_stays_above_the_main_window_that_shows_each_entry(
    open_window: Callable[[Path], MainWindow], digits: FlippedDigits
) -> None:
    window = _reviewing(open_window, digits)
    review = window.label_errors.review
    assert review.windowType() == Qt.WindowType.Tool
    assert review.windowHandle().transientParent() is window.windowHandle()


def test_a_box_entry_selects_its_box_in_the_canvas_and_fix_relabels_that_box(
    qtbot: QtBot,
    open_window: Callable[[Path], MainWindow],
    searched_boxes: SwappedBoxes,
    tmp_path: Path,
) -> None:
    boxes = copy_of_boxes(searched_boxes, tmp_path)
    window = open_window(boxes.path)
    window.label_errors.review.show()
    window.label_errors.reload()
    review = window.label_errors.review
    row = next(i for i, issue in enumerate(review.model.issues) if issue.kind == "box")
    review.table.selectRow(row)
    issue = review.current()
    assert issue is not None
    qtbot.waitUntil(lambda: window.workspace.navigator.item_id == issue.item_id)
    assert window.workspace.canvas.selected_annotations() == [issue.annotation_id]
    assert f"box {issue.annotation_id}" in review.summary.text()
    review.fix_button.click()
    assert window.project is not None
    labels = {a.id: a.label for a in window.project.annotations(issue.item_id)}
    assert labels[issue.annotation_id] == issue.suggested_label
