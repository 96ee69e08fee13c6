"""labelme JSON: the fixture (every shape type, imageData, ../ paths), round trips, bad inputs."""

from __future__ import annotations

import base64
import io
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.api import Project
from studio.core.errors import LabelImportError
from studio.core.formats import cvat, labelme, voc  # noqa: F401 (importing registers them)
from studio.core.formats.registry import detect_format
from studio.core.geometry import decode_mask
from tests.cli_helpers import run_cli
from tests.core.formats.helpers import BAD_INPUTS, FORMAT_FIXTURES, dump, round_trip
from tests.core.image_files import save_image

FIXTURE = FORMAT_FIXTURES / "labelme"
BAD_LABELME = sorted(BAD_INPUTS.glob("labelme--*"))


def road_mask() -> np.ndarray:
    """The mask shape of b.json: a 5×4 PNG placed at (10, 20)."""
    mask = np.zeros((48, 64), dtype=bool)
    mask[20:24, 10:15] = [[0, 1, 1, 0, 0], [1, 1, 1, 1, 0], [0, 1, 1, 1, 1], [0, 0, 1, 1, 0]]
    return mask


def by_name(project: Project) -> dict:
    return {
        item.meta.get("original_name") or Path(item.path).name: item for item in project.items()
    }


def shapes(project: Project, item_id: int) -> list[tuple]:
    return sorted(
        (a.label, a.kind, a.geometry, json.dumps(dict(a.attributes), sort_keys=True))
        for a in project.annotations(item_id)
        if a.kind != "mask"
    )


def labelme_file(path: Path, image_path: str, shapes: list, size=(64, 48), **extra) -> Path:
    document = {
        "version": "5.4.1",
        "flags": {},
        "shapes": shapes,
        "imagePath": image_path,
        "imageData": None,
        "imageHeight": size[1],
        "imageWidth": size[0],
        **extra,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document))
    return path


def rectangle(label: str = "car") -> dict:
    return {"label": label, "points": [[1, 2], [11, 12]], "shape_type": "rectangle"}


# -- detection -----------------------------------------------------------------------------


def test_fixture_folder_and_file_are_detected_as_labelme() -> None:
    assert detect_format(FIXTURE).name == "labelme"
    assert detect_format(FIXTURE / "a.json").name == "labelme"
    assert Project.detect_label_format(FIXTURE) == "labelme"


# -- import --------------------------------------------------------------------------------


def test_fixture_imports_exactly(project: Project) -> None:
    report = project.import_labels(FIXTURE)

    assert report.images == 4
    assert report.annotations_added == 10
    assert report.per_class == {
        "lane": 1,
        "car": 2,
        "person": 1,
        "tree": 1,
        "nose": 1,
        "day": 1,
        "road": 1,
        "ball": 1,
        "hand": 1,
    }
    assert report.warnings == []
    items = by_name(project)
    assert {name: item.status for name, item in items.items()} == {
        "a.jpg": "done",
        "b.png": "done",
        "c.jpg": "done_empty",
        "d.png": "done",
    }
    assert Path(items["c.jpg"].path).parent.name == "images"  # ../images/c.jpg, inside
    assert shapes(project, items["a.jpg"].id) == [
        ("car", "box", [5.0, 4.0, 25.0, 16.0], '{"description": "parked", "occluded": false}'),
        ("day", "tag", None, "{}"),
        ("lane", "polyline", [0.0, 47.0, 30.0, 40.0, 63.0, 47.0], "{}"),
        ("nose", "keypoints", [[40.5, 30.25, 2]], "{}"),
        (
            "person",
            "polygon",
            [[35.0, 5.0, 45.0, 5.0, 45.0, 20.0], [50.0, 5.0, 60.0, 5.0, 60.0, 20.0, 50.0, 20.0]],
            "{}",
        ),
        ("tree", "polygon", [[2.0, 30.0, 12.0, 30.0, 7.0, 44.5]], "{}"),
    ]
    second = shapes(project, items["b.png"].id)
    assert [entry[:2] for entry in second] == [("ball", "polygon"), ("hand", "keypoints")]
    assert second[1][2] == [[40.0, 40.0, 2], [44.0, 42.0, 2]]
    (mask,) = [a for a in project.annotations(items["b.png"].id) if a.kind == "mask"]
    assert np.array_equal(decode_mask(mask.geometry), road_mask())
    assert shapes(project, items["d.png"].id) == [("car", "box", [1.0, 1.0, 8.0, 6.0], "{}")]


