"""The scripting API, method by method, on real project files and real images."""

from __future__ import annotations

import getpass
import math
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from studio.api import AnnotationSource, ItemStatus, Project, Split
from studio.core.errors import InvalidEditError, NothingToUndoError, ProjectFileError
from studio.core.geometry import decode_mask, encode_mask

W, H = 64, 48  # the size of the conftest images


def file_state(project: Project) -> dict[str, list[tuple]]:
    """Every row of every table, read through a connection of its own."""
    connection = sqlite3.connect(f"file:{project.path}?mode=ro", uri=True)
    try:
        tables = [
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        return {t: connection.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in tables}
    finally:
        connection.close()


def assert_refused(project: Project, call: Callable[[], Any], words: str) -> None:
    """`call` raises InvalidEditError naming the problem, and the project file is unchanged."""
    before = file_state(project)
    project.poll_changes()
    with pytest.raises(InvalidEditError) as raised:
        call()
    assert words in str(raised.value)
    assert file_state(project) == before
    assert not project.poll_changes()


@pytest.fixture
def ids(project: Project, image_folder: Path) -> list[int]:
    """Six imported 64×48 images and the classes cat, dog, bird."""
    project.add_classes(["cat", "dog", "bird"])
    return project.import_media([image_folder]).added


# -- opening and closing -------------------------------------------------------------------


def test_create_open_and_paths(tmp_path: Path) -> None:
    path = tmp_path / "birds.studio"
    project = Project.create(path, author="ann")
    assert (project.path, project.root) == (path.resolve(), tmp_path.resolve())
    assert project.store_dir == tmp_path.resolve() / "birds.studio.d"
    assert project.author == "ann"
    project.close()
    reopened = Project.open(path)
    assert reopened.author == getpass.getuser()
    reopened.close()


def test_context_manager_closes_even_on_error(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p.studio") as project:
        project.add_classes(["cat"])
    with pytest.raises(ProjectFileError, match="closed"):
        project.classes()
    with pytest.raises(RuntimeError, match="boom"), Project.open(tmp_path / "p.studio") as again:
        raise RuntimeError("boom")
    with pytest.raises(ProjectFileError, match="closed"):
        again.items()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.studio"]


def test_edits_survive_closing_and_reopening(tmp_path: Path, image_folder: Path) -> None:
    with Project.create(tmp_path / "p.studio", author="ann") as project:
        project.add_classes(["cat"])
        (item_id, *_) = project.import_media([image_folder]).added
        annotation_id = project.annotate(item_id, "cat", box=[1, 2, 3, 4])
    with Project.open(tmp_path / "p.studio") as project:
        (annotation,) = project.annotations(item_id)
        assert (annotation.id, annotation.author, annotation.geometry) == (
            annotation_id,
            "ann",
            [1.0, 2.0, 3.0, 4.0],
        )


# -- classes -------------------------------------------------------------------------------


def test_add_classes_gives_positions_and_distinct_colours(project: Project) -> None:
    added = project.add_classes(
        ["cat", " dog ", {"name": "bird", "color": "#123456", "hotkey": "b"}]
    )
    assert [(c.name, c.position) for c in added] == [("cat", 0), ("dog", 1), ("bird", 2)]
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c.color) for c in added)
    assert len({c.color for c in added}) == 3
    assert (added[2].color, added[2].hotkey, added[2].archived) == ("#123456", "b", False)
    assert project.classes() == added


def test_add_classes_is_idempotent(project: Project) -> None:
    first = project.add_classes(["cat", "dog"])
    before = file_state(project)
    assert project.add_classes(["dog", "cat"]) == first[::-1]
    assert file_state(project) == before  # no new row, no history entry
    project.add_classes(["cat", "fox"])
    assert [c.name for c in project.classes()] == ["cat", "dog", "fox"]
    project.undo()
    assert [c.name for c in project.classes()] == ["cat", "dog"]


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ({"name": "cat", "color": "red"}, "#rrggbb"),
        ({"name": "cat", "color": "#12345"}, "#rrggbb"),
        ({"color": "#ff0000"}, "has no name"),
        ("   ", "name is empty"),
        ({"name": "cat", "size": 3}, "unknown fields ['size']"),
        ({"name": "cat", "meta": ["nose"]}, "is not a mapping"),
    ],
)
def test_add_classes_refuses_bad_specs(project: Project, spec: Any, words: str) -> None:
    project.add_classes(["dog"])
    assert_refused(project, lambda: project.add_classes(["zebra", spec]), words)


