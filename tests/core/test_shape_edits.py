"""Relabel, paste and restack shapes: each one undo step, suggestions accepted when touched."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.api import Project
from studio.core.errors import InvalidEditError
from tests.conftest import write_images


@pytest.fixture
def items(project: Project, tmp_path: Path) -> tuple[int, int]:
    """A 60×40 image and a smaller 30×20 one; classes cat and dog."""
    project.add_classes(["cat", "dog"])
    (big,) = project.import_media(write_images(tmp_path / "big", 1, size=(60, 40))).added
    (small,) = project.import_media(write_images(tmp_path / "small", 1, (30, 20), 1)).added
    return big, small


def labels(project: Project, item_id: int) -> list[tuple[str, str | None]]:
    return [(a.label, a.review) for a in project.annotations(item_id)]


def test_relabelling_shapes_is_one_undo_step(project: Project, items: tuple[int, int]) -> None:
    big, _ = items
    ids = [project.annotate(big, "cat", box=[1, 1, 9, 9]) for _ in range(2)]

    assert project.set_class_of_shapes(ids, "dog") == 2
    assert labels(project, big) == [("dog", None), ("dog", None)]
    assert project.set_class_of_shapes(ids, "dog") == 0  # already dog: nothing changes

    step = project.undo()
    assert labels(project, big) == [("cat", None), ("cat", None)]
    assert step.description.startswith("Relabel 2 shapes on ")  # the image's file name
    assert step.description.endswith(".jpg as dog")


def test_a_relabelled_suggestion_is_accepted(project: Project, items: tuple[int, int]) -> None:
    big, _ = items
    (suggestion,) = project.suggest_annotations(
        [{"item_id": big, "label": "cat", "box": [1, 1, 9, 9], "source": "model", "score": 0.4}]
    )
    project.set_class_of_shapes([suggestion], "cat")
    (record,) = project.annotations(big)
    assert (record.label, record.review, record.source, record.score) == (
        "cat",
        "accepted",
        "model",
        0.4,
    )


def test_relabelling_refuses_a_tag_and_changes_nothing(
    project: Project, items: tuple[int, int]
) -> None:
    big, _ = items
    box = project.annotate(big, "cat", box=[1, 1, 9, 9])
    (tag,) = project.set_image_tags(big, ["cat"])
    with pytest.raises(InvalidEditError, match="image tag"):
        project.set_class_of_shapes([box, tag], "dog")
    assert sorted(labels(project, big)) == [("cat", None), ("cat", None)]


def test_pasted_shapes_are_clipped_to_a_smaller_image_and_one_undo_step(
    project: Project, items: tuple[int, int]
) -> None:
    big, small = items
    project.annotate(big, "cat", box=[20, 10, 30, 20])
    project.annotate(big, "dog", box=[40, 25, 10, 10])  # wholly outside 30×20
    copied = project.annotations(big)

    pasted = project.paste_shapes(small, copied)

    ((label, box),) = [(a.label, a.geometry) for a in project.annotations(small)]
    assert len(pasted) == 1
    assert (label, box) == ("cat", [20, 10, 10, 10])
    assert project.item(small).status == "in_progress"
    project.undo()
    assert project.annotations(small) == []
    assert project.item(small).status == "new"


def test_pasted_shapes_stack_above_the_image_s_own(
    project: Project, items: tuple[int, int]
) -> None:
    big, small = items
    below = project.annotate(small, "dog", box=[1, 1, 5, 5])
    project.restack_shapes([below], to_front=True)
    source = project.annotate(big, "cat", box=[2, 2, 5, 5])
    (copy,) = project.paste_shapes(small, [a for a in project.annotations(big) if a.id == source])
    orders = {a.id: a.attributes.get("z_order") for a in project.annotations(small)}
    assert orders[copy] > orders[below]


def test_bring_to_front_and_send_to_back_use_the_z_order_flag(
    project: Project, items: tuple[int, int]
) -> None:
    big, _ = items
    first, second, third = (project.annotate(big, "cat", box=[1, 1, 9, 9]) for _ in range(3))

    project.restack_shapes([first], to_front=True)
    project.restack_shapes([third], to_front=False)

    orders = {a.id: a.attributes.get("z_order", 0) for a in project.annotations(big)}
    assert orders[third] < orders[second] < orders[first]
    project.undo()
    assert "z_order" not in next(a for a in project.annotations(big) if a.id == third).attributes


def test_restacking_keeps_user_attributes(project: Project, items: tuple[int, int]) -> None:
    big, _ = items
    (shape,) = project.add_annotations(
        [{"item_id": big, "label": "cat", "box": [1, 1, 9, 9], "attributes": {"colour": "red"}}]
    )
    project.restack_shapes([shape], to_front=True)
    (record,) = project.annotations(big)
    assert record.attributes == {"z_order": 1, "user": {"colour": "red"}}
