"""The status bar's jobs: a job shows what runs and how far while its runner has a task and
hides after; Cancel and Esc cancel (Esc the job started last, and only once the canvas has
nothing of its own to cancel)."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from studio.core.errors import OperationCancelledError
from studio.gui.main_window import MainWindow
from studio.gui.status_job import BAR_WIDTH, LINE_MINIMUM, JobText, StatusJob, StatusJobs
from studio.gui.task_runner import Progress, TaskRunner
from tests.gui.canvas.conftest import click
from tests.gui.conftest import hold_key
from tests.gui.workspace.conftest import open_first_image, press

WAITING = JobText("Waiting", starting="getting ready…", uncounted="thinking…")
WAIT_S = 20  # a waiting task ends by itself after this, should a test forget it


def wait_for_cancel(progress: Progress, cancel: threading.Event) -> str:
    """Reports 3 / 40, then waits until it is cancelled."""
    progress(3, 40)
    if cancel.wait(WAIT_S):
        raise OperationCancelledError("cancelled")
    return "waited"


def counting_then_uncounted(reached: threading.Event):
    def work(progress: Progress, cancel: threading.Event) -> str:
        progress(3, 40)
        progress(0, 0)
        reached.wait(WAIT_S)
        return "done"

    return work


def test_a_job_says_what_runs_and_how_far_and_hides_when_its_task_ends(qtbot: QtBot) -> None:
    jobs = StatusJobs()
    qtbot.addWidget(jobs)
    jobs.show()
    runner = TaskRunner()
    job = jobs.add(runner, JobText("Pre-labeling"))
    seen: list[str] = []
    runner.progress.connect(lambda done, total: seen.append(job.label.line))
    gate = threading.Event()
    assert not job.isVisible()

    runner.start(counting_then_uncounted(gate))
    assert job.isVisible()
    assert job.label.line == "Pre-labeling: starting…"
    qtbot.waitUntil(lambda: len(seen) == 2)
    with qtbot.waitSignal(runner.finished):
        gate.set()

    assert seen == ["Pre-labeling 3 / 40", "Pre-labeling: working…"]
    assert not job.isVisible()
    runner.shutdown()


def test_what_is_counted_is_named_when_the_title_does_not_say_it(qtbot: QtBot) -> None:
    runner = TaskRunner()
    job = StatusJob(runner, JobText("Map", counts="features"))
    qtbot.addWidget(job)
    with qtbot.waitSignal(runner.progress):
        runner.start(wait_for_cancel)
    assert job.label.line == "Map: features 3 / 40"
    assert (job.bar.value(), job.bar.maximum()) == (3, 40)
    runner.shutdown()


def test_cancel_calls_the_owners_cancel_and_the_job_hides_once_cancelled(qtbot: QtBot) -> None:
    runner = TaskRunner()
    asked: list[str] = []

    def owners_cancel() -> None:
        asked.append("cancel")
        runner.cancel()

    job = StatusJob(runner, WAITING, owners_cancel)
    qtbot.addWidget(job)
    job.show()
    runner.start(wait_for_cancel)

    with qtbot.waitSignal(runner.cancelled):
        qtbot.mouseClick(job.cancel_button, Qt.MouseButton.LeftButton)

    assert asked == ["cancel"]
    assert not job.isVisible()


def test_esc_cancels_the_job_started_last_and_leaves_the_other_running(qtbot: QtBot) -> None:
    jobs = StatusJobs()
    qtbot.addWidget(jobs)
    first, second = TaskRunner(), TaskRunner()
    jobs.add(first, WAITING)
    jobs.add(second, WAITING)
    second.start(wait_for_cancel)
    first.start(wait_for_cancel)

    with qtbot.waitSignal(first.cancelled):
        assert jobs.cancel_newest()

    assert second.busy
    with qtbot.waitSignal(second.cancelled):
        assert jobs.cancel_newest()
    assert not jobs.cancel_newest()


def test_an_unfinished_polygon_takes_esc_before_the_running_job(
    qtbot: QtBot, window: MainWindow
) -> None:
    runner = TaskRunner()
    job = window.status_jobs.add(runner, WAITING)
    open_first_image(qtbot, window)
    canvas = window.workspace.canvas
    canvas.set_tool("polygon")
    click(qtbot, canvas, 10, 10)
    click(qtbot, canvas, 40, 10)
    runner.start(wait_for_cancel)
    canvas.setFocus()

    press(qtbot, Qt.Key.Key_Escape)
    assert not canvas.current_tool().busy()
    assert job.isVisible()
    assert runner.busy

    with qtbot.waitSignal(runner.cancelled):
        press(qtbot, Qt.Key.Key_Escape)
    assert not job.isVisible()


def test_a_squeezed_line_ends_in_an_ellipsis_and_keeps_the_whole_line_as_its_tooltip(
    qtbot: QtBot,
) -> None:
    runner = TaskRunner()
    job = StatusJob(runner, JobText("Pre-labeling", starting="loading the model…"))
    qtbot.addWidget(job)
    job.resize(BAR_WIDTH + LINE_MINIMUM + job.cancel_button.sizeHint().width(), 30)
    job.show()
    runner.start(wait_for_cancel)
    qtbot.waitUntil(lambda: job.label.line == "Pre-labeling 3 / 40")

    assert job.label.text().endswith("…")
    assert len(job.label.text()) < len(job.label.line)
    assert job.label.toolTip() == "Pre-labeling 3 / 40"
    runner.shutdown()


def test_a_held_esc_cancels_the_newest_job_and_not_the_next_one(
    qtbot: QtBot, window: MainWindow
) -> None:
    older, newer = TaskRunner(), TaskRunner()
    window.status_jobs.add(older, WAITING)
    window.status_jobs.add(newer, WAITING, newer.drop)  # idle at once: a repeat could go on
    older.start(wait_for_cancel)
    newer.start(wait_for_cancel)
    window.gallery.setFocus()

    hold_key(window.gallery, Qt.Key.Key_Escape)
    qtbot.wait(300)  # time for a cancelled task to say so

    assert not newer.busy
    assert older.busy
    older.shutdown()
