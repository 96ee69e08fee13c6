"""The experiments part of `studio.api.Project`: versions, runs, metrics, evaluations."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.api import (
    Project,
    Run,
    RunError,
    SettingAdjustedWarning,
    SplitRatios,
    TrainingConfigError,
    VersionError,
)
from tests.jobs.projects import TINY_CLASSIFIER, digits_project, finished_run


def test_preview_and_create_version_agree(tmp_path: Path) -> None:
    with Project.open(digits_project(tmp_path, 50, version=False)) as project:
        plan = project.preview_split({"train": 0.6, "val": 0.2, "test": 0.2}, seed=1)
        version = project.create_version(ratios=SplitRatios(0.6, 0.2, 0.2), seed=1, note="first")
        assert version.name == "v1"
        assert version.note == "first"
        assert dict(version.counts["items"]) == dict(plan.counts["items"])
        assert sum(version.counts["items"].values()) == 50
        assert [v.name for v in project.versions()] == ["v1"]
        assert project.version("v1").id == project.version(version.id).id
        test_items = project.version_items("v1", "test")
        assert {item.item_id for item in test_items} == {
            item_id for item_id, split in plan.splits.items() if split == "test"
        }
        with pytest.raises(VersionError, match="v9"):
            project.version("v9")


def test_new_run_is_queued_with_a_validated_config(tmp_path: Path) -> None:
    with Project.open(digits_project(tmp_path, 30)) as project:
        run = project.new_run(task="classification", epochs=3, **TINY_CLASSIFIER)
        assert isinstance(run, Run)
        assert run.status == "queued"
        assert (run.task, run.model, run.version.name) == ("classification", "resnet18", "v1")
        assert run.config["epochs"] == 3
        assert run.config["input_size"] == 32
        assert project.run(run.name) == run
        assert project.run(run.id) == run
        assert run.worker_command()[-2:] == [str(project.path), str(run.id)]
        assert run.worker_command(resume=True)[-1] == "--resume"
        with pytest.raises(TrainingConfigError, match="nonsense"):
            project.new_run(task="classification", model="nonsense")
        with pytest.raises(RunError, match="no-such-run"):
            project.run("no-such-run")
        run.cancel()
        assert run.status == "cancelled"


def test_training_without_a_version_is_a_clear_error(tmp_path: Path) -> None:
    with Project.open(digits_project(tmp_path, 10, version=False)) as project:
        with pytest.raises(VersionError, match="no dataset version"):
            project.train(task="classification", **TINY_CLASSIFIER)
        assert project.runs() == []


@pytest.mark.slow
def test_train_stores_metrics_artifacts_evaluation_and_predictions(tmp_path: Path) -> None:
    with Project.open(digits_project(tmp_path, 60)) as project:
        events: list[dict] = []
        run = project.train(
            task="classification", epochs=2, on_event=events.append, **TINY_CLASSIFIER
        )
        record = run.record
        assert record.status == "finished"
        assert record.epochs_done == 2
        assert record.device.startswith("cpu")
        assert record.environment["torch"]
        assert "scratch" in record.pretrained
        assert record.started_at <= record.finished_at
        history = run.metrics()
        assert [epoch for epoch, _ in history["train/loss"]] == [1, 2]
        assert [epoch for epoch, _ in history["val/accuracy"]] == [1, 2]
        summary = run.summary
        assert {"best_epoch", "monitor", "best_value", "test", "duration_s", "pretrained"} <= set(
            summary
        )
        assert summary["monitor"] == "val/accuracy"
        evaluation = run.evaluation("test")
        assert summary["test"]["accuracy"] == evaluation.metrics["accuracy"]
        assert evaluation.checkpoint == "best.pt"
        test_ids = {item.item_id for item in project.version_items("v1", "test")}
        predictions = run.predictions()
        assert {p.item_id for p in predictions} == test_ids
        assert all(p.kind == "tag" for p in predictions)
        first = sorted(test_ids)[0]
        assert {p.item_id for p in run.predictions(item_id=first)} == {first}
        for name in ("best.pt", "last.pt", "train.log"):
            path = run.artifact_path(name)
            assert path.is_file()
            assert path.parent == run.folder
        assert [r.name for r in project.runs()] == [run.name]
        assert project.runs(version="v1") == [run]
        assert {e["event"] for e in events} >= {"run", "started", "epoch", "evaluated", "finished"}


def test_delete_run_removes_rows_and_files(tmp_path: Path) -> None:
    with Project.open(digits_project(tmp_path, 10)) as project:
        run = project.run(finished_run(project, "done").id)  # its files, without training
        folder = run.folder
        assert folder.is_dir()
        with pytest.raises(VersionError):
            project.delete_version("v1")
        project.delete_run(run.name)
        assert project.runs() == []
        assert not folder.exists()
        project.delete_version("v1")
        assert project.versions() == []


def test_new_run_fits_the_preset_to_the_version_and_says_why(tmp_path: Path) -> None:
    with Project.open(digits_project(tmp_path, 30)) as project:
        train_items = project.version("v1").counts["items"]["train"]
        basis = project.preset_basis()
        assert (basis.shape.train_items, basis.shape.median_width) == (train_items, 32)
        run = project.new_run(task="classification", device="cpu")
        config = run.config
        assert (config["input_size"], config["batch_size"], config["epochs"]) == (32, 2, 30)
        assert config["reasons"]["input_size"] == "median image 32x32"
        assert config["reasons"]["batch_size"] == (
            f"8+ steps per epoch over {train_items} train images"
        )
        explicit = project.new_run(task="classification", device="cpu", epochs=4).config
        assert explicit["epochs"] == 4
        assert "epochs" not in explicit["reasons"]


def test_a_warmup_longer_than_the_run_is_shortened_with_a_warning(tmp_path: Path) -> None:
    with Project.open(digits_project(tmp_path, 10)) as project:
        with pytest.warns(SettingAdjustedWarning, match="warm-up of 5 epochs shortened to 2"):
            run = project.new_run(task="classification", epochs=3, warmup_epochs=5)
        assert run.config["warmup_epochs"] == 2
        assert run.status == "queued"
