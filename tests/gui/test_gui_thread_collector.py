"""GuiThreadCollector: with it on, cyclic garbage is collected on the GUI thread only."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from studio.gui.gui_thread_collector import GuiThreadCollector, _due_generation


class Cycle:
    def __init__(self) -> None:
        self.me = self


def make_cycles(count: int) -> None:
    for _ in range(count):
        Cycle()


@pytest.fixture
def collecting_threads() -> Iterator[list[threading.Thread]]:
    """The thread of every collection that starts while the test runs."""
    threads: list[threading.Thread] = []

    def record(phase: str, info: dict) -> None:
        if phase == "start":
            threads.append(threading.current_thread())

    gc.callbacks.append(record)
    yield threads
    gc.callbacks.remove(record)


@pytest.fixture
def automatic_collection() -> Iterator[None]:
    """The collector on, as in a fresh interpreter; the GUI tests' own state afterwards."""
    was_enabled = gc.isenabled()
    gc.enable()
    yield
    if not was_enabled:
        gc.disable()


def test_a_worker_thread_collects_when_nothing_guards_it(
    automatic_collection: None, collecting_threads: list[threading.Thread]
) -> None:
    worker = threading.Thread(target=make_cycles, args=(50_000,))
    worker.start()
    worker.join()

    assert worker in collecting_threads  # the hazard the collector exists for


def test_with_the_collector_only_the_gui_thread_collects(
    qtbot: QtBot, automatic_collection: None, collecting_threads: list[threading.Thread]
) -> None:
    collector = GuiThreadCollector(interval_ms=10)
    try:
        worker = threading.Thread(target=make_cycles, args=(50_000,))
        worker.start()
        worker.join()
        qtbot.waitUntil(lambda: len(collecting_threads) > 0)
    finally:
        collector.stop()

    assert set(collecting_threads) == {threading.main_thread()}


def test_stop_gives_back_the_state_it_found(automatic_collection: None) -> None:
    collector = GuiThreadCollector()
    assert not gc.isenabled()
    collector.stop()
    assert gc.isenabled()

    gc.disable()
    GuiThreadCollector().stop()
    assert not gc.isenabled()


@pytest.mark.parametrize(
    ("counts", "due"),
    [
        ((5, 0, 0), None),
        ((701, 3, 0), 0),
        ((701, 11, 2), 1),
        ((701, 11, 11), 2),
        ((5, 11, 11), None),  # an older generation waits for a young collection
    ],
)
def test_the_due_generation_follows_pythons_thresholds(
    counts: tuple[int, int, int], due: int | None
) -> None:
    assert _due_generation(counts, (700, 10, 10)) == due
