"""Training one run in the worker process: read the frozen version, build the data and the
model, train with per-epoch metrics and checkpoints written into the project, then evaluate
the best checkpoint on the test split (val when test is empty) and store a summary.

The run's status follows what happened: finished (or early stopped: also "finished"),
cancelled (a signal or `request_cancel`; the last complete checkpoint kept), failed (the
error text stored). A worker killed outright leaves it "running" until someone calls
`mark_interrupted`; `--resume` continues any of these from `last.pt`.

A run has one worker: it claims the run first (`runs.claim_run`, refused while another
worker of the run is alive), and a `RunWatch` thread keeps its heartbeat and reads cancel
requests whatever the trainer is doing. A worker that loses its run (its project file
deleted, or the run given to another worker) stops and writes nothing more to it.

Plugins follow the run here, in the worker: `studio_run_started` before the first epoch,
`studio_epoch_ended` once an epoch's metrics are committed, `studio_run_finished` when the
run ended (finished, cancelled or failed); their training callbacks
(`studio_training_callbacks`) run inside the loop. A plugin that raises is reported and
switched off; the run goes on.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from studio.core import runs
from studio.core.database import Database
from studio.core.enums import RESUMABLE_STATUSES, RunStatus
from studio.core.errors import (
    OperationCancelledError,
    ProjectFileError,
    RunError,
    RunTakenError,
    StudioError,
)
from studio.core.processes import WorkerIdentity
from studio.core.project_file import open_project_file
from studio.core.runs import RunRecord
from studio.jobs import events
from studio.jobs.evaluation_job import (
    EvaluationTarget,
    evaluate_checkpoint,
    evaluation_target,
    flat_metrics,
)
from studio.jobs.run_context import (
    Emit,
    RunLog,
    RunWatch,
    SplitSource,
    error_text,
    load_split,
    reporter,
    skipped_message,
)
from studio.plugins.manager import plugins

LAST = "last.pt"
BEST = "best.pt"


@dataclass
class TrainingSession:
    """One worker's go at a run (the first, or a resume)."""

    target: EvaluationTarget
    report: Emit
    watch: RunWatch
    resume: bool
    started: float

    @property
    def database(self) -> Database:
        return self.target.database

    @property
    def run(self) -> RunRecord:
        return self.target.run


def load_run(
    database: Database, project_path: Path, run_id: int, resume: bool, worker: WorkerIdentity
) -> EvaluationTarget:
    """The run, once `worker` holds it (`runs.claim_run`: refused while another worker is
    alive, or when the run is not queued, or not resumable, as asked)."""
    target = evaluation_target(database, project_path, run_id)
    last = target.files.path_of(LAST)
    if resume and target.run.status in RESUMABLE_STATUSES and not last.is_file():
        raise RunError(f"run {target.run.name} has no {LAST} to resume from ({last})")
    return replace(target, run=runs.claim_run(database, run_id, worker, resume=resume))


def checkpoint_history(path: Path) -> tuple[int, dict[int, dict[str, float]]]:
    """The epoch a checkpoint was written after, and the per-epoch metrics it carries."""
    from studio.ml.checkpoints import load_checkpoint

    state = load_checkpoint(path)
    history = {int(epoch): dict(values) for epoch, values in state.get("history", {}).items()}
    return int(state.get("epoch", 0)), history


def seed_model_initialisation(seed: int) -> None:
    """Seed torch before the model is built, so a run's initial weights (and so its whole
    result, with the trainer's per-epoch seeds) follow from its seed."""
    import torch

    torch.manual_seed(seed)


def train_run(
    project_path: Path,
    run_id: int,
    *,
    resume: bool = False,
    emit: Emit = events.emit,
    cancel: threading.Event | None = None,
) -> str:
    """Train (or resume) run `run_id` of the project; returns the final status.

    `cancel`, when set (the worker's signal handlers set it), stops training after the
    current batch, like `request_cancel` does through the project.
    """
    project_path = Path(project_path).resolve()
    database = open_project_file(project_path)
    worker = WorkerIdentity.current()
    try:
        target = load_run(database, project_path, run_id, resume, worker)
        log = RunLog(database, target.files)
        watch = RunWatch(database, run_id, worker, cancel).start()
        try:
            session = TrainingSession(target, reporter(log, emit), watch, resume, time.monotonic())
            return _train_or_fail(session, log)
        finally:
            watch.close()
            log.close(register=watch.lost is None)
    finally:
        _close_project(database)


def _close_project(database: Database) -> None:
    """Close the project; one deleted while the worker ran (it stopped for that) is left
    gone, not checkpointed."""
    try:
        database.close()
    except ProjectFileError:
        if database.path.exists():
            raise


