"""CVAT for images 1.1: the task-export fixture, masks in CVAT's RLE, round trips, bad inputs."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from studio.api import Project
from studio.core.errors import LabelImportError
from studio.core.formats import cvat, labelme, voc  # noqa: F401 (importing registers them)
from studio.core.formats.registry import detect_format
from studio.core.geometry import decode_mask
from tests.cli_helpers import run_cli
from tests.core.formats.helpers import (
    BAD_INPUTS,
    FORMAT_FIXTURES,
    dump,
    round_trip,
)
from tests.core.image_files import save_image

FIXTURE = FORMAT_FIXTURES / "cvat"
BAD_CVAT = sorted(BAD_INPUTS.glob("cvat--*"))


def road_mask() -> np.ndarray:
    """The mask of b.png: rle "1, 2, 1, 4, 2, 2" over the 4×3 rectangle at (10, 20)."""
    mask = np.zeros((48, 64), dtype=bool)
    mask[20:23, 10:14] = [[0, 1, 1, 0], [1, 1, 1, 1], [0, 0, 1, 1]]
    return mask


def by_name(project: Project) -> dict:
    return {Path(item.path).name: item for item in project.items()}


def shapes(project: Project, item_id: int) -> list[tuple]:
    return sorted(
        (a.label, a.kind, a.geometry, json.dumps(dict(a.attributes), sort_keys=True))
        for a in project.annotations(item_id)
        if a.kind != "mask"
    )


def cvat_file(path: Path, images: str, labels: tuple[str, ...] = ("car",), meta: str = "") -> Path:
    names = "".join(f"<label><name>{name}</name></label>" for name in labels)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "<annotations><version>1.1</version><meta><task>"
        f"{meta}<labels>{names}</labels></task></meta>{images}</annotations>"
    )
    return path


# -- detection -----------------------------------------------------------------------------


def test_fixture_folder_and_file_are_detected_as_cvat() -> None:
    assert detect_format(FIXTURE).name == "cvat"
    assert detect_format(FIXTURE / "annotations.xml").name == "cvat"
    assert Project.detect_label_format(FIXTURE) == "cvat"
    assert cvat.CvatFormat().detect(FORMAT_FIXTURES / "voc/Annotations/000001.xml") == 0


# -- import --------------------------------------------------------------------------------


def test_fixture_imports_exactly(project: Project) -> None:
    report = project.import_labels(FIXTURE)

    assert report.images == 3
    assert report.annotations_added == 7
    assert report.per_class == {"car": 2, "person": 3, "road": 1, "day": 1}
    assert [record.name for record in project.classes()] == [
        "car",
        "person",
        "road",
        "day",
        "unused",
    ]
    assert report.warnings == [
        "1 points shapes skipped: Studio has no points shape",
        "CVAT shapes made with a tool's help were imported as human work: semi-auto ×1",
    ]
    items = by_name(project)
    assert {name: (item.status, item.split) for name, item in items.items()} == {
        "a.jpg": ("done", "train"),
        "b.png": ("done", "val"),
        "c.jpg": ("done_empty", None),
    }
    first = shapes(project, items["a.jpg"].id)
    assert first[0] == (
        "car",
        "box",
        [2.5, 3.0, 27.5, 17.0],
        '{"occluded": 1, "user": {"color": "red"}}',
    )
    rotated = first[1]
    assert rotated[:3] == ("car", "rotated_box", [45.0, 30.0, 10.0, 10.0, 90.0])
    assert rotated[3] == '{"user": {"color": "blue"}, "z_order": 1}'
    assert first[2:] == [
        ("day", "tag", None, "{}"),
        ("person", "polygon", [[35.0, 5.0, 60.0, 5.0, 60.0, 24.5, 35.0, 24.0]], "{}"),
        ("person", "polyline", [1.0, 40.0, 20.0, 45.0], "{}"),
    ]
    assert shapes(project, items["b.png"].id) == [
        (
            "person",
            "polygon",
            [[2.0, 2.0, 12.0, 2.0, 12.0, 12.0], [20.0, 2.0, 30.0, 2.0, 30.0, 12.0, 20.0, 12.0]],
            "{}",
        )
    ]
    (mask,) = [a for a in project.annotations(items["b.png"].id) if a.kind == "mask"]
    assert mask.label == "road"
    assert np.array_equal(decode_mask(mask.geometry), road_mask())


def test_a_task_subset_in_meta_gives_the_split(tmp_path: Path, project: Project) -> None:
    save_image(tmp_path / "task/images/x.jpg", (32, 32), seed=1)
    file = cvat_file(
        tmp_path / "task/annotations.xml",
        '<image id="0" name="x.jpg" width="32" height="32">'
        '<box label="car" occluded="0" xtl="1" ytl="2" xbr="11" ybr="12"/></image>',
        meta="<subset>Test</subset>",
    )

    project.import_labels(file)

    (item,) = project.items()
    assert item.split == "test"
    assert shapes(project, item.id) == [("car", "box", [1.0, 2.0, 10.0, 10.0], "{}")]


def test_labels_are_free_when_meta_lists_none(tmp_path: Path, project: Project) -> None:
    save_image(tmp_path / "task/x.jpg", (32, 32), seed=1)
    (tmp_path / "task/annotations.xml").write_text(
        '<annotations><version>1.1</version><image id="0" name="x.jpg" width="32" height="32">'
        '<tag label="indoor"/></image></annotations>'
    )

    report = project.import_labels(tmp_path / "task")

    assert report.format == "cvat"
    assert report.per_class == {"indoor": 1}


def test_errors_name_the_file_the_image_and_the_shape(tmp_path: Path, project: Project) -> None:
    shutil.copytree(FIXTURE, tmp_path / "cvat")
    file = tmp_path / "cvat/annotations.xml"
    file.write_text(file.read_text().replace('label="road"', 'label="river"'))
    before = dump(project.path)

    with pytest.raises(LabelImportError) as caught:
        project.import_labels(tmp_path / "cvat")

    assert caught.value.file == str(file)
    assert caught.value.record == "image 'b.png', <mask> 1"
    assert "label 'river' is not among the labels declared in <meta>" in caught.value.problem
    assert dump(project.path) == before


def test_dry_run_reports_and_writes_nothing(project: Project) -> None:
    before = dump(project.path)

    report = project.import_labels(FIXTURE, dry_run=True)

    assert (report.images, report.annotations_added) == (3, 7)
    assert dump(project.path) == before


# -- export --------------------------------------------------------------------------------


def test_round_trip_keeps_everything(tmp_path: Path) -> None:
    before, after, exported = round_trip(tmp_path, FIXTURE, "cvat")

    assert before == after
    assert len(before) == 3
    files = sorted(p.relative_to(exported).as_posix() for p in exported.rglob("*") if p.is_file())
    assert files == ["annotations.xml", "images/a.jpg", "images/b.png", "images/c.jpg"]


def test_export_writes_cvat_xml(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p.studio") as project:
        project.import_labels(FIXTURE)
        project.export_labels(tmp_path / "out", format="cvat")
    root = ET.parse(tmp_path / "out/annotations.xml").getroot()

    assert root.findtext("version") == "1.1"
    labels = [label.findtext("name") for label in root.findall("meta/task/labels/label")]
    assert labels == ["car", "person", "road", "day", "unused"]
    images = {image.get("name"): image for image in root.findall("image")}
    assert {name: image.get("subset") for name, image in images.items()} == {
        "a.jpg": "Train",
        "b.png": "Validation",
        "c.jpg": None,
    }
    assert [(i.get("width"), i.get("height")) for i in images.values()] == [
        ("64", "48"),
        ("64", "48"),
        ("32", "32"),
    ]
    box = images["a.jpg"].find("box")
    assert {key: box.get(key) for key in ("label", "occluded", "xtl", "ytl", "xbr", "ybr")} == {
        "label": "car",
        "occluded": "1",
        "xtl": "2.50",
        "ytl": "3.00",
        "xbr": "30.00",
        "ybr": "20.00",
    }
    assert [(a.get("name"), a.text) for a in box.findall("attribute")] == [("color", "red")]
    assert [tag.get("label") for tag in images["a.jpg"].findall("tag")] == ["day"]
    (mask,) = images["b.png"].findall("mask")
    assert {key: mask.get(key) for key in ("rle", "left", "top", "width", "height")} == {
        "rle": "1, 2, 1, 4, 2, 2",
        "left": "10",
        "top": "20",
        "width": "4",
        "height": "3",
    }
    parts = images["b.png"].findall("polygon")
    assert [p.get("points") for p in parts] == [
        "2.00,2.00;12.00,2.00;12.00,12.00",
        "20.00,2.00;30.00,2.00;30.00,12.00;20.00,12.00",
    ]
    assert parts[0].get("group_id") == parts[1].get("group_id") is not None
    assert list(images["c.jpg"]) == []


def test_mask_starting_with_foreground_and_keypoints(tmp_path: Path) -> None:
    """CVAT's RLE starts with background: a mask whose first pixel is set begins with 0."""
    save_image(tmp_path / "images/leaf.png", (40, 30), seed=5)
    mask = np.zeros((30, 40), dtype=bool)
    mask[5:9, 7:12] = True
    mask[5, 7] = True
    mask[8, 11] = False
    with Project.create(tmp_path / "p.studio") as project:
        project.import_media([tmp_path / "images"])
        (item_id,) = project.item_ids()
        project.add_classes(["leaf", "tip"])
        project.annotate(item_id, "leaf", mask=mask)
        project.annotate(item_id, "tip", keypoints=[(3, 4, 2)])
        report = project.export_labels(tmp_path / "out", format="cvat")
    element = ET.parse(tmp_path / "out/annotations.xml").getroot().find("image/mask")

    assert element.get("rle") == "0, 19, 1"
    assert (element.get("left"), element.get("top")) == ("7", "5")
    assert report.skipped == {"keypoints annotations (not written to CVAT XML)": 1}
    with Project.create(tmp_path / "again.studio") as again:
        again.import_labels(tmp_path / "out")
        (item,) = again.items()
        (annotation,) = again.annotations(item.id)
        assert np.array_equal(decode_mask(annotation.geometry), mask)


