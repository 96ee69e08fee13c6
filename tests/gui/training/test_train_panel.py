"""The Train panel starting, watching, cancelling and resuming real worker processes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from studio.api import Project, Run
from studio.gui.training.train_panel import TrainPanel
from tests.gui.shots import save_shot
from tests.gui.training import TINY_SETTINGS
from tests.jobs.slow_worker import STEP_DELAY, slow_worker_command

RUN_TIMEOUT_MS = 180_000


@pytest.fixture
def panel(qtbot: QtBot, versioned: Project) -> Iterator[TrainPanel]:
    shown = TrainPanel()
    qtbot.addWidget(shown)
    shown.resize(1200, 640)
    shown.set_project(versioned)
    shown.form.set_values(TINY_SETTINGS)
    shown.show()
    qtbot.waitExposed(shown)
    yield shown
    if shown.is_running:  # never leave a worker behind
        shown.run.cancel()
        qtbot.waitUntil(lambda: not shown.is_running, timeout=RUN_TIMEOUT_MS)


def click(qtbot: QtBot, button: Any) -> None:
    assert button.isEnabled()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def wait_for_end(qtbot: QtBot, panel: TrainPanel) -> None:
    qtbot.waitUntil(lambda: not panel.is_running, timeout=RUN_TIMEOUT_MS)


def kinds(panel: TrainPanel) -> list[str]:
    return [event["event"] for event in panel.events]


@pytest.mark.slow
def test_start_trains_a_run_with_live_charts(
    qtbot: QtBot, panel: TrainPanel, versioned: Project
) -> None:
    assert panel.version_combo.currentText().startswith("v1  (train 32 · val 4 · test 4)")
    click(qtbot, panel.start_button)
    assert panel.is_running
    assert not panel.start_button.isEnabled()
    assert panel.cancel_button.isEnabled()

    wait_for_end(qtbot, panel)

    assert panel.last_status == "finished", panel.error.text()
    assert not panel.error.isVisible()
    assert kinds(panel)[0] == "run"
    assert kinds(panel)[-1] == "finished"
    assert panel.charts.batch_points
    assert [epoch for epoch, _ in panel.charts.epoch_points["train/loss"]] == [1.0, 2.0]
    assert len(panel.charts.epoch_points["val/accuracy"]) == 2
    assert panel.device_label.text().startswith("Device: cpu")
    assert "from scratch" in panel.device_label.text()
    assert "test accuracy" in panel.status_label.text()
    (run,) = versioned.runs()
    record = run.record
    assert (record.status, record.epochs_done, record.model) == (
        "finished",
        2,
        "mobilenet_v3_small",
    )
    assert record.config["input_size"] == 32
    save_shot(panel, "train_panel_finished.png")


@pytest.mark.slow
def test_cancel_stops_the_worker_and_resume_finishes_the_run(
    qtbot: QtBot, panel: TrainPanel, versioned: Project
) -> None:
    epochs = 12  # enough that the cancel (read by the worker every 0.5 s) lands mid-run
    panel.form.epochs.setValue(epochs)
    click(qtbot, panel.start_button)
    qtbot.waitUntil(lambda: "epoch" in kinds(panel), timeout=RUN_TIMEOUT_MS)

    click(qtbot, panel.cancel_button)
    wait_for_end(qtbot, panel)

    assert panel.last_status == "cancelled"
    run = versioned.runs()[0]
    assert run.status == "cancelled"
    assert 1 <= run.record.epochs_done < epochs
    panel.set_selected_run(run)
    click(qtbot, panel.resume_button)
    wait_for_end(qtbot, panel)

    assert panel.last_status == "finished", panel.error.text()
    assert (run.status, run.record.epochs_done) == ("finished", epochs)


def test_invalid_settings_are_refused_without_a_run(
    qtbot: QtBot, panel: TrainPanel, versioned: Project
) -> None:
    panel.form.device.setEditText("tpu")

    click(qtbot, panel.start_button)

    assert not panel.is_running
    assert panel.error.isVisible()
    assert "unknown device 'tpu'" in panel.error.text()
    assert versioned.runs() == []


def test_the_preset_is_fitted_to_the_chosen_version(panel: TrainPanel, versioned: Project) -> None:
    train_items = versioned.version_items(panel.version_id, "train")
    assert panel.form.basis is not None
    assert panel.form.basis.shape.train_items == len(train_items)
    assert "32 px input (median image 32x32)" in panel.form.choices_label.text()

    panel.set_project(None)

    assert panel.form.basis is None
    assert panel.form.choices_label.text() == ""


def test_no_version_no_start_and_freeze_opens_the_dialog(qtbot: QtBot, digits: Project) -> None:
    panel = TrainPanel()
    qtbot.addWidget(panel)
    panel.set_project(digits)
    assert not panel.start_button.isEnabled()

    dialog = panel.freeze_version()
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.create_button.isEnabled(), timeout=10_000)
    dialog.create()

    assert panel.version_id == digits.versions()[0].id
    assert panel.start_button.isEnabled()
    assert panel.delete_version()
    assert digits.versions() == []


def test_cancel_shows_cancelling_until_the_worker_stops_then_cancelled(
    qtbot: QtBot, panel: TrainPanel, versioned: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches the worker finishes after the click no longer bring back "Epoch … ETA"."""
    real_command = Run.worker_command
    monkeypatch.setattr(
        Run,
        "worker_command",
        lambda run, resume=False: slow_worker_command(real_command(run, resume=resume)),
    )
    monkeypatch.setenv(STEP_DELAY, "0.6")
    click(qtbot, panel.start_button)
    qtbot.waitUntil(lambda: "batch" in kinds(panel), timeout=RUN_TIMEOUT_MS)
    shown_after_cancel: list[tuple[str, str, str]] = []
    panel.worker.event.connect(
        lambda event: shown_after_cancel.append(
            (event["event"], panel.status_label.text(), panel.progress.format())
        )
    )

    click(qtbot, panel.cancel_button)
    assert panel.status_label.text().startswith("Cancelling")
    assert panel.progress.format() == "cancelling…"
    wait_for_end(qtbot, panel)

    kinds_after = [kind for kind, _, _ in shown_after_cancel]
    assert "batch" in kinds_after  # the step under way when the user clicked
    assert kinds_after[-1] == "finished"
    for kind, status, bar in shown_after_cancel[:-1]:
        assert (status.startswith("Cancelling"), bar) == (True, "cancelling…"), kind
    assert shown_after_cancel[-1][1:] == (f"{panel.run.name}: cancelled", "cancelled")
    assert panel.status_label.text() == f"{panel.run.name}: cancelled"
    assert panel.progress.format() == "cancelled"
    assert panel.run.status == "cancelled"
