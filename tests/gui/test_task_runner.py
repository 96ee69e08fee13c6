"""The task runner: cancelling stops the work and reports it; a newer task drops an older
one's result."""

from __future__ import annotations

import threading

from pytestqt.qtbot import QtBot

from studio.gui.task_runner import Progress, TaskRunner, stop_when_cancelled


def count_until_cancelled(reached: list[int], gate: threading.Event):
    """Work that reports progress forever (once `gate` opens) until it is cancelled."""

    def work(progress: Progress, cancel: threading.Event) -> int:
        report = stop_when_cancelled(progress, cancel)
        gate.wait(5)
        while True:
            reached.append(len(reached))
            report(len(reached), 0)

    return work


def test_cancel_stops_the_work_and_emits_cancelled(qtbot: QtBot) -> None:
    runner = TaskRunner()
    reached: list[int] = []
    gate = threading.Event()
    runner.start(count_until_cancelled(reached, gate))
    with qtbot.waitSignal(runner.progress):
        gate.set()

    with qtbot.waitSignal(runner.cancelled):
        runner.cancel()

    assert not runner.busy
    stopped_at = len(reached)
    runner.shutdown()
    assert len(reached) == stopped_at


def test_a_new_task_drops_the_result_of_the_one_before(qtbot: QtBot) -> None:
    runner = TaskRunner()
    gate = threading.Event()
    runner.start(count_until_cancelled([], gate))

    with qtbot.waitSignal(runner.finished) as finished:
        runner.start(lambda progress, cancel: "newer")
        gate.set()

    assert finished.args == ["newer"]
    runner.shutdown()


def wait_until_cancelled(progress: Progress, cancel: threading.Event) -> bool:
    return cancel.wait(5)


def test_started_follows_every_start_and_idle_comes_once_the_runner_has_no_task(
    qtbot: QtBot,
) -> None:
    runner = TaskRunner()
    signals: list[str] = []
    runner.started.connect(lambda: signals.append("started"))
    runner.idle.connect(lambda: signals.append("idle"))
    runner.finished.connect(lambda result: signals.append(result))
    runner.start(wait_until_cancelled)

    with qtbot.waitSignal(runner.finished):
        runner.start(lambda progress, cancel: "newer")  # replaces: no idle between
    runner.start(wait_until_cancelled)
    runner.drop()
    runner.shutdown()

    assert signals == ["started", "started", "idle", "newer", "started", "idle"]
