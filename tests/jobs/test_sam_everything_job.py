"""Segment everything over a real project with the tiny random SAM, and reading a checkpoint
with `sam-inspect`, in this process (as the worker does)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from studio.api import Project
from studio.core.errors import StudioError
from studio.core.object_store import file_sha256
from studio.jobs import worker
from studio.jobs.events import parse_event
from studio.jobs.sam_everything_job import (
    EverythingOptions,
    sam_everything_command,
    segment_everything,
)
from tests.sam_projects import CLASS, photo_project, tiny_checkpoint

# Random weights predict low IoUs: keep every mask, on a 4 × 4 grid of prompts.
KEEP_ALL = EverythingOptions(CLASS, points_per_side=4, min_iou=0.0, min_stability=0.0)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("sam"))


@pytest.fixture
def project_path(tmp_path: Path) -> Path:
    return photo_project(tmp_path / "photos")


def test_masks_become_pending_sam_suggestions_with_iou_and_prompt(
    project_path: Path, checkpoint: Path
) -> None:
    summary = segment_everything(project_path, checkpoint, KEEP_ALL, emit=lambda _event: None)
    assert summary.images == 2
    assert not summary.cancelled
    with Project.open(project_path) as project:
        shapes = [shape for item in project.item_ids() for shape in project.annotations(item)]
    assert len(shapes) == summary.suggestions > 0
    assert {(shape.source, shape.review, shape.kind) for shape in shapes} == {
        ("sam", "pending", "mask")
    }
    assert all(0.0 <= shape.score <= 1.0 for shape in shapes)
    (x, y, positive) = shapes[0].attributes["prompts"]["points"][0]
    assert 0 <= x < 96
    assert 0 <= y < 96
    assert positive == 1


def test_each_image_is_one_undo_step(project_path: Path, checkpoint: Path) -> None:
    segment_everything(project_path, checkpoint, KEEP_ALL, emit=lambda _event: None)
    with Project.open(project_path) as project:
        first, second = project.item_ids()
        project.undo()
        assert project.annotations(second) == []
        assert project.annotations(first) != []


def test_cancel_keeps_the_images_already_done(project_path: Path, checkpoint: Path) -> None:
    cancel = threading.Event()

    def cancel_after_first_image(event: dict) -> None:
        if event["event"] == "progress":
            cancel.set()

    summary = segment_everything(
        project_path, checkpoint, KEEP_ALL, emit=cancel_after_first_image, cancel=cancel
    )
    assert summary.cancelled
    assert summary.images == 1
    with Project.open(project_path) as project:
        first, second = project.item_ids()
        assert project.annotations(first) != []
        assert project.annotations(second) == []


def test_unknown_class_refuses_the_first_image_and_stores_nothing(
    project_path: Path, checkpoint: Path
) -> None:
    options = EverythingOptions("no-such-class", 2, 0.0, 0.0)
    with pytest.raises(StudioError, match="unknown class 'no-such-class'"):
        segment_everything(project_path, checkpoint, options, emit=lambda _event: None)
    with Project.open(project_path) as project:
        assert all(project.annotations(item) == [] for item in project.item_ids())


def test_command_parses_as_the_workers_sam_everything(project_path: Path, checkpoint: Path) -> None:
    options = EverythingOptions(CLASS, 8, 0.5, 0.75, "cpu", "ada")
    arguments = worker.parse_arguments(
        sam_everything_command(project_path, checkpoint, options, [2])[3:]
    )
    assert (arguments.action, arguments.project, arguments.label) == (
        "sam-everything",
        project_path,
        CLASS,
    )
    assert (arguments.item, arguments.points_per_side, arguments.min_iou) == ([2], 8, 0.5)
    assert (arguments.min_stability, arguments.device, arguments.author) == (0.75, "cpu", "ada")


def inspect(checkpoint: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict]]:
    code = worker.main([worker.SAM_INSPECT_ACTION, str(checkpoint)])
    lines = capsys.readouterr().out.splitlines()
    return code, [event for line in lines if (event := parse_event(line))]


def test_inspect_reports_the_checkpoints_type_and_sha256(
    checkpoint: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, (event,) = inspect(checkpoint, capsys)
    assert code == worker.EXIT_FINISHED
    assert (event["event"], event["sha256"]) == ("checkpoint", file_sha256(checkpoint))
    assert (event["model_type"], event["input_size"]) == ("custom", 128)


def test_inspect_refuses_a_file_that_is_no_checkpoint_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = tmp_path / "notes.pth"
    notes.write_text("not a checkpoint")
    code, (event,) = inspect(notes, capsys)
    assert code == worker.EXIT_FAILED
    assert event["event"] == "failed"
    assert "notes.pth" in event["error"]
    assert "\n" not in event["error"]
