"""Pascal VOC XML: the devkit-layout fixture, flat folders, round trips, export, bad inputs."""

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
from tests.cli_helpers import run_cli
from tests.core.formats.helpers import (
    BAD_INPUTS,
    FORMAT_FIXTURES,
    dump,
    round_trip,
    signature,
)
from tests.core.image_files import save_image

FIXTURE = FORMAT_FIXTURES / "voc"
BAD_VOC = sorted(BAD_INPUTS.glob("voc--*"))


def by_name(project: Project) -> dict:
    return {Path(item.path).name: item for item in project.items()}


def boxes(project: Project, item_id: int) -> list[tuple]:
    return sorted(
        (a.label, a.kind, a.geometry, json.dumps(dict(a.attributes), sort_keys=True))
        for a in project.annotations(item_id)
    )


def voc_file(path: Path, file_name: str, size: tuple[int, int], objects: str = "") -> Path:
    width, height = size
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"<annotation><filename>{file_name}</filename><size><width>{width}</width>"
        f"<height>{height}</height><depth>3</depth></size>{objects}</annotation>"
    )
    return path


def box_object(name: str, xmin: float, ymin: float, xmax: float, ymax: float) -> str:
    return (
        f"<object><name>{name}</name><bndbox><xmin>{xmin}</xmin><ymin>{ymin}</ymin>"
        f"<xmax>{xmax}</xmax><ymax>{ymax}</ymax></bndbox></object>"
    )


# -- detection -----------------------------------------------------------------------------


def test_fixture_folder_and_file_are_detected_as_voc() -> None:
    assert detect_format(FIXTURE).name == "voc"
    assert detect_format(FIXTURE / "Annotations/000002.xml").name == "voc"
    assert Project.detect_label_format(FIXTURE) == "voc"


def test_voc_is_not_mistaken_for_cvat_and_the_other_way_round() -> None:
    cvat_fixture = FORMAT_FIXTURES / "cvat"
    assert voc.VocFormat().detect(cvat_fixture) == 0
    assert voc.VocFormat().detect(cvat_fixture / "annotations.xml") == 0
    assert cvat.CvatFormat().detect(FIXTURE) == 0
    assert detect_format(cvat_fixture).name == "cvat"


# -- import --------------------------------------------------------------------------------


def test_fixture_imports_exactly(project: Project) -> None:
    report = project.import_labels(FIXTURE)

    assert report.images == 3
    assert report.annotations_added == 3
    assert report.per_class == {"dog": 1, "person": 1, "cat": 1}
    assert [record.name for record in project.classes()] == ["dog", "person", "cat"]
    assert report.warnings == [
        "1 <part> boxes of the VOC person layout were skipped: Studio keeps the whole objects"
    ]
    items = by_name(project)
    assert {name: (item.status, item.split) for name, item in items.items()} == {
        "000001.jpg": ("done", "train"),
        "000002.jpg": ("done", "val"),
        "000003.jpg": ("done_empty", "train"),
    }
    assert boxes(project, items["000001.jpg"].id) == [
        ("dog", "box", [5.0, 6.0, 35.0, 24.0], '{"difficult": 0, "pose": "Left", "truncated": 1}'),
        (
            "person",
            "box",
            [30.5, 10.0, 32.5, 37.0],
            '{"difficult": 0, "occluded": 1, "pose": "Unspecified", "truncated": 0}',
        ),
    ]
    assert boxes(project, items["000002.jpg"].id) == [
        (
            "cat",
            "box",
            [1.0, 1.0, 19.0, 19.0],
            '{"difficult": 1, "pose": "Unspecified", "truncated": 0, "user": {"color": "black"}}',
        )
    ]


def test_one_annotation_file_imports_alone_with_its_split(project: Project) -> None:
    report = project.import_labels(FIXTURE / "Annotations/000002.xml")

    assert report.images == 1
    (item,) = project.items()
    assert (Path(item.path).name, item.split, item.status) == ("000002.jpg", "val", "done")


def test_corner_coordinates_are_taken_as_they_are(tmp_path: Path, project: Project) -> None:
    """A box covering the whole image is written 0,0 – width,height by CVAT and labelImg."""
    save_image(tmp_path / "data/whole.png", (40, 30), seed=1)
    voc_file(tmp_path / "data/whole.xml", "whole.png", (40, 30), box_object("sky", 0, 0, 40, 30))

    project.import_labels(tmp_path / "data", format="voc")

    (item,) = project.items()
    assert [a.geometry for a in project.annotations(item.id)] == [[0.0, 0.0, 40.0, 30.0]]


