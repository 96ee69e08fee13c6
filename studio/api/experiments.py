"""The experiments service: dataset versions, training runs and evaluations.

    version = project.create_version(ratios={"train": 0.8, "val": 0.1, "test": 0.1})
    run = project.train(task="classification", model="resnet18", epochs=5)
    run.summary["test"]["accuracy"], run.metrics()["val/accuracy"]
    run.predictions()                 # what the best checkpoint predicted for each test item

Training and evaluation run in a worker process (`python -m studio.jobs.worker`), the same
one the GUI and the CLI start, so a crash there cannot take the project with it. This module
imports no torch: settings are checked by `studio.ml.config`, which reads no weights.
"""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.api.context import ProjectContext
from studio.api.data_health import DataHealthService
from studio.api.events import ProjectEvents
from studio.core import runs, versions
from studio.core.enums import RunStatus
from studio.core.errors import RunError, VersionError
from studio.core.runs import ArtifactRecord, EvaluationRecord, PredictionRecord, RunRecord
from studio.core.versions import SplitPlan, SplitRatios, VersionItem, VersionRecord
from studio.jobs.launcher import WorkerJob, worker_command

if TYPE_CHECKING:
    from studio.ml.config import PresetBasis


class SettingAdjustedWarning(UserWarning):
    """A training setting was changed to fit the others (a warm-up as long as the run)."""


EventCallback = Callable[[dict[str, Any]], None]
Ratios = SplitRatios | Mapping[str, float] | None


def _ratios(ratios: Ratios) -> SplitRatios | None:
    if ratios is None or isinstance(ratios, SplitRatios):
        return ratios
    return SplitRatios.from_mapping(ratios)


def run_worker(project_path: Path, argv: list[str], on_event: EventCallback | None) -> int:
    """Start a worker, pass its events to `on_event`, wait for it; its exit status.

    Ctrl-C here cancels the worker (it keeps its last checkpoint) and waits for it.
    Raises RunError with the worker's error when it failed.
    """
    outcome = WorkerJob.start(project_path, argv).follow(on_event)
    if outcome.code not in (0, 3):
        raise RunError(outcome.failure or f"the worker failed: {outcome.detail()}")
    return outcome.code


