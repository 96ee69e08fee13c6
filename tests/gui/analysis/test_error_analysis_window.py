"""The error-analysis window on hand-built evaluations over real images: the confusion
picture answers real clicks with the images behind a cell, the score slider changes the
error gallery, and Enter or a double-click asks to open the image in the labeling canvas."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from studio.gui.analysis.image_grid import ImageGrid
from studio.gui.analysis.window import ErrorAnalysisWindow
from studio.gui.main_window import MainWindow
from studio.gui.training.evaluation_view import NO_VALUE
from studio.gui.training.runs_view import RunsView
from tests.core.test_error_analysis import (
    CLASSES,
    Built,
    build_classification,
    build_detection,
)
from tests.gui.shots import save_shot


@pytest.fixture
def classified(tmp_path: Path) -> Iterator[Built]:
    built = build_classification(tmp_path)
    yield built
    built.project.close()


@pytest.fixture
def detected(tmp_path: Path) -> Iterator[Built]:
    built = build_detection(tmp_path)
    yield built
    built.project.close()


def open_window(qtbot: QtBot, built: Built) -> ErrorAnalysisWindow:
    window = ErrorAnalysisWindow(built.project, built.project.run(built.run_id))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.data is not None and not window.is_loading(), timeout=10_000)
    return window


def shoot(widget, name: str) -> None:
    save_shot(widget, name)


def wait_for_images(qtbot: QtBot, grid: ImageGrid) -> None:
    keys = [grid.item(row).data(Qt.ItemDataRole.UserRole + 1) for row in range(grid.count())]
    qtbot.waitUntil(lambda: all(grid.has_image(key) for key in keys), timeout=10_000)


def click_cell(qtbot: QtBot, window: ErrorAnalysisWindow, row: int, column: int) -> None:
    view = window.confusion_view
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.cell_center(row, column))


# --- classification -------------------------------------------------------------------------


def test_the_window_builds_for_a_classification_evaluation(qtbot: QtBot, classified: Built) -> None:
    window = open_window(qtbot, classified)

    assert window.tabs.count() == 3  # no error gallery for a classifier
    assert window.confusion_view.labels == list(CLASSES)
    assert window.confusion_view.matrix == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    assert window.per_class.class_names() == list(CLASSES)
    assert window.per_class.cell_text("dog", "recall") == "1"
    assert window.per_class.cell_text("cat", "AP") == "0.4167"
    assert sorted(window.pr_chart.curves) == sorted(CLASSES)
    assert "accuracy 0.6667" in window.summary.text()


def test_clicking_a_confusion_cell_shows_its_images(qtbot: QtBot, classified: Built) -> None:
    window = open_window(qtbot, classified)
    ids = classified.ids

    click_cell(qtbot, window, 1, 1)
    assert window.cell_grid.item_ids() == [ids[2], ids[3]]
    click_cell(qtbot, window, 2, 0)  # a bird taken for a cat
    assert window.cell_grid.item_ids() == [ids[5]]
    assert "True <b>bird</b>, predicted <b>cat</b>: 1 image" in window.cell_title.text()
    wait_for_images(qtbot, window.cell_grid)
    with qtbot.waitSignal(window.items_requested) as selected:
        qtbot.keyClick(window, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    assert selected.args == [[ids[5]]]
    shoot(window, "error_analysis_confusion.png")


def test_arrow_keys_walk_the_confusion_cells(qtbot: QtBot, classified: Built) -> None:
    window = open_window(qtbot, classified)
    view = window.confusion_view
    click_cell(qtbot, window, 0, 0)

    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert view.current == (0, 1)
    assert window.cell_grid.item_ids() == [classified.ids[1]]
    qtbot.keyClick(view, Qt.Key.Key_Down)
    assert view.current == (1, 1)


def test_enter_and_double_click_ask_to_open_the_image(qtbot: QtBot, classified: Built) -> None:
    window = open_window(qtbot, classified)
    click_cell(qtbot, window, 1, 1)
    grid = window.cell_grid
    grid.setFocus()
    grid.setCurrentRow(1)

    with qtbot.waitSignal(window.open_item_requested) as opened:
        qtbot.keyClick(grid, Qt.Key.Key_Return)
    assert opened.args == [classified.ids[3]]
    assert window.isVisible()  # Enter did not press a dialog button

    first = grid.visualItemRect(grid.item(0)).center()
    with qtbot.waitSignal(window.open_item_requested) as opened:
        qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=first)
        qtbot.mouseDClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=first)
    assert opened.args == [classified.ids[2]]


def test_ctrl_digits_switch_tabs_and_a_class_row_highlights_its_curve(
    qtbot: QtBot, classified: Built
) -> None:
    window = open_window(qtbot, classified)

    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentWidget() is window.pr_chart
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentWidget() is window.per_class
    window.per_class.selectRow(window.per_class.class_names().index("dog"))
    assert window.pr_chart.highlighted == "dog"
    shoot(window, "error_analysis_per_class.png")
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    shoot(window, "error_analysis_pr_curves.png")


def test_a_class_never_predicted_has_no_precision(qtbot: QtBot, tmp_path: Path) -> None:
    built = build_classification(tmp_path, guesses=("cat", "cat", "dog", "dog", "cat", "cat"))
    try:
        window = open_window(qtbot, built)
        assert window.per_class.cell_text("bird", "precision") == NO_VALUE
        assert window.per_class.cell_text("bird", "recall") == "0"
        assert window.per_class.cell_text("cat", "precision") == "0.5"
        window.close()
    finally:
        built.project.close()


def test_open_in_labeling_canvas_brings_the_main_window_forward(
    qtbot: QtBot, open_window: Callable[[Path], MainWindow], classified: Built
) -> None:
    main = open_window(classified.project.path)  # the conftest's fixture: a MainWindow
    window = ErrorAnalysisWindow(main.project, main.project.run(classified.run_id), main)
    window.open_item_requested.connect(main.open_item)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.data is not None and not window.is_loading(), timeout=10_000)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    click_cell(qtbot, window, 1, 1)

    qtbot.mouseClick(window.open_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: QApplication.activeWindow() is main)
    assert window.windowHandle().transientParent() is None  # so the main window goes over it
    assert window.isVisible()
    assert main.workspace.controller.item.id == classified.ids[2]
    window.close()


# --- detection ------------------------------------------------------------------------------


def error_item_ids(window: ErrorAnalysisWindow) -> list[int]:
    assert window.errors_panel is not None
    return window.errors_panel.grid.item_ids()


def test_the_window_builds_for_a_detection_evaluation(qtbot: QtBot, detected: Built) -> None:
    window = open_window(qtbot, detected)
    ids = detected.ids

    assert window.tabs.count() == 4
    assert window.confusion_view.labels[-1] == "background"
    assert window.per_class.columnCount() == 6  # class, AP .50:.95, AP .50, objects, FP, missed
    qtbot.keyClick(window, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentWidget() is window.errors_panel
    assert sorted(error_item_ids(window)) == sorted([ids[1], ids[2], ids[3], ids[4]])
    wait_for_images(qtbot, window.errors_panel.grid)
    window.errors_panel.grid.setCurrentRow(3)  # the wrong class, larger on the right
    assert "Wrong class" in window.errors_panel.details.text()
    window.errors_panel.renderer.wait(5000)
    qtbot.waitUntil(lambda: window.errors_panel.preview.pixmap().width() > 0)
    shoot(window, "error_analysis_errors.png")


def test_the_score_slider_changes_the_error_list(qtbot: QtBot, detected: Built) -> None:
    window = open_window(qtbot, detected)
    ids = detected.ids
    panel = window.errors_panel
    assert panel is not None
    window.show_tab(3)

    window.threshold_slider.setValue(20)  # the 0.3 false positive comes in
    qtbot.waitUntil(lambda: len(error_item_ids(window)) == 5, timeout=10_000)
    assert error_item_ids(window).count(ids[3]) == 2

    panel.set_kind("false_negative")
    assert error_item_ids(window) == [ids[4]]
    window.threshold_slider.setFocus()
    for _ in range(11):  # 0.20 -> 0.75 with the ] key
        qtbot.keyClick(window, Qt.Key.Key_BracketRight)
    assert window.threshold_slider.value() == 75
    qtbot.waitUntil(lambda: sorted(error_item_ids(window)) == sorted([ids[2], ids[4]]))
    assert panel.kind_combo.currentData() == "false_negative"  # the filter is kept


def test_enter_on_an_error_asks_to_open_its_image(qtbot: QtBot, detected: Built) -> None:
    window = open_window(qtbot, detected)
    panel = window.errors_panel
    assert panel is not None
    window.show_tab(3)
    panel.set_kind("wrong_class")
    panel.grid.setFocus()

    with qtbot.waitSignal(window.open_item_requested) as opened:
        qtbot.keyClick(panel.grid, Qt.Key.Key_Enter)
    assert opened.args == [detected.ids[2]]
    assert "Wrong class" in panel.details.text()


def test_a_detection_cell_lists_the_missed_objects_images(qtbot: QtBot, detected: Built) -> None:
    window = open_window(qtbot, detected)
    cells = window.data.cells
    background = len(cells["labels"]) - 1
    missed = next(key for key in cells["items"] if key.endswith(f",{background}"))
    row = int(missed.split(",")[0])

    click_cell(qtbot, window, row, background)

    assert window.cell_grid.item_ids() == [detected.ids[4]]


# --- the Runs view opens it -----------------------------------------------------------------


def test_the_runs_view_evaluation_button_opens_the_analysis(
    qtbot: QtBot, classified: Built
) -> None:
    view = RunsView()
    qtbot.addWidget(view)
    view.set_project(classified.project)
    view.show()
    row = view.model.row_of(classified.run_id)
    flags = (
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    )
    view.table.selectionModel().select(view.model.index(row, 0), flags)
    assert view.evaluation_button.isEnabled()

    with qtbot.waitSignal(view.open_item_requested) as opened:
        qtbot.mouseClick(view.evaluation_button, Qt.MouseButton.LeftButton)
        window = view.findChild(ErrorAnalysisWindow)
        assert window is not None
        qtbot.waitUntil(lambda: window.data is not None)
        window.show_cell(0, 0)
        window.cell_grid.open_current()
    assert opened.args == [classified.ids[0]]
    window.close()
