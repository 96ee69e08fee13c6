"""The undo log: unlimited undo/redo kept in the project file."""

from __future__ import annotations

import json
import shutil
import sqlite3
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from studio.api import AnnotationRecord, Project
from studio.core.edits import user_edit
from studio.core.errors import HistoryConflictError, InvalidEditError, NothingToUndoError
from studio.core.schema import item_table


@pytest.fixture
def labeled(project: Project, image_folder: Path) -> tuple[Project, list[int]]:
    """The test project with two classes and six imported images."""
    project.add_classes(["cat", "dog"])
    return project, project.import_media([image_folder]).added


def _history(path: Path) -> list[tuple[int, str, bool, list[dict[str, Any]]]]:
    connection = sqlite3.connect(str(path))
    try:
        rows = connection.execute("SELECT id, description, undone, changes FROM history")
        return [
            (id_, text, bool(undone), json.loads(changes)) for id_, text, undone, changes in rows
        ]
    finally:
        connection.close()


def _all_annotations(project: Project) -> list[AnnotationRecord]:
    return [record for item_id in project.item_ids() for record in project.annotations(item_id)]


def _box(index: int) -> list[float]:
    return [float(index % 40), float(index % 30), 10.5, 7.25]


def test_a_fresh_project_has_nothing_to_undo_or_redo(project: Project) -> None:
    assert not project.can_undo()
    assert not project.can_redo()
    with pytest.raises(NothingToUndoError, match="undo"):
        project.undo()
    with pytest.raises(NothingToUndoError, match="redo"):
        project.redo()


def test_500_edits_are_undone_back_to_empty_and_redone(labeled: tuple[Project, list[int]]) -> None:
    project, item_ids = labeled
    for index in range(500):
        project.annotate(item_ids[index % len(item_ids)], "cat", box=_box(index))
    edited = _all_annotations(project)
    edited_items = project.items_by_ids(item_ids)
    assert len(edited) == 500
    assert {item.status for item in edited_items} == {"in_progress"}

    for _ in range(500):
        project.undo()
    assert _all_annotations(project) == []
    assert {item.status for item in project.items_by_ids(item_ids)} == {"new"}
    assert [label.name for label in project.classes()] == ["cat", "dog"]

    for _ in range(500):
        project.redo()
    assert _all_annotations(project) == edited
    assert project.items_by_ids(item_ids) == edited_items
    assert not project.can_redo()


def test_undo_returns_what_it_touched(labeled: tuple[Project, list[int]]) -> None:
    project, item_ids = labeled
    project.annotate(item_ids[2], "dog", box=[1, 2, 3, 4])
    step = project.undo()
    assert step.description == "Add box (dog) on image_0002.jpg"
    assert step.item_ids == (item_ids[2],)
    assert project.redo().item_ids == (item_ids[2],)


def test_bulk_insert_is_logged_lazily_and_redo_restores_identical_rows(
    labeled: tuple[Project, list[int]],
) -> None:
    project, item_ids = labeled
    specs = [
        {"item_id": item_ids[index % 6], "label": "dog", "box": _box(index), "score": 0.5}
        for index in range(300)
    ]
    ids = project.add_annotations(specs)
    assert ids == list(range(ids[0], ids[0] + 300))
    inserted = _all_annotations(project)
    entry = _history(project.path)[-1][3]
    assert entry == [{"table": "annotation", "ids": [ids[0], ids[-1]], "rows": None}]

    step = project.undo()
    assert step.item_ids == tuple(sorted(item_ids))
    assert _all_annotations(project) == []
    stored = _history(project.path)[-1][3][0]["rows"]
    assert [row["id"] for row in stored] == ids

    project.redo()
    assert _all_annotations(project) == inserted
    assert _history(project.path)[-1][3][0]["rows"] is None


def test_undo_survives_closing_and_reopening(tmp_path: Path, image_folder: Path) -> None:
    path = tmp_path / "reopen.studio"
    with Project.create(path) as project:
        project.add_classes(["cat"])
        item_id = project.import_media([image_folder]).added[0]
        first = project.annotate(item_id, "cat", box=[0, 0, 5, 5])
        second = project.annotate(item_id, "cat", box=[5, 5, 5, 5])
        project.set_status(item_id, "done")
    with Project.open(path) as project:
        project.undo()
        assert project.item(item_id).status == "in_progress"
        project.undo()
        assert [record.id for record in project.annotations(item_id)] == [first]
    with Project.open(path) as project:
        assert project.can_redo()
        project.redo()
        project.redo()
        assert [record.id for record in project.annotations(item_id)] == [first, second]
        assert project.item(item_id).status == "done"
        assert not project.can_redo()


def test_remove_items_is_undone_in_reverse_order(labeled: tuple[Project, list[int]]) -> None:
    """Annotations were deleted before their item; undo must restore the item first."""
    project, item_ids = labeled
    doomed = item_ids[:2]
    for item_id in doomed:
        project.annotate(item_id, "cat", box=[1, 1, 4, 4])
        project.annotate(item_id, "dog", polygon=[(1, 1), (9, 1), (9, 9)])
        project.annotate(item_id, "dog")
    project.set_split(doomed, "val")
    project.tag_items(doomed, add=["blurry"])
    before_items = project.items_by_ids(item_ids)
    before_annotations = _all_annotations(project)

    project.remove_items(doomed)
    assert project.count_items() == 4
    assert len(_all_annotations(project)) == 0

    project.undo()
    assert project.items_by_ids(item_ids) == before_items
    assert _all_annotations(project) == before_annotations
    project.redo()
    assert project.count_items() == 4
    assert project.items_by_ids(doomed) == []


