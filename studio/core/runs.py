"""Training runs and what they record: status, per-epoch metrics, artifacts, evaluations.

A run row is created queued with its full configuration; a worker process marks it
running, sends heartbeats, records each epoch, saves artifacts and evaluations, and
finishes it. Files live in `<project>.studio.d/runs/<id:06d>/`; artifact paths are
relative to `<project>.studio.d`. Like versions, these rows are records of what happened,
not undoable edits.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from studio.core.database import Database
from studio.core.enums import RESUMABLE_STATUSES, RunStatus, parse_enum
from studio.core.errors import RunError, RunTakenError, VersionError
from studio.core.processes import WorkerIdentity
from studio.core.schema import artifact_table as artifacts
from studio.core.schema import dataset_version_table as versions
from studio.core.schema import evaluation_table as evaluations
from studio.core.schema import metric_table, prediction_table
from studio.core.schema import model_version_table as model_versions
from studio.core.schema import run_table as runs

# A run whose worker runs on another host (where its process cannot be checked) is judged
# gone when its heartbeat is older than this; workers write one every few seconds.
HEARTBEAT_TIMEOUT_S = 60.0
RUNS_FOLDER = "runs"


def run_folder(run_id: int) -> str:
    """The folder of a run's files, relative to `<project>.studio.d` ("runs/000042")."""
    return f"{RUNS_FOLDER}/{int(run_id):06d}"


@dataclass(frozen=True)
class RunRecord:
    id: int
    name: str
    task: str
    model: str
    version_id: int
    version_name: str
    config: Mapping[str, Any]
    seed: int
    status: str
    device: str
    environment: Mapping[str, Any]
    pretrained: str
    epochs_done: int
    summary: Mapping[str, Any]
    error: str
    author: str
    worker_pid: int | None
    worker_host: str
    worker_started_at: float | None
    heartbeat_at: float | None
    cancel_requested: bool
    created_at: float
    started_at: float | None
    finished_at: float | None

    @property
    def epochs(self) -> int:
        """The number of epochs the configuration asks for."""
        return int(self.config.get("epochs", 0))

    @property
    def worker(self) -> WorkerIdentity | None:
        """The process that holds the run (None when no worker holds it)."""
        if self.worker_pid is None:
            return None
        return WorkerIdentity(self.worker_pid, self.worker_host, self.worker_started_at)

    def duration_s(self, now: float | None = None) -> float | None:
        """Seconds spent training: the worker sessions that ended (`summary["duration_s"]`),
        plus, while running, the current one since its worker started. The time a run sat
        cancelled, failed or interrupted before a resume is not counted."""
        if self.started_at is None:
            return None
        earlier = self.summary.get("duration_s")
        if self.status != RunStatus.RUNNING.value:
            if isinstance(earlier, (int, float)):
                return float(earlier)
            return None if self.finished_at is None else self.finished_at - self.started_at
        moment = time.time() if now is None else now
        if self.worker_started_at is not None:
            session_start = max(self.worker_started_at, self.started_at)
        else:
            session_start = self.started_at
        return float(earlier or 0.0) + max(0.0, moment - session_start)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> RunRecord:
        """From a run row joined with its version's name as `version_name`."""
        copied = {name: dict(row[name]) for name in ("config", "environment", "summary")}
        return cls(**{**row, **copied, "cancel_requested": bool(row["cancel_requested"])})


@dataclass(frozen=True)
class ArtifactRecord:
    id: int
    run_id: int
    name: str
    kind: str
    path: str
    sha256: str
    size_bytes: int
    epoch: int | None
    meta: Mapping[str, Any]
    created_at: float

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> ArtifactRecord:
        return cls(**{**row, "meta": dict(row["meta"])})


@dataclass(frozen=True)
class EvaluationRecord:
    id: int
    run_id: int
    checkpoint: str
    epoch: int | None
    split: str
    metrics: Mapping[str, Any]
    created_at: float

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> EvaluationRecord:
        return cls(**{**row, "metrics": dict(row["metrics"])})


