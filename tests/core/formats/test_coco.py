"""COCO JSON: the hand-written 2017-layout fixture, round trips, pycocotools, bad inputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pycocotools import mask as coco_mask
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from studio.api import LabelImportError, Project
from studio.core.geometry import decode_mask
from tests.cli_helpers import run_cli
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


# -- layouts of the tools themselves -------------------------------------------------------
# Written here after the files COCO 2017 (annotations_trainval2017.zip, image_info_test2017),
# pycocotools' tests and Roboflow's COCO export ship: same keys, same nesting, tiny sizes.

KEYPOINT_NAMES = ["nose", "left_eye", "right_eye", "left_hand", "right_hand"]
SKELETON = [[1, 2], [1, 3], [2, 4], [3, 5]]


def person_category(keypoints: bool) -> dict:
    category = {"supercategory": "person", "id": 1, "name": "person"}
    if keypoints:
        category.update(keypoints=KEYPOINT_NAMES, skeleton=SKELETON)
    return category


def coco_document(images: list[dict], annotations: list[dict] | None, categories: list[dict]):
    document = {
        "info": {"description": "COCO 2017 Dataset", "version": "1.0", "year": 2017},
        "licenses": [{"url": "http://creativecommons.org/licenses/by/2.0/", "id": 4}],
        "images": images,
        "categories": categories,
    }
    if annotations is not None:
        document["annotations"] = annotations
    return document


def coco_image(image_id: int, file_name: str) -> dict:
    return {"license": 4, "file_name": file_name, "height": 48, "width": 64, "id": image_id}


PERSON_OUTLINE = [[10.0, 5.0, 30.0, 5.0, 30.0, 40.0, 10.0, 40.0]]
PERSON_POINTS = [20, 8, 2, 18, 7, 2, 22, 7, 1, 0, 0, 0, 28, 30, 2]


def person(annotation_id: int, keypoints: bool) -> dict:
    annotation = {
        "segmentation": PERSON_OUTLINE,
        "area": 700.0,
        "iscrowd": 0,
        "image_id": 139,
        "bbox": [10.0, 5.0, 20.0, 35.0],
        "category_id": 1,
        "id": annotation_id,
    }
    if keypoints:
        annotation.update(num_keypoints=4, keypoints=PERSON_POINTS)
    return annotation


def write_json(path: Path, document: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document))
    return path


def coco2017_folder(root: Path) -> Path:
    """COCO's own annotations/ folder: captions, instances and person_keypoints of val2017."""
    save_image(root / "val2017/000000000139.jpg", (64, 48), seed=139)
    images = [coco_image(139, "000000000139.jpg")]
    dog = {"supercategory": "animal", "id": 18, "name": "dog"}
    dog_box = {
        "segmentation": [],
        "area": 80.0,
        "iscrowd": 0,
        "image_id": 139,
        "bbox": [40.0, 20.0, 10.0, 8.0],
        "category_id": 18,
        "id": 7,
    }
    captions = [{"image_id": 139, "id": 1, "caption": "A person next to a dog."}]
    write_json(root / "annotations/captions_val2017.json", coco_document(images, captions, []))
    write_json(
        root / "annotations/instances_val2017.json",
        coco_document(images, [person(5, False), dog_box], [person_category(False), dog]),
    )
    write_json(
        root / "annotations/person_keypoints_val2017.json",
        coco_document(images, [person(5, True)], [person_category(True)]),
    )
    return root


def test_coco2017_folder_reads_instances_and_keypoints_and_names_the_captions(
    project: Project, tmp_path: Path
) -> None:
    report = project.import_labels(coco2017_folder(tmp_path / "coco"))

    assert (report.images, report.annotations_added, report.duplicates_skipped) == (1, 3, 0)
    assert report.per_class == {"person": 2, "dog": 1}
    assert any("captions_val2017.json" in warning for warning in report.warnings)
    (item,) = project.items()
    assert (item.status, item.split) == ("done", "val")
    kinds = {a.kind: a for a in project.annotations(item.id)}
    assert kinds["polygon"].geometry == PERSON_OUTLINE
    assert kinds["keypoints"].label == "person"
    assert kinds["keypoints"].geometry == [
        [20.0, 8.0, 2],
        [18.0, 7.0, 2],
        [22.0, 7.0, 1],
        [0.0, 0.0, 0],
        [28.0, 30.0, 2],
    ]
    classes = {record.name: record for record in project.classes()}
    assert classes["person"].meta == {"keypoints": KEYPOINT_NAMES, "skeleton": SKELETON}
    assert classes["dog"].meta == {}


