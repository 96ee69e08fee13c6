"""Label Studio JSON: the exported task list, its image references, and the labeling config."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from defusedxml import ElementTree as SafeTree

from studio.api import Project
from studio.core.errors import LabelImportError
from tests.core.formats.helpers import BAD_INPUTS, FORMAT_FIXTURES, round_trip, signature
from tests.core.image_files import save_image

FIXTURE = FORMAT_FIXTURES / "label_studio"
FIXTURE_FILE = FIXTURE / "project-1-at-2024-05-02-10-31-4f2a1c9e.json"
BAD_LABEL_STUDIO = sorted(BAD_INPUTS.glob("label_studio--*"))


def rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, list):
        return [rounded(part) for part in value]
    return value


def labels_of(project: Project) -> dict[str, tuple]:
    """Image name → (status, sorted (label, kind, rounded geometry, source, score))."""
    found = {}
    for item in project.items():
        annotations = sorted(
            (a.label, a.kind, json.dumps(rounded(a.geometry)), a.source, a.score)
            for a in project.annotations(item.id)
        )
        found[item.meta.get("original_name") or Path(item.path).name] = (
            item.status,
            annotations,
        )
    return found


def rectangle(x: float, y: float, w: float, h: float, label: str = "cat", **extra: Any) -> dict:
    value = {"x": x, "y": y, "width": w, "height": h, "rectanglelabels": [label]}
    value.update(extra.pop("value", {}))
    return {
        "type": "rectanglelabels",
        "from_name": "label",
        "to_name": "image",
        "original_width": 64,
        "original_height": 48,
        "image_rotation": 0,
        "value": value,
        **extra,
    }


def write_tasks(folder: Path, tasks: list[dict], name: str = "export.json") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(tasks))
    return path


def one_task(image: str, results: list[dict]) -> list[dict]:
    return [{"id": 1, "data": {"image": image}, "annotations": [{"id": 1, "result": results}]}]


# -- the fixture -------------------------------------------------------------------------------


def test_fixture_folder_and_file_are_detected() -> None:
    assert Project.detect_label_format(FIXTURE) == "label_studio"
    assert Project.detect_label_format(FIXTURE_FILE) == "label_studio"


def test_fixture_imports_exactly(project: Project) -> None:
    report = project.import_labels(FIXTURE)

    assert report.items_added == 4
    assert report.annotations_added == 8
    assert labels_of(project) == {
        # the newest of the two finished annotations (x 12.5 %, not 10 %); the later
        # cancelled one is ignored
        "photo.jpg": (
            "done",
            [
                ("cat", "box", "[7.04, 6.24, 15.36, 23.04]", "model", 0.91),
                ("cat", "box", "[8.0, 6.0, 16.0, 24.0]", "human", None),
                ("dog", "polygon", "[[32.0, 4.8, 48.0, 4.8, 44.0, 24.0]]", "human", None),
            ],
        ),
        # rectangle 16×12 px at (16, 12) rotated 30° clockwise about its top-left corner:
        # corners (16, 12), (29.856, 20), (23.856, 30.392), (10, 22.392)
        "a1b2c3d4-street.jpg": (
            "done",
            [
                ("car", "rotated_box", "[19.928, 21.196, 16.0, 12.0, 30.0]", "human", None),
                ("daytime", "tag", "null", "human", None),
                ("head", "keypoints", "[[32.0, 12.0, 2]]", "human", None),
                ("outdoor", "tag", "null", "human", None),
            ],
        ),
        "empty.jpg": ("done_empty", []),
        # predictions only: the prediction's score, the image is not labeled yet
        "unlabeled.png": (
            "new",
            [("dog", "polygon", "[[3.2, 2.4, 28.8, 2.4, 16.0, 21.6]]", "model", 0.4)],
        ),
    }
    assert any("brushlabels ×1" in warning for warning in report.warnings)
    assert any("1 others were ignored" in warning for warning in report.warnings)


def test_fixture_images_are_the_files_beside_the_export(project: Project) -> None:
    project.import_labels(FIXTURE_FILE)

    paths = {Path(item.path).name: project.media_path(item) for item in project.items()}
    assert paths["photo.jpg"] == (FIXTURE / "images/photo.jpg").resolve()
    assert paths["a1b2c3d4-street.jpg"] == (FIXTURE / "images/a1b2c3d4-street.jpg").resolve()
    assert paths["empty.jpg"] == (FIXTURE / "images/empty.jpg").resolve()
    assert paths["unlabeled.png"] == (FIXTURE / "unlabeled.png").resolve()


def test_round_trip_is_exact(tmp_path: Path) -> None:
    before, after, exported = round_trip(tmp_path, FIXTURE, "label_studio")

    assert before == after
    assert len(before) == 4
    assert sorted(p.name for p in exported.iterdir()) == ["config.xml", "images", "tasks.json"]
    tasks = json.loads((exported / "tasks.json").read_text())
    images = sorted(task["data"]["image"] for task in tasks)
    assert images == [
        "images/a1b2c3d4-street.jpg",
        "images/empty.jpg",
        "images/photo.jpg",
        "images/unlabeled.png",
    ]
    for name in images:
        assert (exported / name).is_file()


def test_export_puts_human_labels_in_annotations_and_model_labels_in_predictions(
    tmp_path: Path,
) -> None:
    _, _, exported = round_trip(tmp_path, FIXTURE, "label_studio")
    tasks = {
        Path(task["data"]["image"]).name: task
        for task in json.loads((exported / "tasks.json").read_text())
    }

    photo = tasks["photo.jpg"]
    (annotation,) = photo["annotations"]
    assert sorted(r["type"] for r in annotation["result"]) == ["polygonlabels", "rectanglelabels"]
    (prediction,) = photo["predictions"]
    (predicted,) = prediction["result"]
    assert predicted["score"] == 0.91
    assert predicted["value"]["rectanglelabels"] == ["cat"]
    assert [predicted["value"][key] for key in ("x", "y", "width", "height")] == pytest.approx(
        [11, 13, 24, 48]
    )
    assert (predicted["original_width"], predicted["original_height"]) == (64, 48)
    assert tasks["empty.jpg"]["annotations"] == [
        {"id": tasks["empty.jpg"]["id"], "result": [], "was_cancelled": False}
    ]
    assert tasks["unlabeled.png"]["annotations"] == []
    (choices,) = [
        r
        for r in tasks["a1b2c3d4-street.jpg"]["annotations"][0]["result"]
        if r["type"] == "choices"
    ]
    assert sorted(choices["value"]["choices"]) == ["daytime", "outdoor"]


def test_labeling_config_names_every_control_and_label_the_tasks_use(tmp_path: Path) -> None:
    _, _, exported = round_trip(tmp_path, FIXTURE, "label_studio")
    view = SafeTree.fromstring((exported / "config.xml").read_bytes(), forbid_dtd=True)
    image = view.find("Image")
    assert (view.tag, image.get("name"), image.get("value")) == ("View", "image", "$image")
    controls = {control.get("name"): control for control in view if control.tag != "Image"}
    tag_of_type = {
        "rectanglelabels": "RectangleLabels",
        "polygonlabels": "PolygonLabels",
        "keypointlabels": "KeyPointLabels",
        "choices": "Choices",
    }

    tasks = json.loads((exported / "tasks.json").read_text())
    results = [
        result
        for task in tasks
        for holder in task["annotations"] + task["predictions"]
        for result in holder["result"]
    ]
    assert {result["type"] for result in results} == set(tag_of_type)
    for result in results:
        control = controls[result["from_name"]]
        assert control.tag == tag_of_type[result["type"]]
        assert control.get("toName") == result["to_name"] == "image"
        offered = {option.get("value") for option in control}
        assert set(result["value"][result["type"]]) <= offered


def test_config_beside_the_export_gives_the_class_order(tmp_path: Path) -> None:
    save_image(tmp_path / "data/a.jpg", (64, 48), seed=1)
    write_tasks(tmp_path / "data", one_task("a.jpg", [rectangle(10, 10, 20, 20, "dog")]))
    (tmp_path / "data/config.xml").write_text(
        '<View><Image name="image" value="$image"/>'
        '<RectangleLabels name="label" toName="image">'
        '<Label value="zebra"/><Label value="dog"/><Label value="ant"/>'
        "</RectangleLabels></View>"
    )
    with Project.create(tmp_path / "p.studio") as project:
        project.import_labels(tmp_path / "data")
        assert [record.name for record in project.classes()] == ["zebra", "dog", "ant"]


# -- finding the images ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reference", "on_disk"),
    [
        ("/data/upload/7/3fa2b1c4-photo.jpg", "images/photo.jpg"),
        ("/data/upload/7/3fa2b1c4-photo.jpg", "3fa2b1c4-photo.jpg"),
        ("http://localhost:8080/data/upload/7/0badc0de-photo.jpg?token=x", "photo.jpg"),
        ("https://example.com/some%20folder/photo.jpg", "images/photo.jpg"),
        ("s3://bucket/raw/2024/photo.jpg", "photo.jpg"),
        ("gs://bucket/photo.jpg", "images/photo.jpg"),
        ("/data/local-files/?d=datasets/cats/photo.jpg", "images/photo.jpg"),
        ("C:\\Users\\me\\Pictures\\photo.jpg", "photo.jpg"),
        ("photo.jpg", "images/photo.jpg"),
        ("frames/photo.jpg", "frames/photo.jpg"),
    ],
)
def test_image_reference_forms(reference: str, on_disk: str, tmp_path: Path) -> None:
    image = save_image(tmp_path / "data" / on_disk, (64, 48), seed=5)
    write_tasks(tmp_path / "data", one_task(reference, [rectangle(25, 25, 50, 50)]))
    with Project.create(tmp_path / "p.studio") as project:
        report = project.import_labels(tmp_path / "data")

        (item,) = project.items()
        assert report.items_added == 1
        assert project.media_path(item) == image.resolve()
        (annotation,) = project.annotations(item.id)
        assert annotation.geometry == [16.0, 12.0, 32.0, 24.0]


def test_image_elsewhere_matches_the_project_item_without_the_upload_prefix(
    tmp_path: Path,
) -> None:
    save_image(tmp_path / "photos/photo.jpg", (64, 48), seed=6)
    save_image(tmp_path / "photos/other.jpg", (64, 48), seed=7)
    export = write_tasks(
        tmp_path / "downloads",
        one_task("http://ls.local/data/upload/3/9e8d7c6b-photo.jpg", [rectangle(0, 0, 50, 50)]),
    )
    with Project.create(tmp_path / "p.studio") as project:
        project.import_media(tmp_path / "photos")
        report = project.import_labels(export)

        assert (report.items_added, report.items_matched) == (0, 1)
        labeled = [item for item in project.items() if item.status == "done"]
        assert [Path(item.path).name for item in labeled] == ["photo.jpg"]


def test_missing_image_is_reported_by_name(tmp_path: Path) -> None:
    export = write_tasks(
        tmp_path / "data", one_task("s3://bucket/3fa2b1c4-gone.jpg", [rectangle(0, 0, 5, 5)])
    )
    with Project.create(tmp_path / "p.studio") as project:
        with pytest.raises(LabelImportError, match=r"gone\.jpg") as caught:
            project.import_labels(export)
        assert "task id 1" in str(caught.value)
        report = project.import_labels(export, skip_missing_images=True)
        assert report.missing_images == ["gone.jpg"]


# -- annotations, predictions and shapes -------------------------------------------------------


def test_only_cancelled_annotations_leave_the_image_unlabeled(tmp_path: Path) -> None:
    save_image(tmp_path / "data/a.jpg", (64, 48), seed=1)
    tasks = [
        {
            "id": 8,
            "data": {"image": "a.jpg"},
            "annotations": [
                {"id": 3, "result": [rectangle(0, 0, 10, 10)], "was_cancelled": True},
            ],
        }
    ]
    write_tasks(tmp_path / "data", tasks)
    with Project.create(tmp_path / "p.studio") as project:
        report = project.import_labels(tmp_path / "data")
        (item,) = project.items()
        assert item.status == "new"
        assert project.annotations(item.id) == []
        assert any("only cancelled" in warning for warning in report.warnings)


def test_most_recent_prediction_and_result_scores_win(tmp_path: Path) -> None:
    save_image(tmp_path / "data/a.jpg", (64, 48), seed=1)
    tasks = [
        {
            "id": 1,
            "data": {"image": "a.jpg"},
            "annotations": [],
            "predictions": [
                {
                    "created_at": "2024-01-01T00:00:00Z",
                    "score": 0.2,
                    "result": [rectangle(0, 0, 10, 10, "old")],
                },
                {
                    "created_at": "2024-03-01T00:00:00Z",
                    "score": 0.6,
                    "result": [
                        rectangle(50, 50, 25, 25, "cat", score=0.95),
                        rectangle(0, 0, 25, 25, "dog"),
                    ],
                },
            ],
        }
    ]
    write_tasks(tmp_path / "data", tasks)
    with Project.create(tmp_path / "p.studio") as project:
        report = project.import_labels(tmp_path / "data")
        (item,) = project.items()
        scores = {a.label: (a.source, a.score) for a in project.annotations(item.id)}
        assert scores == {"cat": ("model", 0.95), "dog": ("model", 0.6)}
        assert any("older predictions" in warning for warning in report.warnings)


def test_rotated_rectangle_becomes_a_rotated_box_about_its_centre(tmp_path: Path) -> None:
    save_image(tmp_path / "data/a.jpg", (64, 48), seed=1)
    turned = rectangle(50, 25, 25, 25, value={"rotation": 90})  # 16×12 px at (32, 12)
    write_tasks(tmp_path / "data", one_task("a.jpg", [turned]))
    with Project.create(tmp_path / "p.studio") as project:
        project.import_labels(tmp_path / "data")
        (annotation,) = project.annotations(project.items()[0].id)
        assert annotation.kind == "rotated_box"
        # Corners (32, 12), (32, 28), (20, 28), (20, 12): centred at (26, 20).
        assert rounded(annotation.geometry) == [26.0, 20.0, 16.0, 12.0, 90.0]


def test_rotated_rectangle_without_the_image_size_is_refused(tmp_path: Path) -> None:
    save_image(tmp_path / "data/a.jpg", (64, 48), seed=1)
    turned = rectangle(10, 10, 20, 20, value={"rotation": 45})
    del turned["original_width"], turned["original_height"]
    write_tasks(tmp_path / "data", one_task("a.jpg", [turned]))
    with (
        Project.create(tmp_path / "p.studio") as project,
        pytest.raises(LabelImportError, match="original_width"),
    ):
        project.import_labels(tmp_path / "data")


def test_other_result_types_are_counted_not_dropped_silently(tmp_path: Path) -> None:
    save_image(tmp_path / "data/a.jpg", (64, 48), seed=1)
    others = [
        {"type": "brushlabels", "value": {"format": "rle", "rle": [1], "brushlabels": ["x"]}},
        {"type": "brushlabels", "value": {"format": "rle", "rle": [2], "brushlabels": ["x"]}},
        {"type": "textarea", "value": {"text": ["a note"]}},
    ]
    write_tasks(tmp_path / "data", one_task("a.jpg", [rectangle(0, 0, 50, 50), *others]))
    with Project.create(tmp_path / "p.studio") as project:
        report = project.import_labels(tmp_path / "data")
        assert report.annotations_added == 1
        (warning,) = [w for w in report.warnings if "brushlabels" in w]
        assert "brushlabels ×2" in warning
        assert "textarea ×1" in warning


# -- export of what Label Studio cannot hold ---------------------------------------------------


@pytest.fixture
def rich_project(tmp_path: Path):
    """Items with a mask, a two-part polygon, a keypoint set, attributes, splits and tags."""
    with Project.create(tmp_path / "rich.studio") as project:
        for index in range(3):
            save_image(tmp_path / f"images/{index}.jpg", (64, 48), seed=10 + index)
        project.import_media(tmp_path / "images")
        first, second, third = (item.id for item in project.items())
        mask = np.zeros((48, 64), dtype=bool)
        mask[10:20, 10:30] = True
        project.add_classes(["cat", "dog", "indoor"])
        project.add_annotations(
            [
                {"item_id": first, "label": "cat", "mask": mask},
                {
                    "item_id": first,
                    "label": "cat",
                    "box": [1, 2, 30, 20],
                    "attributes": {"occluded": True, "note": "behind the chair"},
                },
                {
                    "item_id": first,
                    "label": "dog",
                    "polygon": [[0, 0, 10, 0, 10, 10], [20, 20, 30, 20, 30, 30]],
                },
                {"item_id": second, "label": "dog", "keypoints": [[5, 5, 2], [9, 9, 2]]},
                {"item_id": second, "label": "cat", "keypoints": [[40, 20, 2]]},
                {"item_id": third, "label": "indoor"},
                {
                    "item_id": third,
                    "label": "cat",
                    "source": "model",
                    "score": 0.3,
                    "review": "accepted",
                },
                {
                    "item_id": third,
                    "label": "dog",
                    "source": "model",
                    "score": 0.8,
                    "review": "accepted",
                },
            ]
        )
        project.set_split([first, second], "train")
        project.set_split([third], "test")
        project.set_status([first, second, third], "done")
        yield project


def test_export_skips_and_splits_what_label_studio_cannot_hold(
    rich_project: Project, tmp_path: Path
) -> None:
    report = rich_project.export_labels(tmp_path / "out", format="label_studio")

    assert sum(report.skipped.values()) == 2
    assert any("mask" in reason for reason in report.skipped)
    assert any("keypoint" in reason for reason in report.skipped)
    assert report.annotations == 6
    assert any("polygons of several parts" in warning for warning in report.warnings)
    with Project.create(tmp_path / "back.studio") as back:
        back.import_labels(tmp_path / "out")
        found = labels_of(back)
    assert found["0.jpg"][1] == [
        ("cat", "box", "[1.0, 2.0, 30.0, 20.0]", "human", None),
        ("dog", "polygon", "[[0.0, 0.0, 10.0, 0.0, 10.0, 10.0]]", "human", None),
        ("dog", "polygon", "[[20.0, 20.0, 30.0, 20.0, 30.0, 30.0]]", "human", None),
    ]
    assert found["1.jpg"][1] == [("cat", "keypoints", "[[40.0, 20.0, 2]]", "human", None)]


def test_export_keeps_splits_attributes_tags_and_scores(
    rich_project: Project, tmp_path: Path
) -> None:
    rich_project.export_labels(tmp_path / "out", format="label_studio")
    before = signature(rich_project)
    with Project.create(tmp_path / "back.studio") as back:
        back.import_labels(tmp_path / "out")
        after = signature(back)

    assert {name: split for name, (_, split, _) in after.items()} == {
        "0.jpg": "train",
        "1.jpg": "train",
        "2.jpg": "test",
    }
    assert after["2.jpg"] == before["2.jpg"]
    (box,) = [a for a in after["0.jpg"][2] if a[1] == "box"]
    assert json.loads(box[3]) == {"occluded": True, "user": {"note": "behind the chair"}}
    tasks = json.loads((tmp_path / "out/tasks.json").read_text())
    (tagged,) = [task for task in tasks if task["data"]["split"] == "test"]
    (predicted_tags,) = tagged["predictions"]
    assert sorted(r["score"] for r in predicted_tags["result"]) == [0.3, 0.8]
    assert predicted_tags["score"] == pytest.approx(0.55)


def test_percent_values_are_fractions_of_the_image_size(tmp_path: Path) -> None:
    save_image(tmp_path / "images/wide.jpg", (200, 50), seed=3)
    with Project.create(tmp_path / "p.studio") as project:
        project.import_media(tmp_path / "images")
        (item,) = project.items()
        project.add_classes(["cat"])
        project.annotate(item.id, "cat", box=[50, 10, 100, 25])
        project.export_labels(tmp_path / "out", format="label_studio")
    (task,) = json.loads((tmp_path / "out/tasks.json").read_text())
    (result,) = task["annotations"][0]["result"]
    value = result["value"]
    assert [value[key] for key in ("x", "y", "width", "height")] == pytest.approx([25, 20, 50, 50])
    assert value["rotation"] == 0
    assert (result["original_width"], result["original_height"]) == (200, 50)


# -- exports Studio does not read, and what is left out ----------------------------------------


def test_json_min_export_is_detected_and_named(project: Project, tmp_path: Path) -> None:
    # Label Studio's JSON-MIN export: one flat record per task, the results under "label".
    record = {
        "image": "/data/upload/1/3fa2b1c4-photo.jpg",
        "id": 1,
        "label": [
            {
                "x": 10,
                "y": 20,
                "width": 30,
                "height": 40,
                "rotation": 0,
                "rectanglelabels": ["cat"],
                "original_width": 64,
                "original_height": 48,
            }
        ],
        "annotator": 1,
        "annotation_id": 1,
        "created_at": "2024-05-02T10:31:00.000000Z",
        "updated_at": "2024-05-02T10:31:00.000000Z",
        "lead_time": 4.2,
    }
    source = write_tasks(tmp_path, [record], "project-1-at-2024-05-02-10-31-min.json")

    assert Project.detect_label_format(source) == "label_studio"
    with pytest.raises(LabelImportError) as caught:
        project.import_labels(source)
    assert "Label Studio JSON-MIN export" in caught.value.problem
    assert caught.value.file == str(source)


def test_drafts_are_reported_not_dropped_silently(project: Project, tmp_path: Path) -> None:
    save_image(tmp_path / "photo.jpg", (64, 48))
    tasks = one_task("photo.jpg", [rectangle(10, 10, 20, 20)])
    tasks[0]["drafts"] = [{"id": 3, "result": [rectangle(50, 50, 10, 10)]}]
    report = project.import_labels(write_tasks(tmp_path, tasks))
    assert report.annotations_added == 1
    assert "1 drafts (work not submitted in Label Studio) were not imported" in report.warnings


def test_per_region_answers_become_attributes_of_their_shape_not_image_tags(
    project: Project, tmp_path: Path
) -> None:
    save_image(tmp_path / "photo.jpg", (64, 48))
    region = rectangle(10, 10, 20, 20, id="r1")
    per_region = {
        "id": "r1",
        "type": "choices",
        "from_name": "breed",
        "to_name": "image",
        "value": {"x": 10, "y": 10, "width": 20, "height": 20, "choices": ["tabby"]},
    }
    rating = {"id": "r1", "type": "rating", "from_name": "q", "value": {"rating": 4}}
    whole_image = {
        "id": "t1",
        "type": "choices",
        "from_name": "scene",
        "to_name": "image",
        "value": {"choices": ["indoor"]},
    }
    tasks = one_task("photo.jpg", [region, per_region, rating, whole_image])

    report = project.import_labels(write_tasks(tmp_path, tasks))

    assert report.per_class == {"cat": 1, "indoor": 1}
    (box,) = [a for a in project.annotations(project.item_ids()[0]) if a.kind == "box"]
    assert box.attributes == {"user": {"breed": "tabby"}}
    assert any("per-region results" in w and "rating ×1" in w for w in report.warnings)


PET_SCHEMA = [
    {"name": "breed", "type": "choice", "default": "tabby", "values": ["tabby", "siamese"]},
    {"name": "weight", "type": "number", "default": 4, "min": 1, "max": 12},
    {"name": "asleep", "type": "checkbox", "default": False},
    {"name": "nickname", "type": "text", "default": ""},
]


def test_an_attribute_schema_travels_as_per_region_controls_and_answers(tmp_path: Path) -> None:
    save_image(tmp_path / "media/a.png", (64, 48), seed=2)
    with Project.create(tmp_path / "p.studio") as project:
        project.import_media([tmp_path / "media"])
        project.add_classes(["cat"])
        project.set_class_schema("cat", attributes=PET_SCHEMA)
        box = project.annotate(project.item_ids()[0], "cat", box=[4, 4, 20, 20])
        project.set_annotation_attributes(
            box, {"breed": "siamese", "asleep": True, "nickname": "Tom"}
        )
        project.export_labels(tmp_path / "out", "label_studio")
    config = SafeTree.parse(tmp_path / "out/config.xml").getroot()
    weight = config.find("Number")
    assert (weight.get("name"), weight.get("perRegion"), weight.get("max")) == (
        "weight",
        "true",
        "12",
    )
    tasks = json.loads((tmp_path / "out/tasks.json").read_text())
    results = tasks[0]["annotations"][0]["result"]
    answers = {r["from_name"]: r["value"] for r in results if r["type"] != "rectanglelabels"}
    assert answers == {
        "breed": {"choices": ["siamese"]},
        "weight": {"number": 4},
        "asleep": {"choices": ["true"]},
        "nickname": {"text": ["Tom"]},
    }
    for result in results:  # Label Studio's own export has no Studio meta: only the answers
        result.pop("meta", None)
    (tmp_path / "out/tasks.json").write_text(json.dumps(tasks))

    with Project.create(tmp_path / "back.studio") as back:
        back.import_labels(tmp_path / "out")
        (cat,) = back.classes()
        (read,) = back.annotations(back.item_ids()[0])
    assert cat.meta == {"attributes": PET_SCHEMA}
    assert read.attributes == {
        "user": {"breed": "siamese", "weight": 4, "asleep": True, "nickname": "Tom"}
    }
