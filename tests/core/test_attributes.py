"""The attribute namespace: reserved flags at the top level, user attributes under "user",
older projects' flat layout still read, and every label format's writer keeping them apart."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from studio.api import InvalidEditError, Project
from studio.core.attributes import (
    format_attributes,
    normalized_attributes,
    read_format_attributes,
    split_attributes,
)
from tests.core.image_files import save_image

# What a CVAT import of a label attribute named "occluded" on an occluded shape stores.
STORED = {"occluded": 1, "iscrowd": 1, "user": {"occluded": "no", "colour": "red"}}


def test_the_flat_layout_of_older_projects_reads_as_flags_and_user_attributes() -> None:
    flags, user = split_attributes({"difficult": 1, "colour": "red", "pose": "Left"})
    assert flags == {"difficult": 1, "pose": "Left"}
    assert user == {"colour": "red"}


def test_normalizing_gives_the_stored_layout_and_is_idempotent() -> None:
    flat = {"occluded": True, "note": "behind the chair"}
    stored = normalized_attributes(flat)
    assert stored == {"occluded": True, "user": {"note": "behind the chair"}}
    assert normalized_attributes(stored) == stored
    assert normalized_attributes({}) == {}


def test_a_user_attribute_named_user_survives() -> None:
    stored = normalized_attributes({"user": "bob"})
    assert stored == {"user": {"user": "bob"}}
    assert normalized_attributes(stored) == stored


def test_a_listed_attribute_named_like_a_native_flag_stays_a_user_attribute() -> None:
    stored = read_format_attributes({"occluded": 1}, {"occluded": "no"}, {"occluded"})
    assert stored == {"occluded": 1, "user": {"occluded": "no"}}


def test_a_listed_flag_the_format_has_no_place_for_becomes_the_flag() -> None:
    stored = read_format_attributes({}, {"difficult": "true", "colour": "red"}, {"occluded"})
    assert stored == {"difficult": 1, "user": {"colour": "red"}}


def test_a_writer_gets_its_own_flags_apart_from_its_free_list() -> None:
    own_places, listed = format_attributes(STORED, {"occluded", "z_order"})
    assert own_places == {"occluded": 1}
    assert listed == {"occluded": "no", "colour": "red", "iscrowd": 1}


# -- every writer ----------------------------------------------------------------------------


@pytest.fixture
def project_with_attributes(tmp_path: Path, project: Project) -> Project:
    """One box with STORED, and one written by an older Studio in the flat layout."""
    save_image(tmp_path / "images/a.png", (64, 48), seed=3)
    project.import_media([tmp_path / "images"])
    (item_id,) = project.item_ids()
    project.add_classes(["car"])
    project.add_annotations(
        [
            {"item_id": item_id, "label": "car", "box": [1, 2, 10, 20], "attributes": STORED},
            {
                "item_id": item_id,
                "label": "car",
                "box": [30, 2, 10, 20],
                "attributes": {"difficult": 1, "colour": "blue"},
            },
        ]
    )
    project.set_status(item_id, "done")
    return project


def _reimported(tmp_path: Path, source: Path, format_name: str) -> list[dict]:
    with Project.create(tmp_path / f"again-{format_name}.studio") as again:
        again.import_labels(source, format=format_name)
        (item_id,) = again.item_ids()
        annotations = sorted(again.annotations(item_id), key=lambda a: a.geometry)
        return [dict(a.attributes) for a in annotations]


# Where a format writes the user attributes and the flags it has no place for into one list,
# a user attribute named like such a flag cannot be told from it: the flag is kept.
FLAG_KEPT = {"occluded": 1, "iscrowd": 1, "user": {"colour": "red"}}


@pytest.mark.parametrize(
    ("format_name", "first"),
    [("cvat", STORED), ("label_studio", STORED), ("coco", FLAG_KEPT), ("labelme", FLAG_KEPT)],
)
def test_a_round_trip_through_each_format_keeps_flags_and_user_attributes_apart(
    tmp_path: Path, project_with_attributes: Project, format_name: str, first: dict
) -> None:
    out = tmp_path / f"out-{format_name}"
    project_with_attributes.export_labels(out, format=format_name)
    assert _reimported(tmp_path, out, format_name) == [
        first,
        {"difficult": 1, "user": {"colour": "blue"}},
    ]


def test_voc_writes_its_flags_in_place_and_the_rest_in_its_attributes_block(
    tmp_path: Path, project_with_attributes: Project
) -> None:
    project_with_attributes.export_labels(tmp_path / "voc", format="voc")
    (file,) = (tmp_path / "voc/Annotations").glob("*.xml")
    first, second = ET.parse(file).getroot().findall("object")
    assert first.findtext("occluded") == "1"
    listed = {
        attribute.findtext("name"): attribute.findtext("value")
        for attribute in first.findall("attributes/attribute")
    }
    assert listed == {"occluded": "no", "colour": "red", "iscrowd": "1"}
    assert (second.findtext("difficult"), second.findtext("attributes/attribute/value")) == (
        "1",
        "blue",
    )
    assert _reimported(tmp_path, tmp_path / "voc", "voc") == [
        {"occluded": 1, "iscrowd": 1, "user": {"occluded": "no", "colour": "red"}},
        {"difficult": 1, "user": {"colour": "blue"}},
    ]


def test_coco_writes_the_free_list_flat_as_cvat_does(
    tmp_path: Path, project_with_attributes: Project
) -> None:
    project_with_attributes.export_labels(tmp_path / "coco", format="coco")
    (file,) = (tmp_path / "coco/annotations").glob("*.json")
    first = json.loads(file.read_text())["annotations"][0]
    assert first["iscrowd"] == 1
    assert first["attributes"] == {"occluded": 1, "colour": "red"}


# -- the attribute schema of a class ---------------------------------------------------------


@pytest.fixture
def shape_with_schema(tmp_path: Path, project: Project) -> tuple[Project, int]:
    save_image(tmp_path / "images/a.png", (64, 48), seed=2)
    project.import_media([tmp_path / "images"])
    project.add_classes(["person"])
    project.set_class_schema(
        "person",
        attributes=[
            {"name": "age", "type": "number", "min": 0, "max": 120, "default": 30},
            {"name": "seated", "type": "checkbox"},
        ],
    )
    (item_id,) = project.item_ids()
    return project, project.annotate(item_id, "person", box=[1, 1, 20, 20])


def test_a_user_attribute_is_set_in_its_type_as_one_undo_step(
    shape_with_schema: tuple[Project, int],
) -> None:
    project, box = shape_with_schema

    project.set_annotation_attributes(box, {"age": "41", "seated": "true"})

    (record,) = project.annotations(project.item_ids()[0])
    assert record.attributes == {"user": {"age": 41, "seated": True}}
    assert project.undo().description.startswith("Set attributes age, seated of box (person) on ")
    assert project.annotations(record.item_id)[0].attributes["user"]["age"] == 30


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (300, "attribute 'age': 300 is above the maximum 120"),
        ("old", "attribute 'age': 'old' is not a number"),
        (True, "attribute 'age': True is not a number"),
    ],
)
def test_a_bad_number_is_refused_with_one_line(
    shape_with_schema: tuple[Project, int], value: object, message: str
) -> None:
    project, box = shape_with_schema

    with pytest.raises(InvalidEditError, match=message):
        project.set_annotation_attributes(box, {"age": value})

    assert project.annotations(project.item_ids()[0])[0].attributes["user"]["age"] == 30


def test_an_undeclared_attribute_is_kept_as_given(shape_with_schema: tuple[Project, int]) -> None:
    project, box = shape_with_schema

    project.set_annotation_attributes(box, {"note": "blurred"})

    assert project.annotations(project.item_ids()[0])[0].attributes["user"]["note"] == "blurred"