def test_a_new_edit_clears_redo(labeled: tuple[Project, list[int]]) -> None:
    project, item_ids = labeled
    project.annotate(item_ids[0], "cat", box=[1, 1, 4, 4])
    project.undo()
    assert project.can_redo()
    project.set_status(item_ids[1], "done")
    assert not project.can_redo()
    descriptions = [(text, undone) for _, text, undone, _ in _history(project.path)]
    assert descriptions == [
        ("Add 2 classes", False),
        ("Import 6 images", False),
        ("Mark image_0001.jpg done", False),
    ]


def test_an_edit_that_changes_nothing_leaves_the_history_alone(
    labeled: tuple[Project, list[int]],
) -> None:
    project, item_ids = labeled
    project.set_status(item_ids[0], "done")
    project.undo()
    entries = _history(project.path)
    project.set_status(item_ids[1], "new")  # already new
    assert _history(project.path) == entries
    assert project.can_redo()


def test_a_failing_edit_rolls_back_and_leaves_no_entry(labeled: tuple[Project, list[int]]) -> None:
    project, item_ids = labeled
    project.set_status(item_ids[0], "done")
    project.undo()
    entries = _history(project.path)
    with pytest.raises(InvalidEditError, match="empty"):
        project.add_classes(["bird", " "])  # "bird" is inserted before " " fails
    with pytest.raises(InvalidEditError, match="annotation #1"):
        project.add_annotations(
            [
                {"item_id": item_ids[0], "label": "cat", "box": [1, 1, 2, 2]},
                {"item_id": item_ids[0], "label": "cat", "box": [1, 1, 999, 2]},
            ]
        )
    assert [label.name for label in project.classes()] == ["cat", "dog"]
    assert _all_annotations(project) == []
    assert _history(project.path) == entries
    assert project.can_redo()


def test_undo_keeps_changes_made_outside_the_history(
    labeled: tuple[Project, list[int]], tmp_path: Path
) -> None:
    """Relinking is not an undoable edit; undoing an earlier status change must not revert it."""
    project, item_ids = labeled
    project.set_status(item_ids[0], "done")
    shutil.move(tmp_path / "images", tmp_path / "moved")
    assert project.relink([tmp_path / "moved"]).relinked == sorted(item_ids)
    project.undo()
    item = project.item(item_ids[0])
    assert item.status == "new"
    assert item.path.startswith("moved/")
    assert project.media_path(item).is_file()


def test_an_undo_that_conflicts_with_later_changes_changes_nothing(
    labeled: tuple[Project, list[int]], image_folder: Path
) -> None:
    project, item_ids = labeled
    removed, moved = project.items_by_ids(item_ids[:2])
    project.remove_items([removed.id])
    # Outside the history, the removed item's path comes to hold another item's file:
    project.media_path(moved).replace(project.media_path(removed))
    assert project.relink([image_folder]).relinked == [moved.id]
    items_before = project.items()
    entries = _history(project.path)
    with pytest.raises(HistoryConflictError, match=r"cannot undo 'Remove image_0000\.jpg'"):
        project.undo()
    assert project.items() == items_before
    assert _history(project.path) == entries


def test_undo_and_redo_of_another_process_edit(
    labeled: tuple[Project, list[int]],
) -> None:
    """The log is the file's: a second connection undoes the latest edit, whoever made it."""
    project, item_ids = labeled
    annotation_id = project.annotate(item_ids[0], "cat", box=[1, 1, 4, 4])
    with Project.open(project.path, author="other") as other:
        assert other.undo().description == "Add box (cat) on image_0000.jpg"
        assert project.annotations(item_ids[0]) == []
        other.redo()
    assert [record.id for record in project.annotations(item_ids[0])] == [annotation_id]


def test_deleting_a_row_records_the_rows_it_cascades_to(
    labeled: tuple[Project, list[int]],
) -> None:
    """An edit that deletes an item alone still logs its annotations, so undo restores them."""
    project, item_ids = labeled
    project.annotate(item_ids[0], "cat", box=[1, 1, 4, 4])
    project.annotate(item_ids[0], "dog")
    before = project.annotations(item_ids[0])
    with user_edit(project.context.database, "drop an item", "tester") as edit:
        edit.delete(item_table, item_ids[0])
    assert project.items_by_ids([item_ids[0]]) == []
    project.undo()
    assert project.annotations(item_ids[0]) == before


def test_labels_revision_moves_with_label_changes_only(
    labeled: tuple[Project, list[int]],
) -> None:
    project, ids = labeled
    seen = [project.labels_revision()]

    project.add_annotations([{"item_id": ids[0], "label": "cat", "box": [1, 1, 8, 8]}])
    seen.append(project.labels_revision())
    project.undo()
    seen.append(project.labels_revision())
    project.redo()
    seen.append(project.labels_revision())
    project.set_status(ids, "done")
    seen.append(project.labels_revision())
    # every label change gives a new revision (redo comes back to the state after the add)
    assert all(before != after for before, after in pairwise(seen))

    project.create_version()
    project.new_run(model="resnet18", epochs=1, pretrained="never")
    assert project.labels_revision() == seen[-1]  # versions and runs are not label changes
