"""The MLflow mirror: its hooks called as the training and export workers call them, with real
run records of a real project, read back with MLflow's own client."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
import studio_mlflow
from mlflow.tracking import MlflowClient
from studio_mlflow import TrackingStore

from studio.api import Project, RunRecord
from studio.plugins.manager import StudioPlugins

# A classifier small enough to configure in a test (these runs are never trained here).
SETTINGS = {
    "model": "resnet18",
    "input_size": 32,
    "batch_size": 8,
    "augmentations": [],
    "device": "cpu",
    "workers": 0,
    "pretrained": "never",
}


def new_run(project: Project, epochs: int = 2) -> RunRecord:
    return project.new_run(task="classification", epochs=epochs, **SETTINGS).record


def client_for(project: Project) -> MlflowClient:
    return MlflowClient(tracking_uri=f"sqlite:///{project.store_dir / 'mlflow.db'}")


def mirrored(project: Project, run: RunRecord):
    client = client_for(project)
    experiment = client.get_experiment_by_name(project.path.stem)
    found = client.search_runs(
        [experiment.experiment_id], filter_string=f"tags.`studio.run_id` = '{run.id}'"
    )
    assert len(found) == 1
    return found[0]


def start(plugins: StudioPlugins, project: Project, run: RunRecord) -> None:
    version = project.version(run.version_id)
    plugins.notify("studio_run_started", project_path=project.path, run=run, version=version)


def test_a_run_is_mirrored_with_its_settings_metrics_and_artifacts(
    installed_plugins: StudioPlugins, project: Project, tmp_path: Path
) -> None:
    run = new_run(project)
    start(installed_plugins, project, run)
    for epoch, loss in ((1, 0.9), (2, 0.4)):
        metrics = {"train/loss": loss, "val/accuracy": 1 - loss}
        installed_plugins.notify(
            "studio_epoch_ended", project_path=project.path, run=run, epoch=epoch, metrics=metrics
        )
    best = tmp_path / "best.pt"
    best.write_bytes(b"weights")
    (tmp_path / "train.log").write_text("epoch 1\nepoch 2\n", encoding="utf-8")
    artifacts = {"best.pt": best, "train.log": tmp_path / "train.log"}
    installed_plugins.notify(
        "studio_run_finished",
        project_path=project.path,
        run=run,
        status="completed",
        artifacts=artifacts,
    )

    found = mirrored(project, run)
    assert found.info.status == "FINISHED"
    assert found.info.run_name == run.name
    tags = found.data.tags
    assert (tags["studio.task"], tags["studio.model"]) == ("classification", "resnet18")
    assert (tags["studio.dataset_version"], tags["studio.dataset_version_id"]) == (
        "v1",
        str(run.version_id),
    )
    params = found.data.params
    assert (params["epochs"], params["input_size"], params["augmentations"]) == ("2", "32", "[]")
    history = client_for(project).get_metric_history(found.info.run_id, "train/loss")
    assert [(m.step, m.value) for m in history] == [(1, 0.9), (2, 0.4)]
    listed = client_for(project).list_artifacts(found.info.run_id, "studio")
    assert {Path(entry.path).name for entry in listed} == {"best.pt", "train.log"}
    stored = Path(found.info.artifact_uri.removeprefix("file://"))
    assert stored.is_relative_to(project.store_dir)
    assert (stored / "studio" / "best.pt").read_bytes() == b"weights"


def test_a_resumed_run_continues_its_mlflow_run(
    installed_plugins: StudioPlugins, project: Project
) -> None:
    run = new_run(project)
    start(installed_plugins, project, run)
    installed_plugins.notify(
        "studio_run_finished", project_path=project.path, run=run, status="cancelled", artifacts={}
    )
    assert mirrored(project, run).info.status == "KILLED"
    start(installed_plugins, project, run)
    installed_plugins.notify(
        "studio_epoch_ended", project_path=project.path, run=run, epoch=2, metrics={"m": 1.0}
    )
    found = mirrored(project, run)
    assert found.info.status == "RUNNING"
    assert found.data.metrics == {"m": 1.0}


def test_an_exported_bundle_is_logged_to_the_run_it_came_from(
    installed_plugins: StudioPlugins, project: Project, tmp_path: Path
) -> None:
    run = new_run(project)
    start(installed_plugins, project, run)
    bundle = tmp_path / "bundle-v1"
    bundle.mkdir()
    manifest = {"task": "classification", "lineage": {"run": {"id": run.id, "name": run.name}}}
    (bundle / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (bundle / "model.onnx").write_bytes(b"onnx")
    installed_plugins.notify(
        "studio_model_exported", project_path=project.path, bundle=bundle, manifest=manifest
    )
    found = mirrored(project, run)
    listed = client_for(project).list_artifacts(found.info.run_id, "bundles/bundle-v1")
    assert {Path(entry.path).name for entry in listed} == {"manifest.json", "model.onnx"}
    assert installed_plugins.infos()  # the plugin is still active: nothing failed
    assert all(not info.failed for info in installed_plugins.infos() if info.name == "mlflow")


def test_the_tracking_uri_comes_from_studio_then_mlflow_then_the_project(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    project_path = tmp_path / "birds.studio"
    default = TrackingStore.for_project(project_path)
    assert default.uri == f"sqlite:///{tmp_path / 'birds.studio.d' / 'mlflow.db'}"
    assert default.artifact_location == (tmp_path / "birds.studio.d" / "mlflow-artifacts").as_uri()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://mlflow.example:5000")
    assert TrackingStore.for_project(project_path) == TrackingStore("http://mlflow.example:5000")
    monkeypatch.setenv("STUDIO_MLFLOW_TRACKING_URI", "http://studio.example:5000")
    assert TrackingStore.for_project(project_path).uri == "http://studio.example:5000"


def test_nested_settings_become_dotted_parameters() -> None:
    settings = {"epochs": 3, "optimizer": {"name": "adamw", "betas": [0.9, 0.99]}, "note": "x"}
    assert dict(studio_mlflow.flatten(settings)) == {
        "epochs": "3",
        "optimizer.name": "adamw",
        "optimizer.betas": "[0.9, 0.99]",
        "note": "x",
    }


def test_the_plugin_imports_only_studios_public_api_and_mlflow_lazily() -> None:
    tree = ast.parse(Path(studio_mlflow.__file__).read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    studio_modules = {name for name in imported if name and name.split(".")[0] == "studio"}
    assert studio_modules
    assert all(name.startswith(("studio.api", "studio.plugins")) for name in studio_modules)
    top_level = {
        node.module for node in tree.body if isinstance(node, ast.ImportFrom) and node.module
    }
    assert not any(name.startswith("mlflow") for name in top_level)
    assert studio_mlflow.STUDIO_PLUGIN_API == 1
