"""Mirror Studio's training runs, and the bundles exported from them, to MLflow.

Each Studio run becomes one MLflow run in the experiment named after the project (`birds` for
`birds.studio`), tagged with the Studio run id so a resumed run continues the same MLflow run:

- `studio_run_started`: create (or resume) the run, tag it (Studio run id and name, task,
  model, dataset version name, id and content hash) and log the training settings as
  parameters, nested settings flattened with dots ("optimizer.name");
- `studio_epoch_ended`: log the epoch's metrics with `step` = the epoch;
- `studio_run_finished`: log the run's artifacts (checkpoints, log) and summary, and end the
  MLflow run as FINISHED, FAILED or KILLED;
- `studio_model_exported`: log the bundle as artifacts of the run it was exported from.

The tracking store is `STUDIO_MLFLOW_TRACKING_URI`, else MLflow's own `MLFLOW_TRACKING_URI`,
else a local SQLite store in the project's store folder, `NAME.studio.d/mlflow.db`, with its
artifacts in `NAME.studio.d/mlflow-artifacts/` (open it with
`mlflow ui --backend-store-uri sqlite:///NAME.studio.d/mlflow.db`). The run hooks are called
in the training worker, the export hook in the export worker; mlflow is imported inside the
hooks, so listing plugins stays fast.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.plugins import hookimpl

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

    from studio.api import RunRecord, VersionRecord

STUDIO_PLUGIN_API = 1
__version__ = "1.0.0"

TRACKING_URI_ENV = "STUDIO_MLFLOW_TRACKING_URI"
MLFLOW_TRACKING_URI_ENV = "MLFLOW_TRACKING_URI"
RUN_ID_TAG = "studio.run_id"
# Studio's end statuses → MLflow's.
END_STATUSES = {
    "completed": "FINISHED",
    "finished": "FINISHED",
    "failed": "FAILED",
    "cancelled": "KILLED",
    "interrupted": "KILLED",
}
# MLflow refuses longer parameter values and more entries per log_batch call.
MAX_PARAM_CHARS = 6000
BATCH_SIZE = 100

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrackingStore:
    """Where a project's runs go: the tracking URI, and for the default local store the
    folder new experiments keep their artifacts in (a server chooses its own)."""

    uri: str
    artifact_location: str | None = None

    @classmethod
    def for_project(cls, project_path: Path) -> TrackingStore:
        uri = os.environ.get(TRACKING_URI_ENV) or os.environ.get(MLFLOW_TRACKING_URI_ENV)
        if uri:
            return cls(uri)
        # The project's store folder, NAME.studio.d (docs/project-file.md).
        store = project_path.with_name(project_path.name + ".d")
        store.mkdir(parents=True, exist_ok=True)
        return cls(f"sqlite:///{store / 'mlflow.db'}", (store / "mlflow-artifacts").as_uri())

    def client(self) -> MlflowClient:
        from mlflow.tracking import MlflowClient

        return MlflowClient(tracking_uri=self.uri)


def flatten(settings: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """("optimizer.name", "adamw")… for every leaf of nested settings; lists as JSON."""
    for key, value in settings.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from flatten(value, f"{name}.")
        else:
            text = value if isinstance(value, str) else json.dumps(value, default=str)
            yield name, text[:MAX_PARAM_CHARS]


def experiment_id(client: MlflowClient, project_path: Path, store: TrackingStore) -> str:
    name = project_path.stem
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    return client.create_experiment(name, artifact_location=store.artifact_location)


def mirrored_run(client: MlflowClient, project_path: Path, studio_run_id: int) -> str | None:
    """The MLflow run id of a Studio run, None when it was never mirrored."""
    experiment = client.get_experiment_by_name(project_path.stem)
    if experiment is None:
        return None
    found = client.search_runs(
        [experiment.experiment_id],
        filter_string=f"tags.`{RUN_ID_TAG}` = '{studio_run_id}'",
        max_results=1,
    )
    return found[0].info.run_id if found else None


def _in_batches(entries: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(entries), BATCH_SIZE):
        yield entries[start : start + BATCH_SIZE]


@hookimpl
def studio_run_started(project_path: Path, run: RunRecord, version: VersionRecord) -> None:
    from mlflow.entities import Param

    store = TrackingStore.for_project(project_path)
    client = store.client()
    mlflow_run = mirrored_run(client, project_path, run.id)
    if mlflow_run is None:
        tags = {
            RUN_ID_TAG: str(run.id),
            "studio.run_name": run.name,
            "studio.task": run.task,
            "studio.model": run.model,
            "studio.dataset_version": version.name,
            "studio.dataset_version_id": str(version.id),
            "studio.dataset_content_hash": version.content_hash,
            "studio.project": str(project_path),
        }
        experiment = experiment_id(client, project_path, store)
        mlflow_run = client.create_run(experiment, tags=tags, run_name=run.name).info.run_id
        logged: Mapping[str, str] = {}
    else:
        client.update_run(mlflow_run, status="RUNNING")
        logged = client.get_run(mlflow_run).data.params
    settings = dict(flatten(run.config))
    params = [Param(key, value) for key, value in settings.items() if key not in logged]
    changed = [key for key, value in settings.items() if logged.get(key, value) != value]
    if changed:
        log.warning(
            "run %s resumed with changed settings (%s); MLflow keeps the first values",
            run.name,
            ", ".join(changed),
        )
    for batch in _in_batches(params):
        client.log_batch(mlflow_run, params=batch)


@hookimpl
def studio_epoch_ended(
    project_path: Path, run: RunRecord, epoch: int, metrics: Mapping[str, float]
) -> None:
    from mlflow.entities import Metric

    client = TrackingStore.for_project(project_path).client()
    mlflow_run = mirrored_run(client, project_path, run.id)
    if mlflow_run is None:
        log.warning("run %s is not mirrored to MLflow (it started without this plugin)", run.name)
        return
    now = int(time.time() * 1000)
    entries = [Metric(key, float(value), now, epoch) for key, value in metrics.items()]
    for batch in _in_batches(entries):
        client.log_batch(mlflow_run, metrics=batch)


@hookimpl
def studio_run_finished(
    project_path: Path, run: RunRecord, status: str, artifacts: Mapping[str, Path]
) -> None:
    client = TrackingStore.for_project(project_path).client()
    mlflow_run = mirrored_run(client, project_path, run.id)
    if mlflow_run is None:
        log.warning("run %s is not mirrored to MLflow (it started without this plugin)", run.name)
        return
    for path in artifacts.values():
        if Path(path).is_file():
            client.log_artifact(mlflow_run, str(path), artifact_path="studio")
    if run.summary:
        client.log_dict(mlflow_run, dict(run.summary), "studio/summary.json")
    client.set_terminated(mlflow_run, status=END_STATUSES.get(status, "FAILED"))


@hookimpl
def studio_model_exported(project_path: Path, bundle: Path, manifest: Mapping[str, Any]) -> None:
    run = manifest.get("lineage", {}).get("run") or {}
    client = TrackingStore.for_project(project_path).client()
    mlflow_run = mirrored_run(client, project_path, run.get("id"))
    if mlflow_run is None:
        log.warning("bundle %s: its run %s is not mirrored to MLflow", bundle, run.get("name"))
        return
    folder = f"bundles/{Path(bundle).name}"
    if Path(bundle).is_dir():
        client.log_artifacts(mlflow_run, str(bundle), artifact_path=folder)
    else:
        client.log_artifact(mlflow_run, str(bundle), artifact_path="bundles")
