"""Data ▸ Follow the uncertainty queue: "next" opens the unlabeled image the latest model is
least sure of, instead of the gallery's next thumbnail (docs/queue.md).

Turning it on orders the queue in the background (`project.queue`, which predicts the images
the score cache lacks in a `queue-score` worker) on the window's one background mechanism,
`TaskRunner`, shown as a job in the status bar (Cancel or Esc stops it and goes back to the
gallery's order); the navigator then follows the queue's order, and so does the SAM look-ahead
encoder; the gallery can sort by it ("Uncertainty queue"), each row's tooltip giving its
uncertainty. When a training run finishes while the queue is followed, the queue is ordered again
with the new model, and so it is when a model version is registered. Turning it off goes back
to the gallery's order.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from studio.api import Project, RunStatus
from studio.api.queue import ActiveQueue
from studio.core.active_queue import QueueOptions
from studio.core.errors import OperationCancelledError
from studio.core.wording import counted
from studio.gui.status_job import JobText, StatusJobs
from studio.gui.task_runner import Progress, TaskRunner
from studio.gui.workspace.navigator import ItemNavigator

FOLLOW_QUEUE_ACTION = "follow_queue"
AddAction = Callable[[str, Callable[[], object]], QAction]
JOB_TEXT = JobText(
    "Ordering the queue",
    starting="loading the model…",
    cancel_tip="Stop ordering; next follows the gallery's order (Esc)",
)


class UncertaintyQueue(QObject):
    """The checkable action, the queue being ordered, and the navigator that follows it.

    `job` is the ordering's progress and Cancel button among the window's status-bar `jobs`;
    `message` carries one line for the status bar; `ordered(queue)` follows each ordering
    (the window may show it); `queue` is the last queue ordered (None before the first).
    """

    message = Signal(str)
    ordered = Signal(object)  # the ActiveQueue

    def __init__(
        self, navigator: ItemNavigator, jobs: StatusJobs, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.navigator = navigator
        self.project: Project | None = None
        self.queue: ActiveQueue | None = None
        self.action: QAction | None = None
        self._runner = TaskRunner(self)
        self._runner.finished.connect(self._finished)
        self._runner.failed.connect(self._failed)
        self._runner.cancelled.connect(self._cancelled)
        self.job = jobs.add(self._runner, JOB_TEXT)

    def add_actions(self, data_menu: QMenu, add_action: AddAction) -> None:
        """Put the checkable "Follow the uncertainty queue" into the Data menu."""
        action = add_action(FOLLOW_QUEUE_ACTION, lambda: self.set_following(self._checked()))
        action.setCheckable(True)
        action.setStatusTip("Next opens the unlabeled image the latest model is least sure of")
        data_menu.addAction(action)
        self.action = action

    @property
    def running(self) -> bool:
        return self._runner.busy

    def set_project(self, project: Project | None) -> None:
        """Another project (or none): the queue of the last one is dropped, not followed."""
        self._runner.drop()
        self.project = project
        self.queue = None
        self._set_checked(False)
        self.navigator.follow(None)
        self.navigator.model.set_queue([])

    def set_following(self, on: bool) -> None:
        """Follow the queue (ordering it first) or go back to the gallery's order."""
        self._set_checked(on)
        if not on:
            self._runner.drop()
            self.navigator.follow(None)
            self.message.emit("Next follows the gallery again")
            return
        self.refresh()

    def refresh(self) -> None:
        """Order the queue again (in the background) with the latest model."""
        project = self.project
        if project is None:
            self.message.emit("Open a project to follow its uncertainty queue")
            self._set_checked(False)
            return

        def work(progress: Progress, cancel: threading.Event) -> ActiveQueue:
            def on_event(event: dict[str, Any]) -> None:
                if event.get("event") == "progress":
                    progress(int(event["done"]), int(event["total"]))

            ordered = project.queue(QueueOptions(), on_event, cancel)
            if cancel.is_set():
                raise OperationCancelledError("ordering the queue cancelled")
            return ordered

        self._runner.start(work)
        self.message.emit("Ordering the uncertainty queue…")

    def run_ended(self, _run_id: int, status: str) -> None:
        """A training run ended: a finished one is a newer model, so order the queue again."""
        if status == RunStatus.FINISHED.value and self._checked():
            self.refresh()

    def model_registered(self, _record: object) -> None:
        """A model version was registered: the newest one orders the queue from now on."""
        if self._checked():
            self.refresh()

    def stop(self) -> None:
        self._runner.drop()

    def _checked(self) -> bool:
        return self.action is not None and self.action.isChecked()

    def _set_checked(self, on: bool) -> None:
        if self.action is not None:
            self.action.setChecked(on)

    def _finished(self, ordered: ActiveQueue) -> None:
        self.queue = ordered
        if not self._checked():
            return
        self.navigator.follow(ordered.item_ids())
        entries = [(entry.item_id, entry.uncertainty) for entry in ordered.entries]
        self.navigator.model.set_queue(entries)
        count = len(ordered.entries)
        self.message.emit(
            f"Next follows the uncertainty queue: {counted(count, 'unlabeled image')}, ordered by "
            f"{ordered.model.description}"
        )
        self.ordered.emit(ordered)

    def _failed(self, message: str) -> None:
        self._stop_following(f"Cannot follow the uncertainty queue: {message}")

    def _cancelled(self) -> None:
        self._stop_following("Ordering the queue cancelled: next follows the gallery")

    def _stop_following(self, message: str) -> None:
        self._set_checked(False)
        self.navigator.follow(None)
        self.message.emit(message)