def test_flat_folder_skips_other_xml_with_a_warning(tmp_path: Path, project: Project) -> None:
    save_image(tmp_path / "data/a.jpg", (64, 48), seed=1)
    save_image(tmp_path / "data/sub/b.jpg", (64, 48), seed=2)
    voc_file(tmp_path / "data/a.xml", "a.jpg", (64, 48), box_object("cat", 1, 2, 11, 12))
    voc_file(tmp_path / "data/sub/b.xml", "b", (0, 0), box_object("dog", 3, 4, 13, 14))
    (tmp_path / "data/settings.xml").write_text("<settings><theme>dark</theme></settings>")

    report = project.import_labels(tmp_path / "data")

    assert report.format == "voc"
    assert report.warnings == ["1 .xml files that are not Pascal VOC annotations were skipped"]
    items = by_name(project)
    assert boxes(project, items["a.jpg"].id) == [("cat", "box", [1.0, 2.0, 10.0, 10.0], "{}")]
    assert boxes(project, items["b.jpg"].id) == [("dog", "box", [3.0, 4.0, 10.0, 10.0], "{}")]


def test_an_image_in_two_split_lists_is_an_error(tmp_path: Path, project: Project) -> None:
    shutil.copytree(FIXTURE, tmp_path / "voc")
    with open(tmp_path / "voc/ImageSets/Main/test.txt", "w") as stream:
        stream.write("000004\n000002\n")

    with pytest.raises(LabelImportError) as caught:
        project.import_labels(tmp_path / "voc")

    assert caught.value.file.endswith("test.txt")
    assert caught.value.record == "line 2"
    assert "'000002' is also listed in val.txt" in str(caught.value)
    assert project.items() == []


def test_errors_name_the_file_and_the_object(tmp_path: Path, project: Project) -> None:
    shutil.copytree(FIXTURE, tmp_path / "voc")
    file = tmp_path / "voc/Annotations/000001.xml"
    file.write_text(file.read_text().replace("<xmax>63</xmax>", "<xmax>sixty</xmax>"))
    before = dump(project.path)

    with pytest.raises(LabelImportError) as caught:
        project.import_labels(tmp_path / "voc")

    assert caught.value.file == str(file)
    assert caught.value.record == "object 2 (person)"
    assert "xmax 'sixty' is not a number" in caught.value.problem
    assert dump(project.path) == before


def test_dry_run_reports_and_writes_nothing(project: Project) -> None:
    before = dump(project.path)

    report = project.import_labels(FIXTURE, dry_run=True)

    assert (report.images, report.annotations_added) == (3, 3)
    assert report.new_classes == ["dog", "person", "cat"]
    assert dump(project.path) == before


# -- export --------------------------------------------------------------------------------


def test_round_trip_keeps_everything(tmp_path: Path) -> None:
    before, after, exported = round_trip(tmp_path, FIXTURE, "voc")

    assert before == after
    assert len(before) == 3
    files = sorted(p.relative_to(exported).as_posix() for p in exported.rglob("*") if p.is_file())
    assert files == [
        "Annotations/000001.xml",
        "Annotations/000002.xml",
        "Annotations/000003.xml",
        "ImageSets/Main/train.txt",
        "ImageSets/Main/val.txt",
        "JPEGImages/000001.jpg",
        "JPEGImages/000002.jpg",
        "JPEGImages/000003.jpg",
    ]
    assert (exported / "ImageSets/Main/train.txt").read_text() == "000001\n000003\n"


def test_export_writes_boxes_and_counts_what_voc_cannot_hold(tmp_path: Path) -> None:
    save_image(tmp_path / "images/street.png", (64, 48), seed=4)
    mask = np.zeros((48, 64), dtype=bool)
    mask[10:20, 10:20] = True
    with Project.create(tmp_path / "p.studio") as project:
        project.import_media([tmp_path / "images"])
        (item_id,) = project.item_ids()
        project.add_classes(["car", "road", "night"])
        project.add_annotations(
            [
                {"item_id": item_id, "label": "car", "box": [2.5, 3, 20, 10]},
                {
                    "item_id": item_id,
                    "label": "car",
                    "box": [30, 20, 10, 8],
                    "attributes": {"difficult": 1, "pose": "Rear", "color": "red"},
                },
                {"item_id": item_id, "label": "car", "polygon": [(1, 1), (9, 1), (9, 9)]},
                {"item_id": item_id, "label": "road", "mask": mask},
                {"item_id": item_id, "label": "night"},
            ]
        )
        project.set_split(item_id, "test")
        report = project.export_labels(tmp_path / "out", format="voc")

    assert report.annotations == 2
    assert report.skipped == {
        "polygons and masks (VOC holds boxes only)": 2,
        "tags (VOC holds boxes only)": 1,
    }
    root = ET.parse(tmp_path / "out/Annotations/street.xml").getroot()
    assert root.findtext("filename") == "street.png"
    assert [root.findtext(f"size/{tag}") for tag in ("width", "height", "depth")] == [
        "64",
        "48",
        "3",
    ]
    objects = root.findall("object")
    assert [[child.tag for child in element] for element in objects] == [
        ["name", "bndbox"],
        ["name", "pose", "difficult", "bndbox", "attributes"],
    ]
    corners = [
        [element.findtext(f"bndbox/{tag}") for tag in ("xmin", "ymin", "xmax", "ymax")]
        for element in objects
    ]
    assert corners == [["2.5", "3", "22.5", "13"], ["30", "20", "40", "28"]]
    assert objects[1].findtext("attributes/attribute/name") == "color"
    assert objects[1].findtext("attributes/attribute/value") == "red"
    assert (tmp_path / "out/ImageSets/Main/test.txt").read_text() == "street\n"
    assert (tmp_path / "out/JPEGImages/street.png").is_file()