def test_update_class_changes_fields_and_undoes(project: Project) -> None:
    cat, dog = project.add_classes(["cat", "dog"])
    renamed = project.update_class("cat", name="kitten", color="#00ff00", hotkey="k")
    assert (renamed.id, renamed.name, renamed.color, renamed.hotkey) == (
        cat.id,
        "kitten",
        "#00ff00",
        "k",
    )
    project.update_class(dog.id, archived=True, position=5)
    assert [c.name for c in project.classes(include_archived=False)] == ["kitten"]
    assert project.classes()[-1].archived
    project.undo()
    project.undo()
    assert project.classes() == [cat, dog]


def test_update_class_refuses_clashes_and_bad_values(project: Project) -> None:
    project.add_classes(["cat", "dog"])
    assert_refused(project, lambda: project.update_class("cat", name="dog"), "taken")
    assert_refused(project, lambda: project.update_class("cat", name=" dog "), "taken")
    assert_refused(project, lambda: project.update_class("cat", color="#xyzxyz"), "#rrggbb")
    assert_refused(project, lambda: project.update_class("cat", shape="round"), "unknown fields")
    assert_refused(project, lambda: project.update_class("lion", name="x"), "unknown class")
    assert_refused(project, lambda: project.update_class(99, name="x"), "unknown class 99")


# -- items ---------------------------------------------------------------------------------


def test_items_item_and_items_by_ids(project: Project, ids: list[int]) -> None:
    items = project.items()
    assert [item.id for item in items] == ids
    assert all((i.width, i.height, i.format, i.status) == (W, H, "JPEG", "new") for i in items)
    assert project.item(ids[2]) == items[2]
    assert [i.id for i in project.items_by_ids([ids[3], 999, ids[0]])] == [ids[3], ids[0]]
    assert project.items(limit=2) == items[:2]
    assert project.count_items() == 6
    assert project.media_path(ids[0]) == project.media_path(items[0])
    assert project.media_path(ids[0]).read_bytes()[:2] == b"\xff\xd8"
    with pytest.raises(InvalidEditError, match="unknown item id 999"):
        project.item(999)


def test_set_status_is_one_undoable_edit(project: Project, ids: list[int]) -> None:
    project.set_status(ids[:3], "done")
    project.set_status(ids[3], ItemStatus.REJECTED)
    assert [i.status for i in project.items()] == ["done"] * 3 + ["rejected", "new", "new"]
    assert project.item_ids(status="done") == ids[:3]
    project.undo()
    assert project.item(ids[3]).status == "new"
    step = project.undo()
    assert step.item_ids == tuple(ids[:3])
    assert {i.status for i in project.items()} == {"new"}
    project.redo()
    assert project.item_ids(status="done") == ids[:3]


def test_set_status_refuses_unknown_values_and_items(project: Project, ids: list[int]) -> None:
    assert_refused(project, lambda: project.set_status(ids[0], "finished"), "unknown status")
    assert_refused(project, lambda: project.set_status([ids[0], 999], "done"), "unknown item ids")


def test_set_split_accepts_none(project: Project, ids: list[int]) -> None:
    project.set_split(ids[:2], "train")
    project.set_split(ids[2], Split.TEST)
    project.set_split(ids[0], None)
    project.set_split(ids[1], "none")
    assert [i.split for i in project.items()] == [None, None, "test", None, None, None]
    project.undo()
    assert project.item(ids[1]).split == "train"
    assert_refused(project, lambda: project.set_split(ids[0], "training"), "unknown split")


def test_tag_items_adds_and_removes(project: Project, ids: list[int]) -> None:
    project.tag_items(ids[:2], add=["hard", "night"])
    project.tag_items(ids[0], add="blurry", remove="night")
    project.tag_items(ids[1], add="hard")  # already there: nothing changes
    assert [i.tags for i in project.items()[:3]] == [("hard", "blurry"), ("hard", "night"), ()]
    assert project.item_ids(tag="blurry") == [ids[0]]
    project.undo()
    assert project.item(ids[0]).tags == ("hard", "night")
    assert_refused(project, lambda: project.tag_items(ids[0], add=[" "]), "empty tag")