@dataclass(frozen=True)
class PredictionRecord:
    item_id: int
    class_id: int
    kind: str
    geometry: Any
    score: float


# -- creating and reading runs ---------------------------------------------------------------


def _run_query() -> Any:
    return select(runs, versions.c.name.label("version_name")).join(
        versions, versions.c.id == runs.c.version_id
    )


def _default_name(connection: Connection, model: str) -> str:
    taken = set(connection.execute(select(runs.c.name)).scalars())
    number = 1 + sum(1 for name in taken if name.startswith(f"{model}-"))
    while f"{model}-{number}" in taken:
        number += 1
    return f"{model}-{number}"


def _checked_name(connection: Connection, name: str) -> str:
    chosen = str(name).strip()
    if not chosen:
        raise RunError("a run name cannot be empty")
    exists = connection.execute(select(runs.c.id).where(runs.c.name == chosen)).first()
    if exists is not None:
        raise RunError(f"a run named {chosen!r} exists already; choose another name")
    return chosen


def create_run(
    database: Database,
    *,
    task: str,
    model: str,
    version_id: int,
    config: Mapping[str, Any],
    seed: int,
    name: str | None = None,
    author: str = "",
) -> RunRecord:
    """A new queued run on a dataset version (default name "<model>-<n>", unique)."""
    with database.write() as connection:
        found = connection.execute(select(versions.c.id).where(versions.c.id == version_id))
        if found.first() is None:
            raise VersionError(f"unknown dataset version id {version_id!r}; freeze a version first")
        chosen = (
            _default_name(connection, model) if name is None else _checked_name(connection, name)
        )
        values = {
            "name": chosen,
            "task": str(getattr(task, "value", task)),
            "model": model,
            "version_id": version_id,
            "config": dict(config),
            "seed": int(seed),
            "status": RunStatus.QUEUED.value,
            "environment": {},
            "summary": {},
            "author": author,
            "created_at": time.time(),
        }
        run_id = connection.execute(insert(runs).values(values)).inserted_primary_key[0]
        return _get_by_id(connection, run_id)


def _get_by_id(connection: Connection, run_id: int) -> RunRecord:
    row = connection.execute(_run_query().where(runs.c.id == run_id)).mappings().first()
    if row is None:
        raise RunError(f"unknown run id {run_id!r}")
    return RunRecord.from_row(row)


def get_run(connection: Connection, run: int | str) -> RunRecord:
    """The run with this id (int) or name (str; a name of digits falls back to the id)."""
    if isinstance(run, RunRecord):
        run = run.id
    if isinstance(run, str):
        row = connection.execute(_run_query().where(runs.c.name == run)).mappings().first()
        if row is not None:
            return RunRecord.from_row(row)
        if not run.strip().isdigit():
            raise RunError(f"unknown run {run!r}")
        run = int(run)
    return _get_by_id(connection, run)


def list_runs(connection: Connection, version_id: int | None = None) -> list[RunRecord]:
    """Every run (of one version when given), in id order."""
    query = _run_query().order_by(runs.c.id)
    if version_id is not None:
        query = query.where(runs.c.version_id == version_id)
    return [RunRecord.from_row(row) for row in connection.execute(query).mappings()]


def delete_run(database: Database, run: int | str) -> None:
    """Delete a run's rows (metrics, artifacts, evaluations cascade); not its folder."""
    with database.write() as connection:
        record = get_run(connection, run)
        registered = connection.execute(
            select(model_versions.c.name, model_versions.c.version)
            .where(model_versions.c.run_id == record.id)
            .order_by(model_versions.c.name, model_versions.c.version)
        ).all()
        if registered:
            refs = ", ".join(f"{name}:{version}" for name, version in registered)
            raise RunError(
                f"run {record.name!r} is registered as model {refs}; "
                "delete those model versions first"
            )
        connection.execute(delete(runs).where(runs.c.id == record.id))


