"""A user's path from labeled images to a bundle that runs without Studio, on the command line:

studio train → studio models register → studio models alias … production →
studio export-model … NAME:production OUT --zip → studio predict OUT IMAGES
(and the bundle's own predict.py with Studio and torch unimportable)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from studio.api import Project
from studio.cli import app
from tests.jobs.projects import digits_project

TRAIN = (
    "--task", "classification", "--model", "resnet18", "--input-size", "32", "--epochs", "2",
    "--batch-size", "16", "--lr", "0.002", "--device", "cpu", "--workers", "0",
    "--pretrained", "never", "--seed", "5", "--name", "digits-run",
)  # fmt: skip

# Runs a bundle's predict.py with `studio` and `torch` made unimportable.
WITHOUT_STUDIO = (
    "import os, runpy, sys\n"
    "sys.modules['studio'] = None\n"
    "sys.modules['torch'] = None\n"
    "sys.argv = sys.argv[1:]\n"
    "sys.path.insert(0, os.path.dirname(sys.argv[0]))\n"
    "runpy.run_path(sys.argv[0], run_name='__main__')\n"
)


def studio(*args: str | Path) -> Result:
    result = CliRunner().invoke(app, [str(arg) for arg in args])
    assert result.exit_code == 0, (args, result.output)
    return result


def bundle_alone(folder: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """The bundle's own predict.py, run from outside the bundle, without Studio or torch."""
    argv = [sys.executable, "-c", WITHOUT_STUDIO, str(folder / "predict.py"), *map(str, args)]
    return subprocess.run(
        argv, capture_output=True, text=True, cwd=folder.parent, timeout=120, check=False
    )


def stored_test_labels(project_path: Path) -> dict[str, str]:
    """Image path (relative to the project) → the class the run's best checkpoint predicted
    for it in the evaluation stored at the end of training."""
    with Project.open(project_path) as project:
        run = project.run("digits-run")
        names = {label.id: label.name for label in project.classes()}
        paths = {item.item_id: item.path for item in project.version_items("v1", "test")}
        best: dict[int, tuple[float, int]] = {}
        for prediction in run.predictions("test"):
            score = (prediction.score, prediction.class_id)
            best[prediction.item_id] = max(best.get(prediction.item_id, score), score)
    return {paths[item]: names[class_id] for item, (_score, class_id) in best.items()}


@pytest.mark.slow
def test_a_registered_model_exported_and_run_without_studio(tmp_path: Path) -> None:
    project = digits_project(tmp_path, 150)
    trained = json.loads(studio("train", project, *TRAIN, "--json").stdout)
    assert trained["status"] == "finished"
    registered = studio("models", "register", project, "digits-run", "--name", "digits")
    assert "registered digits:1" in registered.stdout
    studio("models", "alias", project, "digits", "1", "production")

    out = tmp_path / "deploy" / "digits"
    exported = json.loads(
        studio("export-model", project, "digits:production", out, "--zip", "--json").stdout
    )
    assert exported["parity"]["passed"] is True
    assert exported["parity"]["images"] > 0
    assert exported["parity"]["details"]["max_abs_diff"] <= 1e-4
    assert Path(exported["zip"]).is_file()

    expected = stored_test_labels(project)
    assert len(expected) >= 10
    images = [project.parent / path for path in sorted(expected)]
    predicted = json.loads(studio("predict", out, *images, "--json").stdout)
    assert [result["label"] for result in predicted] == [
        expected[path] for path in sorted(expected)
    ]
    from_zip = json.loads(studio("predict", exported["zip"], *images[:3], "--json").stdout)
    assert [r["label"] for r in from_zip] == [r["label"] for r in predicted[:3]]

    selftest = bundle_alone(out, "--selftest")
    assert selftest.returncode == 0, selftest.stderr
    assert "self-test passed" in selftest.stdout
    alone = bundle_alone(out, "--json", *images)
    assert alone.returncode == 0, alone.stderr
    assert [r["label"] for r in json.loads(alone.stdout)] == [r["label"] for r in predicted]