class Run:
    """A handle on one training run of an open project; every property reads it afresh."""

    def __init__(self, context: ProjectContext, run_id: int) -> None:
        self._context = context
        self.id = run_id

    def __repr__(self) -> str:
        record = self.record
        return f"Run(id={self.id}, name={record.name!r}, status={record.status!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Run) and other.id == self.id and other._context is self._context

    def __hash__(self) -> int:
        return hash(self.id)

    @property
    def record(self) -> RunRecord:
        with self._context.database.read() as connection:
            return runs.get_run(connection, self.id)

    @property
    def name(self) -> str:
        return self.record.name

    @property
    def status(self) -> str:
        return self.record.status

    @property
    def config(self) -> dict[str, Any]:
        return dict(self.record.config)

    @property
    def task(self) -> str:
        return self.record.task

    @property
    def model(self) -> str:
        return self.record.model

    @property
    def version(self) -> VersionRecord:
        with self._context.database.read() as connection:
            return versions.get_version(connection, self.record.version_id)

    @property
    def summary(self) -> dict[str, Any]:
        return dict(self.record.summary)

    @property
    def folder(self) -> Path:
        """`<project>.studio.d/runs/<id>/`: checkpoints and the log."""
        return self._context.store_dir / runs.run_folder(self.id)

    def metrics(self) -> dict[str, list[tuple[int, float]]]:
        """Per-epoch history: metric name → [(epoch, value)], epochs ascending."""
        with self._context.database.read() as connection:
            return runs.metrics_of(connection, self.id)

    def artifacts(self) -> list[ArtifactRecord]:
        with self._context.database.read() as connection:
            return runs.artifacts_of(connection, self.id)

    def artifact_path(self, name: str) -> Path:
        """The absolute path of an artifact ("best.pt", "train.log", ...); RunError if absent."""
        with self._context.database.read() as connection:
            artifact = runs.get_artifact(connection, self.id, name)
        return self._context.store_dir / artifact.path

    def evaluations(self) -> list[EvaluationRecord]:
        with self._context.database.read() as connection:
            return runs.evaluations_of(connection, self.id)

    def evaluation(self, split: str = "test") -> EvaluationRecord | None:
        """The newest evaluation on `split`, or None."""
        with self._context.database.read() as connection:
            return runs.latest_evaluation(connection, self.id, split)

    def predictions(
        self, split: str = "test", item_id: int | None = None
    ) -> list[PredictionRecord]:
        """What the newest evaluation on `split` predicted (for one item when given)."""
        with self._context.database.read() as connection:
            evaluation = runs.latest_evaluation(connection, self.id, split)
            if evaluation is None:
                raise RunError(f"run {self.record.name} has no evaluation on the {split} split")
            return runs.predictions_of(connection, evaluation.id, item_id)

    def worker_command(self, resume: bool = False) -> list[str]:
        """The argv that trains (or resumes) this run in a worker (the GUI runs it in a
        QProcess and reads its stdout with `studio.jobs.events.parse_event`)."""
        return worker_command("train", self._context.path, self.id, resume=resume)

    def evaluate_command(self, split: str = "test", checkpoint: str = "best.pt") -> list[str]:
        return worker_command(
            "evaluate", self._context.path, self.id, split=split, checkpoint=checkpoint
        )

    def start(self, resume: bool = False, on_event: EventCallback | None = None) -> Run:
        """Train (or resume) in a worker process and wait for it (RunError if it failed)."""
        run_worker(self._context.path, self.worker_command(resume), on_event)
        return self

    def resume(self, on_event: EventCallback | None = None) -> Run:
        """Continue an interrupted, cancelled or failed run from its last checkpoint."""
        return self.start(resume=True, on_event=on_event)

    def evaluate(
        self,
        split: str = "test",
        checkpoint: str = "best.pt",
        on_event: EventCallback | None = None,
    ) -> EvaluationRecord:
        """Evaluate a checkpoint on a split of the run's version (in a worker); the stored
        evaluation, with per-item predictions."""
        run_worker(self._context.path, self.evaluate_command(split, checkpoint), on_event)
        with self._context.database.read() as connection:
            evaluation = runs.latest_evaluation(connection, self.id, split)
        if evaluation is None:
            raise RunError(f"run {self.record.name}: the evaluation on {split} was not stored")
        return evaluation

    def cancel(self) -> None:
        """Ask the run's worker to stop after its current batch (a queued run is cancelled)."""
        runs.request_cancel(self._context.database, self.id)