# -- the worker's side -----------------------------------------------------------------------


def _update(connection: Connection, run_id: int, values: Mapping[str, Any]) -> None:
    result = connection.execute(update(runs).where(runs.c.id == run_id).values(**values))
    if result.rowcount == 0:
        raise RunError(f"unknown run id {run_id!r}")


def _alive_worker_text(record: RunRecord) -> str:
    worker = record.worker
    assert worker is not None
    return f"its worker (process {worker.pid} on {worker.host or 'an unknown host'}) is alive"


def claim_run(
    database: Database, run_id: int, worker: WorkerIdentity, *, resume: bool
) -> RunRecord:
    """Make `worker` the one worker of the run, in one write transaction, or refuse.

    A new run must be queued; a resumed one interrupted, cancelled or failed (a running run
    whose worker is gone is marked interrupted first). A run whose worker is alive is never
    taken: two workers would write the same checkpoints and history.
    """
    now = time.time()
    with database.write() as connection:
        record = _get_by_id(connection, run_id)
        if record.status == RunStatus.RUNNING.value:
            reason = _worker_gone(record, now)
            if reason is None:
                raise RunError(
                    f"run {record.name} is running: {_alive_worker_text(record)}; "
                    "cancel it or wait for it to end"
                )
            _mark_interrupted(connection, record, reason, now)
            record = _get_by_id(connection, run_id)
        if not resume and record.status != RunStatus.QUEUED.value:
            raise RunError(
                f"run {record.name} is {record.status}; only a queued run starts "
                f"(resume an interrupted, cancelled or failed one)"
            )
        if resume and record.status not in RESUMABLE_STATUSES:
            raise RunError(
                f"run {record.name} is {record.status}; "
                "only an interrupted, cancelled or failed run resumes"
            )
        _update(
            connection,
            run_id,
            {
                "status": RunStatus.RUNNING.value,
                "worker_pid": worker.pid,
                "worker_host": worker.host,
                "worker_started_at": worker.started_at,
                "started_at": record.started_at if record.started_at is not None else now,
                "finished_at": None,
                "heartbeat_at": now,
                "cancel_requested": False,
                "error": "",
            },
        )
        return _get_by_id(connection, run_id)


def mark_started(
    database: Database,
    run_id: int,
    *,
    pid: int,
    host: str,
    device: str,
    environment: Mapping[str, Any],
    pretrained: str,
    worker_started_at: float | None = None,
) -> None:
    """The worker took the run: running, its process, device and environment, a fresh
    heartbeat.

    A resumed run keeps its first `started_at`. A new worker clears an earlier cancel
    request; the worker that claimed the run (`claim_run`) keeps one asked for since.
    """
    now = time.time()
    with database.write() as connection:
        record = _get_by_id(connection, run_id)
        values = {
            "status": RunStatus.RUNNING.value,
            "worker_pid": int(pid),
            "worker_host": host,
            "worker_started_at": worker_started_at,
            "device": device,
            "environment": dict(environment),
            "pretrained": pretrained,
            "started_at": record.started_at if record.started_at is not None else now,
            "finished_at": None,
            "heartbeat_at": now,
        }
        if (record.worker_pid, record.worker_host) != (int(pid), host):
            values.update({"cancel_requested": False, "error": ""})
        _update(connection, run_id, values)


def heartbeat(database: Database, run_id: int, worker: WorkerIdentity) -> bool:
    """Note that `worker` is alive; returns whether a cancel was requested.

    RunTakenError when the run is no longer `worker`'s (it was marked interrupted, and
    maybe resumed by another worker): the worker must stop without writing to it.
    """
    with database.write() as connection:
        record = _get_by_id(connection, run_id)
        if record.status != RunStatus.RUNNING.value or record.worker != worker:
            raise RunTakenError(
                f"run {record.name} is no longer this worker's (it is {record.status}"
                + (f", held by process {record.worker_pid}" if record.worker_pid else "")
                + "); this worker stops"
            )
        _update(connection, run_id, {"heartbeat_at": time.time()})
        return record.cancel_requested


