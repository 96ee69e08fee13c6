from __future__ import annotations

import numpy as np
import pytest
import torch
from torchvision.transforms import v2

from studio.core.geometry import decode_mask, encode_mask, shape_box
from studio.core.versions import VersionItem
from studio.ml.architectures import build_model
from studio.ml.augment import build_transforms
from studio.ml.data import ClassIndex, annotation_mask
from studio.ml.evaluation import (
    ItemPrediction,
    classification_metrics,
    coco_metrics,
    epoch_metrics,
    evaluate_predictions,
    multilabel_metrics,
    predict,
)
from tests.ml.conftest import annotation, version_record

# --- COCO metrics -------------------------------------------------------------------------------


def _truth_as_boxes(items, shift: float = 0.0) -> list[ItemPrediction]:
    return [
        ItemPrediction(
            item.item_id,
            a["class_id"],
            "box",
            [
                v + (shift if i < 2 else 0)
                for i, v in enumerate(shape_box(a["kind"], a["geometry"], 96, 96))
            ],
            1.0,
        )
        for item in items
        for a in item.annotations
    ]


def _truth_as_masks(items) -> list[ItemPrediction]:
    return [
        ItemPrediction(
            item.item_id,
            a["class_id"],
            "mask",
            encode_mask(annotation_mask(a, item.width, item.height)),
            1.0,
        )
        for item in items
        for a in item.annotations
    ]


def test_ground_truth_as_predictions_scores_a_perfect_box_map(scene_version) -> None:
    fixture = scene_version(count=6)
    metrics = coco_metrics(fixture.items, _truth_as_boxes(fixture.items), fixture.class_index)
    assert metrics["map"] == pytest.approx(1.0)
    assert metrics["map_50"] == pytest.approx(1.0)
    assert metrics["map_75"] == pytest.approx(1.0)
    objects = sum(len(item.annotations) for item in fixture.items)
    assert metrics["objects"] == metrics["detections"] == objects
    used = {a["class_id"] for item in fixture.items for a in item.annotations}
    for class_id, name in zip(
        fixture.class_index.class_ids, fixture.class_index.names, strict=True
    ):
        expected = pytest.approx(1.0) if class_id in used else None
        assert metrics["per_class"][name]["ap"] == expected


def test_shifted_boxes_score_lower(scene_version) -> None:
    fixture = scene_version(count=6)
    perfect = coco_metrics(fixture.items, _truth_as_boxes(fixture.items), fixture.class_index)
    shifted = coco_metrics(
        fixture.items, _truth_as_boxes(fixture.items, shift=4.0), fixture.class_index
    )
    assert shifted["map"] < perfect["map"]
    assert shifted["map_75"] < shifted["map_50"] <= 1.0
    missing = coco_metrics(fixture.items, [], fixture.class_index)
    assert missing["map"] == 0.0
    assert missing["detections"] == 0


@pytest.mark.parametrize("geometry", ["polygon", "mask"])
def test_ground_truth_masks_score_a_perfect_segmentation_map(scene_version, geometry) -> None:
    fixture = scene_version(count=6, geometry=geometry)
    predictions = _truth_as_masks(fixture.items)
    metrics = evaluate_predictions("segmentation", fixture.items, predictions, fixture.class_index)
    assert metrics["map"] == pytest.approx(1.0)
    assert metrics["box_map"] == pytest.approx(1.0)
    assert metrics["items"] == 6
    eroded = [
        ItemPrediction(p.item_id, p.class_id, "mask", _eroded(p.geometry), 1.0) for p in predictions
    ]
    worse = coco_metrics(fixture.items, eroded, fixture.class_index, "segm")
    assert worse["map"] < 1.0


def _eroded(rle: dict) -> dict:
    pixels = torch.from_numpy(decode_mask(rle)).float()[None, None]
    kept = -torch.nn.functional.max_pool2d(-pixels, 5, stride=1, padding=2)
    return encode_mask(kept[0, 0].numpy() > 0.5)


# --- classification and multilabel -------------------------------------------------------------


def _tagged(pairs: list[tuple[int, int]]) -> list[VersionItem]:
    return [
        VersionItem(
            item_id,
            f"{item_id}.png",
            "0" * 64,
            8,
            8,
            "done",
            "test",
            (annotation(item_id, c, "tag"),),
        )
        for item_id, c in pairs
    ]


def _guesses(pairs: list[tuple[int, int]], other: int) -> list[ItemPrediction]:
    rows = []
    for item_id, class_id in pairs:
        rows.append(ItemPrediction(item_id, class_id, "tag", None, 0.7))
        rows.append(ItemPrediction(item_id, other if other != class_id else 12, "tag", None, 0.2))
    return rows


