"""The models service: the flat methods delegate to it, and `project.models()` still lists
the registered versions although `project.models` is the service."""

from __future__ import annotations

from pathlib import Path

from tests.core.test_error_analysis import build_classification
from tests.jobs.projects import finished_run


def test_the_models_service_and_the_flat_methods_agree(tmp_path: Path) -> None:
    with build_classification(tmp_path).project as project:
        flat = project.register_model(finished_run(project, "first").id, name="tags")
        served = project.models.register_model(finished_run(project, "second").id, name="tags")
        assert project.models() == project.models.__call__() == [flat, served]
        assert project.models.model("tags") == project.model("tags") == served
        assert project.models.lineage("tags:1") == project.lineage("tags:1")
        assert project.models.set_alias("tags", 1, "production") == project.model("tags:production")