def cancel_requested(database: Database, run_id: int) -> bool:
    """Whether someone asked the run to stop (a read: it does not wake change pollers)."""
    with database.read() as connection:
        return _cancel_flag(connection, run_id)


def _cancel_flag(connection: Connection, run_id: int) -> bool:
    requested = connection.execute(select(runs.c.cancel_requested).where(runs.c.id == run_id))
    return bool(requested.scalar_one())


def request_cancel(database: Database, run_id: int) -> None:
    """Ask the worker to stop; a queued run (no worker yet) is cancelled at once."""
    with database.write() as connection:
        record = _get_by_id(connection, run_id)
        if record.status == RunStatus.QUEUED.value:
            values = {
                "status": RunStatus.CANCELLED.value,
                "cancel_requested": True,
                "finished_at": time.time(),
            }
            _update(connection, run_id, values)
        elif record.status == RunStatus.RUNNING.value:
            _update(connection, run_id, {"cancel_requested": True})


def finish_run(
    database: Database,
    run_id: int,
    status: RunStatus | str,
    *,
    summary: Mapping[str, Any] | None = None,
    error: str = "",
) -> None:
    """The run ended with `status`; `summary` is merged into the summary it has."""
    try:
        value = parse_enum(RunStatus, status, "run status").value
    except ValueError as problem:
        raise RunError(str(problem)) from None
    with database.write() as connection:
        record = _get_by_id(connection, run_id)
        _update(
            connection,
            run_id,
            {
                "status": value,
                "summary": {**record.summary, **dict(summary or {})},
                "error": error,
                "finished_at": time.time(),
                "worker_pid": None,
            },
        )


def record_epoch(database: Database, run_id: int, epoch: int, metrics: Mapping[str, float]) -> None:
    """Store an epoch's metrics (re-recording an epoch replaces its numbers).

    NaN cannot be stored in SQLite (it becomes NULL), so NaN values are left out; the
    epoch still counts. Infinities are kept.
    """
    now = time.time()
    rows = [
        {
            "run_id": run_id,
            "epoch": int(epoch),
            "name": name,
            "value": float(value),
            "recorded_at": now,
        }
        for name, value in metrics.items()
        if not math.isnan(float(value))
    ]
    with database.write() as connection:
        record = _get_by_id(connection, run_id)
        if rows:
            statement = sqlite_insert(metric_table)
            connection.execute(
                statement.on_conflict_do_update(
                    index_elements=[
                        metric_table.c.run_id,
                        metric_table.c.epoch,
                        metric_table.c.name,
                    ],
                    set_={
                        "value": statement.excluded.value,
                        "recorded_at": statement.excluded.recorded_at,
                    },
                ),
                rows,
            )
        _update(connection, run_id, {"epochs_done": max(record.epochs_done, int(epoch))})


def discard_epochs_after(database: Database, run_id: int, epoch: int) -> None:
    """Forget the metrics of epochs after `epoch` (a resume restarts from there)."""
    with database.write() as connection:
        _get_by_id(connection, run_id)
        connection.execute(
            delete(metric_table).where(
                metric_table.c.run_id == run_id, metric_table.c.epoch > int(epoch)
            )
        )
        _update(connection, run_id, {"epochs_done": int(epoch)})


def metrics_of(connection: Connection, run_id: int) -> dict[str, list[tuple[int, float]]]:
    """Metric name → [(epoch, value)] in ascending epoch order."""
    rows = connection.execute(
        select(metric_table.c.name, metric_table.c.epoch, metric_table.c.value)
        .where(metric_table.c.run_id == run_id)
        .order_by(metric_table.c.name, metric_table.c.epoch)
    )
    series: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for row in rows:
        series[row.name].append((row.epoch, row.value))
    return dict(series)