def _train_or_fail(session: TrainingSession, log: RunLog) -> str:
    try:
        return _train(session)
    except RunTakenError as error:
        # Nothing more is written to the run: it is another worker's, or its file is gone.
        session.report({"event": "failed", "error": str(error)})
        return RunStatus.FAILED.value
    except Exception as error:
        message = error_text(error)
        if not isinstance(error, StudioError):
            log.write_text(traceback.format_exc())
            traceback.print_exc()
        runs.finish_run(
            session.database,
            session.run.id,
            RunStatus.FAILED,
            summary={"duration_s": _duration(session)},
            error=message,
        )
        session.report({"event": "failed", "error": message})
        _run_finished(session, RunStatus.FAILED)
        return RunStatus.FAILED.value


def _duration(session: TrainingSession) -> float:
    """Seconds of training over this and earlier worker sessions that ended normally."""
    earlier = float(session.run.summary.get("duration_s", 0.0) or 0.0)
    return round(earlier + time.monotonic() - session.started, 3)


def _data(session: TrainingSession, class_index: Any) -> dict[str, SplitSource]:
    from studio.ml.data import shape_notes

    run, version = session.run, session.target.version
    sources = {
        split: load_split(session.database, version, split, run.task, class_index)
        for split in ("train", "val", "test")
    }
    for source in sources.values():
        warning = skipped_message(source, version)
        if warning:
            session.report({"event": "warning", "message": warning})
    for note in shape_notes(sources["train"].items, run.task, class_index):
        session.report({"event": "warning", "message": f"version {version.name}: {note}"})
    if not sources["train"].items:
        raise RunError(
            f"version {version.name}: no train items usable for {run.task} (run {run.name})"
        )
    return sources


def _train(session: TrainingSession) -> str:
    from studio.ml.architectures import build_model
    from studio.ml.augment import build_transforms
    from studio.ml.config import TrainConfig
    from studio.ml.data import ClassIndex, VersionDataset
    from studio.ml.devices import choose_device, describe_device, environment

    run, target = session.run, session.target
    config = TrainConfig.from_dict(run.config).validate()
    class_index = ClassIndex.of(target.version)
    device = choose_device(config.device)
    seed_model_initialisation(config.seed)
    built = build_model(
        config.model, config.task, len(class_index.class_ids), config.input_size, config.pretrained
    )
    module = built.module
    worker = session.watch.worker
    runs.mark_started(
        session.database,
        run.id,
        pid=worker.pid,
        host=worker.host,
        device=describe_device(device),
        environment=environment(device),
        pretrained=built.pretrained_note,
        worker_started_at=worker.started_at,
    )
    session.report(
        {
            "event": "run",
            "run_id": run.id,
            "name": run.name,
            "device": describe_device(device),
            "pretrained": built.pretrained_note,
        }
    )
    sources = _data(session, class_index)
    resume_from = _prepare_resume(session) if session.resume else None
    _notify(session, "studio_run_started", run=_current(session), version=target.version)

    def dataset(split: str, train: bool) -> Any:
        transforms = build_transforms(
            config.task, config.input_size, config.augmentations if train else [], train=train
        )
        return VersionDataset(
            sources[split].items, target.project_root, config.task, class_index, transforms
        )

    validate = _validator(
        config,
        dataset("val", False) if sources["val"].items else None,
        sources["val"],
        class_index,
        device,
        session.watch,
    )
    callbacks = [
        callback
        for returned in plugins().call("studio_training_callbacks", run=_current(session))
        for callback in (returned if isinstance(returned, (list, tuple)) else [returned])
    ]
    train_set = dataset("train", True)
    outcome = _fit(session, config, module, train_set, device, validate, resume_from, callbacks)
    return _finish(session, outcome, sources, module, device, built.pretrained_note)


def _current(session: TrainingSession) -> RunRecord:
    """The run as the project holds it now (status, device, epochs done)."""
    with session.database.read() as connection:
        return runs.get_run(connection, session.run.id)


def _notify(session: TrainingSession, hook: str, **arguments: Any) -> None:
    """Tell the plugins of a committed step of the run."""
    plugins().notify(hook, project_path=session.database.path, **arguments)


def _prepare_resume(session: TrainingSession) -> Path:
    """Make the stored history match the checkpoint we resume from: no gap, no double.

    Epochs after the checkpoint are dropped; epochs it holds are (re)written from it, which
    fills the gap of a worker killed between writing `last.pt` and storing that epoch.
    """
    last = session.target.files.path_of(LAST)
    epoch, history = checkpoint_history(last)
    runs.discard_epochs_after(session.database, session.run.id, epoch)
    for done_epoch, metrics in sorted(history.items()):
        runs.record_epoch(session.database, session.run.id, done_epoch, metrics)
    session.report(
        {"event": "log", "message": f"resuming run {session.run.name} after epoch {epoch}"}
    )
    return last


