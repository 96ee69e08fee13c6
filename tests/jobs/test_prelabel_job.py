"""The `prelabel` job in this process with an exported bundle (no torch): a cancel between
batches keeps the batches done, an image that cannot be read is skipped and reported, and
the worker's command line carries the options."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from studio.api import Project
from studio.core.prelabels import PrelabelOptions
from studio.jobs.prelabel_job import bundle_predictions, prelabel_command, prelabel_project
from tests.prelabel_projects import BUNDLE, UNLABELED, trained_digits, unlabeled_ids


@pytest.fixture
def digits(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    return trained_digits(tmp_path_factory, tmp_path / "copy")


def suggested_items(path: Path) -> list[int]:
    with Project.open(path) as project:
        return [item for item in unlabeled_ids(project) if project.annotations(item)]


def test_a_cancel_between_batches_keeps_the_batches_done(digits: Path) -> None:
    cancel = threading.Event()
    seen: list[dict[str, Any]] = []

    def emit(event: dict[str, Any]) -> None:
        seen.append(event)
        if event["event"] == "progress":
            cancel.set()

    options = PrelabelOptions(str(digits.parent / BUNDLE), threshold=0.0, batch_size=5)
    summary = prelabel_project(digits, options, None, "tester", emit=emit, cancel=cancel)
    assert summary.cancelled
    assert (summary.items, summary.suggestions) == (5, 5)
    assert [event["event"] for event in seen] == ["prelabel", "progress"]
    assert len(suggested_items(digits)) == 5


def test_an_unreadable_image_is_skipped_and_the_others_pre_labeled(digits: Path) -> None:
    with Project.open(digits) as project:
        broken = unlabeled_ids(project)[0]
        broken_file = project.media_path(broken)
        broken_file.write_bytes(b"not a png")
    seen: list[dict[str, Any]] = []
    options = PrelabelOptions(str(digits.parent / BUNDLE), threshold=0.0)
    summary = prelabel_project(digits, options, None, "tester", emit=seen.append)
    assert (summary.items, summary.suggestions, summary.skipped) == (UNLABELED, UNLABELED - 1, 1)
    [skipped] = [event for event in seen if event["event"] == "skipped"]
    assert skipped["item_id"] == broken
    assert broken_file.name in skipped["error"]
    assert broken not in suggested_items(digits)


def test_the_command_line_carries_the_options() -> None:
    options = PrelabelOptions(
        "digits:2", threshold=0.5, class_mapping=(("7", "seven"),), include_labeled=True
    )
    argv = prelabel_command(Path("p.studio"), options, [3, 4], "ann")
    assert argv[3:] == [
        "prelabel", "p.studio", "digits:2", "--item", "3", "--item", "4", "--map", "7=seven",
        "--include-labeled", "--threshold", "0.5", "--device", "auto", "--batch-size", "16",
        "--author", "ann",
    ]  # fmt: skip


def test_a_bundles_results_become_predictions_for_every_task() -> None:
    box = {"class": "cat", "score": 0.7, "box": [1.0, 2.0, 3.0, 4.0]}
    mask = {**box, "mask": {"size": [4, 4], "counts": [0, 16]}}
    assert bundle_predictions(5, "classification", {"label": "7", "score": 0.9}) == [
        {"item_id": 5, "label": "7", "score": 0.9}
    ]
    assert bundle_predictions(
        5, "multilabel", {"labels": ["a"], "scores": {"a": 0.8, "b": 0.1}}
    ) == [
        {"item_id": 5, "label": "a", "score": 0.8},
        {"item_id": 5, "label": "b", "score": 0.1},
    ]
    assert bundle_predictions(5, "detection", {"detections": [box]}) == [
        {"item_id": 5, "label": "cat", "score": 0.7, "box": [1.0, 2.0, 3.0, 4.0]}
    ]
    assert bundle_predictions(5, "segmentation", {"detections": [mask]}) == [
        {"item_id": 5, "label": "cat", "score": 0.7, "mask": {"size": [4, 4], "counts": [0, 16]}}
    ]