def test_keypoints_and_their_names_survive_a_coco_round_trip(tmp_path: Path) -> None:
    before, after, exported = round_trip(tmp_path, coco2017_folder(tmp_path / "coco"), "coco")

    assert before == after
    document = json.loads((exported / "annotations/instances_val.json").read_text())
    (category,) = [c for c in document["categories"] if c["name"] == "person"]
    assert (category["keypoints"], category["skeleton"]) == (KEYPOINT_NAMES, SKELETON)
    (holder,) = [a for a in document["annotations"] if "keypoints" in a]
    assert holder["segmentation"] == PERSON_OUTLINE
    assert (holder["keypoints"], holder["num_keypoints"]) == (PERSON_POINTS, 4)
    with Project.open(tmp_path / "second.studio") as second:
        assert {r.name: dict(r.meta) for r in second.classes()}["person"]["skeleton"] == SKELETON


def test_keypoints_without_a_shape_of_their_class_export_with_the_box_of_their_points(
    tmp_path: Path,
) -> None:
    save_image(tmp_path / "media/a.png", (64, 48), seed=3)
    with Project.create(tmp_path / "p.studio") as project:
        project.import_media([tmp_path / "media"])
        project.add_classes(["hand"])
        project.annotate(project.item_ids()[0], "hand", keypoints=[[5, 6, 2], [5, 6, 2]])
        project.export_labels(tmp_path / "out", "coco")
    document = json.loads((tmp_path / "out/annotations/instances_default.json").read_text())
    (written,) = document["annotations"]
    assert (written["bbox"], written["keypoints"]) == ([5, 6, 1, 1], [5, 6, 2, 5, 6, 2])


def test_keypoints_drawn_before_their_class_named_more_points_export_them_as_absent(
    tmp_path: Path,
) -> None:
    save_image(tmp_path / "media/a.png", (64, 48), seed=3)
    with Project.create(tmp_path / "p.studio") as project:
        project.import_media([tmp_path / "media"])
        project.add_classes(["hand"])
        project.annotate(project.item_ids()[0], "hand", keypoints=[[5, 6, 2], [9, 8, 1]])
        project.set_class_schema("hand", keypoints=["wrist", "thumb", "index"])
        project.export_labels(tmp_path / "out", "coco")
    document = json.loads((tmp_path / "out/annotations/instances_default.json").read_text())
    (written,) = document["annotations"]
    assert written["keypoints"] == [5, 6, 2, 9, 8, 1, 0, 0, 0]
    with Project.create(tmp_path / "back.studio") as back:
        back.import_labels(tmp_path / "out")
        (points,) = [a for a in back.annotations(back.item_ids()[0]) if a.kind == "keypoints"]
        assert points.geometry == [[5, 6, 2], [9, 8, 1], [0, 0, 0]]


def test_keypoint_count_must_match_the_category(project: Project, tmp_path: Path) -> None:
    root = coco2017_folder(tmp_path / "coco")
    file = root / "annotations/person_keypoints_val2017.json"
    document = json.loads(file.read_text())
    document["annotations"][0]["keypoints"] = PERSON_POINTS[:-3]
    file.write_text(json.dumps(document))
    with pytest.raises(LabelImportError, match="keypoints has 4 points but its category names 5"):
        project.import_labels(root)
    assert project.item_ids() == []


def roboflow_export(root: Path) -> Path:
    """Roboflow's COCO export: one `_annotations.coco.json` per split folder, images beside."""
    superclass = {"id": 0, "name": "cells", "supercategory": "none"}
    cell = {"id": 1, "name": "RBC", "supercategory": "cells"}
    for seed, (split, name) in enumerate(
        [("train", "a_jpg.rf.1f2e.jpg"), ("valid", "b_jpg.rf.9c0d.jpg")]
    ):
        save_image(root / split / name, (64, 48), seed=40 + seed)
        image = {
            "id": 0,
            "license": 1,
            "file_name": name,
            "height": 48,
            "width": 64,
            "date_captured": "2021-03-08T19:30:24+00:00",
        }
        box = {
            "id": 0,
            "image_id": 0,
            "category_id": 1,
            "bbox": [4, 5, 20, 10],
            "area": 200,
            "segmentation": [],
            "iscrowd": 0,
        }
        document = {
            "info": {"year": "2021"},
            "licenses": [],
            "categories": [superclass, cell],
            "images": [image],
            "annotations": [box],
        }
        write_json(root / split / "_annotations.coco.json", document)
    (root / "README.roboflow.txt").write_text("exported via roboflow.com\n")
    return root


