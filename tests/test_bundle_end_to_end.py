"""A user's path from labeled images to a bundle that runs without Studio, on the command line:

studio train → studio models register → studio models alias … production →
studio export-model … NAME:production OUT --zip → studio predict OUT IMAGES
(and the bundle, copied elsewhere, run by its own predict.py in a fresh virtual environment
that holds only onnxruntime, numpy and pillow)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from studio.api import Project
from studio.cli import app
from tests.bundle.builders import clean_environment, create_fresh_venv
from tests.jobs.projects import digits_project

TRAIN = (
    "--task", "classification", "--model", "resnet18", "--input-size", "32", "--epochs", "2",
    "--batch-size", "16", "--lr", "0.002", "--device", "cpu", "--workers", "0",
    "--pretrained", "never", "--seed", "5", "--name", "digits-run",
)  # fmt: skip


def studio(*args: str | Path) -> Result:
    result = CliRunner().invoke(app, [str(arg) for arg in args])
    assert result.exit_code == 0, (args, result.output)
    return result


def bundle_alone(python: Path, folder: Path, *args: str | Path) -> subprocess.CompletedProcess:
    """The bundle's own predict.py, run from outside the bundle by `python`."""
    argv = [str(python), str(folder / "predict.py"), *map(str, args)]
    return subprocess.run(
        argv,
        capture_output=True,
        text=True,
        cwd=folder.parent,
        env=clean_environment(),
        timeout=120,
        check=False,
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

    delivered = tmp_path / "elsewhere" / "digits"
    shutil.copytree(out, delivered)
    python = create_fresh_venv(tmp_path / "fresh")
    for module in ("torch", "studio"):
        probe = [str(python), "-c", f"import {module}"]
        assert (
            subprocess.run(
                probe, capture_output=True, env=clean_environment(), cwd=tmp_path
            ).returncode
            == 1
        )
    selftest = bundle_alone(python, delivered, "--selftest")
    assert selftest.returncode == 0, selftest.stderr
    assert "self-test passed" in selftest.stdout
    alone = bundle_alone(python, delivered, "--json", *images)
    assert alone.returncode == 0, alone.stderr
    assert [r["label"] for r in json.loads(alone.stdout)] == [r["label"] for r in predicted]
