"""The experiments service: the flat methods delegate to it, and a `Run` reads its project
through the context it was given, never through the `Project` object."""

from __future__ import annotations

from pathlib import Path

from studio.api import Project, Run
from tests.core.test_error_analysis import build_classification


def test_the_experiments_service_and_the_flat_methods_agree(tmp_path: Path) -> None:
    built = build_classification(tmp_path)
    with built.project as project:
        assert project.experiments.versions() == project.versions()
        assert project.experiments.run(built.run_id) == project.run(built.run_id)
        assert project.experiments.run_records() == project.run_records()
        assert project.experiments.preview_split() == project.preview_split()


def test_a_run_needs_only_the_context(tmp_path: Path) -> None:
    built = build_classification(tmp_path)
    built.project.close()
    with Project.open(tmp_path / "tags.studio") as project:
        run = Run(project.context, built.run_id)
        assert run == project.run(built.run_id)
        assert (run.status, run.task, run.version.name) == ("queued", "classification", "v1")
        assert run.folder == project.store_dir / "runs" / f"{built.run_id:06d}"
        assert run.evaluation("test").id == built.evaluation_id
        assert len(run.predictions("test", built.ids[0])) == 3
        assert run.metrics() == {}
        run.cancel()
        assert run.status == "cancelled"
