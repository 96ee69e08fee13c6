"""A class's schema in its meta: typed attributes and named keypoints with a skeleton; each
change one undo step, bad ones refused with a line naming the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.api import InvalidEditError, Project
from tests.core.image_files import save_image

SCHEMA = [
    {"name": "colour", "type": "choice", "values": ["red", "blue"], "default": "blue"},
    {"name": "passengers", "type": "number", "min": 0, "max": 9},
    {"name": "parked", "type": "checkbox", "default": True},
    {"name": "plate", "type": "text"},
]


@pytest.fixture
def car_project(tmp_path: Path, project: Project) -> Project:
    save_image(tmp_path / "images/a.png", (64, 48), seed=1)
    project.import_media([tmp_path / "images"])
    project.add_classes([{"name": "car", "meta": {"source": "kept"}}])
    return project


def test_a_schema_is_saved_in_the_class_meta_and_undo_restores_it(car_project: Project) -> None:
    car_project.set_class_schema(
        "car", attributes=SCHEMA, keypoints=["front", "back"], skeleton=[[1, 2]]
    )
    (car,) = car_project.classes()
    assert [spec["name"] for spec in car.meta["attributes"]] == [
        "colour",
        "passengers",
        "parked",
        "plate",
    ]
    assert car.meta["attributes"][1] == {
        "name": "passengers",
        "type": "number",
        "default": 0,
        "min": 0,
        "max": 9,
    }
    assert car.meta["keypoints"] == ["front", "back"]
    assert car.meta["skeleton"] == [[1, 2]]
    assert car.meta["source"] == "kept"

    step = car_project.undo()

    assert step.description == "Change the attributes and keypoints of car"
    assert car_project.classes()[0].meta == {"source": "kept"}


def test_a_new_shape_starts_with_the_class_defaults(car_project: Project) -> None:
    car_project.set_class_schema("car", attributes=SCHEMA)
    (item_id,) = car_project.item_ids()

    car_project.annotate(item_id, "car", box=[1, 1, 10, 10])

    (box,) = car_project.annotations(item_id)
    assert box.attributes == {
        "user": {"colour": "blue", "passengers": 0, "parked": True, "plate": ""}
    }


@pytest.mark.parametrize(
    ("attribute", "message"),
    [
        (
            {"name": "n", "type": "number", "min": 5, "max": 1},
            "attribute 'n': min 5 is above max 1",
        ),
        ({"name": "c", "type": "choice"}, "attribute 'c': a choice needs values, none empty"),
        ({"name": "c", "type": "choice", "values": ["a"], "default": "b"}, "is not one of a"),
        ({"name": "x", "type": "colour"}, "attribute 'x': unknown type 'colour'"),
        ({"type": "text"}, "an attribute has no name"),
    ],
)
def test_a_bad_attribute_is_refused_and_changes_nothing(
    car_project: Project, attribute: dict, message: str
) -> None:
    with pytest.raises(InvalidEditError, match=message):
        car_project.set_class_schema("car", attributes=[attribute])
    assert car_project.classes()[0].meta == {"source": "kept"}


def test_a_skeleton_edge_must_join_two_named_points(car_project: Project) -> None:
    with pytest.raises(InvalidEditError, match=r"skeleton edge \[1, 3\] does not join two of"):
        car_project.set_class_schema("car", keypoints=["a", "b"], skeleton=[[1, 3]])
    with pytest.raises(InvalidEditError, match="keypoint 'a' is named twice"):
        car_project.set_class_schema("car", keypoints=["a", "a"])


def test_an_empty_schema_removes_it_and_keeps_the_rest(car_project: Project) -> None:
    car_project.set_class_schema("car", attributes=SCHEMA, keypoints=["a", "b"])

    car_project.set_class_schema("car", attributes=[], keypoints=[])

    assert car_project.classes()[0].meta == {"source": "kept"}