def test_remove_items_takes_annotations_along_and_undo_restores_both(
    project: Project, ids: list[int]
) -> None:
    project.annotate(ids[0], "cat", box=[1, 1, 5, 5])
    project.annotate(ids[0], "dog")
    before = project.annotations(ids[0])
    project.remove_items([ids[0], ids[1]])
    assert project.count_items() == 4
    assert project.annotations(ids[0]) == []
    assert project.stats().annotations == 0
    project.undo()
    assert project.count_items() == 6
    assert project.annotations(ids[0]) == before
    project.redo()
    assert project.item_ids() == ids[2:]
    assert_refused(project, lambda: project.remove_items([ids[0]]), "unknown item ids")


# -- annotations ---------------------------------------------------------------------------


def test_a_tag_is_an_annotation_without_geometry_and_is_not_doubled(
    project: Project, ids: list[int]
) -> None:
    first = project.annotate(ids[0], "cat")
    assert project.annotate(ids[0], "cat") == first
    (tag,) = project.annotations(ids[0])
    assert (tag.kind, tag.geometry, tag.label, tag.source) == ("tag", None, "cat", "human")
    assert tag.author == "tester"
    assert project.item(ids[0]).status == "in_progress"
    project.undo()  # one step: the tag and the status change
    assert project.annotations(ids[0]) == []
    assert project.item(ids[0]).status == "new"
    assert project.undo().description == "Import 6 images"  # an import is one undo step
    assert project.count_items() == 0
    project.redo()
    assert project.item_ids() == ids


def test_box_with_source_and_score(project: Project, ids: list[int]) -> None:
    annotation_id = project.annotate(
        ids[1], "dog", box=(0, 0, W, H), source=AnnotationSource.MODEL, score=0.25
    )
    (box,) = project.annotations(ids[1])
    assert box.id == annotation_id
    assert (box.kind, box.geometry, box.source, box.score) == (
        "box",
        [0.0, 0.0, 64.0, 48.0],
        "model",
        0.25,
    )
    assert box.attributes == {}
    assert box.created_at == box.updated_at > 0


@pytest.mark.parametrize(
    ("polygon", "stored"),
    [
        ([(1, 1), (10, 1), (5, 8)], [[1.0, 1.0, 10.0, 1.0, 5.0, 8.0]]),
        ([1, 1, 10, 1, 5, 8], [[1.0, 1.0, 10.0, 1.0, 5.0, 8.0]]),
        (
            [[(1, 1), (10, 1), (5, 8)], [20, 20, 30, 20, 30, 30, 20, 30]],
            [[1.0, 1.0, 10.0, 1.0, 5.0, 8.0], [20.0, 20.0, 30.0, 20.0, 30.0, 30.0, 20.0, 30.0]],
        ),
    ],
    ids=["pairs", "flat", "several rings"],
)
def test_polygons(project: Project, ids: list[int], polygon: Any, stored: Any) -> None:
    project.annotate(ids[0], "cat", polygon=polygon)
    (annotation,) = project.annotations(ids[0])
    assert (annotation.kind, annotation.geometry) == ("polygon", stored)


def test_masks_from_arrays_and_rle_round_trip(project: Project, ids: list[int]) -> None:
    mask = np.zeros((H, W), bool)
    mask[10:30, 5:50] = True
    project.annotate(ids[0], "cat", mask=mask)
    project.annotate(ids[0], "dog", mask=encode_mask(mask), source="sam", score=0.9)
    first, second = project.annotations(ids[0])
    assert first.kind == second.kind == "mask"
    assert first.geometry == second.geometry
    assert first.geometry["size"] == [H, W]
    assert np.array_equal(decode_mask(first.geometry), mask)


def test_keypoints(project: Project, ids: list[int]) -> None:
    project.annotate(ids[0], "bird", keypoints=[(1, 2), (3, 4, 1), (0, 0, 0)])
    (annotation,) = project.annotations(ids[0])
    assert (annotation.kind, annotation.geometry) == (
        "keypoints",
        [[1.0, 2.0, 2], [3.0, 4.0, 1], [0.0, 0.0, 0]],
    )


