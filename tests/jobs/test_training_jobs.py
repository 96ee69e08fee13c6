"""Training and evaluation runs in real worker processes: detection and instance segmentation
on synthetic scenes, cancel, failure, the events a worker prints."""

from __future__ import annotations

import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from studio.api import Project, Run, RunError
from studio.core import runs as core_runs
from studio.core.errors import CheckpointError
from studio.core.processes import WorkerIdentity
from studio.core.synthetic_scenes import SCENE_CLASSES, create_scene_project
from studio.jobs.evaluation_job import evaluate_run
from studio.jobs.events import parse_event
from studio.jobs.launcher import WorkerJob, worker_environment
from tests.jobs.projects import TINY_CLASSIFIER, digits_project, finished_run
from tests.jobs.slow_worker import (
    PREDICTION_BATCH_MESSAGE,
    slow_worker_command,
    slow_worker_environment,
)

DETECTOR = {
    "model": "fasterrcnn_mobilenet_v3_large_320_fpn",
    "input_size": 96,
    "batch_size": 4,
    "epochs": 1,
    "max_steps_per_epoch": 3,
    "augmentations": [],
    "device": "cpu",
    "workers": 0,
    "pretrained": "never",
}


def scenes(tmp_path: Path, geometry: str) -> Project:
    path = create_scene_project(tmp_path / "scenes.studio", count=16, seed=3, geometry=geometry)
    project = Project.open(path, author="tester")
    project.create_version(ratios={"train": 0.5, "val": 0.25, "test": 0.25})
    return project


@pytest.mark.slow
def test_a_detector_trains_and_its_coco_metrics_are_stored(tmp_path: Path) -> None:
    with scenes(tmp_path, "box") as project:
        events: list[dict] = []
        run = project.train(task="detection", on_event=events.append, **DETECTOR)
        assert run.status == "finished"
        evaluation = run.evaluation("test")
        assert evaluation is not None
        assert {"map", "map_50", "per_class"} <= set(evaluation.metrics)
        assert set(evaluation.metrics["per_class"]) <= set(SCENE_CLASSES)
        assert 0.0 <= evaluation.metrics["map"] <= 1.0
        assert run.summary["test"]["map"] == pytest.approx(evaluation.metrics["map"])
        assert all(prediction.kind == "box" for prediction in run.predictions())
        history = run.metrics()
        assert [epoch for epoch, _ in history["train/loss"]] == [1]
        assert "val/map" in history
        names = {artifact.name for artifact in run.artifacts()}
        assert {"last.pt", "best.pt", "train.log"} <= names
        kinds = [event["event"] for event in events]
        assert kinds[0] == "run"
        assert kinds[-1] == "finished"
        assert "epoch" in kinds
        assert "evaluated" in kinds
        again = run.evaluate(split="val", checkpoint="last")
        assert (again.split, again.checkpoint, again.epoch) == ("val", "last.pt", 1)
        assert [e.split for e in run.evaluations()] == ["test", "val"]
        # The refusal is the evaluation job's (in this process: no third worker to start).
        with pytest.raises(CheckpointError, match=r"checkpoint epoch-009\.pt not found"):
            evaluate_run(project.path, run.id, checkpoint="epoch-009.pt", emit=events.append)


@pytest.mark.slow
def test_mask_rcnn_trains_and_reports_mask_and_box_map(tmp_path: Path) -> None:
    settings = {**DETECTOR, "model": "maskrcnn_resnet50_fpn", "input_size": 64, "batch_size": 2}
    settings["max_steps_per_epoch"] = 2
    with scenes(tmp_path, "polygon") as project:
        run = project.train(task="segmentation", **settings)
        evaluation = run.evaluation("test")
        assert evaluation is not None
        assert {"map", "map_50", "box_map", "per_class"} <= set(evaluation.metrics)
        assert {"val/map", "val/box_map"} <= set(run.metrics())
        predictions = run.predictions()
        assert all(prediction.kind == "mask" for prediction in predictions)
        assert all(set(p.geometry) == {"size", "counts"} for p in predictions)


def _epochs_then(job: WorkerJob, after_epoch: int, action) -> list[dict]:
    seen = []
    acted = False
    for event in job.events():
        seen.append(event)
        if not acted and event["event"] == "epoch" and event["epoch"] == after_epoch:
            action()
            acted = True
    return seen


