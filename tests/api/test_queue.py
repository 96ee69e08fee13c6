"""project.queue(): a `queue-score` worker fills the cache once; the next queue starts none."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.api import Project
from studio.core.active_queue import QueueOptions
from studio.core.errors import StudioError
from studio.core.uncertainty import Strategy
from tests.queue_projects import UNLABELED, copy_of, shared_queue_project  # noqa: F401


def test_the_queue_scores_in_a_worker_once_then_reads_the_cache(
    queue_project: Path, tmp_path: Path
) -> None:
    project_path = copy_of(queue_project, tmp_path)
    seen: list[str] = []
    with Project.open(project_path) as project:
        first = project.queue(QueueOptions(device="cpu"), lambda event: seen.append(event["event"]))
        again = project.queue(QueueOptions(strategy=Strategy.ENTROPY, limit=5, diversity=False))
    assert first.scored == UNLABELED
    assert len(first.entries) == UNLABELED
    assert "progress" in seen
    assert first.model.description == "run resnet18-1"
    assert again.scored == 0
    assert len(again.entries) == 5
    values = [entry.uncertainty for entry in again.entries]
    assert values == sorted(values, reverse=True)


def test_a_project_without_a_trained_model_is_told_to_train_one(project: Project) -> None:
    with pytest.raises(StudioError, match="train a run first"):
        project.queue()
