"""`Project.register_model`, `models`, `model`, aliases, `lineage` and `export_model`."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.api import ExportError, ModelRegistryError, ModelVersionRecord, Project, RunError
from tests.jobs.projects import TINY_CLASSIFIER, copy_of, digits_project, finished_run


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    opened = Project.open(digits_project(tmp_path, 20), author="tester")
    yield opened
    opened.close()


def test_register_numbers_versions_and_keeps_the_run_figures(project: Project) -> None:
    first = finished_run(project, "first", accuracy=0.75)
    second = finished_run(project, "second")
    registered = project.register_model("first", notes="baseline")
    assert isinstance(registered, ModelVersionRecord)
    assert registered.ref == "classification-resnet18:1"
    assert registered.run_id == first.id
    assert registered.metrics["accuracy"] == 0.75
    assert registered.author == "tester"
    assert registered.notes == "baseline"
    named = [
        project.register_model(project.run(second.id), name="digits"),
        project.register_model("first", name="digits"),
    ]
    assert [record.ref for record in named] == ["digits:1", "digits:2"]
    assert [record.ref for record in project.models()] == [
        "classification-resnet18:1",
        "digits:1",
        "digits:2",
    ]
    assert [record.ref for record in project.models("digits")] == ["digits:1", "digits:2"]
    assert project.model_names() == ["classification-resnet18", "digits"]
    assert project.model("digits").ref == "digits:2"
    assert project.model("digits:v1").run_id == second.id


def test_only_a_finished_run_can_be_registered(project: Project) -> None:
    queued = project.new_run(task="classification", name="queued", **TINY_CLASSIFIER)
    with pytest.raises(ModelRegistryError, match="queued"):
        project.register_model(queued.id)
    with pytest.raises(ModelRegistryError, match="no such run"):
        project.register_model("nobody")
    finished_run(project, "done")
    with pytest.raises(ModelRegistryError, match="not a valid model name"):
        project.register_model("done", name="bad name")


def test_aliases_move_and_resolve(project: Project) -> None:
    finished_run(project, "a")
    finished_run(project, "b")
    project.register_model("a", name="digits")
    project.register_model("b", name="digits")
    assert project.set_alias("digits", 1, "production").aliases == ("production",)
    assert project.model("digits:production").version == 1
    project.set_alias("digits", 2, "production")
    assert project.model("digits:production").version == 2
    assert project.model("digits:1").aliases == ()
    project.remove_alias("digits", "production")
    with pytest.raises(ModelRegistryError, match="production"):
        project.model("digits:production")
    with pytest.raises(ModelRegistryError, match="cannot be an alias"):
        project.set_alias("digits", 1, "latest")
    project.delete_model_version("digits", 2)
    assert [record.ref for record in project.models()] == ["digits:1"]


def test_lineage_names_the_run_the_data_and_the_items(project: Project) -> None:
    run = finished_run(project, "traced")
    project.register_model("traced", name="digits")
    project.set_alias("digits", 1, "production")
    found = project.lineage("digits:production")
    assert found["model_version"]["ref"] == "digits:1"
    assert found["model_version"]["checkpoint_unchanged"] is True
    assert found["run"]["id"] == run.id
    assert found["dataset_version"]["name"] == "v1"
    assert found["dataset_version"]["content_hash"] == project.version("v1").content_hash
    all_ids = sorted(item for ids in found["items"].values() for item in ids)
    assert all_ids == sorted(item.id for item in project.items())


def test_export_command_is_the_workers_argv(project: Project, tmp_path: Path) -> None:
    argv = project.export_command(
        "digits:production", tmp_path / "out", zip=True, nms="manifest", dynamic_batch=False
    )
    assert argv[:4] == [sys.executable, "-m", "studio.jobs.worker", "export"]
    assert argv[4:7] == [str(project.path), "digits:production", str(tmp_path / "out")]
    assert {"--zip", "--static-batch"} <= set(argv)
    assert argv[argv.index("--nms") + 1] == "manifest"
    assert "--int8" not in argv
    assert "--overwrite" not in argv


def test_export_of_an_unknown_source_fails_before_any_worker(
    project: Project, tmp_path: Path
) -> None:
    out = tmp_path / "bundle"
    with pytest.raises(ModelRegistryError, match="unknown model 'digits'"):
        project.export_model("digits:production", out)
    with pytest.raises(RunError, match="no run with id 42"):
        project.export_model(42, out)
    with pytest.raises(ExportError, match="neither a run"):
        project.export_model("nothing-here", out)
    assert not out.exists()


def test_a_name_of_both_a_run_and_a_model_is_not_guessed(project: Project, tmp_path: Path) -> None:
    finished_run(project, "digits")
    project.register_model("digits", name="digits")
    with pytest.raises(ExportError, match="both a run and a registered model"):
        project.export_model("digits", tmp_path / "out")


@pytest.mark.slow
def test_export_model_runs_the_worker_and_refuses_a_full_folder(
    registered_digits: Path, tmp_path: Path
) -> None:
    with Project.open(copy_of(registered_digits, tmp_path), author="tester") as project:
        run = project.run("tiny")
        seen: list[str] = []
        out = tmp_path / "bundle"
        exported = project.export_model(
            "digits:production", out, on_event=lambda event: seen.append(event["event"])
        )
        assert seen[-1] == "exported"
        assert exported["folder"] == str(out.resolve())
        assert exported["zip"] is None
        assert exported["parity"]["passed"] is True
        assert exported["source"] == {
            "kind": "model",
            "ref": "digits:1",
            "run_id": run.id,
            "run": run.name,
        }
        assert (out / "manifest.json").is_file()
        before = sorted(path.name for path in out.iterdir())
        with pytest.raises(ExportError, match=str(out.name)):
            project.export_model(run.name, out)
        assert sorted(path.name for path in out.iterdir()) == before