def test_a_circle_becomes_a_polygon_on_the_circle(project: Project) -> None:
    project.import_labels(FIXTURE)
    (ball,) = [a for a in project.annotations(by_name(project)["b.png"].id) if a.label == "ball"]

    (ring,) = ball.geometry
    assert len(ring) == 2 * labelme.CIRCLE_POINTS
    distances = [math.hypot(x - 20, y - 20) for x, y in zip(ring[0::2], ring[1::2], strict=True)]
    assert distances == pytest.approx([5.0] * labelme.CIRCLE_POINTS)


def test_embedded_image_data_is_stored_in_the_project(project: Project) -> None:
    """d.json names ..\\originals\\d.png, which does not exist: its imageData is the image."""
    project.import_labels(FIXTURE)
    item = by_name(project)["d.png"]

    document = json.loads((FIXTURE / "labels/d.json").read_text())
    embedded = base64.b64decode(document["imageData"])
    assert project.media_path(item).read_bytes() == embedded
    assert (item.width, item.height) == (16, 12)


def test_an_image_path_leaving_the_folder_is_not_followed(tmp_path: Path, project: Project) -> None:
    save_image(tmp_path / "outside/secret.jpg", (64, 48), seed=1)
    labelme_file(tmp_path / "data/x.json", "../outside/secret.jpg", [rectangle()])

    with pytest.raises(LabelImportError) as caught:
        project.import_labels(tmp_path / "data", format="labelme")

    assert caught.value.file == str(tmp_path / "data/x.json")
    assert "image file not found: ../outside/secret.jpg" in caught.value.problem
    assert project.items() == []


def test_an_image_path_leaving_the_folder_falls_back_to_the_file_beside(
    tmp_path: Path, project: Project
) -> None:
    save_image(tmp_path / "outside/x.jpg", (64, 48), seed=1)
    save_image(tmp_path / "data/x.jpg", (64, 48), seed=2)
    labelme_file(tmp_path / "data/x.json", "../outside/x.jpg", [rectangle()])

    project.import_labels(tmp_path / "data/x.json")

    (item,) = project.items()
    assert project.media_path(item) == (tmp_path / "data/x.jpg").resolve()


