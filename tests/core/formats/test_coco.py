"""COCO JSON: the hand-written 2017-layout fixture, round trips, pycocotools, bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pycocotools import mask as coco_mask
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from studio.api import Project
from studio.core.geometry import decode_mask
from tests.core.formats.helpers import BAD_INPUTS, FORMAT_FIXTURES, round_trip, signature
from tests.core.image_files import save_image

FIXTURE = FORMAT_FIXTURES / "coco"
BAD_COCO = sorted(BAD_INPUTS.glob("coco--*"))


def person_mask() -> np.ndarray:
    """The compressed-RLE person of 000000000285.png, as drawn when the fixture was made."""
    mask = np.zeros((30, 40), dtype=bool)
    mask[5:20, 4:15] = True
    mask[8:12, 15:18] = True
    return mask


def crowd_mask() -> np.ndarray:
    mask = np.zeros((30, 40), dtype=bool)
    mask[18:28, 22:38] = True
    return mask


def by_name(project: Project) -> dict:
    return {Path(item.path).name: item for item in project.items()}


def shapes(project: Project, item_id: int) -> list[tuple]:
    return sorted(
        (a.label, a.kind, json.dumps(a.geometry), a.source, a.score, dict(a.attributes))
        for a in project.annotations(item_id)
        if a.kind != "mask"
    )


# -- the fixture ---------------------------------------------------------------------------


def test_fixture_folder_is_detected_as_coco() -> None:
    assert Project.detect_label_format(FIXTURE) == "coco"
    assert Project.detect_label_format(FIXTURE / "annotations/instances_val2017.json") == "coco"


def test_fixture_imports_exactly(project: Project) -> None:
    report = project.import_labels(FIXTURE)

    assert report.images == 4
    assert report.items_added == 4
    assert report.annotations_added == 6
    assert report.per_class == {"car": 2, "dog": 1, "person": 3}
    assert [record.name for record in project.classes()] == ["car", "dog", "person"]
    items = by_name(project)
    assert {name: (item.status, item.split) for name, item in items.items()} == {
        "000000000139.jpg": ("done", "train"),
        "000000000285.png": ("done", "train"),
        "000000000632.jpg": ("done_empty", "train"),
        "000000000724.jpg": ("done", "val"),
    }
    assert shapes(project, items["000000000139.jpg"].id) == [
        ("car", "box", "[4.0, 6.5, 20.0, 14.25]", "human", None, {}),
        (
            "dog",
            "polygon",
            "[[30.0, 5.0, 50.0, 5.0, 50.0, 20.0, 30.0, 20.0], "
            "[52.5, 25.0, 60.0, 25.0, 56.0, 40.0]]",
            "human",
            None,
            {},
        ),
    ]
    assert shapes(project, items["000000000724.jpg"].id) == [
        ("car", "polygon", "[[40.0, 10.0, 60.0, 12.0, 58.0, 40.0, 42.0, 38.0]]", "human", None, {}),
        ("person", "box", "[10.0, 8.0, 12.5, 30.0]", "human", None, {}),
    ]
    assert project.annotations(items["000000000632.jpg"].id) == []


def test_fixture_masks_compressed_and_crowd_rle_decode_to_their_pixels(project: Project) -> None:
    project.import_labels(FIXTURE)
    item = by_name(project)["000000000285.png"]
    masks = {
        bool(a.attributes.get("iscrowd")): a
        for a in project.annotations(item.id)
        if a.kind == "mask"
    }

    assert set(masks) == {False, True}
    assert masks[False].label == masks[True].label == "person"
    assert np.array_equal(decode_mask(masks[False].geometry), person_mask())
    assert np.array_equal(decode_mask(masks[True].geometry), crowd_mask())
    assert dict(masks[True].attributes) == {"iscrowd": 1}
    assert isinstance(masks[True].geometry["counts"], str)  # stored compressed


def test_one_split_file_imports_alone(project: Project) -> None:
    report = project.import_labels(FIXTURE / "annotations/instances_val2017.json")

    assert report.images == 1
    assert [(item.path.endswith("000000000724.jpg"), item.split) for item in project.items()] == [
        (True, "val")
    ]


def test_round_trip_keeps_everything(tmp_path: Path) -> None:
    before, after, exported = round_trip(tmp_path, FIXTURE, "coco")

    assert before == after
    assert len(before) == 4
    assert sorted(p.relative_to(exported).as_posix() for p in exported.rglob("*.json")) == [
        "annotations/instances_train.json",
        "annotations/instances_val.json",
    ]
    assert (exported / "images/train/000000000285.png").is_file()
    assert (exported / "images/val/000000000724.jpg").is_file()


def test_category_ids_stay_those_of_the_file(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p.studio") as project:
        project.import_labels(FIXTURE)
        project.add_classes(["bicycle"])
        project.export_labels(tmp_path / "first", format="coco")
    document = json.loads((tmp_path / "first/annotations/instances_train.json").read_text())
    categories = {c["id"]: c["name"] for c in document["categories"]}
    assert categories == {3: "car", 7: "dog", 12: "person", 13: "bicycle"}
    by_id = {a["id"]: a for a in document["annotations"]}
    names = [categories[a["category_id"]] for a in by_id.values()]
    assert sorted(names) == ["car", "dog", "person", "person"]

    with Project.create(tmp_path / "again.studio") as again:
        again.import_labels(tmp_path / "first")
        again.export_labels(tmp_path / "second", format="coco")
    second = json.loads((tmp_path / "second/annotations/instances_val.json").read_text())
    assert {c["id"]: c["name"] for c in second["categories"]} == categories


def test_export_loads_in_pycocotools_and_evaluates_perfectly_against_itself(
    tmp_path: Path,
) -> None:
    with Project.create(tmp_path / "p.studio") as project:
        project.import_labels(FIXTURE)
        project.export_labels(tmp_path / "out", format="coco")

    for split in ("train", "val"):
        ground_truth = COCO(str(tmp_path / f"out/annotations/instances_{split}.json"))
        assert ground_truth.getCatIds() == [3, 7, 12]
        for image in ground_truth.loadImgs(ground_truth.getImgIds()):
            assert (tmp_path / "out/images" / split / image["file_name"]).is_file()
        assert _self_evaluation(ground_truth, "bbox") == pytest.approx(1.0, abs=1e-9)
        segm = _self_evaluation(_with_segmentations(ground_truth), "segm")
        assert segm == pytest.approx(1.0, abs=1e-9)


def _self_evaluation(ground_truth: COCO, iou_type: str) -> float:
    """stats[0] (mAP@[.5:.95]) of every annotation given back as a detection of score 1."""
    results = []
    for annotation in ground_truth.dataset["annotations"]:
        result = {
            "image_id": annotation["image_id"],
            "category_id": annotation["category_id"],
            "score": 1.0,
        }
        if iou_type == "bbox":
            result["bbox"] = annotation["bbox"]
        else:
            rle = ground_truth.annToRLE(annotation)
            counts = rle["counts"]
            counts = counts.decode() if isinstance(counts, bytes) else counts
            result["segmentation"] = {"size": rle["size"], "counts": counts}
        results.append(result)
    evaluation = COCOeval(ground_truth, ground_truth.loadRes(results), iou_type)
    evaluation.evaluate()
    evaluation.accumulate()
    evaluation.summarize()
    return float(evaluation.stats[0])


def _with_segmentations(ground_truth: COCO) -> COCO:
    """The annotations that have a segmentation (a box-only one has none to compare)."""
    dataset = dict(ground_truth.dataset)
    dataset["annotations"] = [a for a in dataset["annotations"] if a["segmentation"]]
    assert dataset["annotations"]
    subset = COCO()
    subset.dataset = dataset
    subset.createIndex()
    return subset


def test_exported_annotations_match_the_file_they_came_from(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p.studio") as project:
        project.import_labels(FIXTURE)
        project.export_labels(tmp_path / "out", format="coco")
    original = json.loads((FIXTURE / "annotations/instances_train2017.json").read_text())
    exported = json.loads((tmp_path / "out/annotations/instances_train.json").read_text())

    def key(annotation: dict) -> tuple:
        return (annotation["category_id"], annotation["iscrowd"], annotation["bbox"])

    assert sorted(map(key, exported["annotations"])) == sorted(map(key, original["annotations"]))
    for annotation in exported["annotations"]:
        match = next(a for a in original["annotations"] if key(a) == key(annotation))
        assert annotation["area"] == pytest.approx(match["area"])
    names = sorted(image["file_name"] for image in exported["images"])
    assert names == ["000000000139.jpg", "000000000285.png", "000000000632.jpg"]


# -- detections with scores ------------------------------------------------------------------


def test_annotations_with_a_score_import_as_model_predictions(tmp_path: Path) -> None:
    save_image(tmp_path / "data/street.jpg", (64, 48), seed=3)
    document = {
        "images": [{"id": 5, "file_name": "street.jpg", "width": 64, "height": 48}],
        "annotations": [
            {"id": 1, "image_id": 5, "category_id": 2, "bbox": [1, 2, 30, 20], "score": 0.75},
            {
                "id": 2,
                "image_id": 5,
                "category_id": 2,
                "bbox": [40, 10, 10, 10],
                "segmentation": [[40, 10, 50, 10, 50, 20]],
                "score": 0.5,
            },
        ],
        "categories": [{"id": 2, "name": "bicycle"}],
    }
    file = tmp_path / "data/detections.json"
    file.write_text(json.dumps(document))
    with Project.create(tmp_path / "p.studio") as project:
        project.import_labels(file)
        (item,) = project.items()
        assert item.status == "new"  # predictions alone do not make an image labeled
        assert shapes(project, item.id) == [
            ("bicycle", "box", "[1.0, 2.0, 30.0, 20.0]", "model", 0.75, {}),
            ("bicycle", "polygon", "[[40.0, 10.0, 50.0, 10.0, 50.0, 20.0]]", "model", 0.5, {}),
        ]
        project.export_labels(tmp_path / "out", format="coco")
        before = signature(project)
    exported = json.loads((tmp_path / "out/annotations/instances_default.json").read_text())
    assert sorted(a["score"] for a in exported["annotations"]) == [0.5, 0.75]
    with Project.create(tmp_path / "again.studio") as again:
        again.import_labels(tmp_path / "out")
        assert signature(again) == before


def test_polygon_export_area_and_box_are_those_of_pycocotools(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p.studio") as project:
        project.import_labels(FIXTURE)
        project.export_labels(tmp_path / "out", format="coco")
    exported = json.loads((tmp_path / "out/annotations/instances_train.json").read_text())
    dog = next(a for a in exported["annotations"] if a["category_id"] == 7)
    rle = coco_mask.merge(coco_mask.frPyObjects(dog["segmentation"], 48, 64))

    assert dog["area"] == pytest.approx(float(coco_mask.area(rle)))
    assert dog["bbox"] == [30.0, 5.0, 30.0, 35.0]