def test_roboflow_coco_export_imports_every_split_through_the_cli(tmp_path: Path) -> None:
    source = roboflow_export(tmp_path / "roboflow")
    project_file = tmp_path / "p.studio"
    Project.create(project_file).close()

    result = run_cli("import-labels", project_file, source, "--format", "coco", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["annotations_added"] == 2
    with Project.open(project_file) as project:
        assert Project.detect_label_format(source) == "coco"
        assert sorted((Path(i.path).name, i.split, i.status) for i in project.items()) == [
            ("a_jpg.rf.1f2e.jpg", "train", "done"),
            ("b_jpg.rf.9c0d.jpg", "val", "done"),
        ]


def test_image_info_file_brings_its_images_in_unlabeled(project: Project, tmp_path: Path) -> None:
    save_image(tmp_path / "test2017/000000000001.jpg", (64, 48), seed=1)
    info = write_json(
        tmp_path / "annotations/image_info_test2017.json",
        coco_document([coco_image(1, "000000000001.jpg")], None, [person_category(False)]),
    )

    report = project.import_labels(info)

    assert (report.images, report.annotations_added) == (1, 0)
    assert [(item.status, item.split) for item in project.items()] == [("new", "test")]
    project.export_labels(tmp_path / "out", "coco")
    assert not (tmp_path / "out/annotations").exists()


@pytest.mark.parametrize(
    ("document", "named"),
    [
        (
            {
                "images": [],
                "categories": [],
                "annotations": [{"image_id": 1, "file_name": "1.png", "segments_info": []}],
            },
            "COCO panoptic file",
        ),
        (
            {"images": [], "annotations": [{"image_id": 1, "id": 1, "caption": "a dog"}]},
            "COCO captions file",
        ),
        ([{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.9}], "results file"),
    ],
)
def test_coco_layouts_studio_does_not_read_are_named(
    project: Project, tmp_path: Path, document: Any, named: str
) -> None:
    source = write_json(tmp_path / "panoptic_val2017.json", document)
    with pytest.raises(LabelImportError) as caught:
        project.import_labels(source, format="coco")
    assert named in caught.value.problem
    assert caught.value.file == str(source)


def test_annotation_fields_studio_does_not_import_are_named(
    project: Project, tmp_path: Path
) -> None:
    root = coco2017_folder(tmp_path / "coco")
    file = root / "annotations/instances_val2017.json"
    document = json.loads(file.read_text())
    document["annotations"][0].update(ignore=1, track_id=4)
    document["annotations"][1].update(ignore=0)  # Label Studio writes "ignore": 0 everywhere
    file.write_text(json.dumps(document))
    report = project.import_labels(root)
    assert (
        "COCO annotation fields Studio does not import were left out: ignore ×1, track_id ×1"
        in (report.warnings)
    )


def test_a_polygon_with_a_hole_exports_as_rle_and_comes_back_with_its_hole(
    tmp_path: Path,
) -> None:
    outer = [4.0, 4.0, 34.0, 4.0, 34.0, 26.0, 4.0, 26.0]
    hole = [14.0, 10.0, 24.0, 10.0, 24.0, 20.0, 14.0, 20.0]
    parts = [[1.0, 1.0, 3.0, 1.0, 3.0, 3.0], [36.0, 20.0, 39.0, 20.0, 39.0, 28.0]]
    with Project.create(tmp_path / "p.studio") as project:
        project.import_media([save_image(tmp_path / "media/a.png")])
        project.add_classes(["ring", "pair"])
        item = project.item_ids()[0]
        project.annotate(item, "ring", polygon=[outer, hole])
        project.annotate(item, "pair", polygon=parts)
        project.export_labels(tmp_path / "out", format="coco")
    exported = json.loads((tmp_path / "out/annotations/instances_default.json").read_text())
    ring, pair = sorted(exported["annotations"], key=lambda a: a["category_id"] != 1)
    assert isinstance(ring["segmentation"], dict)
    assert (ring["iscrowd"], ring["area"]) == (0, 30 * 22 - 10 * 10)
    assert pair["segmentation"] == parts
    loaded = COCO(str(tmp_path / "out/annotations/instances_default.json"))
    assert loaded.annToMask(loaded.anns[ring["id"]]).sum() == 30 * 22 - 10 * 10
    with Project.create(tmp_path / "again.studio") as again:
        again.import_labels(tmp_path / "out")
        (shape,) = [a for a in again.annotations(again.item_ids()[0]) if a.label == "ring"]
        assert shape.kind == "mask"
        pixels = decode_mask(shape.geometry)
        assert pixels.sum() == 30 * 22 - 10 * 10
        assert not pixels[15, 19]
