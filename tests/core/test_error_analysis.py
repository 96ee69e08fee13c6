"""Error analysis on hand-built evaluations over real images: the items behind confusion
cells, precision-recall curves, and detection errors sorted into their kinds.

The builders here are also used by the error-analysis window tests (tests/gui/analysis).
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from pycocotools import mask as coco_mask
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
from sklearn.metrics import average_precision_score

from studio.api import Project
from studio.core import error_analysis, runs
from studio.core.errors import RunError
from studio.core.geometry import encode_mask
from studio.core.runs import PredictionRecord
from studio.core.synthetic_scenes import create_scene_project
from studio.core.versions import VersionItem
from tests.conftest import write_images

CLASSES = ("cat", "dog", "bird")
TRUTH = ("cat", "cat", "dog", "dog", "bird", "bird")
GUESSES = ("cat", "dog", "dog", "dog", "bird", "cat")


@dataclass
class Built:
    project: Project
    run_id: int
    evaluation_id: int
    ids: list[int]
    items: list[VersionItem]


def _version_and_run(project: Project, task: str) -> tuple[int, list[VersionItem]]:
    project.set_split(project.item_ids(), "test")
    version = project.create_version()
    run = runs.create_run(
        project.context.database,
        task=task,
        model="tiny",
        version_id=version.id,
        config={"epochs": 1},
        seed=0,
    )
    return run.id, project.version_items(version.id, "test")


def _evaluate(
    project: Project, run_id: int, predictions: list[PredictionRecord], metrics: dict
) -> int:
    record = runs.save_evaluation(
        project.context.database,
        run_id,
        checkpoint="best.pt",
        epoch=1,
        split="test",
        metrics=metrics,
        predictions=predictions,
    )
    return record.id


def classification_metrics(guesses: tuple[str, ...]) -> dict:
    """What the worker stores for these guesses: accuracy and per-class figures."""
    per_class = {}
    for name in CLASSES:
        hits = sum(t == g == name for t, g in zip(TRUTH, guesses, strict=True))
        precision = hits / max(guesses.count(name), 1)
        recall = hits / max(TRUTH.count(name), 1)
        f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
        support = TRUTH.count(name)
        per_class[name] = {"precision": precision, "recall": recall, "f1": f1, "support": support}
    accuracy = sum(t == g for t, g in zip(TRUTH, guesses, strict=True)) / len(TRUTH)
    return {"accuracy": accuracy, "per_class": per_class, "items": len(TRUTH)}


def build_classification(folder: Path, guesses: tuple[str, ...] = GUESSES) -> Built:
    """Six real images tagged as TRUTH, predicted as `guesses` (top class 0.8, the other two
    0.15 and 0.05, as a top-5 classifier stores them)."""
    project = Project.create(folder / "tags.studio", author="tester")
    project.add_classes(list(CLASSES))
    project.import_media(write_images(folder / "images", len(TRUTH), size=(48, 40)))
    ids = project.item_ids()
    project.add_annotations(
        {"item_id": item_id, "label": label} for item_id, label in zip(ids, TRUTH, strict=True)
    )
    project.set_status(ids, "done")
    run_id, items = _version_and_run(project, "classification")
    class_ids = {c.name: c.id for c in project.version(project.versions()[-1].id).classes}
    predictions = []
    for item_id, guess in zip(ids, guesses, strict=True):
        others = [name for name in CLASSES if name != guess]
        for name, score in ((guess, 0.8), (others[0], 0.15), (others[1], 0.05)):
            predictions.append(PredictionRecord(item_id, class_ids[name], "tag", None, score))
    evaluation_id = _evaluate(project, run_id, predictions, classification_metrics(guesses))
    return Built(project, run_id, evaluation_id, ids, items)


# --- detection scenes: what each item's predictions do --------------------------------------

EXACT, SHIFTED, OTHER_CLASS, EXTRA, MISSED = "exact", "shifted", "other class", "extra", "missed"
PLAN = (EXACT, SHIFTED, OTHER_CLASS, EXTRA, MISSED, EXACT)
SCORES = {EXACT: 0.9, SHIFTED: 0.8, OTHER_CLASS: 0.7, EXTRA: 0.6}
LOW_FALSE_POSITIVE = 0.3


def _shifted(box: list[float]) -> list[float]:
    """The box moved right by a quarter of its width: IoU (w - w/4) / (w + w/4) = 0.6."""
    x, y, w, h = box
    return [x + w / 4, y, w, h]


def _empty_corner(item: VersionItem, side: float) -> list[float]:
    """A square box in a corner that no object of the item touches."""
    boxes = np.array([a["geometry"] for a in item.annotations], dtype=float).reshape(-1, 4)
    for x, y in ((0, 0), (item.width - side, 0), (0, item.height - side)):
        box = [float(x), float(y), side, side]
        if not error_analysis.box_iou(np.array([box]), boxes).any():
            return box
    raise AssertionError(f"item {item.item_id} has no free corner")


def _object_predictions(
    item: VersionItem, plan: str, class_ids: dict[str, int], names: dict[int, str]
) -> list[PredictionRecord]:
    predictions = []
    for index, annotation in enumerate(item.annotations):
        box, class_id, score = list(annotation["geometry"]), annotation["class_id"], 0.9
        if index == 0 and plan == MISSED:
            continue
        if index == 0 and plan == SHIFTED:
            box, score = _shifted(box), SCORES[SHIFTED]
        if index == 0 and plan == OTHER_CLASS:
            other = next(name for name in class_ids if name != names[class_id])
            class_id, score = class_ids[other], SCORES[OTHER_CLASS]
        predictions.append(PredictionRecord(item.item_id, class_id, "box", box, score))
    if plan == EXTRA:
        any_class = item.annotations[0]["class_id"]
        for side, score in ((10.0, SCORES[EXTRA]), (6.0, LOW_FALSE_POSITIVE)):
            box = _empty_corner(item, side)
            predictions.append(PredictionRecord(item.item_id, any_class, "box", box, score))
    return predictions


def build_detection(folder: Path, plan: tuple[str, ...] = PLAN) -> Built:
    """Six synthetic scenes (real PNGs with exact boxes); item k's predictions follow plan[k]."""
    path = create_scene_project(folder / "scenes.studio", count=len(plan), seed=4, geometry="box")
    project = Project.open(path, author="tester")
    run_id, items = _version_and_run(project, "detection")
    classes = project.versions()[-1].classes
    class_ids = {c.name: c.id for c in classes}
    names = {c.id: c.name for c in classes}
    predictions = [
        prediction
        for item, step in zip(items, plan, strict=True)
        for prediction in _object_predictions(item, step, class_ids, names)
    ]
    metrics = {"map": 0.5, "map_50": 0.6, "per_class": {c.name: {"ap": 0.5} for c in classes}}
    evaluation_id = _evaluate(project, run_id, predictions, metrics)
    return Built(project, run_id, evaluation_id, [i.item_id for i in items], items)


