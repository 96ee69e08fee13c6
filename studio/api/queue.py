"""The queue service: a project's unlabeled images, the ones its latest model is least sure
of first (the active-learning queue, docs/queue.md).

    queue = project.queue()                                   # the latest model, margin
    queue = project.queue(QueueOptions(model="digits:2", strategy=Strategy.ENTROPY, limit=20))
    queue.entries[0].item_id, queue.entries[0].uncertainty

The model's outputs for each image are cached in the user's cache folder by checkpoint and
image sha256; only images without an entry are predicted, in a `queue-score` worker (so this
process never imports torch, and the window uses this service too). When every image is
cached, no worker starts at all.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from studio.api.context import ProjectContext
from studio.core.active_queue import QueueEntry, QueueOptions, order_queue, unlabeled_items
from studio.core.errors import StudioError
from studio.core.queue_cache import QueueScoreCache
from studio.jobs.launcher import WorkerJob
from studio.jobs.queue_job import QueueModel, queue_model, queue_score_command

EventCallback = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class ActiveQueue:
    """The ordered queue (`options.limit` entries at most) out of `unlabeled` items, the
    model that ordered it, and how many images the worker had to predict (0: every one came
    from the cache)."""

    model: QueueModel
    options: QueueOptions
    entries: tuple[QueueEntry, ...]
    unlabeled: int
    scored: int

    def item_ids(self) -> list[int]:
        return [entry.item_id for entry in self.entries]


class QueueService:
    def __init__(self, context: ProjectContext) -> None:
        self._context = context

    def queue(
        self,
        options: QueueOptions = QueueOptions(),
        on_event: EventCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> ActiveQueue:
        """The unlabeled images in queue order. Images the cache lacks are predicted first
        in a worker; `cancel` (set from another thread) stops it between batches, and the
        queue then holds the images scored so far."""
        with self._context.database.read() as connection:
            model = queue_model(connection, options.model)
            candidates = unlabeled_items(connection)
        cache = QueueScoreCache(model.checkpoint_sha256)
        missing = cache.missing(item.sha256 for item in candidates)
        if missing:
            self._score(model, options.device, on_event, cancel)
        outputs = {}
        for item in candidates:
            found = cache.get(item.sha256)
            if found is not None:
                outputs[item.sha256] = found
        entries = order_queue(candidates, outputs, model.task, options)
        return ActiveQueue(model, options, tuple(entries), len(candidates), len(missing))

    def _score(
        self,
        model: QueueModel,
        device: str,
        on_event: EventCallback | None,
        cancel: threading.Event | None,
    ) -> None:
        command = queue_score_command(self._context.path, model.ref, device)
        job = WorkerJob.start(self._context.path, command)
        if cancel is not None:
            job.cancel_when_set(cancel)
        outcome = job.follow(on_event)
        if outcome.code not in (0, 3):
            raise StudioError(outcome.detail())
