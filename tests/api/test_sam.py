"""Segment Anything from a script: the checkpoint choice, prompts → pending suggestions, and
the SAM assistant, with the tiny random SAM and real workers.

The workers import torch (seconds each), so the project with its checkpoint chosen and the
embedding cache are shared by the module, and the tests prompt its first image: one
`sam-inspect` and one `sam-encode` (run by the first `segment`) in all. The worker's refusal
of a file that is no checkpoint is tested in tests/jobs/test_sam_everything_job.py.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.api import Project
from studio.api.sam import OFFICIAL_CHECKPOINTS, SAM_CHECKPOINT_SETTING
from studio.core.object_store import file_sha256
from studio.core.prompts import PromptError
from studio.ml.sam.errors import SamError
from tests.sam_projects import (  # noqa: F401  (module fixtures)
    CLASS,
    photo_project,
    shared_cache,
    tiny_checkpoint,
    use_shared_cache,
)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("checkpoint"))


@pytest.fixture(scope="module")
def project_path(
    tmp_path_factory: pytest.TempPathFactory,
    checkpoint: Path,
    shared_cache: Path,  # noqa: F811
) -> Path:
    """The photographs' project with the tiny checkpoint chosen (one `sam-inspect` worker)."""
    path = photo_project(tmp_path_factory.mktemp("photos"))
    with Project.open(path) as project:
        project.set_sam_checkpoint(checkpoint)
    return path


@pytest.fixture
def project(project_path: Path) -> Iterator[Project]:
    with Project.open(project_path) as opened:
        yield opened


def test_chosen_checkpoint_is_recorded_with_its_sha256_and_type(
    project: Project, checkpoint: Path
) -> None:
    choice = project.sam_checkpoint()
    assert choice is not None
    assert (choice.path, choice.sha256) == (checkpoint.resolve(), file_sha256(checkpoint))
    assert (choice.model_type, choice.input_size, choice.problem) == ("custom", 128, "")


def test_a_changed_or_missing_checkpoint_file_is_reported(
    project: Project, checkpoint: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.pth"
    shutil.copyfile(checkpoint, copy)
    recorded = {**project.setting(SAM_CHECKPOINT_SETTING), "path": str(copy)}
    with Project.create(tmp_path / "other.studio") as other:
        other.set_setting(SAM_CHECKPOINT_SETTING, recorded)
        assert other.sam_checkpoint().problem == ""  # a copy with the same bytes is fine
        with copy.open("ab") as stream:
            stream.write(b"\0")
        assert "changed since it was chosen" in other.sam_checkpoint().problem
        copy.unlink()
        assert "copy.pth: the project's SAM checkpoint is gone" in other.sam_checkpoint().problem


def test_a_missing_file_is_refused_and_nothing_recorded(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p.studio") as project:
        with pytest.raises(SamError, match=r"nowhere\.pth: no such checkpoint file"):
            project.set_sam_checkpoint(tmp_path / "nowhere.pth")
        assert project.sam_checkpoint() is None


def test_a_file_torch_did_not_save_is_refused_without_a_worker(tmp_path: Path) -> None:
    not_torch = tmp_path / "notes.pth"
    not_torch.write_text("not a checkpoint")
    with Project.create(tmp_path / "p.studio") as project:
        with pytest.raises(SamError, match=r"notes\.pth is not a Segment Anything checkpoint"):
            project.set_sam_checkpoint(not_torch)
        assert project.sam_checkpoint() is None


def test_without_a_checkpoint_segment_says_where_checkpoints_come_from(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p.studio") as project, pytest.raises(SamError) as refused:
        project.segment(1, points=[(1, 1)])
    message = str(refused.value)
    assert OFFICIAL_CHECKPOINTS in message
    assert "ViT-B 375 MB" in message
    assert "\n" not in message


def test_segment_stores_a_pending_sam_polygon_with_its_prompts(project: Project) -> None:
    item = project.item_ids()[0]
    (suggestion,) = project.segment(item, points=[(40, 30), (10, 10, 0)])
    (shape,) = [record for record in project.annotations(item) if record.id == suggestion]
    assert (shape.source, shape.review, shape.kind, shape.label) == (
        "sam",
        "pending",
        "polygon",
        CLASS,
    )
    assert shape.attributes == {"prompts": {"points": [[40, 30, 1], [10, 10, 0]], "box": None}}
    assert 0.0 <= shape.score <= 1.0


def test_an_accepted_sam_shape_counts_in_a_version(project: Project) -> None:
    item = project.item_ids()[0]
    kept = project.segment(item, box=[5, 5, 40, 30], shape="mask")
    dropped = project.segment(item, points=[(20, 20)], multimask_index=2)
    project.accept_suggestions(kept)
    project.set_status(item, "done")
    version = project.create_version()
    (held,) = [entry for entry in project.version_items(version.id) if entry.item_id == item]
    assert [annotation["id"] for annotation in held.annotations] == kept
    assert dropped[0] not in [annotation["id"] for annotation in held.annotations]


def test_a_point_outside_the_image_changes_nothing(project: Project) -> None:
    item = project.item_ids()[0]
    before = project.annotations(item)
    with pytest.raises(PromptError, match=r"\.png: point \(500, 1\) lies outside the 96×64"):
        project.segment(item, points=[(500, 1)])
    assert project.annotations(item) == before


def test_sam_is_an_assistant_answering_like_the_wand(project: Project) -> None:
    assert "sam" in [spec.name for spec in project.assistants()]
    item = project.item_ids()[0]
    (answer,) = project.answer("sam", item, points=[(40, 30)], shape="polygon")
    assert (answer["source"], answer["item_id"]) == ("sam", item)
    assert answer["polygon"]
    assert answer["attributes"]["prompts"]["points"] == [[40, 30, 1]]