INVALID_ANNOTATIONS = [
    ({"box": [math.nan, 0, 5, 5]}, "finite"),
    ({"box": [0, 0, -5, 5]}, "positive"),
    ({"box": [60, 40, 10, 10]}, "outside the 64×48 image"),
    ({"polygon": [(1, 1), (2, 2)]}, "at least 3 points"),
    ({"polygon": [(1, 1), (200, 2), (3, 9)]}, "outside"),
    ({"mask": np.zeros((H + 1, W), bool)}, "differs from the image"),
    ({"mask": {"size": [H, W], "counts": [5]}}, "cover 5 pixels"),
    ({"keypoints": [(1, 2, 7)]}, "visibility 7"),
    ({"box": [0, 0, 5, 5], "polygon": [(1, 1), (2, 2), (1, 3)]}, "at most one"),
    ({"box": [0, 0, 5, 5], "score": 1.5}, "between 0 and 1"),
    ({"box": [0, 0, 5, 5], "source": "robot"}, "unknown source"),
]


@pytest.mark.parametrize(("geometry", "words"), INVALID_ANNOTATIONS)
def test_invalid_annotations_are_refused_and_change_nothing(
    project: Project, ids: list[int], geometry: dict[str, Any], words: str
) -> None:
    assert_refused(project, lambda: project.annotate(ids[0], "cat", **geometry), words)


def test_unknown_item_or_class_is_refused(project: Project, ids: list[int]) -> None:
    assert_refused(project, lambda: project.annotate(999, "cat"), "unknown item id 999")
    assert_refused(project, lambda: project.annotate(ids[0], "lion"), "unknown class 'lion'")


def test_add_annotations_is_one_edit_with_undo_and_redo(project: Project, ids: list[int]) -> None:
    specs = [
        {"item_id": item_id, "label": label, "box": [n, n, 10, 10], "score": 0.5, "source": "model"}
        for n, (item_id, label) in enumerate(
            (item_id, label) for item_id in ids for label in ("cat", "dog", "bird")
        )
    ]
    specs.append({"item_id": ids[0], "label": "cat", "attributes": {"iscrowd": 1}})
    new_ids = project.add_annotations(specs)
    assert len(new_ids) == 19
    assert new_ids == list(range(new_ids[0], new_ids[0] + 19))
    everything = {i: project.annotations(i) for i in ids}
    assert [a.label for a in everything[ids[0]]] == ["cat", "dog", "bird", "cat"]
    assert everything[ids[0]][-1].attributes == {"iscrowd": 1}
    stats = project.stats()  # the model's 18 are pending suggestions, apart from annotations
    assert (stats.annotations, stats.pending_suggestions) == (1, 18)
    assert {i.status for i in project.items()} == {"new"}  # bulk edits leave statuses alone

    step = project.undo()
    assert step.item_ids == tuple(ids)
    stats = project.stats()
    assert (stats.annotations, stats.pending_suggestions) == (0, 0)
    project.redo()
    assert {i: project.annotations(i) for i in ids} == everything


def test_add_annotations_refuses_the_whole_batch(project: Project, ids: list[int]) -> None:
    specs = [{"item_id": ids[0], "label": "cat", "box": [0, 0, 5, 5]} for _ in range(3)]
    bad = {"item_id": ids[1], "label": "cat", "box": [0, 0, 500, 5]}
    assert_refused(project, lambda: project.add_annotations([*specs, bad]), "annotation #3")
    assert_refused(
        project,
        lambda: project.add_annotations([{"item_id": ids[0], "label": "cat", "colour": 1}]),
        "unknown fields ['colour']",
    )
    assert_refused(
        project, lambda: project.add_annotations([{"item_id": 999, "label": "cat"}]), "999"
    )