# -- artifacts -------------------------------------------------------------------------------


def save_artifact(
    database: Database,
    run_id: int,
    *,
    name: str,
    kind: str,
    path: str,
    sha256: str,
    size_bytes: int,
    epoch: int | None = None,
    meta: Mapping[str, Any] | None = None,
) -> ArtifactRecord:
    """Record a file of a run; one of the same name is replaced (for example `last.pt`)."""
    values = {
        "run_id": run_id,
        "name": name,
        "kind": kind,
        "path": path,
        "sha256": sha256,
        "size_bytes": int(size_bytes),
        "epoch": epoch,
        "meta": dict(meta or {}),
        "created_at": time.time(),
    }
    with database.write() as connection:
        _get_by_id(connection, run_id)
        statement = sqlite_insert(artifacts).values(values)
        replaced = {key: value for key, value in values.items() if key not in ("run_id", "name")}
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=[artifacts.c.run_id, artifacts.c.name], set_=replaced
            )
        )
        return _artifact(connection, run_id, name)


def _artifact(connection: Connection, run_id: int, name: str) -> ArtifactRecord | None:
    row = (
        connection.execute(
            select(artifacts).where(artifacts.c.run_id == run_id, artifacts.c.name == name)
        )
        .mappings()
        .first()
    )
    return None if row is None else ArtifactRecord.from_row(row)


def artifacts_of(connection: Connection, run_id: int) -> list[ArtifactRecord]:
    query = select(artifacts).where(artifacts.c.run_id == run_id).order_by(artifacts.c.id)
    return [ArtifactRecord.from_row(row) for row in connection.execute(query).mappings()]


def get_artifact(connection: Connection, run_id: int, name: str) -> ArtifactRecord:
    """The artifact `name` of a run; RunError naming the run, the file and what it has."""
    found = _artifact(connection, run_id, name)
    if found is not None:
        return found
    record = _get_by_id(connection, run_id)
    present = ", ".join(entry.name for entry in artifacts_of(connection, run_id)) or "none"
    raise RunError(f"run {record.name!r} (id {run_id}) has no file {name!r} (its files: {present})")


# -- evaluations -----------------------------------------------------------------------------


def save_evaluation(
    database: Database,
    run_id: int,
    *,
    checkpoint: str,
    epoch: int | None,
    split: str,
    metrics: Mapping[str, Any],
    predictions: Iterable[PredictionRecord],
) -> EvaluationRecord:
    """Store an evaluation with its per-item predictions, in one transaction."""
    values = {
        "run_id": run_id,
        "checkpoint": checkpoint,
        "epoch": epoch,
        "split": split,
        "metrics": dict(metrics),
        "created_at": time.time(),
    }
    with database.write() as connection:
        _get_by_id(connection, run_id)
        evaluation_id = connection.execute(insert(evaluations).values(values)).inserted_primary_key[
            0
        ]
        rows = [_prediction_row(evaluation_id, prediction) for prediction in predictions]
        if rows:
            connection.execute(insert(prediction_table), rows)
        return EvaluationRecord(id=evaluation_id, **values)


def _prediction_row(evaluation_id: int, prediction: Any) -> dict[str, Any]:
    """A prediction row from a PredictionRecord or any object with the same fields."""
    return {
        "evaluation_id": evaluation_id,
        "item_id": int(prediction.item_id),
        "class_id": int(prediction.class_id),
        "kind": prediction.kind,
        "geometry": prediction.geometry,
        "score": float(prediction.score),
    }


def evaluations_of(connection: Connection, run_id: int) -> list[EvaluationRecord]:
    query = select(evaluations).where(evaluations.c.run_id == run_id).order_by(evaluations.c.id)
    return [EvaluationRecord.from_row(row) for row in connection.execute(query).mappings()]


