"""`studio sam …` over a real project with the tiny random SAM and real workers.

The module shares one project (checkpoint chosen, images encoded) and one embedding cache,
since every worker imports torch (seconds each).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from studio.api import Project
from studio.api.sam import OFFICIAL_CHECKPOINTS
from studio.jobs.sam_encode_job import encode_project
from tests.cli_helpers import assert_user_error, run_cli
from tests.sam_projects import (  # noqa: F401  (module fixtures)
    CLASS,
    photo_project,
    shared_cache,
    tiny_checkpoint,
    use_shared_cache,
)

pytestmark = pytest.mark.usefixtures("isolated_plugins")


@pytest.fixture(scope="module")
def project_path(
    tmp_path_factory: pytest.TempPathFactory,
    shared_cache: Path,  # noqa: F811  (the imported fixture)
) -> Path:
    """The photographs' project, its checkpoint chosen and both images encoded (in this
    process, as the `sam-encode` worker does: torch is loaded here already)."""
    path = photo_project(tmp_path_factory.mktemp("photos"))
    checkpoint = tiny_checkpoint(tmp_path_factory.mktemp("checkpoint"))
    with Project.open(path) as project:
        project.set_sam_checkpoint(checkpoint)
    encode_project(path, checkpoint, emit=lambda _event: None)
    return path


@pytest.fixture
def empty_project(tmp_path: Path) -> Path:
    return photo_project(tmp_path / "no_checkpoint", ("coffee",))


def test_info_names_the_checkpoint_and_the_cached_embeddings(project_path: Path) -> None:
    result = run_cli("sam", "info", project_path)
    assert result.exit_code == 0, result.output
    assert "tiny_sam.pth" in result.stdout
    assert "custom (input 128 px)" in result.stdout
    assert "2 of 2 images cached" in result.stdout


def test_precompute_again_is_all_cache_hits(project_path: Path) -> None:
    result = run_cli("sam", "precompute", project_path)
    assert result.exit_code == 0, result.output
    assert "encoded 0, already cached 2, skipped 0" in result.stdout


def test_segment_prints_the_pending_suggestion(project_path: Path) -> None:
    result = run_cli("sam", "segment", project_path, "1", "--point", "40,30", "--mask")
    assert result.exit_code == 0, result.output
    assert f"mask {CLASS}" in result.stdout
    assert result.stdout.rstrip().endswith("pending")


def test_segment_accept_json_gives_the_accepted_shape_and_prompts(project_path: Path) -> None:
    result = run_cli(
        "sam", "segment", project_path, "2", "--point", "50,30", "--negative", "5,5",
        "--box", "10,10,60,40", "--accept", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (shape,) = json.loads(result.stdout)
    assert (shape["source"], shape["review"], shape["kind"]) == ("sam", "accepted", "polygon")
    assert shape["attributes"]["prompts"] == {
        "points": [[50.0, 30.0, 1], [5.0, 5.0, 0]],
        "box": [10.0, 10.0, 60.0, 40.0],
    }


def test_a_looser_tolerance_stores_a_polygon_of_fewer_points(project_path: Path) -> None:
    def stored_points(tolerance: str) -> int:
        result = run_cli(
            "sam", "segment", project_path, "1", "--point", "40,30", "--tolerance", tolerance,
            "--json",
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        (shape,) = json.loads(result.stdout)
        return sum(len(ring) for ring in shape["geometry"])

    assert stored_points("4") < stored_points("0.5")


def test_a_malformed_point_is_refused_in_one_line(project_path: Path) -> None:
    result = run_cli("sam", "segment", project_path, "1", "--point", "40")
    assert_user_error(result, "--point '40': expected X,Y")


def test_everything_fills_pending_suggestions(project_path: Path) -> None:
    with Project.open(project_path) as project:
        first = project.item_ids()[0]
        before = len(project.annotations(first))
    result = run_cli(
        "sam", "everything", project_path, "--limit", "1", "--points-per-side", "4",
        "--min-iou", "0", "--min-stability", "0",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    suggested = int(result.stdout.split()[0])
    assert f"{suggested} pending suggestions on 1 images (skipped 0)" in result.stdout
    with Project.open(project_path) as project:
        added = project.annotations(first)[before:]
    assert len(added) == suggested > 0
    assert {(shape.source, shape.review) for shape in added} == {("sam", "pending")}


def test_filters_that_match_nothing_start_no_worker(project_path: Path) -> None:
    result = run_cli("sam", "precompute", project_path, "--status", "done")
    assert_user_error(result, "no item matches the filters")


@pytest.mark.parametrize(
    "command",
    [
        ("info",),
        ("precompute",),
        ("everything",),
        ("segment", "1", "--point", "1,1"),
    ],
)
def test_without_a_checkpoint_each_command_says_where_to_get_one(
    empty_project: Path, command: tuple[str, ...]
) -> None:
    result = run_cli("sam", command[0], empty_project, *command[1:])
    assert_user_error(result, OFFICIAL_CHECKPOINTS, "ViT-B 375 MB")


def test_set_refuses_a_missing_file(empty_project: Path, tmp_path: Path) -> None:
    result = run_cli("sam", "set", empty_project, tmp_path / "nowhere.pth")
    assert_user_error(result, "nowhere.pth: no such checkpoint file")
    with Project.open(empty_project) as project:
        assert project.sam_checkpoint() is None
