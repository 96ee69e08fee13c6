"""`studio prelabel` and `studio suggestions accept` on the trained digits, with the exported
bundle (a worker without torch): the unlabeled items get suggestions, the threshold accepts
those a model is sure of, and a model whose classes the project lacks is one line naming them."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.api import Project
from tests.cli_helpers import assert_user_error, run_cli
from tests.prelabel_projects import BUNDLE, UNLABELED, trained_digits, unlabeled_ids


@pytest.fixture
def digits(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    return trained_digits(tmp_path_factory, tmp_path / "copy")


def test_prelabel_then_accept_the_suggestions_above_a_threshold(digits: Path) -> None:
    bundle = digits.parent / BUNDLE
    result = run_cli("prelabel", digits, bundle, "--threshold", "0")
    assert result.exit_code == 0, result.output
    assert f"bundle digits:1 suggested {UNLABELED} shapes on {UNLABELED} items" in result.stdout
    with Project.open(digits) as project:
        shapes = [shape for item in unlabeled_ids(project) for shape in project.annotations(item)]
    top = max(shapes, key=lambda shape: shape.score)
    result = run_cli(
        "suggestions", "accept", digits, "--above", str(top.score), "--class", top.label
    )
    assert result.exit_code == 0, result.output
    assert "accepted 1 suggestions" in result.stdout
    with Project.open(digits) as project:
        [accepted] = [
            shape
            for item in unlabeled_ids(project)
            for shape in project.annotations(item)
            if shape.review == "accepted"
        ]
    assert accepted.id == top.id


def test_a_model_class_the_project_lacks_is_refused_until_mapped(digits: Path) -> None:
    with Project.open(digits) as project:
        project.update_class("3", name="three")
    bundle = digits.parent / BUNDLE
    result = run_cli("prelabel", digits, bundle)
    assert_user_error(result, "'3'", "--map 3=CLASS")
    result = run_cli("prelabel", digits, bundle, "--map", "3=three", "--threshold", "0")
    assert result.exit_code == 0, result.output
    result = run_cli("prelabel", digits, bundle, "--map", "3")
    assert_user_error(result, "--map '3': write MODEL_CLASS=PROJECT_CLASS")
    result = run_cli("prelabel", digits, digits.parent / "nowhere.zip")
    assert_user_error(result, "nowhere.zip' is neither a run", "nor a bundle")