def _validator(
    config: Any,
    val_set: Any,
    source: SplitSource,
    class_index: Any,
    device: Any,
    should_cancel: Callable[[], bool],
) -> Any:
    """`validate(model, epoch)` for the trainer: the flat "val/..." metrics of the val split
    (OperationCancelledError within a batch of a cancel)."""
    from studio.ml.evaluation import epoch_metrics, evaluate_predictions, predict

    def validate(model: Any, _epoch: int) -> dict[str, float]:
        if val_set is None:
            return {}
        predictions = predict(
            model,
            val_set,
            config.task,
            class_index,
            device,
            batch_size=config.batch_size,
            should_cancel=should_cancel,
        )
        metrics = evaluate_predictions(config.task, source.items, predictions, class_index)
        return epoch_metrics(config.task, metrics)

    return validate


def _fit(
    session: TrainingSession,
    config: Any,
    module: Any,
    train_set: Any,
    device: Any,
    validate: Any,
    resume_from: Path | None,
    callbacks: list[Any],
) -> Any:
    from studio.ml.trainer import Trainer

    files, database, run_id = session.target.files, session.database, session.run.id

    def on_checkpoint(name: str, path: Path, epoch: int, sha256: str) -> None:
        runs.save_artifact(
            database,
            run_id,
            name=name,
            kind="checkpoint",
            path=files.relative_path_of(name),
            sha256=sha256,
            size_bytes=path.stat().st_size,
            epoch=epoch,
        )

    def on_epoch(epoch: int, metrics: Mapping[str, float]) -> None:
        runs.record_epoch(database, run_id, epoch, metrics)
        _notify(session, "studio_epoch_ended", run=session.run, epoch=epoch, metrics=metrics)

    trainer = Trainer(
        config,
        module,
        train_set,
        device,
        validate=validate,
        on_event=session.report,
        should_cancel=session.watch,
        checkpoint_dir=files.folder,
        on_checkpoint=on_checkpoint,
        on_epoch=on_epoch,
        callbacks=callbacks,
    )
    return trainer.fit(resume_from=resume_from)


def _finish(
    session: TrainingSession,
    outcome: Any,
    sources: Mapping[str, SplitSource],
    module: Any,
    device: Any,
    pretrained: str,
) -> str:
    summary: dict[str, Any] = {
        "best_epoch": outcome.best_epoch,
        "monitor": outcome.monitor,
        "best_value": outcome.best_value,
        "epochs_done": outcome.epochs_done,
        "pretrained": pretrained,
    }
    session.watch.raise_if_lost()
    if outcome.status == "cancelled":
        return _cancelled(session, summary)
    summary["early_stopped"] = outcome.status == "early_stopped"
    split = "test" if sources["test"].items else "val" if sources["val"].items else None
    if split is None:
        session.report({"event": "warning", "message": "no test or val items: not evaluated"})
    else:
        checkpoint = BEST if session.target.files.path_of(BEST).is_file() else LAST
        try:
            record = evaluate_checkpoint(
                session.target,
                checkpoint,
                split,
                session.report,
                module=module,
                device=device,
                should_cancel=session.watch,
            )
        except OperationCancelledError:
            session.watch.raise_if_lost()
            return _cancelled(session, summary)
        summary["test"] = flat_metrics(record.metrics)
        summary["test_split"] = split
        summary["evaluation_id"] = record.id
    summary["duration_s"] = _duration(session)
    runs.finish_run(session.database, session.run.id, RunStatus.FINISHED, summary=summary)
    session.report({"event": "finished", "status": "finished", "summary": summary})
    _run_finished(session, RunStatus.FINISHED)
    return RunStatus.FINISHED.value


def _cancelled(session: TrainingSession, summary: dict[str, Any]) -> str:
    """End the run as cancelled (its last complete checkpoint kept)."""
    summary["duration_s"] = _duration(session)
    runs.finish_run(session.database, session.run.id, RunStatus.CANCELLED, summary=summary)
    session.report({"event": "finished", "status": "cancelled", "summary": summary})
    _run_finished(session, RunStatus.CANCELLED)
    return RunStatus.CANCELLED.value


def _run_finished(session: TrainingSession, status: RunStatus) -> None:
    """`studio_run_finished` with the run's checkpoint files by name."""
    with session.database.read() as connection:
        run = runs.get_run(connection, session.run.id)
        found = runs.artifacts_of(connection, run.id)
    files = session.target.files
    artifacts = {
        artifact.name: files.store_dir / artifact.path
        for artifact in found
        if artifact.kind == "checkpoint"
    }
    _notify(session, "studio_run_finished", run=run, status=status.value, artifacts=artifacts)
