"""Calls that may take longer than a frame (reading and matching an evaluation's predictions),
run on a thread pool of their own; only the newest call's answer is delivered."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from studio.core.errors import StudioError


class _Channel(QObject):
    """Lives in the GUI thread; a worker's emits are queued to it."""

    finished = Signal(int, object)
    failed = Signal(int, str)


class _Call(QRunnable):
    def __init__(self, function: Callable[[], Any], generation: int, channel: _Channel) -> None:
        super().__init__()
        self._function = function
        self._generation = generation
        self._channel = channel

    def run(self) -> None:
        try:
            result = self._function()
        except StudioError as error:
            self._channel.failed.emit(self._generation, str(error))
            return
        except Exception as error:  # a bug must not leave the window waiting forever
            self._channel.failed.emit(self._generation, f"{type(error).__name__}: {error}")
            return
        self._channel.finished.emit(self._generation, result)


class LatestCall(QObject):
    """`submit(function)` runs it in the background; `done(result)` or `failed(message)`
    follows for the newest submission only (an older answer arriving late is dropped)."""

    done = Signal(object)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._generation = 0
        self._channel = _Channel(self)
        self._channel.finished.connect(self._finished)
        self._channel.failed.connect(self._failed)

    @property
    def busy(self) -> bool:
        return self._pool.activeThreadCount() > 0

    def submit(self, function: Callable[[], Any]) -> None:
        self._generation += 1
        self._pool.clear()  # a call still waiting is outdated already
        self._pool.start(_Call(function, self._generation, self._channel))

    def wait(self, msecs: int = -1) -> bool:
        return self._pool.waitForDone(msecs)

    def _finished(self, generation: int, result: object) -> None:
        if generation == self._generation:
            self.done.emit(result)

    def _failed(self, generation: int, message: str) -> None:
        if generation == self._generation:
            self.failed.emit(message)