def test_images_with_the_same_stem_get_separate_annotation_files(tmp_path: Path) -> None:
    save_image(tmp_path / "images/scene.jpg", (32, 32), seed=1)
    save_image(tmp_path / "images/scene.png", (32, 32), seed=2)
    with Project.create(tmp_path / "p.studio") as project:
        project.import_media([tmp_path / "images"])
        project.add_classes(["cat"])
        for number, item_id in enumerate(project.item_ids(), start=1):
            project.annotate(item_id, "cat", box=[1, 1, number, number])
        project.export_labels(tmp_path / "out", format="voc")
        before = signature(project, statuses=False)

    written = sorted(p.name for p in (tmp_path / "out/Annotations").iterdir())
    assert len(written) == 2
    names = {ET.parse(tmp_path / "out/Annotations" / n).findtext("filename") for n in written}
    assert names == {"scene.jpg", "scene.png"}
    with Project.create(tmp_path / "again.studio") as again:
        again.import_labels(tmp_path / "out")
        assert signature(again, statuses=False) == before


# -- files of other tools --------------------------------------------------------------------


def labelme2voc_file(path: Path, file_name: str, size: tuple[int, int], boxes: list) -> Path:
    """What labelme's examples/bbox_detection/labelme2voc.py writes: empty <folder/>,
    <database/>, <annotation/>, <image/>, <segmented/>, and per object an empty <pose/>,
    <truncated/> and <difficult/>; float corners."""
    width, height = size
    objects = "".join(
        f"<object><name>{name}</name><pose/><truncated/><difficult/><bndbox>"
        f"<xmin>{x1}</xmin><ymin>{y1}</ymin><xmax>{x2}</xmax><ymax>{y2}</ymax></bndbox></object>"
        for name, x1, y1, x2, y2 in boxes
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"<annotation><folder/><filename>{file_name}</filename><database/><annotation/>"
        f"<image/><size><height>{height}</height><width>{width}</width><depth>3</depth></size>"
        f"<segmented/>{objects}</annotation>"
    )
    return path


def roboflow_file(path: Path, file_name: str, size: tuple[int, int], boxes: list) -> Path:
    """A Roboflow VOC export's file: beside its image in train/, valid/ or test/."""
    width, height = size
    objects = "".join(
        f"<object><name>{name}</name><pose>Unspecified</pose><truncated>0</truncated>"
        f"<difficult>0</difficult><occluded>0</occluded><bndbox><xmin>{x1}</xmin>"
        f"<xmax>{x2}</xmax><ymin>{y1}</ymin><ymax>{y2}</ymax></bndbox></object>"
        for name, x1, y1, x2, y2 in boxes
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"<annotation><folder></folder><filename>{file_name}</filename><path>{file_name}</path>"
        "<source><database>roboflow.com</database></source><size>"
        f"<width>{width}</width><height>{height}</height><depth>3</depth></size>"
        f"<segmented>0</segmented>{objects}</annotation>"
    )
    return path


def test_labelme2voc_output_with_empty_flags_imports(tmp_path: Path) -> None:
    root = tmp_path / "data_dataset_voc"
    save_image(root / "JPEGImages/2011_000003.jpg", (50, 34), seed=5)
    labelme2voc_file(
        root / "Annotations/2011_000003.xml",
        "2011_000003.jpg",
        (50, 34),
        [("person", 19.0, 10.5, 31.0, 32.75), ("person", 36.5, 8.0, 50.0, 33.0)],
    )
    (root / "class_names.txt").write_text("_background_\nperson\n")
    project_file = tmp_path / "p.studio"
    Project.create(project_file).close()

    result = run_cli("import-labels", project_file, root)

    assert result.exit_code == 0, result.output
    with Project.open(project_file) as project:
        (item,) = project.items()
        assert boxes(project, item.id) == [
            ("person", "box", [19.0, 10.5, 12.0, 22.25], "{}"),
            ("person", "box", [36.5, 8.0, 13.5, 25.0], "{}"),
        ]


