"""Training callbacks: objects the training loop calls at its steps, inside the worker.

Plugins return them from `studio_training_callbacks(run)`, once per run. A callback
implements any of the three methods of `TrainingCallback`; `on_epoch_end` may return
`STOP` to end training early (the run then ends as an early-stopped, finished run, with its
best checkpoint evaluated as usual).

A callback that raises does not fail the run: it is reported (a warning event naming it,
the traceback in the log) and not called again in this run.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

log = logging.getLogger(__name__)

STOP = "stop"


class TrainingCallback(Protocol):
    """What the trainer calls; every method is optional."""

    def on_train_start(self) -> None:
        """Before the first epoch (of this worker: a resumed run starts again here)."""

    def on_epoch_end(self, epoch: int, metrics: Mapping[str, float]) -> str | None:
        """After an epoch's metrics and checkpoints were stored; return `STOP` to stop."""

    def on_train_end(self, status: str) -> None:
        """After the last epoch: `status` is "finished", "early_stopped", "cancelled" or
        "failed"."""


def callback_name(callback: object) -> str:
    kind = type(callback)
    return f"{kind.__module__}.{kind.__qualname__}"


class TrainingCallbacks:
    """The run's callbacks, called in order; one that raises is reported through `warn`
    and dropped for the rest of the run."""

    def __init__(self, callbacks: Sequence[object], warn: Callable[[str], None]) -> None:
        self._callbacks = list(callbacks)
        self._warn = warn

    def _call(self, callback: object, method: str, *arguments: Any) -> Any:
        """`callback.method(*arguments)`, or None when it lacks the method or raised."""
        function = getattr(callback, method, None)
        if function is None:
            return None
        try:
            return function(*arguments)
        except Exception as error:
            self._callbacks.remove(callback)
            name = callback_name(callback)
            log.error(
                "training callback %s failed in %s:\n%s", name, method, traceback.format_exc()
            )
            self._warn(
                f"training callback {name} failed in {method} and is off for the rest of this "
                f"run: {type(error).__name__}: {error}"
            )
            return None

    def train_start(self) -> None:
        for callback in list(self._callbacks):
            self._call(callback, "on_train_start")

    def epoch_end(self, epoch: int, metrics: Mapping[str, float]) -> str | None:
        """The name of the first callback that asked to stop (the others are still told of
        the epoch), else None."""
        stopped_by = None
        for callback in list(self._callbacks):
            answer = self._call(callback, "on_epoch_end", epoch, dict(metrics))
            if answer == STOP and stopped_by is None:
                stopped_by = callback_name(callback)
        return stopped_by

    def train_end(self, status: str) -> None:
        for callback in list(self._callbacks):
            self._call(callback, "on_train_end", status)