def test_coordinates_cvat_rounds_differently_keep_their_precision(tmp_path: Path) -> None:
    save_image(tmp_path / "images/x.png", (40, 30), seed=6)
    with Project.create(tmp_path / "p.studio") as project:
        project.import_media([tmp_path / "images"])
        (item_id,) = project.item_ids()
        project.add_classes(["car"])
        project.annotate(item_id, "car", box=[1.125, 2, 10.3333, 5])
        project.export_labels(tmp_path / "out", format="cvat")
    box = ET.parse(tmp_path / "out/annotations.xml").getroot().find("image/box")

    assert (box.get("xtl"), box.get("ytl"), box.get("ybr")) == ("1.125", "2.00", "7.00")
    assert float(box.get("xbr")) == 1.125 + 10.3333


# -- files of CVAT itself --------------------------------------------------------------------

# A project export ("CVAT for images 1.1", with images): the labels in <meta><project>, one
# task per subset, each image naming its subset and lying in images/<subset>/. Two tasks may
# hold images of one name. The "car" label defines an attribute named "occluded", as teams
# that track partial visibility by hand do, beside CVAT's own occluded flag.
PROJECT_EXPORT = """<?xml version="1.0" encoding="utf-8"?>
<annotations>
  <version>1.1</version>
  <meta>
    <project>
      <id>3</id>
      <name>streets</name>
      <labels>
        <label>
          <name>car</name>
          <color>#fa3253</color>
          <type>any</type>
          <attributes>
            <attribute>
              <name>occluded</name>
              <mutable>False</mutable>
              <input_type>select</input_type>
              <default_value>no</default_value>
              <values>no
yes</values>
            </attribute>
          </attributes>
        </label>
        <label><name>person</name><color>#33ddff</color><type>any</type><attributes/></label>
      </labels>
      <tasks>
        <task><id>7</id><name>train part</name><subset>Train</subset></task>
        <task><id>8</id><name>val part</name><subset>Validation</subset></task>
      </tasks>
    </project>
    <dumped>2024-03-01 10:00:00.000000+00:00</dumped>
  </meta>
  <image id="0" name="street.jpg" subset="Train" task_id="7" width="64" height="48">
    <box label="car" source="manual" occluded="1"
          xtl="2.00" ytl="3.00" xbr="30.00" ybr="20.00" z_order="0">
      <attribute name="occluded">no</attribute>
    </box>
    <box label="car" source="manual" occluded="0"
          xtl="32.00" ytl="3.00" xbr="60.00" ybr="20.00" z_order="2">
      <attribute name="occluded">yes</attribute>
    </box>
    <polygon label="person" source="manual" occluded="1"
          points="5.00,25.00;20.00,25.00;12.00,40.00" z_order="1">
    </polygon>
  </image>
  <image id="1" name="street.jpg" subset="Validation" task_id="8" width="40" height="30">
    <box label="car" source="manual" occluded="0"
          xtl="1.00" ytl="1.00" xbr="10.00" ybr="10.00" z_order="0">
      <attribute name="occluded">no</attribute>
    </box>
  </image>
  <image id="2" name="crossing.jpg" subset="Train" task_id="7" width="64" height="48">
  </image>
</annotations>
"""