def test_image_data_beyond_the_limit_is_refused(
    tmp_path: Path, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(labelme, "MAX_IMAGE_DATA_CHARS", 1000)
    stream = io.BytesIO()
    Image.new("RGB", (64, 48), "white").save(stream, format="BMP")
    data = base64.b64encode(stream.getvalue()).decode()
    assert len(data) > 1000
    file = labelme_file(tmp_path / "x.json", "x.bmp", [rectangle()], imageData=data)

    with pytest.raises(LabelImportError) as caught:
        project.import_labels(file)

    assert caught.value.file == str(file)
    assert f"imageData is {len(data):,} characters of base64, more than the limit of 1,000" in (
        caught.value.problem
    )


def test_unknown_shape_types_are_counted_not_dropped(tmp_path: Path, project: Project) -> None:
    save_image(tmp_path / "x.jpg", (64, 48), seed=1)
    spline = {"label": "edge", "points": [[1, 1], [5, 5]], "shape_type": "spline"}
    labelme_file(tmp_path / "x.json", "x.jpg", [rectangle(), spline, spline])

    report = project.import_labels(tmp_path / "x.json")

    assert report.annotations_added == 1
    assert report.warnings == ["2 shapes of unknown shape_type 'spline' skipped"]


def test_lines_become_polylines(tmp_path: Path, project: Project) -> None:
    save_image(tmp_path / "x.jpg", (64, 48), seed=1)
    line = {"label": "edge", "points": [[1, 1], [5, 5]], "shape_type": "line"}
    labelme_file(tmp_path / "x.json", "x.jpg", [line])

    project.import_labels(tmp_path / "x.json")

    (annotation,) = project.annotations(project.items()[0].id)
    assert (annotation.kind, annotation.geometry) == ("polyline", [1.0, 1.0, 5.0, 5.0])


def test_an_image_whose_shapes_were_all_skipped_is_not_marked_empty(
    tmp_path: Path, project: Project
) -> None:
    save_image(tmp_path / "x.jpg", (64, 48), seed=1)
    save_image(tmp_path / "y.jpg", (64, 48), seed=2)
    spline = {"label": "edge", "points": [[1, 1], [5, 5]], "shape_type": "spline"}
    labelme_file(tmp_path / "x.json", "x.jpg", [spline])
    labelme_file(tmp_path / "y.json", "y.jpg", [])

    project.import_labels(tmp_path, format="labelme")

    assert {name: item.status for name, item in by_name(project).items()} == {
        "x.jpg": "new",
        "y.jpg": "done_empty",
    }


def test_errors_name_the_file_and_the_shape(tmp_path: Path, project: Project) -> None:
    shutil.copytree(FIXTURE, tmp_path / "labelme")
    file = tmp_path / "labelme/a.json"
    document = json.loads(file.read_text())
    document["shapes"][3]["points"] = document["shapes"][3]["points"][:2]
    file.write_text(json.dumps(document))
    before = dump(project.path)

    with pytest.raises(LabelImportError) as caught:
        project.import_labels(tmp_path / "labelme")

    assert caught.value.file == str(file)
    assert caught.value.record == "shape 4 (tree)"
    assert "a polygon needs at least 3 points, got 2" in caught.value.problem
    assert dump(project.path) == before


def test_dry_run_reports_and_writes_nothing(project: Project) -> None:
    before = dump(project.path)

    report = project.import_labels(FIXTURE, dry_run=True)

    assert (report.images, report.annotations_added) == (4, 10)
    assert dump(project.path) == before
    assert not (project.store_dir / "objects").exists()


# -- export --------------------------------------------------------------------------------


def test_round_trip_keeps_everything(tmp_path: Path) -> None:
    before, after, exported = round_trip(tmp_path, FIXTURE, "labelme")

    assert before == after
    assert len(before) == 4
    files = sorted(p.relative_to(exported).as_posix() for p in exported.rglob("*") if p.is_file())
    assert files == [
        "a.jpg",
        "a.json",
        "b.json",
        "b.png",
        "c.jpg",
        "c.json",
        "d.json",
        "d.png",
    ]


def test_export_writes_labelme_json(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p.studio") as project:
        project.import_labels(FIXTURE)
        project.export_labels(tmp_path / "out", format="labelme")
    first = json.loads((tmp_path / "out/a.json").read_text())
    second = json.loads((tmp_path / "out/b.json").read_text())

    assert (first["imagePath"], first["imageData"]) == ("a.jpg", None)
    assert (first["imageWidth"], first["imageHeight"]) == (64, 48)
    assert first["flags"] == {"day": True}
    by_label: dict = {}
    for shape in first["shapes"]:
        by_label.setdefault(shape["label"], []).append(shape)
    (car,) = by_label["car"]
    assert (car["shape_type"], car["points"]) == ("rectangle", [[5.0, 4.0], [30.0, 20.0]])
    assert (car["flags"], car["description"]) == ({"occluded": False}, "parked")
    person = by_label["person"]
    assert [p["shape_type"] for p in person] == ["polygon", "polygon"]
    assert person[0]["group_id"] == person[1]["group_id"] is not None
    assert person[1]["points"] == [[50.0, 5.0], [60.0, 5.0], [60.0, 20.0], [50.0, 20.0]]
    (nose,) = by_label["nose"]
    assert (nose["shape_type"], nose["points"], nose["group_id"]) == (
        "point",
        [[40.5, 30.25]],
        None,
    )
    (mask,) = [s for s in second["shapes"] if s["shape_type"] == "mask"]
    assert mask["points"] == [[10, 20], [14, 23]]
    crop = np.asarray(Image.open(io.BytesIO(base64.b64decode(mask["mask"])))) != 0
    assert np.array_equal(crop, road_mask()[20:24, 10:15])
    hands = [s for s in second["shapes"] if s["label"] == "hand"]
    assert [h["points"] for h in hands] == [[[40.0, 40.0]], [[44.0, 42.0]]]
    assert hands[0]["group_id"] == hands[1]["group_id"] is not None


def test_attributes_and_hidden_keypoints_on_export(tmp_path: Path) -> None:
    save_image(tmp_path / "images/x.png", (40, 30), seed=7)
    with Project.create(tmp_path / "p.studio") as project:
        project.import_media([tmp_path / "images"])
        (item_id,) = project.item_ids()
        project.add_classes(["car", "hand"])
        project.add_annotations(
            [
                {
                    "item_id": item_id,
                    "label": "car",
                    "box": [1, 2, 10, 5],
                    "attributes": {"difficult": 1, "parked": True, "color": "red"},
                },
                {
                    "item_id": item_id,
                    "label": "hand",
                    "keypoints": [(1, 1, 2), (2, 2, 1), (3, 3, 0)],
                },
            ]
        )
        report = project.export_labels(tmp_path / "out", format="labelme")
    document = json.loads((tmp_path / "out/x.json").read_text())
    car, *points = document["shapes"]

    assert car["flags"] == {"parked": True}
    assert car["attributes"] == {"difficult": 1, "color": "red"}
    assert [p["points"] for p in points] == [[[1.0, 1.0]], [[2.0, 2.0]]]
    assert report.warnings == [
        "2 keypoints marked hidden or absent were written as labelme points (labelme has no "
        "visibility) or left out when absent"
    ]
    with Project.create(tmp_path / "again.studio") as again:
        again.import_labels(tmp_path / "out")
        (item,) = again.items()
        (box,) = [a for a in again.annotations(item.id) if a.kind == "box"]
        assert dict(box.attributes) == {"difficult": 1, "user": {"parked": True, "color": "red"}}


# -- image data first, as labelme reads it ---------------------------------------------------


def encoded(path: Path, image_format: str) -> str:
    """labelme's imageData of an image file: the picture re-encoded, in base64."""
    stream = io.BytesIO()
    with Image.open(path) as image:
        image.save(stream, format=image_format)
    return base64.b64encode(stream.getvalue()).decode("ascii")


def old_labelme_file(path: Path, image_data: str) -> Path:
    """A 2018-era file, as labelme's own examples/tutorial/apc2016_obj3.json: no version,
    shape_type or image size, line and fill colours, and an imagePath naming the .json."""
    document = {
        "shapes": [
            {
                "label": "shelf",
                "line_color": None,
                "fill_color": None,
                "points": [[1.5, 2.0], [30.0, 4.0], [28.0, 40.0], [3.0, 38.0]],
            },
            {
                "label": "notes",
                "line_color": None,
                "fill_color": None,
                "points": [[40.0, 10.0], [60.0, 10.0], [50.0, 30.0]],
            },
        ],
        "lineColor": [0, 255, 0, 128],
        "fillColor": [255, 0, 0, 128],
        "imagePath": path.name,
        "imageData": image_data,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2))
    return path


def test_a_2018_file_whose_image_path_names_itself_imports_its_image_data(
    tmp_path: Path,
) -> None:
    picture = save_image(tmp_path / "source/apc.jpg", (64, 48), seed=21)
    old_labelme_file(tmp_path / "tutorial/apc2016_obj3.json", encoded(picture, "JPEG"))
    project_file = tmp_path / "p.studio"
    Project.create(project_file).close()

    result = run_cli("import-labels", project_file, tmp_path / "tutorial")

    assert result.exit_code == 0, result.output
    with Project.open(project_file) as project:
        (item,) = project.items()
        assert item.meta["original_name"] == "apc2016_obj3.jpg"
        assert (item.width, item.height, item.status) == (64, 48, "done")
        assert project.media_path(item).parent.parent.name == "objects"
        assert [(label, kind) for label, kind, *_ in shapes(project, item.id)] == [
            ("notes", "polygon"),
            ("shelf", "polygon"),
        ]


def test_image_data_wins_over_an_image_path_naming_another_picture(
    tmp_path: Path, project: Project
) -> None:
    """imagePath names a file of another size: labelme shows imageData, and so does Studio."""
    save_image(tmp_path / "data/x.png", (32, 32), seed=22)
    embedded = save_image(tmp_path / "elsewhere/x.png", (64, 48), seed=23)
    labelme_file(
        tmp_path / "data/x.json", "x.png", [rectangle()], imageData=encoded(embedded, "PNG")
    )

    project.import_labels(tmp_path / "data", format="labelme")

    (item,) = project.items()
    assert (item.width, item.height) == (64, 48)
    assert project.media_path(item).read_bytes() == base64.b64decode(
        json.loads((tmp_path / "data/x.json").read_text())["imageData"]
    )


def test_image_data_of_the_file_named_keeps_the_labels_on_that_item(
    tmp_path: Path, project: Project
) -> None:
    """labelme re-encodes the image it embeds, so imageData's bytes differ from the file's:
    the file of the same size is the one the labels belong to."""
    picture = save_image(tmp_path / "data/x.jpg", (64, 48), seed=24)
    project.import_media([tmp_path / "data"])
    labelme_file(
        tmp_path / "data/x.json", "x.jpg", [rectangle()], imageData=encoded(picture, "JPEG")
    )

    report = project.import_labels(tmp_path / "data/x.json")

    assert (report.items_added, report.items_matched) == (0, 1)
    (item,) = project.items()
    assert project.media_path(item) == picture.resolve()


# -- nothing left out silently -------------------------------------------------------------


def mask_shape(group_id: int) -> dict:
    stream = io.BytesIO()
    Image.fromarray(np.ones((3, 3), dtype=np.uint8)).save(stream, format="PNG")
    return {
        "label": "road",
        "points": [[1, 1], [3, 3]],
        "shape_type": "mask",
        "group_id": group_id,
        "mask": base64.b64encode(stream.getvalue()).decode("ascii"),
    }


def test_group_ids_of_rectangles_and_masks_are_reported_circles_join_polygons(
    tmp_path: Path, project: Project
) -> None:
    save_image(tmp_path / "x.jpg", (64, 48), seed=1)
    polygon = {"label": "car", "points": [[1, 1], [9, 1], [9, 9]], "shape_type": "polygon"}
    circle = {"label": "car", "points": [[30, 30], [35, 30]], "shape_type": "circle"}
    grouped = [{**shape, "group_id": 2} for shape in (rectangle(), polygon, circle)]
    labelme_file(tmp_path / "x.json", "x.jpg", [*grouped, mask_shape(2)])

    report = project.import_labels(tmp_path / "x.json")

    annotations = project.annotations(project.items()[0].id)
    assert sorted((a.kind, len(a.geometry)) for a in annotations if a.kind != "mask") == [
        ("box", 4),
        ("polygon", 2),  # the polygon and the circle are the two rings of one object
    ]
    assert report.warnings == [
        "labelme group_id on shapes other than polygons, circles and points was left out "
        "(Studio joins those only): mask ×1, rectangle ×1"
    ]


def test_shape_colours_are_reported(tmp_path: Path, project: Project) -> None:
    save_image(tmp_path / "x.jpg", (64, 48), seed=1)
    coloured = {**rectangle(), "line_color": [255, 0, 0, 128], "fill_color": [0, 255, 0, 64]}
    plain = {**rectangle("bus"), "line_color": None, "fill_color": None}  # labelme 3's default
    labelme_file(tmp_path / "x.json", "x.jpg", [coloured, plain], lineColor=[0, 255, 0, 128])

    report = project.import_labels(tmp_path / "x.json")

    assert report.annotations_added == 2
    assert report.warnings == [
        "labelme shape colours were left out (Studio draws shapes in the class colour): "
        "fill_color ×1, line_color ×1"
    ]