def test_classification_metrics_trace_confusions_to_items() -> None:
    index = ClassIndex.of(version_record(["cat", "dog", "fox"]))  # ids 10, 11, 12
    items = _tagged([(1, 10), (2, 10), (3, 10), (4, 11), (5, 11), (6, 12)])
    predicted = [(1, 10), (2, 11), (3, 11), (4, 11), (5, 10), (6, 12)]
    metrics = classification_metrics(items, _guesses(predicted, other=10), index)
    assert metrics["accuracy"] == pytest.approx(3 / 6)
    assert metrics["per_class"]["cat"] == {
        "precision": pytest.approx(1 / 2),
        "recall": pytest.approx(1 / 3),
        "f1": pytest.approx(0.4),
        "support": 3,
    }
    dog_f1 = 2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2)
    assert metrics["macro_f1"] == pytest.approx((0.4 + dog_f1 + 1.0) / 3)
    assert metrics["confusion"] == {
        "labels": ["cat", "dog", "fox"],
        "matrix": [[1, 2, 0], [1, 1, 0], [0, 0, 1]],
    }
    assert metrics["top_confusions"] == [
        {"true": "cat", "predicted": "dog", "count": 2, "item_ids": [2, 3]},
        {"true": "dog", "predicted": "cat", "count": 1, "item_ids": [5]},
    ]
    assert metrics["missing_predictions"] == 0
    flat = epoch_metrics("classification", {**metrics, "loss": 0.25})
    assert flat == {"val/accuracy": 0.5, "val/macro_f1": metrics["macro_f1"], "val/loss": 0.25}


def test_multilabel_metrics_rank_and_threshold_per_class(tagged_version) -> None:
    fixture = tagged_version(per_class=2, multilabel=True)
    perfect = [
        ItemPrediction(item.item_id, class_id, "tag", None, 0.9 if tagged else 0.1)
        for item in fixture.items
        for class_id in fixture.class_index.class_ids
        for tagged in [any(a["class_id"] == class_id for a in item.annotations)]
    ]
    metrics = multilabel_metrics(fixture.items, perfect, fixture.class_index)
    assert metrics["map"] == pytest.approx(1.0)
    assert metrics["macro_f1"] == pytest.approx(1.0)
    assert metrics["threshold"] == 0.5
    strict = multilabel_metrics(fixture.items, perfect, fixture.class_index, threshold=0.95)
    assert strict["macro_f1"] == 0.0
    assert strict["map"] == pytest.approx(1.0)
    inverted = [ItemPrediction(p.item_id, p.class_id, "tag", None, 1 - p.score) for p in perfect]
    worse = evaluate_predictions("multilabel", fixture.items, inverted, fixture.class_index)
    assert worse["map"] < 0.7
    assert worse["per_class"]["red"]["recall"] == 0.0
    assert epoch_metrics("multilabel", worse) == {
        "val/map": worse["map"],
        "val/f1": worse["macro_f1"],
    }


def test_epoch_metrics_of_detection_and_segmentation() -> None:
    metrics = {"map": 0.5, "map_50": 0.75, "map_75": 0.4, "box_map": 0.6}
    assert epoch_metrics("detection", metrics) == {"val/map": 0.5, "val/map_50": 0.75}
    assert epoch_metrics("segmentation", metrics) == {
        "val/map": 0.5,
        "val/map_50": 0.75,
        "val/box_map": 0.6,
    }


# --- predict ----------------------------------------------------------------------------------


class _Replay(torch.nn.Module):
    """A stand-in detector that answers each image with the boxes given for it, scaled to
    the size of the image it receives (as a torchvision detector answers)."""

    def __init__(self, answers: list[dict], original: list[tuple[int, int]]) -> None:
        super().__init__()
        self.answers = answers
        self.original = original
        self.calls = 0

    def forward(self, images: list[torch.Tensor]) -> list[dict]:
        outputs = []
        for image in images:
            answer = self.answers[self.calls]
            height, width = self.original[self.calls]
            scale = torch.tensor([image.shape[2] / width, image.shape[1] / height] * 2)
            outputs.append({**answer, "boxes": answer["boxes"] * scale})
            self.calls += 1
        return outputs


def _answers(fixture) -> list[dict]:
    answers = []
    for item in fixture.items:
        boxes = [
            shape_box(a["kind"], a["geometry"], item.width, item.height) for a in item.annotations
        ]
        answers.append(
            {
                "boxes": torch.tensor([[x, y, x + w, y + h] for x, y, w, h in boxes]),
                "labels": torch.tensor(
                    [fixture.class_index.index_of(a["class_id"]) + 1 for a in item.annotations]
                ),
                "scores": torch.ones(len(boxes)),
            }
        )
    return answers


@pytest.mark.parametrize("resize", [False, True])
def test_predicted_boxes_are_in_original_pixels(scene_version, resize: bool) -> None:
    fixture = scene_version(count=4)
    transforms = build_transforms("detection", 96, [], train=False)
    if resize:
        transforms = v2.Compose([v2.Resize((48, 40)), transforms])
    dataset = fixture.dataset("detection", transforms)
    sizes = [(item.height, item.width) for item in fixture.items]
    model = _Replay(_answers(fixture), sizes)
    predictions = predict(model, dataset, "detection", fixture.class_index, "cpu", batch_size=3)
    assert {p.kind for p in predictions} == {"box"}
    expected = _truth_as_boxes(fixture.items)
    assert len(predictions) == len(expected)
    for got, want in zip(predictions, expected, strict=True):
        assert (got.item_id, got.class_id) == (want.item_id, want.class_id)
        assert got.geometry == pytest.approx(want.geometry, abs=0.02)
    metrics = evaluate_predictions("detection", fixture.items, predictions, fixture.class_index)
    assert metrics["map"] == pytest.approx(1.0)