def project_export(folder: Path) -> Path:
    save_image(folder / "images/Train/street.jpg", (64, 48), seed=11)
    save_image(folder / "images/Train/crossing.jpg", (64, 48), seed=12)
    save_image(folder / "images/Validation/street.jpg", (40, 30), seed=13)
    (folder / "annotations.xml").write_text(PROJECT_EXPORT)
    return folder


def shape_flags(file: Path) -> list[tuple]:
    """(subset, label, occluded, z_order, attributes) of every shape of a CVAT file."""
    root = ET.parse(file).getroot()
    return sorted(
        (
            image.get("subset"),
            shape.get("label"),
            shape.get("occluded"),
            shape.get("z_order"),
            sorted((a.get("name"), a.text) for a in shape.findall("attribute")),
        )
        for image in root.findall("image")
        for shape in image
    )


def test_a_project_export_finds_each_image_in_its_subset_folder(
    tmp_path: Path, project: Project
) -> None:
    report = project.import_labels(project_export(tmp_path / "export"))

    assert (report.images, report.annotations_added) == (3, 4)
    splits = sorted(
        (Path(item.path).parent.name, item.split, item.width) for item in project.items()
    )
    assert splits == [("Train", "train", 64), ("Train", "train", 64), ("Validation", "val", 40)]
    assert [c.name for c in project.classes()] == ["car", "person"]