def test_a_box_ending_one_pixel_past_the_image_is_clamped_with_a_warning(
    tmp_path: Path, project: Project
) -> None:
    save_image(tmp_path / "export/train/bird_jpg.rf.1a2b.jpg", (64, 48), seed=6)
    roboflow_file(
        tmp_path / "export/train/bird_jpg.rf.1a2b.xml",
        "bird_jpg.rf.1a2b.jpg",
        (64, 48),
        [("bird", 40, 20, 65, 49), ("bird", 1, 1, 10, 10)],
    )

    report = project.import_labels(tmp_path / "export")

    (item,) = project.items()
    assert item.split == "train"
    flags = '{"difficult": 0, "occluded": 0, "pose": "Unspecified", "truncated": 0}'
    assert boxes(project, item.id) == [
        ("bird", "box", [1.0, 1.0, 9.0, 9.0], flags),
        ("bird", "box", [40.0, 20.0, 24.0, 28.0], flags),
    ]
    assert "1 shapes reaching up to 1 pixel past the image edge were clamped to it" in (
        report.warnings
    )


def test_a_box_more_than_one_pixel_past_the_image_is_refused(
    tmp_path: Path, project: Project
) -> None:
    save_image(tmp_path / "export/valid/a.jpg", (64, 48), seed=6)
    file = roboflow_file(
        tmp_path / "export/valid/a.xml", "a.jpg", (64, 48), [("bird", 40, 20, 65.5, 48)]
    )

    with pytest.raises(LabelImportError) as caught:
        project.import_labels(tmp_path / "export")

    assert caught.value.file == str(file)
    assert "reaches outside the declared 64×48 image" in caught.value.problem
    assert project.count_items() == 0


# -- nothing left out silently -------------------------------------------------------------


def test_voc2012_actions_and_points_are_reported(tmp_path: Path, project: Project) -> None:
    save_image(tmp_path / "a.jpg", (64, 48), seed=1)
    action = (
        "<object><name>person</name><actions><jumping>1</jumping><phoning>0</phoning></actions>"
        "<point><x>20</x><y>20</y></point><extra/>"
        "<bndbox><xmin>1</xmin><ymin>2</ymin><xmax>31</xmax><ymax>32</ymax></bndbox></object>"
    )
    voc_file(tmp_path / "a.xml", "a.jpg", (64, 48), action + action)

    report = project.import_labels(tmp_path / "a.xml")

    assert report.annotations_added == 1  # the second box repeats the first
    assert report.warnings == [
        "Pascal VOC object elements Studio does not import were left out: <actions> ×2, <point> ×2"
    ]


def test_split_list_ids_without_an_annotation_file_are_reported(
    tmp_path: Path, project: Project
) -> None:
    save_image(tmp_path / "voc/JPEGImages/a.jpg", (64, 48), seed=1)
    voc_file(tmp_path / "voc/Annotations/a.xml", "a.jpg", (64, 48), box_object("cat", 1, 2, 9, 9))
    (tmp_path / "voc/ImageSets/Main").mkdir(parents=True)
    (tmp_path / "voc/ImageSets/Main/train.txt").write_text("a\nb\n")
    (tmp_path / "voc/ImageSets/Main/val.txt").write_text("c\n")

    report = project.import_labels(tmp_path / "voc")

    assert [item.split for item in project.items()] == ["train"]
    assert report.warnings == [
        "2 image ids listed in ImageSets/Main have no annotation file and were left out: b, c"
    ]


def test_a_repeated_attribute_keeps_the_first_and_is_reported(
    tmp_path: Path, project: Project
) -> None:
    save_image(tmp_path / "a.jpg", (64, 48), seed=1)
    attributes = "".join(
        f"<attribute><name>colour</name><value>{value}</value></attribute>"
        for value in ("red", "blue", "green")
    )
    box = box_object("car", 1, 2, 11, 12).replace(
        "</object>", f"<attributes>{attributes}</attributes></object>"
    )
    voc_file(tmp_path / "a.xml", "a.jpg", (64, 48), box)

    report = project.import_labels(tmp_path / "a.xml")

    (annotation,) = project.annotations(project.items()[0].id)
    assert annotation.attributes == {"user": {"colour": "red"}}
    assert report.warnings == [
        "Pascal VOC <attribute>s repeating a name on their object were left out (the first is "
        "kept): colour ×2"
    ]