@pytest.mark.slow
def test_request_cancel_keeps_the_last_checkpoint_and_resume_refills_an_unstored_epoch(
    tmp_path: Path,
) -> None:
    """request_cancel stops the worker after the batch under way, keeping last.pt. A worker
    killed between writing last.pt and storing that epoch's metrics leaves the history one
    epoch short; the resume refills it from the checkpoint (one cancelled run stands for both:
    they share the worker start and the first epoch)."""
    with Project.open(digits_project(tmp_path, 60), author="tester") as project:
        run = project.new_run(task="classification", epochs=8, **TINY_CLASSIFIER)
        job = WorkerJob.start(project.path, run.worker_command())
        events = _epochs_then(job, 1, run.cancel)
        assert job.wait(60) == 3
        record = run.record
        assert record.status == "cancelled"
        assert 1 <= record.epochs_done < 8
        assert run.artifact_path("last.pt").is_file()
        assert events[-1]["event"] == "finished"
        assert events[-1]["status"] == "cancelled"

        done = record.epochs_done
        with sqlite3.connect(project.path) as connection:
            connection.execute("DELETE FROM metric WHERE run_id = ? AND epoch = ?", (run.id, done))
        assert done not in [epoch for epoch, _ in run.metrics().get("train/loss", [])]

        resumed = subprocess.run(
            run.worker_command(resume=True),
            capture_output=True,
            text=True,
            env=worker_environment(),
            timeout=300,
        )
        assert resumed.returncode == 0, resumed.stderr
        epochs = [epoch for epoch, _ in run.metrics()["train/loss"]]
        assert run.record.epochs_done > done  # it went on (the preset may stop it early)
        assert epochs == list(range(1, run.record.epochs_done + 1))


@pytest.mark.slow
def test_sigterm_cancels_like_request_cancel(tmp_path: Path) -> None:
    with Project.open(digits_project(tmp_path, 60), author="tester") as project:
        run = project.new_run(task="classification", epochs=30, **TINY_CLASSIFIER)
        job = WorkerJob.start(project.path, run.worker_command())
        _epochs_then(job, 1, job.cancel)
        assert job.wait(60) == 3
        assert run.status == "cancelled"
        log = run.artifact_path("train.log").read_text(encoding="utf-8")
        assert "epoch" in log
        assert "cancelled" in log


def test_every_line_the_worker_prints_on_stdout_is_an_event(tmp_path: Path) -> None:
    with Project.open(digits_project(tmp_path, 60), author="tester") as project:
        run = project.new_run(task="classification", epochs=1, **TINY_CLASSIFIER)
        result = subprocess.run(
            run.worker_command(), capture_output=True, text=True, env=worker_environment()
        )
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        events = [parse_event(line) for line in lines]
        assert all(event is not None for event in events), lines
        assert events[0]["event"] == "run"
        assert events[0]["run_id"] == run.id
        assert events[-1]["event"] == "finished"
        assert run.status == "finished"


def test_a_missing_image_fails_the_run_with_its_name(tmp_path: Path) -> None:
    with Project.open(digits_project(tmp_path, 60), author="tester") as project:
        missing = project.version_items("v1", "train")[0]
        (project.root / missing.path).unlink()
        run = project.new_run(task="classification", epochs=1, **TINY_CLASSIFIER)
        job = WorkerJob.start(project.path, run.worker_command())
        events = list(job.events())
        assert job.wait(60) == 1
        file_name = Path(missing.path).name
        assert events[-1]["event"] == "failed"
        assert file_name in events[-1]["error"]
        record = run.record
        assert record.status == "failed"
        assert file_name in record.error
        assert record.finished_at is not None
        with pytest.raises(RunError, match=file_name):
            project.train(task="classification", epochs=1, **TINY_CLASSIFIER)


def test_a_finished_run_does_not_start_again(tmp_path: Path) -> None:
    with Project.open(digits_project(tmp_path, 10), author="tester") as project:
        run = project.run(finished_run(project, "done").id)  # the worker reads its row only
        with pytest.raises(RunError, match="only a queued run starts"):
            run.start()
        with pytest.raises(RunError, match="only an interrupted, cancelled or failed"):
            run.resume()
        assert run.status == "finished"


