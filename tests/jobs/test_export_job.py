"""The export worker: `python -m studio.jobs.worker export PROJECT SOURCE OUT [options]`."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.api import ExportError, ModelRegistryError, ModelVersionRecord, Project, RunError
from studio.core.database import Database
from studio.core.errors import ReadOnlyProjectError
from studio.core.export_options import ExportOptions
from studio.jobs.events import parse_event
from studio.jobs.export_job import export_command, export_from, resolve_source
from studio.jobs.launcher import WorkerJob, worker_environment
from studio.jobs.worker import parse_arguments
from tests.jobs.projects import copy_of, digits_project, finished_run


def run_worker(*args: str | Path) -> tuple[int, list[dict]]:
    """Run an export worker; its exit status and events (every stdout line must be one)."""
    argv = [sys.executable, "-m", "studio.jobs.worker", "export", *map(str, args)]
    result = subprocess.run(
        argv, capture_output=True, text=True, env=worker_environment(), timeout=300
    )
    events = [parse_event(line) for line in result.stdout.splitlines()]
    assert all(event is not None for event in events), result.stdout
    return result.returncode, events


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    opened = Project.open(digits_project(tmp_path, 20), author="tester")
    yield opened
    opened.close()


def test_sources_are_runs_by_id_or_name_and_models_by_reference(project: Project) -> None:
    first = finished_run(project, "first")
    finished_run(project, "second")
    project.register_model("second", name="digits")
    project.set_alias("digits", 1, "production")
    with project.context.database.read() as connection:
        assert resolve_source(connection, str(first.id)).id == first.id
        assert resolve_source(connection, "first").id == first.id
        by_alias = resolve_source(connection, "digits:production")
        assert isinstance(by_alias, ModelVersionRecord)
        assert by_alias.ref == "digits:1"
        assert resolve_source(connection, "digits").ref == "digits:1"
        with pytest.raises(RunError, match="no run with id 99"):
            resolve_source(connection, "99")
        with pytest.raises(ModelRegistryError, match="no version or alias 'staging'"):
            resolve_source(connection, "digits:staging")
        with pytest.raises(ExportError, match="neither a run"):
            resolve_source(connection, "third")


def test_a_name_of_a_run_and_a_model_is_refused(project: Project) -> None:
    run = finished_run(project, "digits")
    project.register_model("digits", name="digits")
    with (
        project.context.database.read() as connection,
        pytest.raises(ExportError, match=f"run id {run.id}"),
    ):
        resolve_source(connection, "digits")


def test_the_worker_command_line_carries_every_export_option(tmp_path: Path) -> None:
    options = ExportOptions(
        target="torchscript",
        checkpoint="last.pt",
        zip=True,
        int8=True,
        nms="manifest",
        dynamic_batch=False,
        opset=13,
        parity_images=3,
        overwrite=True,
    )
    argv = export_command(tmp_path / "p.studio", "digits:production", tmp_path / "out", options)
    arguments = parse_arguments(argv[3:])
    assert arguments.action == "export"
    assert (arguments.project, arguments.source, arguments.out) == (
        tmp_path / "p.studio",
        "digits:production",
        tmp_path / "out",
    )
    assert ExportOptions.from_arguments(arguments) == options
    defaults = parse_arguments(export_command(tmp_path / "p.studio", "3", tmp_path / "o")[3:])
    assert ExportOptions.from_arguments(defaults) == ExportOptions()


def test_a_read_only_project_refuses_an_export_before_writing_anything(
    project: Project, tmp_path: Path
) -> None:
    run = finished_run(project, "first")
    read_only = Database(project.path, read_only_reason="the file is read-only")
    out = tmp_path / "bundle"
    try:
        with pytest.raises(ReadOnlyProjectError, match="open read-only"):
            export_from(read_only, project.path, run.name, out, ExportOptions(), print)
    finally:
        read_only.close()
    assert not out.exists()


def test_a_failed_export_prints_a_failed_event_and_writes_nothing(project: Project) -> None:
    run = finished_run(project, "broken")  # its best.pt holds no weights
    out = project.root / "bundle"
    code, events = run_worker(project.path, run.name, out)
    assert code == 1
    assert events[-1]["event"] == "failed"
    assert "best.pt" in events[-1]["error"]
    assert not out.exists()
    code, events = run_worker(project.path, "nobody:production", out)
    assert code == 1
    assert "nobody" in events[-1]["error"]


@pytest.fixture(scope="module")
def trained(registered_digits: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with a finished tiny digits classifier "tiny", registered as digits:1."""
    return copy_of(registered_digits, tmp_path_factory.mktemp("trained"))


@pytest.mark.slow
def test_the_worker_exports_a_model_version_with_a_zip(trained: Path) -> None:
    out = trained.parent / "production"
    code, events = run_worker(trained, "digits:production", out, "--zip")
    assert code == 0, events
    assert events[0]["event"] == "export"
    assert events[0]["ref"] == "digits:1"
    exported = events[-1]
    assert exported["event"] == "exported"
    assert exported["folder"] == str(out.resolve())
    assert exported["zip"] == str(out.resolve()) + ".zip"
    assert Path(exported["zip"]).is_file()
    assert exported["parity"]["passed"] is True
    assert exported["task"] == "classification"
    assert exported["classes"] == 10
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["lineage"]["model_version"] == {"name": "digits", "version": 1}
    assert manifest["lineage"]["run"]["name"] == "tiny"
    with Project.open(trained) as opened:
        kinds = [artifact.kind for artifact in opened.run("tiny").artifacts()]
    assert "bundle" in kinds


@pytest.mark.slow
def test_the_worker_refuses_a_full_folder_unless_told_to_overwrite(trained: Path) -> None:
    out = trained.parent / "full"
    out.mkdir()
    (out / "keep.txt").write_text("mine", encoding="utf-8")
    code, events = run_worker(trained, "tiny", out)
    assert code == 1
    assert events[-1]["event"] == "failed"
    assert "full" in events[-1]["error"]
    assert [path.name for path in out.iterdir()] == ["keep.txt"]
    code, events = run_worker(trained, "tiny", out, "--overwrite", "--static-batch")
    assert code == 0, events
    assert events[-1]["source"] == {"kind": "run", "ref": "tiny", "run_id": 1, "run": "tiny"}
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["model"]["dynamic_batch"] is False
    assert manifest["lineage"]["model_version"] is None


@pytest.mark.slow
def test_sigterm_abandons_an_export_and_leaves_nothing(trained: Path) -> None:
    folder = trained.parent / "cancelled"
    folder.mkdir()
    job = WorkerJob.start(trained, export_command(trained, "tiny", folder / "bundle")[3:])
    for event in job.events():
        if event["event"] == "export":
            job.cancel()
            break
    assert job.wait(120) == 3
    assert list(folder.iterdir()) == []