@pytest.fixture
def classified(tmp_path: Path):
    built = build_classification(tmp_path)
    yield built
    built.project.close()


@pytest.fixture
def detected(tmp_path: Path):
    built = build_detection(tmp_path)
    yield built
    built.project.close()


# --- classification ---------------------------------------------------------------------------


def test_confusion_cells_list_the_items_behind_each_cell(classified: Built) -> None:
    cells = classified.project.confusion_cells(classified.evaluation_id)
    ids = classified.ids

    assert cells["labels"] == list(CLASSES)
    assert cells["matrix"] == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    assert cells["items"] == {
        "0,0": [ids[0]],
        "0,1": [ids[1]],
        "1,1": [ids[2], ids[3]],
        "2,0": [ids[5]],
        "2,2": [ids[4]],
    }
    assert cells["missing_predictions"] == 0


def test_perfect_scores_give_a_precision_recall_curve_with_ap_one(tmp_path: Path) -> None:
    built = build_classification(tmp_path, guesses=TRUTH)
    with built.project:
        curves = built.project.precision_recall_curves(built.evaluation_id)

    assert sorted(curves) == sorted(CLASSES)
    for curve in curves.values():
        assert curve["ap"] == pytest.approx(1.0)
        assert curve["positives"] == 2
        assert curve["recall"][-1] == pytest.approx(1.0)
        assert len(curve["precision"]) == len(curve["recall"]) == len(curve["scores"])


