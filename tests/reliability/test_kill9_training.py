"""kill -9 a training worker mid-epoch: the run shows as interrupted, resumes from last.pt,
and ends with the same metric history and the same weights as a run never interrupted."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
import torch

from studio.api import Project, Run
from studio.jobs.launcher import WorkerJob
from tests.jobs.projects import TINY_CLASSIFIER, digits_project

EPOCHS = 3  # killed in epoch 2, so the resumed worker trains epoch 3 at least


def kill_during_second_epoch(project: Project, run: Run) -> None:
    """Start the worker, SIGKILL it once epoch 1 is stored and epoch 2 has begun."""
    job = WorkerJob.start(project.path, run.worker_command())
    first_epoch_done = False
    for event in job.events():
        if event["event"] == "epoch" and event["epoch"] == 1:
            first_epoch_done = True
        elif first_epoch_done and event["event"] in ("batch", "epoch"):
            os.kill(job.pid, signal.SIGKILL)
            break
    job.wait(60)
    assert first_epoch_done


def model_weights(run: Run) -> dict[str, torch.Tensor]:
    state = torch.load(run.artifact_path("best.pt"), map_location="cpu", weights_only=True)
    return state["model"]


@pytest.mark.slow
def test_a_killed_run_resumes_to_the_result_of_an_uninterrupted_one(tmp_path: Path) -> None:
    settings = {**TINY_CLASSIFIER, "epochs": EPOCHS}
    with Project.open(digits_project(tmp_path, 120), author="tester") as project:
        killed = project.new_run(task="classification", name="killed", **settings)
        kill_during_second_epoch(project, killed)
        statuses = {run.name: run.status for run in project.runs()}
        assert statuses == {"killed": "interrupted"}
        assert 1 <= killed.record.epochs_done < EPOCHS

        killed.resume()
        reference = project.train(task="classification", name="reference", **settings)

        assert killed.status == "finished"
        history = killed.metrics()
        for name in ("train/loss", "val/accuracy", "lr"):
            assert [epoch for epoch, _ in history[name]] == list(range(1, EPOCHS + 1)), name
        assert history["train/loss"] == reference.metrics()["train/loss"]
        assert history["val/accuracy"] == reference.metrics()["val/accuracy"]
        assert killed.summary["test"] == {
            **reference.summary["test"],
            "seconds": killed.summary["test"]["seconds"],
        }
        resumed, uninterrupted = model_weights(killed), model_weights(reference)
        assert resumed.keys() == uninterrupted.keys()
        for key, tensor in uninterrupted.items():
            assert torch.equal(resumed[key], tensor), key
        log = killed.artifact_path("train.log").read_text(encoding="utf-8")
        assert "resuming run killed after epoch" in log
