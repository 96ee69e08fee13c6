"""The Runs view on runs made through the API: the table, compare, the evaluation detail."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QItemSelectionModel
from pytestqt.qtbot import QtBot

from studio.api import Project
from studio.core import runs as core_runs
from studio.gui.training.runs_model import COLUMN_KEYS
from studio.gui.training.runs_view import RunsView
from tests.gui.shots import save_shot
from tests.gui.training import TINY_SETTINGS

CURVES = {
    1: {"train/loss": [1.0, 0.6, 0.4], "val/accuracy": [0.5, 0.7, 0.8]},
    2: {"train/loss": [1.2, 0.9, 0.7], "val/accuracy": [0.4, 0.5, 0.6]},
}


def finished_run(project: Project, name: str, learning_rate: float, curves: dict) -> int:
    """A run as a worker leaves it: started, epochs recorded, finished with a summary."""
    run = project.new_run(name=name, **{**TINY_SETTINGS, "epochs": 3}, learning_rate=learning_rate)
    database = project.context.database
    core_runs.mark_started(
        database, run.id, pid=1, host="elsewhere", device="cpu", environment={}, pretrained="none"
    )
    for epoch in range(1, 4):
        values = {metric: points[epoch - 1] for metric, points in curves.items()}
        core_runs.record_epoch(database, run.id, epoch, values)
    best = max(curves["val/accuracy"])
    summary: dict = {"best_value": best, "best_epoch": 3, "monitor": "val/accuracy"}
    core_runs.finish_run(
        database, run.id, "finished", summary={**summary, "test": {"accuracy": best}}
    )
    return run.id


@pytest.fixture
def two_runs(versioned: Project) -> list[int]:
    return [
        finished_run(versioned, "small-lr", 0.001, CURVES[1]),
        finished_run(versioned, "large-lr", 0.01, CURVES[2]),
    ]


@pytest.fixture
def view(qtbot: QtBot, versioned: Project) -> RunsView:
    shown = RunsView()
    qtbot.addWidget(shown)
    shown.resize(1100, 420)
    shown.set_project(versioned)
    shown.show()
    qtbot.waitExposed(shown)
    return shown


def cell(view: RunsView, row: int, key: str) -> str:
    return view.model.data(view.model.index(row, COLUMN_KEYS.index(key)))


def test_the_table_lists_runs_made_through_the_api(
    view: RunsView, versioned: Project, two_runs: list[int]
) -> None:
    view.refresh()
    assert view.model.rowCount() == 2
    assert [cell(view, row, "name") for row in range(2)] == ["small-lr", "large-lr"]
    assert cell(view, 0, "status") == "finished"
    assert cell(view, 0, "model") == "mobilenet_v3_small"
    assert cell(view, 0, "version") == "v1"
    assert cell(view, 0, "epochs") == "3 / 3"
    assert cell(view, 0, "best") == "accuracy 0.8 @3"
    assert cell(view, 1, "test") == "accuracy 0.6"

    view.select_run(two_runs[0])  # a selection survives a refresh that adds a run
    versioned.new_run(name="queued-one", **TINY_SETTINGS)
    view.refresh()
    assert view.model.rowCount() == 3
    assert cell(view, 2, "status") == "queued"
    assert view.selected_ids() == [two_runs[0]]
    assert view.charts.epoch_points["val/accuracy"][-1] == (3.0, 0.8)


def test_compare_shows_both_runs_and_overlaid_curves(view: RunsView, two_runs: list[int]) -> None:
    view.refresh()
    selection = view.table.selectionModel()
    for row in range(2):
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        selection.select(view.model.index(row, 0), flags)
    assert view.compare_button.isEnabled()

    dialog = view.compare()

    assert dialog is not None
    assert dialog.column_texts("Model") == ["mobilenet_v3_small"] * 2
    assert dialog.column_texts("learning_rate") == ["0.001", "0.01"]
    assert "learning_rate" in dialog.differing_rows
    assert "Model" not in dialog.differing_rows
    assert dialog.column_texts("test accuracy") == ["0.8", "0.6"]
    assert dialog.metric_combo.currentText() == "val/accuracy"
    assert sorted(dialog.chart.curves) == ["large-lr", "small-lr"]
    x, y = dialog.chart.curves["large-lr"].getData()
    assert list(x) == [1.0, 2.0, 3.0]
    assert list(y) == pytest.approx([0.4, 0.5, 0.6])
    dialog.metric_combo.setCurrentText("train/loss")
    assert list(dialog.chart.curves["small-lr"].getData()[1]) == pytest.approx([1.0, 0.6, 0.4])
    save_shot(dialog, "compare_runs.png")
    dialog.close()


def test_a_cancelled_run_shows_cancelled(view: RunsView, versioned: Project) -> None:
    run = versioned.new_run(name="stopped", **TINY_SETTINGS)

    run.cancel()  # a queued run is cancelled at once; a running one when its worker stops
    view.refresh()

    assert cell(view, 0, "status") == "cancelled"
