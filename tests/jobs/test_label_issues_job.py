"""The `label-issues` job in this process: what it reads, skips, stores, and how it stops."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from benchmarks.flipped_digits import FlippedDigits, flipped_digits_project
from studio.api import Project
from studio.jobs.label_issues_job import find_label_issues
from studio.ml.label_quality import LabelQualityOptions

THREE_FOLDS = LabelQualityOptions(folds=3)


@pytest.fixture
def digits(tmp_path: Path) -> FlippedDigits:
    return flipped_digits_project(tmp_path, count=120)


def test_an_unreadable_image_is_skipped_and_named(digits: FlippedDigits) -> None:
    with Project.open(digits.path) as project:
        broken = project.items(limit=1)[0]
        project.media_path(broken).write_bytes(b"not an image")
    events: list[dict[str, Any]] = []
    summary = find_label_issues(digits.path, THREE_FOLDS, emit=events.append)
    (skipped,) = [event for event in events if event["event"] == "skipped"]
    assert skipped["item_id"] == broken.id
    assert Path(broken.path).name in skipped["error"]
    assert summary.items == 119
    with Project.open(digits.path) as project:
        assert broken.id not in {issue.item_id for issue in project.label_issues()}
        assert len(project.label_issues()) == summary.issues


def test_progress_counts_images_then_folds(digits: FlippedDigits) -> None:
    events: list[dict[str, Any]] = []
    find_label_issues(digits.path, THREE_FOLDS, emit=events.append)
    stages = [(e["stage"], e["done"]) for e in events if e["event"] == "progress"]
    assert stages == [("images", 100), ("images", 120), ("folds", 1), ("folds", 2), ("folds", 3)]


def test_a_cancelled_search_stores_nothing(digits: FlippedDigits) -> None:
    cancel = threading.Event()
    cancel.set()
    summary = find_label_issues(digits.path, THREE_FOLDS, emit=lambda event: None, cancel=cancel)
    assert summary.cancelled
    with Project.open(digits.path) as project:
        assert project.label_issues() == []