class ExperimentsService:
    """Versions, runs and evaluations of a project; `Project` delegates to it."""

    def __init__(self, context: ProjectContext, events: ProjectEvents) -> None:
        self._context = context
        self._events = events

    # -- dataset versions ------------------------------------------------------------------

    def preview_split(
        self, ratios: Ratios = None, seed: int = 0, keep_test: bool = True
    ) -> SplitPlan:
        """The splits and counts `create_version` would make now (writes nothing)."""
        with self._context.database.read() as connection:
            return versions.plan_splits(connection, _ratios(ratios), seed, keep_test)

    def create_version(
        self,
        name: str | None = None,
        ratios: Ratios = None,
        seed: int = 0,
        keep_test: bool = True,
        note: str = "",
    ) -> VersionRecord:
        """Freeze the labeled items, their splits and accepted annotations as a version
        ("v1", "v2", ... unless named). Not an undo step: versions are append-only.
        Warns (DuplicatesAcrossSplitsWarning) when duplicate images straddle its splits."""
        context = self._context
        record = versions.create_version(
            context.database, name, _ratios(ratios), seed, keep_test, note, author=context.author
        )
        self._events.version_created(record)
        DataHealthService(context).warn_about_leaks(record)
        return record

    def versions(self) -> list[VersionRecord]:
        """Every dataset version, oldest first."""
        with self._context.database.read() as connection:
            return versions.list_versions(connection)

    def version(self, version: int | str) -> VersionRecord:
        with self._context.database.read() as connection:
            return versions.get_version(connection, version)

    def latest_version(self) -> VersionRecord | None:
        with self._context.database.read() as connection:
            return versions.latest_version(connection)

    def version_items(self, version: int | str, split: str | None = None) -> list[VersionItem]:
        with self._context.database.read() as connection:
            record = versions.get_version(connection, version)
            return versions.version_items(connection, record.id, split)

    def delete_version(self, version: int | str) -> None:
        """Delete a version (refused while a run uses it)."""
        versions.delete_version(self._context.database, version)

    # -- runs ------------------------------------------------------------------------------

    def _version_for_run(self, version: int | str | None) -> VersionRecord:
        if version is not None:
            return self.version(version)
        latest = self.latest_version()
        if latest is None:
            raise VersionError(
                f"{self._context.path}: no dataset version yet; freeze one first "
                f"(Project.create_version or `studio version create`)"
            )
        return latest

    def new_run(
        self,
        version: int | str | None = None,
        task: str = "classification",
        model: str | None = None,
        preset: str = "balanced",
        name: str | None = None,
        **settings: Any,
    ) -> Run:
        """A queued run on `version` (the latest when None) with validated settings: the
        preset's, fitted to the version and the device (`preset_basis`), overridden by
        `model` and `settings` (any TrainConfig field). The config's `reasons` say why each
        fitted value was picked; a warm-up longer than the run is shortened with a
        SettingAdjustedWarning."""
        from studio.ml.config import make_config, warmup_warning

        record = self._version_for_run(version)
        if model is not None:
            settings["model"] = model
        basis = self.preset_basis(record.id, str(settings.get("device", "auto")))
        config = make_config(task, preset, basis, **settings)
        if warmup_warning(config):
            warnings.warn(warmup_warning(config), SettingAdjustedWarning, stacklevel=2)
        created = runs.create_run(
            self._context.database,
            task=config.task,
            model=config.model,
            version_id=record.id,
            config=config.to_dict(),
            seed=config.seed,
            name=name,
            author=self._context.author,
        )
        return Run(self._context, created.id)

    def preset_basis(self, version: int | str | None = None, device: str = "auto") -> PresetBasis:
        """What presets fit their settings to: the version's train items and median image
        size, and the kind of device `device` trains on here (found without torch)."""
        from studio.ml.accelerator import device_kind
        from studio.ml.config import PresetBasis

        record = self._version_for_run(version)
        with self._context.database.read() as connection:
            shape = versions.version_shape(connection, record.id)
        return PresetBasis(shape, device_kind(device))

    def train(
        self,
        version: int | str | None = None,
        task: str = "classification",
        model: str | None = None,
        preset: str = "balanced",
        on_event: EventCallback | None = None,
        name: str | None = None,
        **settings: Any,
    ) -> Run:
        """Create a run and train it in a worker process, waiting for the end.

        `on_event` receives every progress event (dicts, see `studio.jobs.events`). Returns
        the run (finished or cancelled); raises RunError when it failed (the run keeps the
        error, and `Run.resume()` continues it).
        """
        run = self.new_run(version, task, model, preset, name, **settings)
        return run.start(on_event=on_event)

    def runs(self, version: int | str | None = None) -> list[Run]:
        """Every run (of one version when given), oldest first; runs whose worker died are
        marked interrupted first."""
        runs.mark_interrupted(self._context.database)
        version_id = None if version is None else self.version(version).id
        with self._context.database.read() as connection:
            return [
                Run(self._context, record.id) for record in runs.list_runs(connection, version_id)
            ]

    def run(self, run: int | str) -> Run:
        """A run by id or name (RunError if unknown)."""
        with self._context.database.read() as connection:
            return Run(self._context, runs.get_run(connection, run).id)

    def run_records(self) -> list[RunRecord]:
        """Every run's record in one read (for tables of runs)."""
        runs.mark_interrupted(self._context.database)
        with self._context.database.read() as connection:
            return runs.list_runs(connection)

    def delete_run(self, run: int | str) -> None:
        """Delete a run, its metrics, evaluations and files (refused while it runs)."""
        handle = self.run(run)
        record = handle.record
        if record.status == RunStatus.RUNNING.value:
            runs.mark_interrupted(self._context.database)
            if handle.status == RunStatus.RUNNING.value:
                raise RunError(f"run {record.name} is running; cancel it before deleting it")
        runs.delete_run(self._context.database, record.id)
        shutil.rmtree(handle.folder, ignore_errors=True)