def test_update_annotation(project: Project, ids: list[int]) -> None:
    annotation_id = project.annotate(ids[0], "cat", box=[1, 1, 5, 5], source="model", score=0.3)
    original = project.annotations(ids[0])[0]
    project.update_annotation(annotation_id, geometry=[2, 2, 6, 6], label="dog", score=0.8)
    (changed,) = project.annotations(ids[0])
    assert (changed.geometry, changed.label, changed.score) == ([2.0, 2.0, 6.0, 6.0], "dog", 0.8)
    assert changed.created_at == original.created_at
    project.undo()
    assert project.annotations(ids[0]) == [original]
    assert_refused(
        project, lambda: project.update_annotation(annotation_id, geometry=[0, 0, 99, 5]), "outside"
    )
    assert_refused(
        project, lambda: project.update_annotation(annotation_id, label="lion"), "unknown class"
    )
    assert_refused(project, lambda: project.update_annotation(12345, score=0.5), "12345")
    tag_id = project.annotate(ids[0], "cat")
    assert_refused(
        project, lambda: project.update_annotation(tag_id, geometry=[0, 0, 5, 5]), "is a tag"
    )


def test_delete_annotation(project: Project, ids: list[int]) -> None:
    keep = project.annotate(ids[0], "cat", box=[1, 1, 5, 5])
    drop = project.annotate(ids[0], "dog", keypoints=[(3, 3)])
    project.delete_annotation(drop)
    assert [a.id for a in project.annotations(ids[0])] == [keep]
    project.undo()
    assert [a.id for a in project.annotations(ids[0])] == [keep, drop]
    assert_refused(project, lambda: project.delete_annotation(12345), "unknown annotation id")


# -- history -------------------------------------------------------------------------------


def test_undo_and_redo_at_the_ends_of_history(project: Project) -> None:
    assert (project.can_undo(), project.can_redo()) == (False, False)
    with pytest.raises(NothingToUndoError):
        project.undo()
    project.add_classes(["cat"])
    assert (project.can_undo(), project.can_redo()) == (True, False)
    assert project.undo().description == "Add class cat"
    assert (project.can_undo(), project.can_redo()) == (False, True)
    project.redo()
    with pytest.raises(NothingToUndoError):
        project.redo()


# -- overview ------------------------------------------------------------------------------


def test_stats_count_items_and_annotations(project: Project, ids: list[int]) -> None:
    project.set_status(ids[:2], "done")
    project.set_split(ids[:3], "train")
    project.set_split(ids[3], "val")
    project.annotate(ids[0], "cat", box=[1, 1, 5, 5])
    project.annotate(ids[0], "cat", box=[2, 2, 5, 5])
    project.annotate(ids[4], "cat")
    project.annotate(ids[4], "dog")
    stats = project.stats()
    assert stats.items == 6
    assert stats.annotations == 4
    assert stats.by_status == {
        "new": 3,
        "in_progress": 1,
        "done": 2,
        "done_empty": 0,
        "reviewed": 0,
        "rejected": 0,
    }
    assert stats.by_split == {"train": 3, "val": 1, "test": 0, "none": 2}
    assert stats.annotations_by_class == {"cat": 3, "dog": 1, "bird": 0}
    assert stats.items_by_class == {"cat": 2, "dog": 1, "bird": 0}
    assert stats.as_dict()["by_split"] == stats.by_split


def test_poll_changes_sees_edits_of_this_and_other_processes(
    project: Project, ids: list[int]
) -> None:
    assert project.poll_changes() is False  # the first poll takes the reference
    assert project.poll_changes() is False
    project.set_status(ids[0], "done")
    assert project.poll_changes() is True
    assert project.poll_changes() is False
    with Project.open(project.path) as other:
        other.set_split(ids[0], "val")
    assert project.poll_changes() is True
    project.items()
    assert project.poll_changes() is False


def test_bulk_add_does_not_repeat_a_tag(project: Project, ids: list[int]) -> None:
    existing = project.annotate(ids[0], "cat")
    added = project.add_annotations(
        [
            {"item_id": ids[0], "label": "cat"},  # already tagged
            {"item_id": ids[1], "label": "cat"},
            {"item_id": ids[1], "label": "cat"},  # repeated in the batch
            {"item_id": ids[1], "label": "cat", "box": [1, 1, 2, 2]},
        ]
    )
    assert added[0] == existing
    assert added[1] == added[2] != existing
    tags = [a for a in project.annotations(ids[1]) if a.kind == "tag"]
    assert [tag.id for tag in tags] == [added[1]]
    assert {a.id for a in project.annotations(ids[1])} == {added[1], added[3]}


# -- workspace helpers: reject reasons, image tags, copying, settings ----------------------


