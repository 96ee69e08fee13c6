"""The `queue-score` job on a tiny digits classifier: the queue's order is the order of the
margins computed here from the model's own probabilities, and a second scoring reads the
cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from studio.api import Project
from studio.core.active_queue import QueueOptions, order_queue, unlabeled_items
from studio.core.queue_cache import QueueScoreCache
from studio.core.uncertainty import Strategy
from studio.jobs.queue_job import queue_model, score_unlabeled
from tests.queue_projects import UNLABELED, copy_of, shared_queue_project  # noqa: F401


def _margins_of_the_model(project_path: Path) -> dict[int, float]:
    """1 − (p₁ − p₂) of each unlabeled item, from the run's checkpoint loaded here."""
    from studio.ml.architectures import build_model
    from studio.ml.augment import build_transforms
    from studio.ml.checkpoints import load_model_weights
    from studio.ml.data import load_image

    with Project.open(project_path) as project:
        run = project.runs()[0].record
        with project.context.database.read() as connection:
            items = unlabeled_items(connection)
        checkpoint = project.run(run.id).artifact_path("best.pt")
    module = build_model(run.model, run.task, 10, 32, "never").module
    load_model_weights(module, checkpoint, "test")
    module.eval()
    transform = build_transforms(run.task, 32, [], train=False)
    margins = {}
    with torch.inference_mode():
        for item in items:
            image = transform(load_image(project_path.parent, item))
            top = torch.softmax(module(image[None]), dim=1)[0].sort(descending=True).values
            margins[item.item_id] = 1.0 - float(top[0] - top[1])
    return margins


def test_the_queue_follows_the_models_margins(queue_project: Path, tmp_path: Path) -> None:
    project_path = copy_of(queue_project, tmp_path)
    summary = score_unlabeled(project_path, None, device="cpu", emit=lambda _event: None)
    assert (summary.items, summary.scored, summary.cached) == (UNLABELED, UNLABELED, 0)
    with Project.open(project_path) as project, project.context.database.read() as connection:
        model = queue_model(connection, None)
        items = unlabeled_items(connection)
    cache = QueueScoreCache(model.checkpoint_sha256)
    outputs = {item.sha256: cache.get(item.sha256) for item in items}
    options = QueueOptions(strategy=Strategy.MARGIN, diversity=False)
    entries = order_queue(items, outputs, model.task, options)
    expected = _margins_of_the_model(project_path)
    assert sorted(entry.item_id for entry in entries) == sorted(expected)
    along_the_queue = np.array([expected[entry.item_id] for entry in entries])
    assert np.all(np.diff(along_the_queue) <= 1e-5)  # the independent margins never rise
    assert np.allclose([entry.uncertainty for entry in entries], along_the_queue, atol=1e-4)


def test_a_second_scoring_reads_every_image_from_the_cache(
    queue_project: Path, tmp_path: Path
) -> None:
    project_path = copy_of(queue_project, tmp_path)
    score_unlabeled(project_path, None, device="cpu", emit=lambda _event: None)
    again = score_unlabeled(project_path, None, device="cpu", emit=lambda _event: None)
    assert (again.scored, again.cached) == (0, UNLABELED)


def test_the_cache_keeps_the_penultimate_features(queue_project: Path, tmp_path: Path) -> None:
    project_path = copy_of(queue_project, tmp_path)
    score_unlabeled(project_path, "1", device="cpu", emit=lambda _event: None)
    with Project.open(project_path) as project, project.context.database.read() as connection:
        model = queue_model(connection, "1")
        item = unlabeled_items(connection)[0]
    outputs = QueueScoreCache(model.checkpoint_sha256).get(item.sha256)
    assert outputs is not None
    assert outputs.features.shape == (512,)  # resnet18's pooled features
    assert abs(float(outputs.probabilities.sum()) - 1.0) < 1e-3