def test_an_occluded_label_attribute_stays_apart_from_the_occluded_flag(
    tmp_path: Path, project: Project
) -> None:
    project.import_labels(project_export(tmp_path / "export"))

    (train_street,) = [
        item for item in project.items() if item.width == 64 and item.status == "done"
    ]
    boxes = sorted(
        (a.geometry[0], dict(a.attributes))
        for a in project.annotations(train_street.id)
        if a.kind == "box"
    )
    assert boxes == [
        (2.0, {"occluded": 1, "user": {"occluded": "no"}}),
        (32.0, {"z_order": 2, "user": {"occluded": "yes"}}),
    ]


def test_a_project_export_round_trip_keeps_every_shapes_flags_and_attributes(
    tmp_path: Path,
) -> None:
    source = project_export(tmp_path / "export")
    project_file = tmp_path / "p.studio"
    Project.create(project_file).close()

    assert run_cli("import-labels", project_file, source).exit_code == 0
    result = run_cli("export-labels", project_file, tmp_path / "out", "--format", "cvat")
    assert result.exit_code == 0, result.output

    assert shape_flags(tmp_path / "out/annotations.xml") == shape_flags(source / "annotations.xml")


# Datumaro's own CVAT test file (tests/assets/cvat_dataset/for_images/train.xml): named after
# its subset, label attributes of every input type, a skeleton label with its point labels,
# and shapes with an empty label.
DATUMARO_TASK = """<annotations>
  <version>1.1</version>
  <meta>
    <task>
      <z_order>True</z_order>
      <mode>annotation</mode>
      <labels>
        <label>
          <name>label1</name>
          <attributes>
            <attribute><name>a1</name><input_type>checkbox</input_type></attribute>
            <attribute><name>a2</name><input_type>radio</input_type></attribute>
          </attributes>
        </label>
        <label><name>label2</name></label>
        <label><name>skeleton</name><type>skeleton</type></label>
        <label><name>1</name><type>points</type><parent>skeleton</parent></label>
        <label><name>2</name><type>points</type><parent>skeleton</parent></label>
      </labels>
    </task>
  </meta>
  <image height="8" id="0" name="img0.jpg" width="8">
    <box label="label1" occluded="1" xbr="4" xtl="0" ybr="4" ytl="2" z_order="1">
      <attribute name="a1">true</attribute>
      <attribute name="a2">v3</attribute>
    </box>
    <polyline label="" points="1.0,2;3,4;5,6;7,8"/>
    <skeleton label="skeleton" occluded="0" source="manual" points="" z_order="0">
      <points label="1" occluded="0" source="manual" outside="1" points="1,1" z_order="0"/>
      <points label="2" occluded="0" source="manual" outside="0" points="2,2" z_order="0"/>
    </skeleton>
  </image>
  <image height="10" id="1" name="img1.jpg" width="10">
    <polygon label="" points="1,2;3,4;6,5" z_order="1"/>
    <points label="label2" points="1,2;3,4;5,6" z_order="2"/>
  </image>
</annotations>
"""