# -- liveness: a slow worker stays running, one worker per run, a deleted project, cancel ----


def start_slow_worker(
    project: Project, run: Run, step_s: float = 0.0, prediction_s: float = 0.0
) -> WorkerJob:
    process = subprocess.Popen(
        slow_worker_command(run.worker_command()),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=slow_worker_environment(step_s, prediction_s),
    )
    return WorkerJob(process, project.path)


def test_a_worker_whose_steps_outlast_the_heartbeat_timeout_stays_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core_runs, "HEARTBEAT_TIMEOUT_S", 0.3)
    with Project.open(digits_project(tmp_path, 30), author="tester") as project:
        settings = {**TINY_CLASSIFIER, "epochs": 1, "max_steps_per_epoch": 2}
        run = project.new_run(task="classification", **settings)
        job = start_slow_worker(project, run, step_s=0.6)
        checked = 0
        for event in job.events():
            if event["event"] != "batch":
                continue
            record = run.record
            assert time.time() - record.heartbeat_at > core_runs.HEARTBEAT_TIMEOUT_S
            assert run.status == "running"
            assert [r.status for r in project.run_records()] == ["running"]
            assert [r.status for r in project.runs()] == ["running"]
            checked += 1
        assert job.wait(60) == 0, job.stderr_tail
        assert checked == 2
        assert run.status == "finished"


def test_a_second_worker_cannot_take_a_live_run(tmp_path: Path) -> None:
    with Project.open(digits_project(tmp_path, 10), author="tester") as project:
        run = project.new_run(task="classification", epochs=1, **TINY_CLASSIFIER)
        holder = WorkerIdentity.current()  # this test process stands for the live worker
        core_runs.claim_run(project.context.database, run.id, holder, resume=False)

        for resume in (False, True):
            job = WorkerJob.start(project.path, run.worker_command(resume=resume))
            events = list(job.events())
            assert job.wait(60) == 1
            assert events[-1]["event"] == "failed"
            assert (
                f"its worker (process {holder.pid} on {holder.host}) is alive"
                in (events[-1]["error"])
            )
        assert run.record.worker == holder


def test_a_worker_whose_project_file_is_deleted_stops(tmp_path: Path) -> None:
    with Project.open(digits_project(tmp_path, 30), author="tester") as project:
        settings = {**TINY_CLASSIFIER, "epochs": 1, "max_steps_per_epoch": 50}
        run = project.new_run(task="classification", **settings)
        path = project.path
    job = start_slow_worker(project, run, step_s=0.3)
    events = []
    for event in job.events():
        events.append(event)
        if event["event"] == "batch" and path.exists():
            path.unlink()
    assert job.wait(60) == 1, job.stderr_tail
    assert events[-1]["event"] == "failed"
    assert f"{path}: the project file is gone" in events[-1]["error"]
    assert sum(event["event"] == "batch" for event in events) < 50
    assert not path.exists()


@pytest.mark.parametrize("phase", ["validating", "evaluating"])
def test_cancel_takes_effect_within_a_batch_of_validation_and_evaluation(
    tmp_path: Path, phase: str
) -> None:
    with Project.open(digits_project(tmp_path, 60), author="tester") as project:
        settings = {**TINY_CLASSIFIER, "epochs": 1, "max_steps_per_epoch": 1, "batch_size": 2}
        run = project.new_run(task="classification", **settings)
        val_batches = len(project.version_items("v1", "val")) // 2
        assert val_batches >= 3
        job = start_slow_worker(project, run, prediction_s=0.6)
        after_cancel = []
        for event in job.events():
            if after_cancel or event["event"] == phase:
                after_cancel.append(event)
            if event["event"] == phase and len(after_cancel) == 1:
                run.cancel()
        assert job.wait(60) == 3, job.stderr_tail
        predicted = [e for e in after_cancel if e.get("message") == PREDICTION_BATCH_MESSAGE]
        assert 1 <= len(predicted) <= 2  # the batch under way, and one begun as the flag came
        assert after_cancel[-1] == {**after_cancel[-1], "event": "finished", "status": "cancelled"}
        assert run.status == "cancelled"
        assert not [e for e in after_cancel if e["event"] in ("epoch", "evaluated")]
