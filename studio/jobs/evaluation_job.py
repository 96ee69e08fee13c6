"""Evaluating a checkpoint of a run on a split of its dataset version, with per-item
predictions stored so every metric can be traced back to the images behind it."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.core import runs, versions
from studio.core.database import Database
from studio.core.errors import CheckpointError, RunError
from studio.core.object_store import file_sha256
from studio.core.project_file import open_project_file, store_dir_of
from studio.core.runs import EvaluationRecord, PredictionRecord, RunRecord
from studio.core.versions import VersionRecord
from studio.jobs import events
from studio.jobs.run_context import (
    Emit,
    RunFiles,
    checkpoint_name,
    load_split,
    skipped_message,
)


@dataclass(frozen=True)
class EvaluationTarget:
    """Everything an evaluation needs that does not depend on torch."""

    database: Database
    project_root: Path
    run: RunRecord
    version: VersionRecord
    files: RunFiles


def flat_metrics(metrics: Mapping[str, Any]) -> dict[str, float]:
    """The top-level numbers of an evaluation ("accuracy", "map", "items", ...)."""
    return {
        name: float(value)
        for name, value in metrics.items()
        if isinstance(value, (int, float)) and not isinstance(value, bool)
    }


def build_run_module(run: RunRecord, num_classes: int) -> Any:
    """The run's architecture with random weights (the checkpoint supplies them)."""
    from studio.ml.architectures import build_model

    input_size = int(run.config.get("input_size", 224))
    return build_model(run.model, run.task, num_classes, input_size, pretrained="never").module


def evaluate_checkpoint(
    target: EvaluationTarget,
    checkpoint: str,
    split: str,
    emit: Emit,
    module: Any = None,
    device: Any = None,
    should_cancel: Callable[[], bool] | None = None,
) -> EvaluationRecord:
    """Predict `split` with the weights of `checkpoint`, compute the task's metrics and store
    them with every prediction (one transaction). `module`/`device` reuse a built model;
    `should_cancel` is asked between batches (OperationCancelledError: nothing is stored)."""
    run, version = target.run, target.version
    name = checkpoint_name(checkpoint)
    path = checked_checkpoint(target, name)
    from studio.ml.augment import build_transforms
    from studio.ml.checkpoints import load_model_weights
    from studio.ml.data import ClassIndex, VersionDataset
    from studio.ml.devices import choose_device
    from studio.ml.evaluation import evaluate_predictions, predict
    from studio.ml.metrics import plugin_metrics

    class_index = ClassIndex.of(version)
    source = load_split(target.database, version, split, run.task, class_index)
    if not source.items:
        raise RunError(
            f"version {version.name}: no usable {split} items to evaluate run {run.name}"
        )
    warning = skipped_message(source, version)
    if warning:
        emit({"event": "warning", "message": warning})
    if device is None:
        device = choose_device(str(run.config.get("device", "auto")))
    if module is None:
        module = build_run_module(run, len(class_index.class_ids)).to(device)
    epoch = load_model_weights(module, path, "the run's model")
    emit({"event": "evaluating", "split": split, "checkpoint": name, "items": len(source.items)})
    input_size = int(run.config.get("input_size", 224))
    transforms = build_transforms(run.task, input_size, [], train=False)
    dataset = VersionDataset(source.items, target.project_root, run.task, class_index, transforms)
    started = time.perf_counter()
    predictions = predict(
        module,
        dataset,
        run.task,
        class_index,
        device,
        batch_size=int(run.config.get("batch_size", 16)),
        should_cancel=should_cancel,
    )
    metrics = evaluate_predictions(run.task, source.items, predictions, class_index)

    def warn(message: str) -> None:
        emit({"event": "warning", "message": message})

    metrics |= plugin_metrics(run.task, source.items, predictions, class_index, metrics, warn)
    metrics = {**metrics, "seconds": round(time.perf_counter() - started, 3)}
    record = runs.save_evaluation(
        target.database,
        run.id,
        checkpoint=name,
        epoch=epoch,
        split=split,
        metrics=metrics,
        predictions=(
            PredictionRecord(p.item_id, p.class_id, p.kind, p.geometry, p.score)
            for p in predictions
        ),
    )
    emit({"event": "evaluated", "split": split, "checkpoint": name, "metrics": metrics})
    return record


def checked_checkpoint(target: EvaluationTarget, name: str) -> Path:
    """The path of the run's checkpoint `name`, once its bytes match the sha256 the run
    recorded (as export and registration check): a file changed since is not loaded."""
    run = target.run
    path = target.files.path_of(name)
    if not path.is_file():
        raise CheckpointError(f"run {run.name}: checkpoint {name} not found ({path})")
    with target.database.read() as connection:
        artifact = runs.get_artifact(connection, run.id, name)
    actual = file_sha256(path)
    if artifact.sha256 and actual != artifact.sha256:
        raise CheckpointError(
            f"run {run.name}: checkpoint {path} does not match its record "
            f"(sha256 {actual[:12]}…, recorded {artifact.sha256[:12]}…); it was not loaded"
        )
    return path


def evaluation_target(database: Database, project_path: Path, run_id: int) -> EvaluationTarget:
    with database.read() as connection:
        run = runs.get_run(connection, run_id)
        version = versions.get_version(connection, run.version_id)
    return EvaluationTarget(
        database, project_path.parent, run, version, RunFiles(store_dir_of(project_path), run.id)
    )


def evaluate_run(
    project_path: Path,
    run_id: int,
    *,
    checkpoint: str = "best.pt",
    split: str = "test",
    emit: Emit = events.emit,
) -> EvaluationRecord:
    """Open the project, evaluate `checkpoint` of the run on `split`, store the result."""
    project_path = Path(project_path).resolve()
    database = open_project_file(project_path)
    try:
        target = evaluation_target(database, project_path, run_id)
        emit(
            {
                "event": "run",
                "run_id": target.run.id,
                "name": target.run.name,
                "device": target.run.device,
                "pretrained": target.run.pretrained,
            }
        )
        return evaluate_checkpoint(target, checkpoint, split, emit)
    finally:
        database.close()
