"""Counted nouns and the descriptions of edits: class and file names, never ids."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.api import Project
from studio.core.wording import counted, plural


@pytest.mark.parametrize(
    ("count", "noun", "expected"),
    [
        (0, "image", "0 images"),
        (1, "image", "1 image"),
        (2_000, "image", "2,000 images"),
        (3, "box", "3 boxes"),
        (2, "class", "2 classes"),
        (1, "class", "1 class"),
        (4, "category", "4 categories"),
        (2, "key", "2 keys"),
        (2, "image file", "2 image files"),
    ],
)
def test_counted_uses_the_singular_for_one_and_the_right_plural_otherwise(
    count: int, noun: str, expected: str
) -> None:
    assert counted(count, noun) == expected


def test_plural_of_a_phrase_changes_its_last_word() -> None:
    assert plural("suspected label error") == "suspected label errors"


@pytest.fixture
def labeled(project: Project, image_folder: Path) -> tuple[Project, list[int]]:
    project.add_classes(["cat", "dog"])
    project.import_media([image_folder])
    return project, project.item_ids()


def undone(project: Project) -> str:
    return project.undo().description


def test_a_drawn_box_is_described_by_its_class_and_image(
    labeled: tuple[Project, list[int]],
) -> None:
    project, ids = labeled
    dog = next(c.id for c in project.classes() if c.name == "dog")
    project.annotate(ids[1], dog, box=[1, 2, 3, 4])  # the canvas passes the class id
    assert undone(project) == "Add box (dog) on image_0001.jpg"


def test_a_status_change_of_one_image_names_it_and_of_several_counts_them(
    labeled: tuple[Project, list[int]],
) -> None:
    project, ids = labeled
    project.set_status(ids[0], "done")
    assert undone(project) == "Mark image_0000.jpg done"
    project.set_status(ids[:3], "in_progress")
    assert undone(project) == "Mark 3 images in progress"


def test_changing_and_deleting_shapes_name_their_class_and_image(
    labeled: tuple[Project, list[int]],
) -> None:
    project, ids = labeled
    box = project.annotate(ids[2], "cat", box=[1, 2, 3, 4])
    project.update_annotation(box, geometry=[2, 2, 3, 4])
    assert undone(project) == "Change box (cat) on image_0002.jpg"
    other = project.annotate(ids[3], "dog", box=[1, 2, 3, 4])
    project.delete_annotations([box, other])
    assert undone(project) == "Delete 2 shapes on 2 images"
    project.delete_annotation(box)
    assert undone(project) == "Delete box (cat) on image_0002.jpg"


def test_an_image_tag_and_a_new_class_read_as_words(
    labeled: tuple[Project, list[int]],
) -> None:
    project, ids = labeled
    project.annotate(ids[0], "cat")
    assert undone(project) == "Add tag cat on image_0000.jpg"
    project.add_classes(["bird"])
    assert undone(project) == "Add class bird"
