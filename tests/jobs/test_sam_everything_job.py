"""Segment everything over a real project with the tiny random SAM, in this process."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from studio.api import Project
from studio.core.errors import StudioError
from studio.jobs import worker
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
