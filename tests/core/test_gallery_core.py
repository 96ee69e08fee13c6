"""Core functions behind the gallery: thumbnail badges and clearing the annotations of items."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.api import InvalidEditError, Project
from studio.core import queries
from studio.core.annotations import delete_annotations_of_items
from studio.core.edits import user_edit


@pytest.fixture
def labeled(project: Project, image_folder: Path) -> tuple[Project, list[int]]:
    """Six items: item 0 has two cats and a dog tag, item 1 a bird, item 2 a dog box."""
    project.add_classes(["cat", "dog", "bird"])
    ids = project.import_media([image_folder]).added
    project.add_annotations(
        [
            {"item_id": ids[0], "label": "cat", "box": [1, 1, 4, 4]},
            {"item_id": ids[0], "label": "cat", "polygon": [(0, 0), (5, 0), (5, 5)]},
            {"item_id": ids[0], "label": "dog"},
            {"item_id": ids[1], "label": "bird", "box": [2, 2, 3, 3], "source": "model"},
            {"item_id": ids[2], "label": "dog", "box": [3, 3, 2, 2]},
        ]
    )
    return project, ids


def _badges(project: Project, ids: list[int]) -> dict[int, tuple[int, list[int]]]:
    with project.context.database.read() as connection:
        return queries.item_badges(connection, ids)


def test_badges_count_annotations_and_list_classes_once(
    labeled: tuple[Project, list[int]],
) -> None:
    project, ids = labeled
    class_id = {record.name: record.id for record in project.classes()}

    badges = _badges(project, [ids[2], ids[0], ids[1], ids[3], 999_999])

    assert badges == {
        ids[0]: (3, sorted([class_id["cat"], class_id["dog"]])),
        ids[1]: (1, [class_id["bird"]]),
        ids[2]: (1, [class_id["dog"]]),
        ids[3]: (0, []),
        999_999: (0, []),
    }


def test_badges_of_more_ids_than_one_statement_holds(labeled: tuple[Project, list[int]]) -> None:
    project, ids = labeled
    asked = [*range(100_000, 100_000 + queries.BADGE_CHUNK * 2), ids[0]]  # in a third statement

    badges = _badges(project, asked)

    assert len(badges) == len(asked)
    assert badges[ids[0]][0] == 3
    assert sum(count for count, _ in badges.values()) == 3


def test_clearing_the_annotations_of_items_is_one_undo_step(
    labeled: tuple[Project, list[int]],
) -> None:
    project, ids = labeled
    before = {item_id: project.annotations(item_id) for item_id in ids}
    statuses = [item.status for item in project.items_by_ids(ids)]

    with user_edit(project.context.database, "clear", "tester") as edit:
        deleted = delete_annotations_of_items(edit, [ids[0], ids[1], ids[0], ids[4]])

    assert deleted == 4
    assert project.annotations(ids[0]) == project.annotations(ids[1]) == []
    assert project.annotations(ids[2]) == before[ids[2]]
    assert [item.status for item in project.items_by_ids(ids)] == statuses
    project.undo()
    assert {item_id: project.annotations(item_id) for item_id in ids} == before


def test_an_unknown_item_refuses_the_whole_clearing(labeled: tuple[Project, list[int]]) -> None:
    project, ids = labeled
    count = len(project.annotations(ids[0]))

    with (
        pytest.raises(InvalidEditError, match=r"unknown item ids: \[424242\]"),
        user_edit(project.context.database, "clear", "tester") as edit,
    ):
        delete_annotations_of_items(edit, [ids[0], 424242])

    assert len(project.annotations(ids[0])) == count
