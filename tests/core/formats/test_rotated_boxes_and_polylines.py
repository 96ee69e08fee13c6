"""Rotated boxes and polylines through every format that holds them, and what the others say.

One convention everywhere (ADR 0045): `[cx, cy, width, height, angle]`, the angle in degrees
clockwise on screen about the centre; a polyline is an open chain `[x1, y1, x2, y2, ...]`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from studio.api import Project
from studio.core.errors import LabelImportError
from tests.conftest import write_images

TURNED = [30.0, 20.0, 16.0, 8.0, 30.0]
LANE = [5.0, 5.0, 20.0, 30.0, 40.0, 10.0]
BOX = [2.0, 3.0, 10.0, 6.0]


def _labeled_project(tmp_path: Path) -> Path:
    """A project of one 64×48 image holding a rotated box, a polyline and a box."""
    path = tmp_path / "source.studio"
    with Project.create(path) as project:
        project.add_classes(["car", "lane"])
        project.import_media(write_images(tmp_path / "images", 1))
        (item,) = project.item_ids()
        project.annotate(item, "car", rotated_box=TURNED)
        project.annotate(item, "lane", polyline=LANE)
        project.annotate(item, "car", box=BOX)
        project.set_status([item], "done")
    return path


def _rounded(geometry: list) -> list:
    return [_rounded(value) if isinstance(value, list) else round(value, 3) for value in geometry]


def _exported_then_imported(tmp_path: Path, format_name: str) -> tuple[list[tuple], object]:
    """The shapes (kind, rounded geometry) a new project reads back from the export, and the
    export's report."""
    with Project.open(_labeled_project(tmp_path)) as source:
        report = source.export_labels(tmp_path / "export", format=format_name)
    with Project.create(tmp_path / "back.studio") as back:
        back.import_labels(tmp_path / "export", format=format_name)
        (item,) = back.items()
        shapes = sorted((a.label, a.kind, _rounded(a.geometry)) for a in back.annotations(item.id))
    return shapes, report


@pytest.mark.parametrize("format_name", ["cvat", "labelme"])
def test_rotated_boxes_and_polylines_round_trip(tmp_path: Path, format_name: str) -> None:
    shapes, report = _exported_then_imported(tmp_path, format_name)
    assert shapes == [
        ("car", "box", BOX),
        ("car", "rotated_box", TURNED),
        ("lane", "polyline", LANE),
    ]
    assert not report.skipped


@pytest.mark.parametrize(
    ("format_name", "polyline_reason"),
    [
        ("yolo_obb", "polyline annotations (YOLO-OBB holds boxes and rotated boxes)"),
        ("label_studio", "polylines (Label Studio has no polyline control)"),
    ],
)
def test_rotated_boxes_round_trip_where_polylines_have_no_place(
    tmp_path: Path, format_name: str, polyline_reason: str
) -> None:
    shapes, report = _exported_then_imported(tmp_path, format_name)
    box_back = ("car", "box", BOX)
    if format_name == "yolo_obb":  # YOLO-OBB writes a box as a rotated box of angle 0
        box_back = ("car", "rotated_box", [7.0, 6.0, 10.0, 6.0, 0.0])
    assert shapes == sorted([box_back, ("car", "rotated_box", TURNED)])
    assert report.skipped == {polyline_reason: 1}


def test_yolo_obb_lines_are_four_corners_from_the_unrotated_top_left(tmp_path: Path) -> None:
    with Project.open(_labeled_project(tmp_path)) as source:
        source.export_labels(tmp_path / "export", format="yolo-obb")
    (label_file,) = (tmp_path / "export/labels").glob("*.txt")
    turned, box = label_file.read_text().splitlines()
    assert box == "0 0.03125 0.0625 0.1875 0.0625 0.1875 0.1875 0.03125 0.1875"  # angle 0
    values = [float(value) for value in turned.split()[1:]]
    # The first corner of [30, 20, 16, 8, 30°]: (-8, -4) turned 30° clockwise, plus the centre.
    assert values[:2] == pytest.approx([(30 - 6.9282 + 2) / 64, (20 - 4 - 3.4641) / 48], abs=1e-5)


def test_a_yolo_obb_line_of_the_wrong_length_names_the_file_and_line(tmp_path: Path) -> None:
    write_images(tmp_path / "data/images", 1)
    (tmp_path / "data/labels").mkdir()
    (tmp_path / "data/labels/image_0000.txt").write_text("0 0.1 0.1 0.5 0.5\n")
    (tmp_path / "data/data.yaml").write_text("names: [car]\n")
    with Project.create(tmp_path / "p.studio") as project:
        refused = r"image_0000.txt.*line 1.*a YOLO-OBB line"
        with pytest.raises(LabelImportError, match=refused) as raised:
            project.import_labels(tmp_path / "data", format="yolo_obb")
        assert "\n" not in str(raised.value)
        assert project.items() == []


def test_coco_writes_rotated_boxes_as_polygons_and_skips_polylines(tmp_path: Path) -> None:
    shapes, report = _exported_then_imported(tmp_path, "coco")
    kinds = [(label, kind) for label, kind, _ in shapes]
    assert kinds == [("car", "box"), ("car", "polygon")]
    assert report.skipped == {"polyline annotations (COCO has no place)": 1}
    assert report.warnings == [
        "rotated boxes were written as 4-point polygons (COCO has no rotated box)"
    ]


def test_yolo_writes_rotated_boxes_as_polygons_and_says_so(tmp_path: Path) -> None:
    shapes, report = _exported_then_imported(tmp_path, "yolo")
    assert [kind for _, kind, _ in shapes] == ["box", "polygon"]
    assert any("YOLO-OBB keeps them rotated" in warning for warning in report.warnings)


def test_labelme_export_says_rotated_boxes_are_x_anylabeling_shapes(tmp_path: Path) -> None:
    _shapes, report = _exported_then_imported(tmp_path, "labelme")
    assert any("X-AnyLabeling 'rotation' shapes" in warning for warning in report.warnings)
    (document,) = [json.loads(path.read_text()) for path in (tmp_path / "export").glob("*.json")]
    (rotation,) = [shape for shape in document["shapes"] if shape["shape_type"] == "rotation"]
    assert rotation["direction"] == pytest.approx(0.5235988)  # 30° in radians
    assert len(rotation["points"]) == 4


def test_a_polyline_a_pixel_past_the_edge_is_nudged_inside_and_counted(tmp_path: Path) -> None:
    write_images(tmp_path / "data", 1)
    line = {"label": "lane", "points": [[-0.5, 10], [64.5, 40]], "shape_type": "linestrip"}
    document = {"shapes": [line], "imagePath": "image_0000.jpg", "imageData": None}
    (tmp_path / "data/image_0000.json").write_text(json.dumps(document))
    with Project.create(tmp_path / "p.studio") as project:
        report = project.import_labels(tmp_path / "data", format="labelme")
        (annotation,) = project.annotations(project.items()[0].id)
        assert annotation.geometry == [0.0, 10.0, 64.0, 40.0]
        assert report.warnings == [
            "1 shapes reaching up to 1 pixel past the image edge were clamped to it"
        ]
