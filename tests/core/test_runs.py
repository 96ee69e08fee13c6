"""Training runs as rows: lifecycle, metrics, artifacts, evaluations, dead workers."""

from __future__ import annotations

import math
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable

import pytest

from studio.core import runs
from studio.core.database import Database
from studio.core.enums import RunStatus
from studio.core.errors import RunError, RunTakenError, VersionError
from studio.core.processes import WorkerIdentity
from studio.core.runs import PredictionRecord
from studio.core.versions import VersionRecord, create_version


@pytest.fixture
def version(tagged_version: Callable[[int], VersionRecord]) -> VersionRecord:
    return tagged_version(4)


def new_run(database: Database, version: VersionRecord, **options: object) -> runs.RunRecord:
    settings = {
        "task": "classification",
        "model": "resnet18",
        "version_id": version.id,
        "config": {"epochs": 3, "batch_size": 8},
        "seed": 7,
    }
    return runs.create_run(database, **{**settings, **options})


def fetch(database: Database, run: int | str) -> runs.RunRecord:
    with database.read() as connection:
        return runs.get_run(connection, run)


def dead_pid() -> int:
    """The id of a process that has run and been reaped."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def start(database: Database, run_id: int, pid: int | None = None, host: str | None = None) -> None:
    runs.mark_started(
        database,
        run_id,
        pid=os.getpid() if pid is None else pid,
        host=socket.gethostname() if host is None else host,
        device="cpu (2 threads)",
        environment={"torch": "2.x"},
        pretrained="from scratch",
    )


# -- creating and finding --------------------------------------------------------------------


def test_a_new_run_is_queued_with_its_configuration(
    database: Database, version: VersionRecord
) -> None:
    before = time.time()
    run = new_run(database, version, author="ann")

    assert (run.name, run.task, run.model, run.status) == (
        "resnet18-1",
        "classification",
        "resnet18",
        "queued",
    )
    assert (run.version_id, run.version_name, run.seed, run.author) == (version.id, "v1", 7, "ann")
    assert run.config == {"epochs": 3, "batch_size": 8}
    assert run.epochs == 3
    assert run.epochs_done == 0
    assert (run.summary, run.environment, run.error) == ({}, {}, "")
    assert run.worker_pid is None
    assert run.started_at is None
    assert run.finished_at is None
    assert run.cancel_requested is False
    assert before <= run.created_at <= time.time()
    assert runs.run_folder(run.id) == "runs/000001"
    assert runs.run_folder(42) == "runs/000042"


def test_default_names_are_unique_and_explicit_ones_checked(
    database: Database, version: VersionRecord
) -> None:
    first = new_run(database, version)
    new_run(database, version, name="resnet18-2")
    third = new_run(database, version)
    other = new_run(database, version, model="efficientnet_b0")

    assert (first.name, third.name, other.name) == ("resnet18-1", "resnet18-3", "efficientnet_b0-1")
    with pytest.raises(RunError, match="'resnet18-1' exists already"):
        new_run(database, version, name="resnet18-1")
    with pytest.raises(RunError, match="empty"):
        new_run(database, version, name="  ")


def test_a_run_needs_an_existing_version(database: Database, version: VersionRecord) -> None:
    with pytest.raises(VersionError, match="unknown dataset version id 99"):
        new_run(database, version, version_id=99)


def test_runs_are_found_by_id_or_name_and_listed_in_order(
    database: Database, version: VersionRecord
) -> None:
    first = new_run(database, version)
    second = new_run(database, version, name="long-run")
    other_version = create_version(database)
    third = new_run(database, other_version)

    assert fetch(database, first.id) == first
    assert fetch(database, "long-run") == second
    assert fetch(database, str(third.id)) == third
    with database.read() as connection:
        assert [r.id for r in runs.list_runs(connection)] == [first.id, second.id, third.id]
        assert runs.list_runs(connection, version_id=other_version.id) == [third]
        with pytest.raises(RunError, match="unknown run 'nope'"):
            runs.get_run(connection, "nope")
        with pytest.raises(RunError, match="unknown run id 77"):
            runs.get_run(connection, 77)


# -- the worker's lifecycle ------------------------------------------------------------------


def test_start_heartbeat_cancel_and_finish(database: Database, version: VersionRecord) -> None:
    run = new_run(database, version)
    start(database, run.id, pid=4242, host="gpu-box")
    started = fetch(database, run.id)

    assert started.status == "running"
    assert (started.worker_pid, started.worker_host, started.device) == (
        4242,
        "gpu-box",
        "cpu (2 threads)",
    )
    assert started.environment == {"torch": "2.x"}
    assert started.pretrained == "from scratch"
    assert started.started_at is not None
    assert started.heartbeat_at is not None
    worker = started.worker
    assert worker is not None
    assert runs.heartbeat(database, run.id, worker) is False
    assert fetch(database, run.id).heartbeat_at >= started.heartbeat_at

    runs.request_cancel(database, run.id)
    assert runs.heartbeat(database, run.id, worker) is True
    assert fetch(database, run.id).status == "running"  # the worker stops it

    runs.finish_run(database, run.id, "cancelled", summary={"best_epoch": 1}, error="")
    runs.finish_run(database, run.id, RunStatus.CANCELLED, summary={"monitor": "val/accuracy"})
    finished = fetch(database, run.id)
    assert finished.status == "cancelled"
    assert finished.summary == {"best_epoch": 1, "monitor": "val/accuracy"}
    assert finished.worker_pid is None
    assert finished.finished_at >= finished.started_at


def test_a_resumed_run_keeps_its_first_start_and_clears_the_cancel(
    database: Database, version: VersionRecord
) -> None:
    run = new_run(database, version)
    start(database, run.id)
    first_start = fetch(database, run.id).started_at
    runs.request_cancel(database, run.id)
    runs.finish_run(database, run.id, "failed", error="CUDA out of memory")

    start(database, run.id)

    resumed = fetch(database, run.id)
    assert resumed.started_at == first_start
    assert (resumed.status, resumed.error, resumed.cancel_requested) == ("running", "", False)
    assert resumed.finished_at is None


def test_cancelling_a_queued_run_cancels_it_at_once(
    database: Database, version: VersionRecord
) -> None:
    run = new_run(database, version)

    runs.request_cancel(database, run.id)

    cancelled = fetch(database, run.id)
    assert cancelled.status == "cancelled"
    assert cancelled.finished_at is not None


def test_an_unknown_status_or_run_is_refused(database: Database, version: VersionRecord) -> None:
    run = new_run(database, version)

    with pytest.raises(RunError, match="unknown run status 'done'"):
        runs.finish_run(database, run.id, "done")
    with pytest.raises(RunError, match="unknown run id 99"):
        runs.heartbeat(database, 99, WorkerIdentity.current())
    with pytest.raises(RunError, match="unknown run id 99"):
        runs.record_epoch(database, 99, 1, {"train/loss": 1.0})


# -- metrics ---------------------------------------------------------------------------------


def test_re_recording_an_epoch_replaces_its_numbers(
    database: Database, version: VersionRecord
) -> None:
    run = new_run(database, version)
    runs.record_epoch(database, run.id, 2, {"train/loss": 0.5, "val/accuracy": 0.7})
    runs.record_epoch(database, run.id, 1, {"train/loss": 0.9, "val/accuracy": 0.4})
    runs.record_epoch(database, run.id, 2, {"train/loss": 0.45, "lr": 0.001})

    with database.read() as connection:
        series = runs.metrics_of(connection, run.id)
    assert series == {
        "lr": [(2, 0.001)],
        "train/loss": [(1, 0.9), (2, 0.45)],
        "val/accuracy": [(1, 0.4), (2, 0.7)],
    }
    assert fetch(database, run.id).epochs_done == 2


def test_nan_values_are_left_out_and_infinities_kept(
    database: Database, version: VersionRecord
) -> None:
    run = new_run(database, version)

    runs.record_epoch(database, run.id, 1, {"train/loss": math.nan, "val/loss": math.inf})

    with database.read() as connection:
        assert runs.metrics_of(connection, run.id) == {"val/loss": [(1, math.inf)]}
    assert fetch(database, run.id).epochs_done == 1


def test_discarding_epochs_after_a_checkpoint_for_a_resume(
    database: Database, version: VersionRecord
) -> None:
    run = new_run(database, version)
    for epoch in (1, 2, 3):
        runs.record_epoch(database, run.id, epoch, {"train/loss": 1.0 / epoch})

    runs.discard_epochs_after(database, run.id, 1)

    with database.read() as connection:
        assert runs.metrics_of(connection, run.id) == {"train/loss": [(1, 1.0)]}
    assert fetch(database, run.id).epochs_done == 1


# -- artifacts -------------------------------------------------------------------------------


def test_saving_an_artifact_twice_replaces_it(database: Database, version: VersionRecord) -> None:
    run = new_run(database, version)
    folder = runs.run_folder(run.id)
    first = runs.save_artifact(
        database,
        run.id,
        name="last.pt",
        kind="checkpoint",
        path=f"{folder}/last.pt",
        sha256="a" * 64,
        size_bytes=10,
        epoch=1,
    )
    runs.save_artifact(
        database,
        run.id,
        name="train.log",
        kind="log",
        path=f"{folder}/train.log",
        sha256="",
        size_bytes=3,
    )
    second = runs.save_artifact(
        database,
        run.id,
        name="last.pt",
        kind="checkpoint",
        path=f"{folder}/last.pt",
        sha256="b" * 64,
        size_bytes=20,
        epoch=2,
        meta={"monitor": 0.9},
    )

    assert second.id == first.id
    assert (second.sha256, second.size_bytes, second.epoch, second.meta) == (
        "b" * 64,
        20,
        2,
        {"monitor": 0.9},
    )
    with database.read() as connection:
        assert [a.name for a in runs.artifacts_of(connection, run.id)] == ["last.pt", "train.log"]
        assert runs.get_artifact(connection, run.id, "last.pt") == second
        with pytest.raises(RunError, match=r"run 'resnet18-1' \(id 1\) has no file 'best.pt'"):
            runs.get_artifact(connection, run.id, "best.pt")


# -- evaluations -----------------------------------------------------------------------------


def test_an_evaluation_round_trips_with_its_predictions(
    database: Database, version: VersionRecord
) -> None:
    run = new_run(database, version)
    predictions = [
        PredictionRecord(item_id=1, class_id=2, kind="tag", geometry=None, score=0.75),
        PredictionRecord(item_id=1, class_id=1, kind="tag", geometry=None, score=0.25),
        PredictionRecord(item_id=2, class_id=1, kind="box", geometry=[1.5, 2, 3, 4], score=0.5),
        PredictionRecord(
            item_id=3, class_id=2, kind="mask", geometry={"size": [2, 2], "counts": "04"}, score=1
        ),
    ]
    metrics = {"accuracy": 0.5, "per_class": {"cat": {"f1": 0.4}}, "items": 3}

    first = runs.save_evaluation(
        database,
        run.id,
        checkpoint="best.pt",
        epoch=2,
        split="val",
        metrics=metrics,
        predictions=iter(predictions),
    )
    later = runs.save_evaluation(
        database,
        run.id,
        checkpoint="last.pt",
        epoch=3,
        split="test",
        metrics={"accuracy": 0.9},
        predictions=[],
    )

    with database.read() as connection:
        assert runs.predictions_of(connection, first.id) == predictions
        assert runs.predictions_of(connection, first.id, item_id=2) == predictions[2:3]
        assert runs.predictions_of(connection, later.id) == []
        assert runs.evaluations_of(connection, run.id) == [first, later]
        assert runs.latest_evaluation(connection, run.id) == later
        assert runs.latest_evaluation(connection, run.id, "val") == first
        assert runs.latest_evaluation(connection, run.id, "train") is None
    assert first.metrics == metrics
    assert (first.checkpoint, first.epoch, first.split) == ("best.pt", 2, "val")


def test_deleting_a_run_removes_its_rows(database: Database, version: VersionRecord) -> None:
    run = new_run(database, version)
    runs.record_epoch(database, run.id, 1, {"train/loss": 1.0})
    runs.save_artifact(
        database,
        run.id,
        name="last.pt",
        kind="checkpoint",
        path="runs/000001/last.pt",
        sha256="",
        size_bytes=1,
    )
    evaluation = runs.save_evaluation(
        database,
        run.id,
        checkpoint="last.pt",
        epoch=1,
        split="test",
        metrics={},
        predictions=[PredictionRecord(1, 1, "tag", None, 0.5)],
    )

    runs.delete_run(database, run.name)

    with database.read() as connection:
        assert runs.list_runs(connection) == []
        assert runs.metrics_of(connection, run.id) == {}
        assert runs.artifacts_of(connection, run.id) == []
        assert runs.predictions_of(connection, evaluation.id) == []


# -- dead workers ----------------------------------------------------------------------------


def test_a_run_whose_worker_process_ended_is_interrupted(
    database: Database, version: VersionRecord
) -> None:
    run = new_run(database, version)
    start(database, run.id, pid=dead_pid())
    runs.record_epoch(database, run.id, 1, {"train/loss": 1.0})

    assert runs.mark_interrupted(database) == [run.id]

    interrupted = fetch(database, run.id)
    assert interrupted.status == "interrupted"
    assert interrupted.worker_pid is None
    assert "after 1 epoch" in interrupted.error
    assert "has ended" in interrupted.error
    assert runs.mark_interrupted(database) == []


def test_a_live_worker_with_a_fresh_heartbeat_keeps_running(
    database: Database, version: VersionRecord
) -> None:
    run = new_run(database, version)
    start(database, run.id)  # this test process: alive
    queued = new_run(database, version)

    assert runs.mark_interrupted(database) == []
    assert fetch(database, run.id).status == "running"
    assert fetch(database, queued.id).status == "queued"


def test_a_live_local_worker_is_never_interrupted_however_old_its_heartbeat(
    database: Database, version: VersionRecord
) -> None:
    run = new_run(database, version)
    start(database, run.id)  # this test process: alive, on this host
    much_later = time.time() + 100 * runs.HEARTBEAT_TIMEOUT_S

    assert runs.mark_interrupted(database, now=much_later) == []
    assert fetch(database, run.id).status == "running"


def test_a_remote_worker_is_interrupted_only_once_its_heartbeat_is_stale(
    database: Database, version: VersionRecord
) -> None:
    remote = new_run(database, version)
    start(database, remote.id, pid=dead_pid(), host="another-machine")
    later = time.time() + runs.HEARTBEAT_TIMEOUT_S - 5

    assert runs.mark_interrupted(database, now=later) == []  # remote pid is not checkable
    much_later = time.time() + runs.HEARTBEAT_TIMEOUT_S + 5
    assert runs.mark_interrupted(database, now=much_later) == [remote.id]
    assert "no heartbeat" in fetch(database, remote.id).error


def test_a_pid_reused_by_another_process_counts_as_ended(
    database: Database, version: VersionRecord
) -> None:
    run = new_run(database, version)
    me = WorkerIdentity.current()
    assert me.started_at is not None  # this platform can tell a process's start time
    runs.mark_started(
        database,
        run.id,
        pid=me.pid,  # alive, but it started long after the worker that is recorded
        host=me.host,
        device="cpu",
        environment={},
        pretrained="",
        worker_started_at=me.started_at - 3600,
    )

    assert runs.mark_interrupted(database) == [run.id]
    assert "has ended" in fetch(database, run.id).error


def test_a_run_whose_worker_is_alive_cannot_be_claimed_by_another(
    database: Database, version: VersionRecord
) -> None:
    run = new_run(database, version)
    holder = runs.claim_run(database, run.id, WorkerIdentity.current(), resume=False)
    assert holder.status == "running"
    second = WorkerIdentity(pid=holder.worker_pid + 1, host=holder.worker_host, started_at=None)

    for resume in (False, True):
        with pytest.raises(RunError, match=rf"run {run.name} is running: its worker \(process"):
            runs.claim_run(database, run.id, second, resume=resume)
    assert fetch(database, run.id).worker == WorkerIdentity.current()


def test_a_run_whose_worker_ended_is_claimed_by_a_resume(
    database: Database, version: VersionRecord
) -> None:
    run = new_run(database, version)
    start(database, run.id, pid=dead_pid())
    me = WorkerIdentity.current()

    with pytest.raises(RunError, match="only a queued run starts"):
        runs.claim_run(database, run.id, me, resume=False)
    claimed = runs.claim_run(database, run.id, me, resume=True)

    assert (claimed.status, claimed.worker) == ("running", me)


def test_a_worker_whose_run_was_taken_stops_at_its_next_heartbeat(
    database: Database, version: VersionRecord
) -> None:
    run = new_run(database, version)
    gone = WorkerIdentity(dead_pid(), WorkerIdentity.current().host, None)
    runs.claim_run(database, run.id, gone, resume=False)
    runs.claim_run(database, run.id, WorkerIdentity.current(), resume=True)

    with pytest.raises(RunTakenError, match="no longer this worker's"):
        runs.heartbeat(database, run.id, gone)


def test_a_resumed_run_does_not_count_the_time_it_sat_cancelled(
    database: Database, version: VersionRecord
) -> None:
    run = new_run(database, version)
    start(database, run.id)
    runs.finish_run(database, run.id, "cancelled", summary={"duration_s": 5.0})
    with database.write() as connection:  # it was started an hour ago, cancelled since
        connection.execute(
            runs.runs.update().where(runs.runs.c.id == run.id).values(started_at=time.time() - 3600)
        )
    assert fetch(database, run.id).duration_s() == 5.0

    me = WorkerIdentity.current()
    runs.claim_run(database, run.id, me, resume=True)
    resumed = fetch(database, run.id)
    duration = resumed.duration_s(now=me.started_at + 2.0)

    assert duration == pytest.approx(7.0)