def latest_evaluation(
    connection: Connection, run_id: int, split: str = "test"
) -> EvaluationRecord | None:
    """The newest evaluation of a run on `split`, or None."""
    row = (
        connection.execute(
            select(evaluations)
            .where(evaluations.c.run_id == run_id, evaluations.c.split == split)
            .order_by(evaluations.c.id.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    return None if row is None else EvaluationRecord.from_row(row)


def predictions_of(
    connection: Connection, evaluation_id: int, item_id: int | None = None
) -> list[PredictionRecord]:
    """The predictions of an evaluation (of one item when given), in the order stored."""
    query = select(
        prediction_table.c.item_id,
        prediction_table.c.class_id,
        prediction_table.c.kind,
        prediction_table.c.geometry,
        prediction_table.c.score,
    ).where(prediction_table.c.evaluation_id == evaluation_id)
    if item_id is not None:
        query = query.where(prediction_table.c.item_id == item_id)
    rows = connection.execute(query.order_by(prediction_table.c.id))
    return [
        PredictionRecord(row.item_id, row.class_id, row.kind, row.geometry, row.score)
        for row in rows
    ]


# -- runs whose worker died ------------------------------------------------------------------


def _worker_gone(record: RunRecord, now: float) -> str | None:
    """Why the run's worker is known to be gone, or None while it may still be working.

    On the worker's own host its process decides (pid and start time), however old its
    heartbeat: a long batch or a busy machine delays nothing but heartbeats. A worker on
    another host is judged by its heartbeat's age.
    """
    worker = record.worker
    if worker is not None and worker.is_local():
        if worker.is_running():
            return None
        return f"its worker process {worker.pid} on {worker.host} has ended"
    last_sign = record.heartbeat_at or record.started_at or record.created_at
    if now - last_sign > HEARTBEAT_TIMEOUT_S:
        return f"no heartbeat from its worker for {now - last_sign:.0f} s"
    return None


def _gone_workers(connection: Connection, moment: float) -> list[tuple[RunRecord, str]]:
    running = connection.execute(
        _run_query().where(runs.c.status == RunStatus.RUNNING.value).order_by(runs.c.id)
    ).mappings()
    found = [(record, _worker_gone(record, moment)) for record in map(RunRecord.from_row, running)]
    return [(record, reason) for record, reason in found if reason is not None]


def _mark_interrupted(connection: Connection, record: RunRecord, reason: str, now: float) -> None:
    """Interrupted as of the worker's last sign of life, with that session's training time
    added to the run's duration."""
    last_sign = min(now, record.heartbeat_at or now)
    summary = dict(record.summary)
    if record.worker_started_at is not None:
        session = max(0.0, last_sign - record.worker_started_at)
        summary["duration_s"] = round(float(summary.get("duration_s") or 0.0) + session, 3)
    values = {
        "status": RunStatus.INTERRUPTED.value,
        "error": f"interrupted after {record.epochs_done} epoch(s): {reason}",
        "worker_pid": None,
        "finished_at": last_sign,
        "summary": summary,
    }
    _update(connection, record.id, values)


def mark_interrupted(database: Database, now: float | None = None) -> list[int]:
    """Mark running runs whose worker died as "interrupted" (resumable); their ids.

    Views call this on every refresh, so it only reads unless a worker is gone: no write
    lock to wait for, and no commit to wake every window's change poll. A read-only project
    cannot record it, so nothing is marked there.
    """
    if database.read_only:
        return []
    moment = time.time() if now is None else now
    with database.read() as connection:
        if not _gone_workers(connection, moment):
            return []
    interrupted = []
    with database.write() as connection:
        for record, reason in _gone_workers(connection, moment):
            _mark_interrupted(connection, record, reason, moment)
            interrupted.append(record.id)
    return interrupted