def test_one_vs_rest_curves_treat_a_missing_score_as_zero(classified: Built) -> None:
    curves = classified.project.precision_recall_curves(classified.evaluation_id)

    # cat's scores: 0.8 for the first image (a cat) and the last (a bird), 0.15 for the
    # four others (the second cat among them): 0.5 precision at 0.5 recall, then 1/3 at 1.
    cat = curves["cat"]
    assert cat["ap"] == pytest.approx(0.5 * 0.5 + 0.5 / 3)
    assert cat["precision"] == pytest.approx([1.0, 0.5, 1 / 3])
    assert cat["recall"] == pytest.approx([0.0, 0.5, 1.0])
    truth = [1, 1, 0, 0, 0, 0]
    scores = [0.8, 0.15, 0.15, 0.15, 0.15, 0.8]
    assert cat["ap"] == pytest.approx(average_precision_score(truth, scores))


def test_detection_errors_refuse_a_classification_evaluation(classified: Built) -> None:
    with pytest.raises(RunError, match="classification evaluation"):
        classified.project.detection_errors(classified.evaluation_id)


def test_an_unknown_evaluation_is_named(classified: Built) -> None:
    with pytest.raises(RunError, match="evaluation 999"):
        classified.project.confusion_cells(999)


# --- detection --------------------------------------------------------------------------------