def test_datumaros_test_file_imports_and_reports_what_it_skips(
    tmp_path: Path, project: Project
) -> None:
    save_image(tmp_path / "for_images/images/img0.jpg", (8, 8), seed=14)
    save_image(tmp_path / "for_images/images/img1.jpg", (10, 10), seed=15)
    (tmp_path / "for_images/train.xml").write_text(DATUMARO_TASK)

    report = project.import_labels(tmp_path / "for_images")

    assert report.format == "cvat"
    assert sorted(report.warnings) == [
        "1 points shapes skipped: Studio has no points shape",
        "1 skeletons skipped: Studio has no skeleton shape",
        "2 shapes without a label skipped: every Studio shape has a class",
    ]
    items = by_name(project)
    assert shapes(project, items["img0.jpg"].id) == [
        (
            "label1",
            "box",
            [0.0, 2.0, 4.0, 2.0],
            '{"occluded": 1, "user": {"a1": true, "a2": "v3"}, "z_order": 1}',
        )
    ]
    # Its shapes were all skipped: img1 is not known to be empty.
    assert (items["img1.jpg"].status, items["img0.jpg"].status) == ("new", "done")


# -- nothing left out silently -------------------------------------------------------------


def one_image_task(tmp_path: Path, shapes_xml: str, labels_xml: str = "") -> Path:
    """A task export of one 32×32 image holding `shapes_xml` (label "car" in <meta>)."""
    save_image(tmp_path / "task/images/x.jpg", (32, 32), seed=1)
    labels = labels_xml or "<label><name>car</name></label>"
    (tmp_path / "task/annotations.xml").write_text(
        "<annotations><version>1.1</version><meta><task>"
        f"<labels>{labels}</labels></task></meta>"
        f'<image id="0" name="x.jpg" width="32" height="32">{shapes_xml}</image></annotations>'
    )
    return tmp_path / "task"


def test_group_ids_of_shapes_other_than_polygons_are_reported(
    tmp_path: Path, project: Project
) -> None:
    task = one_image_task(
        tmp_path,
        '<box label="car" group_id="1" xtl="1" ytl="1" xbr="9" ybr="9"/>'
        '<polygon label="car" group_id="1" points="10,10;20,10;20,20"/>'
        '<polygon label="car" group_id="1" points="21,21;30,21;30,30"/>',
    )

    report = project.import_labels(task)

    kinds = sorted(a.kind for a in project.annotations(project.items()[0].id))
    assert kinds == ["box", "polygon"]  # the polygons of group 1 are one object
    assert report.warnings == [
        "CVAT group_id on shapes other than polygons was left out (Studio joins polygons "
        "only): <box> ×1"
    ]


def test_auto_shapes_are_model_made_and_semi_auto_ones_are_reported(
    tmp_path: Path, project: Project
) -> None:
    task = one_image_task(
        tmp_path,
        '<box label="car" source="auto" xtl="1" ytl="1" xbr="9" ybr="9"/>'
        '<box label="car" source="semi-auto" xtl="2" ytl="2" xbr="9" ybr="9"/>'
        '<box label="car" source="manual" xtl="3" ytl="3" xbr="9" ybr="9"/>',
    )

    report = project.import_labels(task)

    sources = {a.geometry[0]: a.source for a in project.annotations(project.items()[0].id)}
    assert sources == {1.0: "model", 2.0: "human", 3.0: "human"}
    assert report.warnings == [
        "CVAT shapes made with a tool's help were imported as human work: semi-auto ×1"
    ]


def test_model_made_shapes_export_as_auto_and_come_back_model_made(tmp_path: Path) -> None:
    task = one_image_task(
        tmp_path, '<box label="car" source="auto" xtl="1" ytl="1" xbr="9" ybr="9"/>'
    )

    before, after, exported = round_trip(tmp_path, task, "cvat")

    assert before == after
    assert ET.parse(exported / "annotations.xml").find("image/box").get("source") == "auto"