def test_rejecting_with_a_reason_is_one_step_and_leaving_drops_it(
    project: Project, ids: list[int]
) -> None:
    project.set_status(ids[:2], "rejected", reason="  blurry  ")
    assert [project.item(i).meta for i in ids[:2]] == [{"reject_reason": "blurry"}] * 2
    project.set_status(ids[0], "rejected")  # again, without a reason: the old one stays
    assert project.item(ids[0]).meta == {"reject_reason": "blurry"}
    project.set_status(ids[0], "done")
    assert (project.item(ids[0]).status, project.item(ids[0]).meta) == ("done", {})
    project.undo()
    assert (project.item(ids[0]).status, project.item(ids[0]).meta["reject_reason"]) == (
        "rejected",
        "blurry",
    )
    project.undo()  # the status and the reason together
    assert [(project.item(i).status, project.item(i).meta) for i in ids[:2]] == [("new", {})] * 2
    assert_refused(project, lambda: project.set_status(ids[0], "done", reason="x"), "reason")


def test_set_image_tags_replaces_the_tags_in_one_step(project: Project, ids: list[int]) -> None:
    _, dog_tag = project.set_image_tags(ids[0], ["cat", "dog"])
    assert project.item(ids[0]).status == "in_progress"
    box = project.annotate(ids[0], "cat", box=[1, 1, 5, 5])
    assert project.set_image_tags(ids[0], ["dog", "bird", "dog"])[0] == dog_tag
    tags = {a.label: a.id for a in project.annotations(ids[0]) if a.kind == "tag"}
    assert set(tags) == {"dog", "bird"}
    assert tags["dog"] == dog_tag
    assert [a.id for a in project.annotations(ids[0]) if a.kind == "box"] == [box]
    project.undo()
    labels = sorted(a.label for a in project.annotations(ids[0]) if a.kind == "tag")
    assert labels == ["cat", "dog"]
    assert project.set_image_tags(ids[0], []) == []
    assert [a.kind for a in project.annotations(ids[0])] == ["box"]
    assert_refused(project, lambda: project.set_image_tags(ids[1], ["cat", "lion"]), "lion")
    assert_refused(project, lambda: project.set_image_tags(999, ["cat"]), "unknown item")


def test_copy_annotations_clamps_to_the_target_and_is_one_step(
    project: Project, tmp_path: Path
) -> None:
    from tests.conftest import write_images

    project.add_classes(["cat", "dog"])
    (big,) = project.import_media(write_images(tmp_path / "big", 1, size=(100, 80))).added
    (small,) = project.import_media(write_images(tmp_path / "small", 1, (40, 30), 5)).added
    mask = np.zeros((80, 100), dtype=bool)
    mask[20:40, 30:60] = True
    project.add_annotations(
        [
            {"item_id": big, "label": "cat"},
            {
                "item_id": big,
                "label": "cat",
                "box": [10, 10, 50, 50],
                "source": "model",
                "score": 0.7,
            },
            {"item_id": big, "label": "dog", "box": [60, 50, 30, 20]},  # outside 40×30
            {"item_id": big, "label": "dog", "polygon": [(0, 0), (80, 0), (80, 60)]},
            {"item_id": big, "label": "cat", "mask": mask},
            {"item_id": big, "label": "dog", "keypoints": [(90, 70, 2), (5, 5, 1), (99, 1, 0)]},
        ]
    )
    project.annotate(small, "cat")  # the tag is there already: not doubled

    copied = project.copy_annotations(big, small)

    result = [a for a in project.annotations(small) if a.id in copied]
    assert [(a.kind, a.label) for a in result] == [
        ("box", "cat"),
        ("polygon", "dog"),
        ("mask", "cat"),
        ("keypoints", "dog"),
    ]
    box, polygon, copied_mask, keypoints = (a.geometry for a in result)
    assert box == [10.0, 10.0, 30.0, 20.0]
    assert (result[0].source, result[0].score, result[0].author) == ("model", 0.7, "tester")
    assert polygon == [[0.0, 0.0, 40.0, 0.0, 40.0, 30.0]]
    expected_mask = np.zeros((30, 40), dtype=bool)
    expected_mask[20:30, 30:40] = True
    assert (decode_mask(copied_mask) == expected_mask).all()
    assert keypoints == [[40.0, 30.0, 2], [5.0, 5.0, 1], [99.0, 1.0, 0]]
    assert len([a for a in project.annotations(small) if a.kind == "tag"]) == 1
    project.undo()
    assert [a.kind for a in project.annotations(small)] == ["tag"]
    assert_refused(project, lambda: project.copy_annotations(big, big), "both source and target")
    assert_refused(project, lambda: project.copy_annotations(big, 999), "unknown item id 999")