def test_predict_keeps_scores_above_the_threshold_best_first(scene_version) -> None:
    fixture = scene_version(count=1)
    answer = {
        "boxes": torch.tensor([[0.0, 0, 10, 10], [5, 5, 20, 20], [1, 1, 4, 4], [2, 2, 9, 9]]),
        "labels": torch.tensor([1, 2, 1, 0]),  # label 0: a one-stage detector's background
        "scores": torch.tensor([0.3, 0.9, 0.01, 0.95]),
    }
    model = _Replay([answer], [(96, 96)])
    dataset = fixture.dataset("detection")
    predictions = predict(model, dataset, "detection", fixture.class_index, "cpu", max_detections=5)
    assert [p.score for p in predictions] == pytest.approx([0.9, 0.3])
    assert predictions[0].geometry == [5.0, 5.0, 15.0, 15.0]
    assert predictions[0].class_id == fixture.class_index.class_ids[1]
    model.calls = 0
    strongest = predict(model, dataset, "detection", fixture.class_index, "cpu", max_detections=1)
    assert [p.score for p in strongest] == pytest.approx([0.9])


def test_segmentation_predictions_are_masks_of_the_image_size(scene_version) -> None:
    fixture = scene_version(count=2, geometry="mask")
    answers = _answers(fixture)
    for answer, item in zip(answers, fixture.items, strict=True):
        masks = np.stack([annotation_mask(a, 96, 96) for a in item.annotations])
        answer["masks"] = torch.from_numpy(masks).float()[:, None] * 0.9
    # the model sees half-size images; its masks are then half size too
    for answer in answers:
        answer["masks"] = torch.nn.functional.interpolate(answer["masks"], size=(48, 48))
    transforms = v2.Compose([v2.Resize((48, 48)), build_transforms("segmentation", 96, [], False)])
    dataset = fixture.dataset("segmentation", transforms)
    model = _Replay(answers, [(96, 96)] * 2)
    predictions = predict(model, dataset, "segmentation", fixture.class_index, "cpu")
    assert {p.kind for p in predictions} == {"mask"}
    assert all(p.geometry["size"] == [96, 96] for p in predictions)
    assert all(isinstance(p.geometry["counts"], str) for p in predictions)
    metrics = evaluate_predictions("segmentation", fixture.items, predictions, fixture.class_index)
    assert metrics["map_50"] == pytest.approx(1.0)


def test_classifier_predictions_are_the_top_classes_with_probabilities(tagged_version) -> None:
    fixture = tagged_version(per_class=2, names=("a", "b", "c", "d", "e", "f", "g"))
    model = build_model("mobilenet_v3_small", "classification", 7, 32, pretrained="never").module
    dataset = fixture.dataset(
        "classification", build_transforms("classification", 32, [], train=False)
    )
    model.train()
    predictions = predict(model, dataset, "classification", fixture.class_index, "cpu", 4)
    assert model.training  # put back as it was
    assert len(predictions) == len(fixture.items) * 5
    for item in fixture.items:
        rows = [p for p in predictions if p.item_id == item.item_id]
        scores = [p.score for p in rows]
        assert scores == sorted(scores, reverse=True)
        assert 0 < sum(scores) <= 1.0 + 1e-5
        assert {p.kind for p in rows} == {"tag"}
        assert len({p.class_id for p in rows}) == 5
    multilabel = predict(model, dataset, "multilabel", fixture.class_index, "cpu", 4)
    assert len(multilabel) == len(fixture.items) * 7


def test_a_real_detector_predicts_inside_the_image(scene_version) -> None:
    fixture = scene_version(count=2)
    model = build_model(
        "fasterrcnn_mobilenet_v3_large_320_fpn", "detection", 3, 96, pretrained="never"
    ).module
    dataset = fixture.dataset("detection", build_transforms("detection", 96, [], train=False))
    predictions = predict(
        model, dataset, "detection", fixture.class_index, "cpu", score_threshold=0.0
    )
    assert model.roi_heads.score_thresh == 0.05  # restored after predicting
    assert len(predictions) <= 2 * 100
    for prediction in predictions:
        x, y, w, h = prediction.geometry
        assert 0 <= x <= x + w <= 96
        assert 0 <= y <= y + h <= 96
        assert prediction.class_id in fixture.class_index


@pytest.mark.parametrize("task", ["classification", "multilabel", "detection", "segmentation"])
def test_an_empty_split_scores_zero_without_failing(task: str) -> None:
    index = ClassIndex.of(version_record(["cat", "dog"]))
    metrics = evaluate_predictions(task, [], [], index)
    assert metrics["items"] == 0
    assert set(epoch_metrics(task, metrics).values()) == {0.0}
