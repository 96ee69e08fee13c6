"""A searched project of boxes and tags for the label-error tests of boxes: the synthetic shapes
of `benchmarks.swapped_boxes` (120 images, 5 % of the boxes with a swapped class), each image
also tagged with its most frequent true shape, searched once through the API with 3 folds (a
`label-issues` worker judging both kinds in one search).

One session builds it once (the session fixture `searched_boxes`; a test module imports
`shared_searched_boxes`) and every test that changes it works on a copy (`copy_of_boxes`)."""

from __future__ import annotations

import shutil
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from benchmarks.swapped_boxes import SwappedBoxes, swapped_boxes_project
from studio.api import Project
from studio.ml.label_quality import LabelQualityOptions

THREE_FOLDS = LabelQualityOptions(folds=3)
_BUILT: list[SwappedBoxes] = []


def searched_box_project(folder: Path) -> SwappedBoxes:
    boxes = swapped_boxes_project(folder)
    shapes: dict[int, Counter[str]] = {}
    for annotation_id, label in boxes.truth.items():
        shapes.setdefault(boxes.item_of[annotation_id], Counter())[label] += 1
    with Project.open(boxes.path, author="tester") as project:
        project.add_annotations(
            {"item_id": item_id, "label": counts.most_common(1)[0][0]}
            for item_id, counts in shapes.items()
        )
        project.find_label_issues(THREE_FOLDS)
    return boxes


@pytest.fixture(scope="session", name="searched_boxes")
def shared_searched_boxes(tmp_path_factory: pytest.TempPathFactory) -> SwappedBoxes:
    """The searched project, built once per session: use `copy_of_boxes` before changing it."""
    if not _BUILT:
        _BUILT.append(searched_box_project(tmp_path_factory.mktemp("box-label-issues")))
    return _BUILT[0]


def copy_of_boxes(boxes: SwappedBoxes, folder: Path) -> SwappedBoxes:
    """A copy of the project file in `folder`'s name beside it (its images stay shared)."""
    path = boxes.path.with_name(f"{folder.name}.studio")
    shutil.copyfile(boxes.path, path)
    return replace(boxes, path=path)