def errors_by_kind(errors: list[dict]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {kind: [] for kind in error_analysis.ERROR_KINDS}
    for error in errors:
        found[error["kind"]].append(error["item_id"])
    return found


def test_detection_errors_are_sorted_into_their_kinds(detected: Built) -> None:
    errors = detected.project.detection_errors(detected.evaluation_id)
    ids = detected.ids

    assert errors_by_kind(errors) == {
        "false_positive": [ids[3]],
        "false_negative": [ids[4]],
        "poor_localisation": [ids[1]],
        "wrong_class": [ids[2]],
    }
    by_kind = {error["kind"]: error for error in errors}
    poor = by_kind["poor_localisation"]
    assert poor["iou"] == pytest.approx(0.6)
    assert poor["score"] == pytest.approx(SCORES[SHIFTED])
    assert poor["class"] == poor["predicted_class"]
    wrong = by_kind["wrong_class"]
    assert wrong["class"] != wrong["predicted_class"]
    assert wrong["truth"] == detected.items[2].annotations[0]["geometry"]
    missed = by_kind["false_negative"]
    assert missed["prediction"] is None
    assert missed["score"] is None
    assert missed["truth_kind"] == "box"
    assert by_kind["false_positive"]["truth"] is None


def test_the_score_threshold_changes_the_error_lists(detected: Built) -> None:
    ids = detected.ids
    low = errors_by_kind(detected.project.detection_errors(detected.evaluation_id, 0.2))
    high = errors_by_kind(detected.project.detection_errors(detected.evaluation_id, 0.75))

    assert low["false_positive"] == [ids[3], ids[3]]  # the 0.3 box comes in
    assert high["false_positive"] == []
    assert high["wrong_class"] == []  # the 0.7 detection is gone: its object is now missed
    assert sorted(high["false_negative"]) == [ids[2], ids[4]]
    assert high["poor_localisation"] == [ids[1]]


def test_a_stricter_poor_iou_keeps_good_matches_out(detected: Built) -> None:
    errors = detected.project.detection_errors(detected.evaluation_id, poor_iou=0.55)
    assert errors_by_kind(errors)["poor_localisation"] == []


def test_detection_confusion_has_a_background_class(detected: Built) -> None:
    cells = detected.project.confusion_cells(detected.evaluation_id)
    background = len(cells["labels"]) - 1
    ids = detected.ids

    assert cells["labels"][-1] == error_analysis.BACKGROUND
    missed_cells = [key for key in cells["items"] if key.endswith(f",{background}")]
    assert [cells["items"][key] for key in missed_cells] == [[ids[4]]]
    extra_cells = [key for key in cells["items"] if key.startswith(f"{background},")]
    assert [cells["items"][key] for key in extra_cells] == [[ids[3]]]
    off_diagonal = {
        key: value
        for key, value in cells["items"].items()
        if len(set(key.split(","))) == 2 and str(background) not in key.split(",")
    }
    assert list(off_diagonal.values()) == [[ids[2]]]
    total_objects = sum(len(item.annotations) for item in detected.items)
    matrix = np.array(cells["matrix"])
    assert matrix[:background].sum() == total_objects


def test_perfect_detections_give_ap_one(tmp_path: Path) -> None:
    built = build_detection(tmp_path, plan=(EXACT,) * 4)
    with built.project:
        curves = built.project.precision_recall_curves(built.evaluation_id)
        errors = built.project.detection_errors(built.evaluation_id)

    assert errors == []
    defined = [curve for curve in curves.values() if curve["positives"]]
    assert defined
    assert all(curve["ap"] == pytest.approx(1.0) for curve in defined)


def test_detection_curves_count_misses_and_extras(detected: Built) -> None:
    curves = detected.project.precision_recall_curves(detected.evaluation_id)
    assert all(curve["recall"][-1] <= 1.0 for curve in curves.values())
    assert any(curve["ap"] is not None and curve["ap"] < 1.0 for curve in curves.values())


def _cocoeval_ap50(built: Built) -> dict[int, float]:
    """AP at IoU 0.5 per class id, by pycocotools' COCOeval on the same boxes."""
    truth = COCO()
    truth.dataset = {
        "images": [{"id": i.item_id, "width": i.width, "height": i.height} for i in built.items],
        "categories": [{"id": c.id, "name": c.name} for c in built.project.versions()[-1].classes],
        "annotations": [
            {
                "id": n + 1,
                "image_id": item.item_id,
                "category_id": a["class_id"],
                "bbox": a["geometry"],
                "area": a["geometry"][2] * a["geometry"][3],
                "iscrowd": 0,
            }
            for n, (item, a) in enumerate((i, a) for i in built.items for a in i.annotations)
        ],
    }
    with contextlib.redirect_stdout(io.StringIO()):
        truth.createIndex()
        found = truth.loadRes(
            [
                {
                    "image_id": p.item_id,
                    "category_id": p.class_id,
                    "bbox": p.geometry,
                    "score": p.score,
                }
                for p in built.project.run(built.run_id).predictions("test")
            ]
        )
        evaluator = COCOeval(truth, found, "bbox")
        evaluator.params.iouThrs = np.array([0.5])
        evaluator.evaluate()
        evaluator.accumulate()
    precision = evaluator.eval["precision"][0, :, :, 0, -1]
    return {
        class_id: float(precision[:, k][precision[:, k] > -1].mean())
        for k, class_id in enumerate(evaluator.params.catIds)
        if (precision[:, k] > -1).any()
    }


def test_detection_ap_agrees_with_cocoeval(detected: Built) -> None:
    curves = detected.project.precision_recall_curves(detected.evaluation_id)
    classes = {c.name: c.id for c in detected.project.versions()[-1].classes}
    expected = _cocoeval_ap50(detected)

    assert expected
    for name, curve in curves.items():
        if curve["ap"] is not None:
            assert curve["ap"] == pytest.approx(expected[classes[name]], abs=1e-9), name


# --- segmentation -----------------------------------------------------------------------------


def _polygon_mask(item: VersionItem, polygon: list[list[float]]) -> dict:
    rle = coco_mask.merge(coco_mask.frPyObjects(polygon, item.height, item.width))
    return encode_mask(coco_mask.decode(rle).astype(bool))


def test_segmentation_uses_mask_iou(tmp_path: Path) -> None:
    path = create_scene_project(tmp_path / "masks.studio", count=3, seed=2, geometry="polygon")
    with Project.open(path, author="tester") as project:
        run_id, items = _version_and_run(project, "segmentation")
        predictions = [
            PredictionRecord(
                item.item_id, a["class_id"], "mask", _polygon_mask(item, a["geometry"]), 0.9
            )
            for item in items
            for a in item.annotations[1:]  # every object but the first of each item is found
        ]
        evaluation_id = _evaluate(project, run_id, predictions, {"map": 0.5})
        errors = project.detection_errors(evaluation_id)

    assert errors_by_kind(errors)["false_negative"] == [item.item_id for item in items]
    assert all(error["truth_kind"] == "polygon" for error in errors)
    assert len(errors) == len(items)
