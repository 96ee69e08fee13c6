"""The active-learning queue: a project's unlabeled images, the ones its model is least sure
of first (docs/queue.md).

An image is unlabeled when its status is new or in progress and it has no shape a person made
or accepted (pending suggestions do not count). Its uncertainty comes from the model's cached
outputs (`studio.core.queue_cache`, filled by the `queue-score` worker) through
`studio.core.uncertainty`; with `diversity`, the top `diversity_pool` are spread over the
model's features by k-center greedy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection, exists, or_, select

from studio.core.enums import OBJECT_TASKS, ItemStatus, ReviewState, Task
from studio.core.errors import StudioError
from studio.core.queue_cache import ModelOutputs
from studio.core.schema import annotation_table as annotations
from studio.core.schema import item_table as items
from studio.core.uncertainty import (
    Strategy,
    box_uncertainty,
    class_uncertainty,
    multilabel_uncertainty,
    spread_by_features,
)

UNLABELED_STATUSES = (ItemStatus.NEW.value, ItemStatus.IN_PROGRESS.value)
DEFAULT_DIVERSITY_POOL = 200


@dataclass(frozen=True)
class QueueOptions:
    """How to build the queue. `model`: a run (id or name) or a registered model (NAME,
    NAME:VERSION, NAME:ALIAS); None takes the latest (see `studio.jobs.queue_job`).
    `limit`: at most this many entries (None: all). `diversity`: spread the top
    `diversity_pool` entries over the model's features (when it has features)."""

    model: str | None = None
    strategy: Strategy = Strategy.MARGIN
    limit: int | None = None
    diversity: bool = True
    diversity_pool: int = DEFAULT_DIVERSITY_POOL
    device: str = "auto"

    def __post_init__(self) -> None:
        try:  # "entropy" works as well as Strategy.ENTROPY
            object.__setattr__(self, "strategy", Strategy(self.strategy))
        except ValueError:
            names = ", ".join(member.value for member in Strategy)
            raise StudioError(f"unknown queue strategy {self.strategy!r}; use {names}") from None
        if self.limit is not None and self.limit < 1:
            raise StudioError(f"the queue limit must be at least 1, not {self.limit}")


@dataclass(frozen=True)
class UnlabeledItem:
    item_id: int
    path: str
    sha256: str
    width: int
    height: int


@dataclass(frozen=True)
class QueueEntry:
    item_id: int
    path: str
    uncertainty: float


def unlabeled_items(connection: Connection) -> list[UnlabeledItem]:
    """The items whose status is new or in progress and that have no human or accepted
    shape, by id."""
    labeled = exists().where(
        annotations.c.item_id == items.c.id,
        or_(annotations.c.review.is_(None), annotations.c.review == ReviewState.ACCEPTED.value),
    )
    query = (
        select(items.c.id, items.c.path, items.c.sha256, items.c.width, items.c.height)
        .where(items.c.status.in_(UNLABELED_STATUSES), ~labeled)
        .order_by(items.c.id)
    )
    return [UnlabeledItem(*row) for row in connection.execute(query)]


def uncertainty_of(outputs: ModelOutputs, task: str, strategy: Strategy) -> float:
    if task in OBJECT_TASKS:
        return box_uncertainty(outputs.box_scores, strategy)
    if task == Task.MULTILABEL.value:
        return multilabel_uncertainty(outputs.probabilities, strategy)
    return class_uncertainty(outputs.probabilities, strategy)


def order_queue(
    candidates: Sequence[UnlabeledItem],
    outputs: Mapping[str, ModelOutputs],
    task: str,
    options: QueueOptions,
) -> list[QueueEntry]:
    """The candidates that have outputs (by image sha256), most uncertain first (ties by
    item id), spread for diversity when asked and every one has features."""
    scored = [item for item in candidates if item.sha256 in outputs]
    values = [uncertainty_of(outputs[item.sha256], task, options.strategy) for item in scored]
    order = sorted(range(len(scored)), key=lambda row: (-values[row], scored[row].item_id))
    features = [outputs[item.sha256].features for item in scored]
    comparable = scored and all(f.size and f.size == features[0].size for f in features)
    if options.diversity and comparable:
        order = spread_by_features(order, np.stack(features), options.diversity_pool)
    entries = [QueueEntry(scored[row].item_id, scored[row].path, values[row]) for row in order]
    return entries if options.limit is None else entries[: options.limit]
