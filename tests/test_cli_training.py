"""`studio version`, `studio train`, `studio runs`, `studio evaluate`, `studio demo --train`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from studio.api import Project
from tests.cli_helpers import assert_user_error, run_cli
from tests.jobs.projects import digits_project, finished_run

TRAIN_OPTIONS = (
    "--task", "classification", "--model", "resnet18", "--epochs", "1", "--batch-size", "16",
    "--lr", "0.002", "--input-size", "32", "--device", "cpu", "--seed", "3", "--workers", "0",
    "--pretrained", "never",
)  # fmt: skip


def test_version_create_prints_split_and_class_counts(tmp_path: Path) -> None:
    project = digits_project(tmp_path, 40, version=False)
    result = run_cli("version", "create", project, "--train", "0.5", "--val", "0.25",
                     "--test", "0.25", "--seed", "2", "--name", "first")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "version first" in result.stdout
    assert "40 items" in result.stdout
    for heading in ("train", "val", "test", "annotations"):
        assert heading in result.stdout
    assert any(line.strip().startswith("7 ") for line in result.stdout.splitlines())
    listed = run_cli("version", "list", project, "--json")
    versions = json.loads(listed.stdout)
    assert [v["name"] for v in versions] == ["first"]
    assert sum(versions[0]["counts"]["items"].values()) == 40
    assert "first" in run_cli("version", "list", project).stdout


def test_version_create_refuses_bad_ratios_and_empty_projects(tmp_path: Path) -> None:
    project = digits_project(tmp_path, 10, version=False)
    assert_user_error(run_cli("version", "create", project, "--train", "0.9"), "")
    empty = tmp_path / "empty.studio"
    Project.create(empty).close()
    assert_user_error(run_cli("version", "create", empty), "no labeled items")


def test_train_without_a_version_is_a_clear_error(tmp_path: Path) -> None:
    project = digits_project(tmp_path, 10, version=False)
    assert_user_error(run_cli("train", project, *TRAIN_OPTIONS), "no dataset version")
    assert_user_error(run_cli("train", project), "--task is required")


@pytest.mark.slow
def test_train_runs_evaluate_and_resume_refusal(tmp_path: Path) -> None:
    project = digits_project(tmp_path, 60)
    trained = run_cli(
        "train", project, *TRAIN_OPTIONS, "--warmup-epochs", "3", "--name", "first", "--json"
    )
    assert trained.exit_code == 0, trained.output
    record = json.loads(trained.stdout)
    assert record["name"] == "first"
    assert record["status"] == "finished"
    assert record["config"]["warmup_epochs"] == 0
    stderr = " ".join(trained.stderr.split())  # rich wraps long lines
    assert "preset balanced: 32 px input (median image 32x32), batch 16 (set by you)" in stderr
    assert "warning: warm-up of 3 epochs shortened to 0" in stderr
    assert "accuracy" in record["summary"]["test"]
    assert "epoch 1/1" in trained.stderr

    listed = json.loads(run_cli("runs", project, "--json").stdout)
    assert [(r["name"], r["status"], r["epochs_done"]) for r in listed] == [
        ("first", "finished", 1)
    ]
    table = run_cli("runs", project).stdout
    assert "first" in table
    assert "finished" in table

    evaluated = run_cli("evaluate", project, "first", "--split", "val", "--checkpoint", "last.pt")
    assert evaluated.exit_code == 0, evaluated.output
    assert "last.pt (epoch 1) on val" in evaluated.stdout
    assert "accuracy" in evaluated.stdout
    as_json = json.loads(run_cli("evaluate", project, "1", "--json").stdout)
    assert as_json["split"] == "test"
    assert "confusion" in as_json["metrics"]

    assert_user_error(run_cli("train", project, "--resume", "first"), "only an interrupted")
    assert_user_error(run_cli("evaluate", project, "nope"), "unknown run 'nope'")
    assert_user_error(run_cli("evaluate", project, "first", "--split", "dev"), "--split")


def test_runs_on_a_project_without_runs(tmp_path: Path) -> None:
    project = digits_project(tmp_path, 10)
    assert json.loads(run_cli("runs", project, "--json").stdout) == []
    assert "no runs yet" in run_cli("runs", project).stdout
    assert_user_error(run_cli("evaluate", project, "missing-run"), "missing-run")


@pytest.mark.slow
def test_demo_train_prints_the_test_accuracy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from studio.cli import training

    quick = {**training.DEMO_SETTINGS, "epochs": 1, "max_steps_per_epoch": 2, "workers": 0}
    monkeypatch.setattr(training, "DEMO_SETTINGS", quick)
    result = run_cli("demo", tmp_path / "demo", "--train")
    assert result.exit_code == 0, result.output
    assert "created" in result.stdout
    assert "trained demo-digits: test accuracy " in result.stdout
    with Project.open(tmp_path / "demo" / "demo.studio") as project:
        assert project.run("demo-digits").status == "finished"


def test_evaluate_refuses_a_checkpoint_whose_sha256_differs_from_its_record(
    tmp_path: Path,
) -> None:
    with Project.open(digits_project(tmp_path, 10), author="tester") as opened:
        finished_run(opened, "recorded")
        checkpoint = opened.run("recorded").artifact_path("best.pt")
    checkpoint.write_bytes(checkpoint.read_bytes() + b" and something else")
    result = run_cli("evaluate", project_path := tmp_path / "digits.studio", "recorded")
    assert_user_error(result, str(checkpoint), "does not match its record")
    with Project.open(project_path) as opened:
        assert opened.run("recorded").evaluations()[-1].split == "test"  # only the fabricated one
