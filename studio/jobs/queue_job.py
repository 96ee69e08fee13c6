"""Scoring a project's unlabeled images with a trained model for the active-learning queue.

    python -m studio.jobs.worker queue-score PROJECT [--model REF] [--device D]

The model (a run or a registered model version; the latest when REF is not given, see
`queue_model`) predicts every unlabeled image (`studio.core.active_queue.unlabeled_items`)
that the score cache does not hold yet for its checkpoint, with Studio's evaluation path
(`studio.ml.evaluation.predict`). A forward hook on the model's last linear layer keeps its
input (the penultimate-layer features the queue spreads over) and its output (the full class
probabilities). Outputs go to the user's cache (`studio.core.queue_cache`), never into the
project, so a read-only project gets a queue too.
Events: {"event": "model", "ref", "description", "task"}, {"event": "progress", "done",
"total"} per batch, then {"event": "finished", "status", "summary": {"items", "scored",
"cached"}}. A signal stops between batches; the batches done stay cached.
"""

from __future__ import annotations

import sys
import threading
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from studio.core import model_registry, runs
from studio.core.active_queue import UnlabeledItem, unlabeled_items
from studio.core.enums import OBJECT_TASKS, RunStatus, Task
from studio.core.errors import StudioError
from studio.core.export_options import ExportOptions
from studio.core.model_registry import ModelVersionRecord
from studio.core.project_file import open_project_file
from studio.core.queue_cache import ModelOutputs, QueueScoreCache
from studio.jobs import events
from studio.jobs.export_job import DEFAULT_CHECKPOINTS, load_export_source, resolve_source
from studio.jobs.launcher import WORKER_MODULE
from studio.jobs.run_context import Emit

QUEUE_SCORE_ACTION = "queue-score"
BATCH_SIZE = 32


@dataclass(frozen=True)
class QueueModel:
    """The model a queue is scored with: `ref` names it to the worker (a model reference or
    a run id), `checkpoint` and `checkpoint_sha256` are the weights it loads."""

    ref: str
    description: str
    task: str
    checkpoint: str
    checkpoint_sha256: str


def _run_checkpoint(connection: Connection, run: runs.RunRecord) -> runs.ArtifactRecord:
    names = {artifact.name: artifact for artifact in runs.artifacts_of(connection, run.id)}
    for name in DEFAULT_CHECKPOINTS:
        if name in names:
            return names[name]
    raise StudioError(f"run {run.name} has no checkpoint to score with (it trained no epoch)")


def _latest_source(connection: Connection) -> runs.RunRecord | ModelVersionRecord:
    """The newest registered version of the task of the latest finished run, else that run."""
    finished = [run for run in runs.list_runs(connection) if run.status == RunStatus.FINISHED.value]
    if not finished:
        raise StudioError("no model to order the queue with: train a run first")
    latest = max(finished, key=lambda run: (run.finished_at or 0.0, run.id))
    registered = [
        record
        for record in model_registry.list_model_versions(connection)
        if record.task == latest.task
    ]
    if registered:
        return max(registered, key=lambda record: (record.created_at, record.id))
    return latest


def queue_model(connection: Connection, ref: str | None) -> QueueModel:
    """The model `ref` names (a run id or name, NAME, NAME:VERSION, NAME:ALIAS), or the
    latest one (`_latest_source`) when `ref` is None."""
    source = _latest_source(connection) if ref is None else resolve_source(connection, ref)
    if isinstance(source, ModelVersionRecord):
        return QueueModel(
            source.ref,
            f"model {source.ref}",
            source.task,
            source.checkpoint,
            source.checkpoint_sha256,
        )
    artifact = _run_checkpoint(connection, source)
    return QueueModel(
        str(source.id), f"run {source.name}", source.task, artifact.name, artifact.sha256
    )


def queue_score_command(project_path: Path, model_ref: str, device: str = "auto") -> list[str]:
    """The full argv of a `queue-score` worker."""
    return [
        sys.executable,
        "-m",
        WORKER_MODULE,
        QUEUE_SCORE_ACTION,
        str(Path(project_path)),
        "--model",
        model_ref,
        "--device",
        device,
    ]


@dataclass(frozen=True)
class ScoreSummary:
    items: int
    scored: int
    cached: int
    cancelled: bool = False

    def as_dict(self) -> dict[str, int]:
        return {"items": self.items, "scored": self.scored, "cached": self.cached}