SPEC_XML = (
    "<attribute><name>colour</name><mutable>False</mutable><input_type>select</input_type>"
    "<default_value>red</default_value><values>red\nblue</values></attribute>"
    "<attribute><name>doors</name><mutable>False</mutable><input_type>number</input_type>"
    "<default_value>4</default_value><values>2\n5\n1</values></attribute>"
    "<attribute><name>parked</name><mutable>False</mutable><input_type>checkbox</input_type>"
    "<default_value>false</default_value><values>false</values></attribute>"
    "<attribute><name>plate</name><mutable>False</mutable><input_type>text</input_type>"
    "<default_value></default_value><values></values></attribute>"
)
CAR_SCHEMA = [
    {"name": "colour", "type": "choice", "default": "red", "values": ["red", "blue"]},
    {"name": "doors", "type": "number", "default": 4, "min": 2, "max": 5},
    {"name": "parked", "type": "checkbox", "default": False},
    {"name": "plate", "type": "text", "default": ""},
]


def test_a_labels_attribute_spec_becomes_the_class_schema_and_is_exported_back(
    tmp_path: Path,
) -> None:
    task = one_image_task(
        tmp_path,
        '<box label="car" xtl="1" ytl="1" xbr="9" ybr="9"><attribute name="colour">blue'
        '</attribute><attribute name="doors">3</attribute><attribute name="parked">true'
        "</attribute></box>",
        f"<label><name>car</name><attributes>{SPEC_XML}</attributes></label>",
    )
    with Project.create(tmp_path / "p.studio") as project:
        project.import_labels(task)
        project.export_labels(tmp_path / "out", format="cvat")
        (car,) = project.classes()
        (box,) = project.annotations(project.item_ids()[0])

    assert car.meta == {"attributes": CAR_SCHEMA}
    assert box.attributes == {"user": {"colour": "blue", "doors": 3, "parked": True}}
    with Project.create(tmp_path / "again.studio") as again:
        again.import_labels(tmp_path / "out")
        assert again.classes()[0].meta == {"attributes": CAR_SCHEMA}
    written = ET.parse(tmp_path / "out/annotations.xml").findall(
        "meta/task/labels/label/attributes/attribute"
    )
    assert [(each.findtext("input_type"), each.findtext("values")) for each in written] == [
        ("select", "red\nblue"),
        ("number", "2\n5\n1"),
        ("checkbox", "false"),
        ("text", ""),
    ]


def test_an_older_projects_cvat_definitions_are_still_exported(
    tmp_path: Path, project: Project
) -> None:
    save_image(tmp_path / "images/a.png", (16, 16), seed=1)
    project.import_media([tmp_path / "images"])
    definition = {"name": "colour", "input_type": "radio", "values": ["red", "blue"]}
    project.add_classes([{"name": "car", "meta": {"attribute_definitions": [definition]}}])

    project.export_labels(tmp_path / "out", format="cvat")

    written = ET.parse(tmp_path / "out/annotations.xml").find(
        "meta/task/labels/label/attributes/attribute"
    )
    assert [(child.tag, child.text) for child in written] == [
        ("name", "colour"),
        ("mutable", "False"),
        ("input_type", "select"),
        ("default_value", "red"),
        ("values", "red\nblue"),
    ]


def test_a_bad_attribute_spec_refuses_the_import_naming_the_label(
    tmp_path: Path, project: Project
) -> None:
    spec = (
        "<attribute><name>doors</name><input_type>number</input_type>"
        "<default_value>9</default_value><values>2\n5\n1</values></attribute>"
    )
    task = one_image_task(
        tmp_path, "", f"<label><name>car</name><attributes>{spec}</attributes></label>"
    )

    with pytest.raises(LabelImportError, match="label 'car': attribute 'doors': 9 is above"):
        project.import_labels(task)
    assert project.classes() == []


def test_a_repeated_attribute_keeps_the_last_and_is_reported(
    tmp_path: Path, project: Project
) -> None:
    task = one_image_task(
        tmp_path,
        '<box label="car" xtl="1" ytl="1" xbr="9" ybr="9"><attribute name="colour">red'
        '</attribute><attribute name="colour">blue</attribute></box>',
    )

    report = project.import_labels(task)

    (annotation,) = project.annotations(project.items()[0].id)
    assert annotation.attributes == {"user": {"colour": "blue"}}
    assert report.warnings == [
        "CVAT <attribute>s repeating a name on their shape were left out (the last is kept): "
        "colour ×1"
    ]