def test_copy_annotations_moves_a_new_target_to_in_progress(
    project: Project, ids: list[int]
) -> None:
    project.annotate(ids[0], "cat", box=[1, 1, 5, 5])
    assert project.copy_annotations(ids[1], ids[2]) == []  # nothing to copy: nothing changes
    assert project.item(ids[2]).status == "new"
    (copied,) = project.copy_annotations(ids[0], ids[2])
    assert project.item(ids[2]).status == "in_progress"
    assert project.annotations(ids[2])[0].id == copied


def test_settings_have_defaults_validate_and_persist(tmp_path: Path) -> None:
    path = tmp_path / "s.studio"
    with Project.create(path) as project:
        assert project.settings() == {"labeling_mode": "objects"}
        assert project.setting("labeling_mode") == "objects"
        assert project.setting("missing", 3) == 3
        project.set_setting("labeling_mode", "single_label")
        project.set_setting("recent_reasons", ["blurry", "cut off"])
        assert not project.can_undo()  # configuration, not an undo step
        assert_refused(
            project, lambda: project.set_setting("labeling_mode", "boxes"), "single_label"
        )
        assert_refused(project, lambda: project.set_setting("x", {1, 2}), "not JSON")
        assert_refused(project, lambda: project.set_setting(" ", 1), "non-empty")
    with Project.open(path) as project:
        assert project.settings() == {
            "labeling_mode": "single_label",
            "recent_reasons": ["blurry", "cut off"],
        }
        project.set_setting("labeling_mode", None)
        assert project.setting("labeling_mode") == "objects"


def test_delete_annotations_is_one_step(project: Project, ids: list[int]) -> None:
    first = project.annotate(ids[0], "cat", box=[1, 1, 5, 5])
    second = project.annotate(ids[1], "dog", box=[2, 2, 5, 5])
    kept = project.annotate(ids[1], "dog")
    project.delete_annotations([first, second])
    assert [a.id for a in project.annotations(ids[1])] == [kept]
    assert project.annotations(ids[0]) == []
    project.undo()
    assert [a.id for a in project.annotations(ids[1])] == [second, kept]
    assert [a.id for a in project.annotations(ids[0])] == [first]
    assert_refused(project, lambda: project.delete_annotations([first, 999]), "999")


def test_item_badges_count_annotations_and_classes(project: Project, ids: list[int]) -> None:
    cat, dog, _ = project.classes()
    project.annotate(ids[0], "dog", box=[1, 1, 5, 5])
    project.annotate(ids[0], "cat")
    project.annotate(ids[0], "dog", box=[2, 2, 5, 5])
    project.annotate(ids[2], "cat", box=[1, 1, 5, 5])

    badges = project.item_badges([ids[0], ids[1], ids[2], 999])

    assert badges == {
        ids[0]: (3, sorted([cat.id, dog.id])),
        ids[1]: (0, []),
        ids[2]: (1, [cat.id]),
        999: (0, []),
    }


def test_clear_annotations_is_one_step_and_keeps_statuses(project: Project, ids: list[int]) -> None:
    project.annotate(ids[0], "cat", box=[1, 1, 5, 5])
    project.annotate(ids[0], "dog")
    kept = project.annotate(ids[2], "bird", box=[1, 1, 5, 5])
    project.set_status(ids[0], "done")

    assert project.clear_annotations([ids[0], ids[1]]) == 2

    assert project.annotations(ids[0]) == []
    assert project.item(ids[0]).status == "done"
    assert [a.id for a in project.annotations(ids[2])] == [kept]
    project.undo()
    assert [a.kind for a in project.annotations(ids[0])] == ["box", "tag"]
    assert_refused(project, lambda: project.clear_annotations([ids[0], 999]), "999")