def score_unlabeled(
    project_path: Path,
    model_ref: str | None,
    *,
    device: str = "auto",
    emit: Emit = events.emit,
    cancel: threading.Event | None = None,
) -> ScoreSummary:
    """The worker's `queue-score`: cache the model's outputs for every unlabeled image that
    has none yet."""
    project_path = Path(project_path).resolve()
    database = open_project_file(project_path)
    try:
        with database.read() as connection:
            model = queue_model(connection, model_ref)
            candidates = unlabeled_items(connection)
            record = resolve_source(connection, model.ref)
        cache = QueueScoreCache(model.checkpoint_sha256)
        missing = set(cache.missing(item.sha256 for item in candidates))
        to_score = list({i.sha256: i for i in candidates if i.sha256 in missing}.values())
        emit(
            {
                "event": "model",
                "ref": model.ref,
                "description": model.description,
                "task": model.task,
            }
        )
        if to_score:
            options = ExportOptions(checkpoint=model.checkpoint, parity_images=1)
            source = load_export_source(database, project_path, record, options)
        else:
            source = None
    finally:
        database.close()
    if source is None:
        return ScoreSummary(len(candidates), 0, len(candidates))
    done = _predict_into(source, to_score, cache, device, emit, cancel)
    cached = len(candidates) - len(to_score)
    return ScoreSummary(len(candidates), done, cached, cancelled=done < len(to_score))


def _predict_into(
    source: Any,
    items: list[UnlabeledItem],
    cache: QueueScoreCache,
    device: str,
    emit: Emit,
    cancel: threading.Event | None,
) -> int:
    """Predict `items` batch by batch into `cache`; the number of items scored."""
    from studio.ml.devices import choose_device

    module = source.load_module().to(choose_device(device))
    scored = 0
    for start in range(0, len(items), BATCH_SIZE):
        if cancel is not None and cancel.is_set():
            break
        batch = items[start : start + BATCH_SIZE]
        for sha256, outputs in _batch_outputs(source, module, batch).items():
            cache.put(sha256, outputs)
        scored += len(batch)
        emit({"event": "progress", "done": scored, "total": len(items)})
    return scored


def _batch_outputs(source: Any, module: Any, batch: list[UnlabeledItem]) -> dict[str, ModelOutputs]:
    """The model's outputs for one batch of images, by image sha256."""
    import numpy as np
    import torch

    from studio.ml.augment import build_transforms
    from studio.ml.evaluation import predict

    captured: list[tuple[Any, Any]] = []
    last_linear = [m for m in module.modules() if isinstance(m, torch.nn.Linear)]
    hook = None
    if source.task not in OBJECT_TASKS and last_linear:
        hook = last_linear[-1].register_forward_hook(
            lambda _module, inputs, output: captured.append((inputs[0], output))
        )
    transforms = build_transforms(source.task, source.input_size, [], train=False)
    dataset = _unlabeled_dataset(
        batch, source.image_root, source.task, source.class_index, transforms
    )
    device = next(module.parameters()).device
    try:
        predictions = predict(
            module, dataset, source.task, source.class_index, device, batch_size=BATCH_SIZE
        )
    finally:
        if hook is not None:
            hook.remove()
    empty = np.zeros(0, dtype=np.float32)
    if source.task in OBJECT_TASKS:
        scores: dict[int, list[float]] = defaultdict(list)
        for prediction in predictions:
            scores[prediction.item_id].append(prediction.score)
        return {
            item.sha256: ModelOutputs(empty, np.asarray(scores[item.item_id]), empty)
            for item in batch
        }
    if hook is None:  # an architecture without a linear head: the kept class probabilities
        kept: dict[int, list[float]] = defaultdict(list)
        for prediction in predictions:
            kept[prediction.item_id].append(prediction.score)
        return {
            item.sha256: ModelOutputs(np.asarray(kept[item.item_id]), empty, empty)
            for item in batch
        }
    features = torch.cat([inputs.flatten(1) for inputs, _ in captured]).float().cpu().numpy()
    logits = torch.cat([output for _, output in captured]).float()
    if source.task == Task.MULTILABEL.value:
        probabilities = torch.sigmoid(logits).cpu().numpy()
    else:
        probabilities = torch.softmax(logits, dim=1).cpu().numpy()
    return {
        item.sha256: ModelOutputs(probabilities[row], empty, features[row])
        for row, item in enumerate(batch)
    }


def _unlabeled_dataset(
    batch: list[UnlabeledItem], root: Path, task: str, class_index: Any, transforms: Any
) -> Any:
    """Studio's dataset of the batch's images. They have no labels, so a classification
    target is a placeholder class 0 (prediction never reads targets)."""
    from studio.core.versions import VersionItem
    from studio.ml.data import VersionDataset

    class UnlabeledImages(VersionDataset):
        def _label(self, item: VersionItem) -> Any:
            return 0 if self.task == Task.CLASSIFICATION.value else super()._label(item)

    version_items = [
        VersionItem(i.item_id, i.path, i.sha256, i.width, i.height, "new", "", ()) for i in batch
    ]
    return UnlabeledImages(version_items, root, task, class_index, transforms)
