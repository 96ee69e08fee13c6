"""Predictions of a trained model on a version split, and the metrics computed from them.

Metrics come from established implementations: scikit-learn for classification, pycocotools'
COCOeval for detection and segmentation mAP. Predictions are kept per item (and stored by the
caller), so every number can be traced back to the images behind it.
"""

from __future__ import annotations

import contextlib
import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from pycocotools import mask as coco_mask
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
from sklearn import metrics as sk

from studio.core.enums import OBJECT_TASKS, AnnotationKind, Task
from studio.core.errors import OperationCancelledError, TrainingConfigError
from studio.core.geometry import encode_mask, shape_box, shape_rle
from studio.core.versions import VersionItem
from studio.ml.architectures import temporarily
from studio.ml.data import (
    BOX_KINDS,
    MASK_KINDS,
    ClassIndex,
    VersionDataset,
    make_loader,
    object_boxes,
    tag_class_ids,
)

CLASSIFICATION_TOP_K = 5
MASK_THRESHOLD = 0.5
TOP_CONFUSIONS = 20


@dataclass(frozen=True)
class ItemPrediction:
    """One predicted label of an item.

    classification/multilabel: kind "tag", geometry None, score = the class probability;
    detection: kind "box", geometry [x, y, w, h] in the original image's pixels;
    segmentation: kind "mask", geometry a compressed COCO RLE of the original image's size.
    """

    item_id: int
    class_id: int
    kind: str
    geometry: Any
    score: float


# --- predicting -------------------------------------------------------------------------------


def predict(
    module: torch.nn.Module,
    dataset: VersionDataset,
    task: str,
    class_index: ClassIndex,
    device: Any,
    batch_size: int = 16,
    score_threshold: float = 0.05,
    max_detections: int = 100,
    should_cancel: Callable[[], bool] | None = None,
) -> list[ItemPrediction]:
    """Run `module` over `dataset` (in order, without augmentation) and list its predictions.

    `should_cancel` is asked before each batch; OperationCancelledError once it says yes.
    """
    device = torch.device(device)
    loader = make_loader(
        dataset,
        batch_size,
        shuffle=False,
        workers=0,
        seed=0,
        epoch=0,
        device_type=device.type,
    )
    was_training = module.training
    module.eval()
    predictions: list[ItemPrediction] = []
    items_by_id = {item.item_id: item for item in dataset.items}
    limits = (score_threshold, max_detections)
    try:
        with torch.inference_mode(), _detection_limits(module, score_threshold, max_detections):
            position = 0
            for images, targets in loader:
                if should_cancel is not None and should_cancel():
                    raise OperationCancelledError("prediction cancelled")
                if task in OBJECT_TASKS:
                    outputs = module([image.to(device) for image in images])
                    found = zip(images, targets, outputs, strict=True)
                    predictions += _predict_objects(found, items_by_id, task, class_index, limits)
                else:
                    items = dataset.items[position : position + len(images)]
                    predictions += _predict_tags(module, images, items, task, class_index, device)
                    position += len(images)
    finally:
        module.train(was_training)
    return predictions


def _predict_objects(
    found: Iterable[tuple[torch.Tensor, Mapping[str, Any], Mapping[str, torch.Tensor]]],
    items: Mapping[int, VersionItem],
    task: str,
    class_index: ClassIndex,
    limits: tuple[float, int],
) -> list[ItemPrediction]:
    """The predictions of (image, target, model output) triples, strongest first per image."""
    predictions: list[ItemPrediction] = []
    for image, target, output in found:
        kept = _strongest(output, *limits)
        shown = (int(image.shape[-2]), int(image.shape[-1]))
        predictions += _objects_of(items[target["item_id"]], shown, kept, task, class_index)
    return predictions


def _strongest(output: Mapping[str, torch.Tensor], threshold: float, count: int) -> dict:
    """The detections of a real class (label >= 1) scoring at least `threshold`, best first,
    at most `count`. One-stage detectors (RetinaNet, FCOS, SSD) can emit label 0, the
    background column they were built with, which no version class stands for."""
    scores = output["scores"]
    order = torch.argsort(scores, descending=True)
    keep = (scores[order] >= threshold) & (output["labels"][order] >= 1)
    order = order[keep][:count]
    return {key: value[order] for key, value in output.items()}


def _detection_limits(module: torch.nn.Module, score: float, count: int) -> Any:
    """Let torchvision detectors keep detections down to `score` (FCOS keeps >= 0.2 by
    default, the R-CNNs >= 0.05) and at most `count` per image, for the time of a prediction."""
    assignments = [
        (owner, name, value)
        for owner in (module, getattr(module, "roi_heads", None))
        for name, value in (("score_thresh", score), ("detections_per_img", count))
        if owner is not None and isinstance(getattr(owner, name, None), (int, float))
    ]
    return temporarily(assignments)


def _predict_tags(
    module: torch.nn.Module,
    images: torch.Tensor,
    items: Sequence[VersionItem],
    task: str,
    class_index: ClassIndex,
    device: torch.device,
) -> list[ItemPrediction]:
    logits = module(images.to(device)).float()
    if task == Task.MULTILABEL.value:
        scores = torch.sigmoid(logits)
        keep = len(class_index)
    else:
        scores = torch.softmax(logits, dim=1)
        keep = min(CLASSIFICATION_TOP_K, len(class_index))
    values, indices = scores.topk(keep, dim=1)
    predictions = []
    for item, row_values, row_indices in zip(items, values.cpu(), indices.cpu(), strict=True):
        for value, index in zip(row_values.tolist(), row_indices.tolist(), strict=True):
            class_id = class_index.class_id_at(index)
            predictions.append(ItemPrediction(item.item_id, class_id, "tag", None, value))
    return predictions


def _objects_of(
    item: VersionItem,
    shown_size: tuple[int, int],
    output: Mapping[str, torch.Tensor],
    task: str,
    class_index: ClassIndex,
) -> list[ItemPrediction]:
    """Detections of one image, moved back to the item's original pixels (the evaluation
    transforms keep the size, but a resizing transform is undone here all the same)."""
    scale_x = item.width / shown_size[1]
    scale_y = item.height / shown_size[0]
    boxes = output["boxes"].float().cpu() * torch.tensor([scale_x, scale_y, scale_x, scale_y])
    boxes[:, 0::2] = boxes[:, 0::2].clamp(0, item.width)
    boxes[:, 1::2] = boxes[:, 1::2].clamp(0, item.height)
    scores = output["scores"].float().cpu().tolist()
    class_ids = [class_index.class_id_at(int(label) - 1) for label in output["labels"].tolist()]
    if task == Task.SEGMENTATION.value:
        return _mask_predictions(item, output["masks"], class_ids, scores)
    predictions = []
    for box, class_id, score in zip(boxes.tolist(), class_ids, scores, strict=True):
        x1, y1, x2, y2 = box
        geometry = [round(x1, 2), round(y1, 2), round(x2 - x1, 2), round(y2 - y1, 2)]
        predictions.append(
            ItemPrediction(item.item_id, class_id, AnnotationKind.BOX.value, geometry, score)
        )
    return predictions


def _mask_predictions(
    item: VersionItem, masks: torch.Tensor, class_ids: list[int], scores: list[float]
) -> list[ItemPrediction]:
    probabilities = masks.float().cpu()
    if probabilities.shape[-2:] != (item.height, item.width) and len(probabilities):
        probabilities = torch.nn.functional.interpolate(
            probabilities, size=(item.height, item.width), mode="bilinear", align_corners=False
        )
    predictions = []
    for probability, class_id, score in zip(probabilities, class_ids, scores, strict=True):
        pixels = (probability[0] > MASK_THRESHOLD).numpy()
        if pixels.any():
            geometry = encode_mask(pixels)
            kind = AnnotationKind.MASK.value
            predictions.append(ItemPrediction(item.item_id, class_id, kind, geometry, score))
    return predictions


# --- classification ---------------------------------------------------------------------------


def _by_item(predictions: Iterable[Any]) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = defaultdict(list)
    for prediction in predictions:
        grouped[prediction.item_id].append(prediction)
    return grouped


def classification_metrics(
    items: Sequence[VersionItem], predictions: Iterable[Any], class_index: ClassIndex
) -> dict[str, Any]:
    """Accuracy, macro F1, per-class precision/recall/F1, the confusion matrix and the most
    frequent confusions with the ids of the items behind each (top-1 prediction per item)."""
    grouped = _by_item(predictions)
    truth, guesses, item_ids, missing = [], [], [], 0
    for item in items:
        tags = tag_class_ids(item, class_index)
        if len(tags) != 1:
            continue
        rows = [p for p in grouped.get(item.item_id, []) if p.class_id in class_index]
        if not rows:
            missing += 1
            continue
        best = max(rows, key=lambda row: row.score)
        truth.append(class_index.index_of(tags[0]))
        guesses.append(class_index.index_of(best.class_id))
        item_ids.append(item.item_id)
    labels = list(range(len(class_index)))
    if truth:
        precision, recall, f1, support = sk.precision_recall_fscore_support(
            truth, guesses, labels=labels, zero_division=0
        )
    else:  # nothing to score (an empty split): every number is zero
        precision = recall = f1 = support = np.zeros(len(labels))
    present = sorted(set(truth) | set(guesses))
    return {
        "accuracy": float(sk.accuracy_score(truth, guesses)) if truth else 0.0,
        "macro_f1": _macro_f1(truth, guesses, present),
        "per_class": {
            name: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, name in enumerate(class_index.names)
        },
        "confusion": {
            "labels": list(class_index.names),
            "matrix": sk.confusion_matrix(truth, guesses, labels=labels).tolist()
            if truth
            else [[0] * len(labels) for _ in labels],
        },
        "top_confusions": _top_confusions(truth, guesses, item_ids, class_index),
        "missing_predictions": missing,
    }


def _macro_f1(truth: Sequence[Any], guesses: Sequence[Any], present: list[int]) -> float:
    """Macro F1 over the classes that occur (in the truth or the guesses) in this split."""
    if not present:
        return 0.0
    return float(sk.f1_score(truth, guesses, labels=present, average="macro", zero_division=0))


def _top_confusions(
    truth: Sequence[int], guesses: Sequence[int], item_ids: Sequence[int], classes: ClassIndex
) -> list[dict[str, Any]]:
    pairs: dict[tuple[int, int], list[int]] = defaultdict(list)
    for true, guess, item_id in zip(truth, guesses, item_ids, strict=True):
        if true != guess:
            pairs[(true, guess)].append(item_id)
    ranked = sorted(pairs.items(), key=lambda entry: (-len(entry[1]), entry[0]))
    return [
        {
            "true": classes.names[true],
            "predicted": classes.names[guess],
            "count": len(ids),
            "item_ids": sorted(ids),
        }
        for (true, guess), ids in ranked[:TOP_CONFUSIONS]
    ]


def multilabel_metrics(
    items: Sequence[VersionItem],
    predictions: Iterable[Any],
    class_index: ClassIndex,
    threshold: float = 0.5,
) -> dict[str, Any]:
    """Per-class average precision (mAP over classes with a positive item) and
    precision/recall/F1 with `threshold` on the predicted probabilities."""
    truth = np.zeros((len(items), len(class_index)), dtype=np.int64)
    scores = np.zeros((len(items), len(class_index)), dtype=np.float64)
    rows = {item.item_id: row for row, item in enumerate(items)}
    for row, item in enumerate(items):
        for class_id in tag_class_ids(item, class_index):
            truth[row, class_index.index_of(class_id)] = 1
    for prediction in predictions:
        if prediction.item_id in rows and prediction.class_id in class_index:
            column = class_index.index_of(prediction.class_id)
            scores[rows[prediction.item_id], column] = prediction.score
    decided = (scores >= threshold).astype(np.int64)
    if len(items):
        precision, recall, f1, _ = sk.precision_recall_fscore_support(
            truth, decided, average=None, labels=list(range(len(class_index))), zero_division=0
        )
    else:  # nothing to score (an empty split): every number is zero
        precision = recall = f1 = np.zeros(len(class_index))
    average_precision = [
        float(sk.average_precision_score(truth[:, c], scores[:, c])) if truth[:, c].any() else None
        for c in range(len(class_index))
    ]
    defined = [ap for ap in average_precision if ap is not None]
    used = [c for c in range(len(class_index)) if truth[:, c].any() or decided[:, c].any()]
    macro_f1 = float(np.mean([f1[c] for c in used])) if used else 0.0
    return {
        "map": float(np.mean(defined)) if defined else 0.0,
        "macro_f1": macro_f1,
        "per_class": {
            name: {
                "ap": average_precision[c],
                "precision": float(precision[c]),
                "recall": float(recall[c]),
                "f1": float(f1[c]),
            }
            for c, name in enumerate(class_index.names)
        },
        "threshold": threshold,
    }


# --- detection and segmentation (COCOeval) ------------------------------------------------------


def _coco_ground_truth(
    items: Sequence[VersionItem], class_index: ClassIndex, iou_type: str, task: str
) -> COCO:
    annotations = []
    for item in items:
        for annotation, box in object_boxes(item, task, class_index):
            entry = {
                "id": len(annotations) + 1,
                "image_id": item.item_id,
                "category_id": annotation["class_id"],
                "bbox": box,
                "iscrowd": 0,
            }
            if iou_type == "segm":
                rle = shape_rle(annotation["kind"], annotation["geometry"], item.width, item.height)
                entry["segmentation"] = rle
                entry["area"] = float(coco_mask.area(rle))
            else:
                entry["area"] = float(entry["bbox"][2] * entry["bbox"][3])
            annotations.append(entry)
    ground_truth = COCO()
    ground_truth.dataset = {
        "info": {},
        "licenses": [],
        "images": [{"id": i.item_id, "width": i.width, "height": i.height} for i in items],
        "categories": [
            {"id": class_id, "name": name}
            for class_id, name in zip(class_index.class_ids, class_index.names, strict=True)
        ],
        "annotations": annotations,
    }
    with contextlib.redirect_stdout(io.StringIO()):
        ground_truth.createIndex()
    return ground_truth


def _coco_result(prediction: Any, item: VersionItem, iou_type: str) -> dict[str, Any] | None:
    kind, geometry = prediction.kind, prediction.geometry
    result = {
        "image_id": prediction.item_id,
        "category_id": prediction.class_id,
        "score": float(prediction.score),
    }
    if iou_type == "segm":
        if kind not in MASK_KINDS:
            return None
        return {**result, "segmentation": shape_rle(kind, geometry, item.width, item.height)}
    if kind not in BOX_KINDS:
        return None
    return {**result, "bbox": shape_box(kind, geometry, item.width, item.height)}


def coco_metrics(
    items: Sequence[VersionItem],
    predictions: Iterable[Any],
    class_index: ClassIndex,
    iou_type: str = "bbox",
    *,
    task: str | None = None,
) -> dict[str, Any]:
    """COCO mAP (IoU .50:.95), mAP@.50 and mAP@.75, and AP per class, by pycocotools.

    The ground truth is what the model learns from: boxes, polygons and masks for
    detection ("bbox"); polygons and masks for segmentation ("segm", and `task` =
    "segmentation" for the box mAP of a segmentation model). A class without ground truth
    in these items has AP None; with no ground truth at all every mAP is 0.
    """
    if iou_type not in ("bbox", "segm"):
        raise TrainingConfigError(f"iou_type must be 'bbox' or 'segm', not {iou_type!r}")
    task = task or (Task.SEGMENTATION.value if iou_type == "segm" else Task.DETECTION.value)
    ground_truth = _coco_ground_truth(items, class_index, iou_type, task)
    by_id = {item.item_id: item for item in items}
    results = [
        result
        for p in predictions
        if p.item_id in by_id and p.class_id in class_index
        for result in [_coco_result(p, by_id[p.item_id], iou_type)]
        if result is not None
    ]
    if not results or not ground_truth.dataset["annotations"]:
        return _empty_coco_metrics(ground_truth, class_index)
    with contextlib.redirect_stdout(io.StringIO()):
        detections = ground_truth.loadRes(results)
        evaluator = COCOeval(ground_truth, detections, iou_type)
        evaluator.params.imgIds = sorted(by_id)
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    stats = [max(0.0, float(value)) for value in evaluator.stats[:3]]
    return {
        "map": stats[0],
        "map_50": stats[1],
        "map_75": stats[2],
        "per_class": _per_class_ap(evaluator, class_index),
        "objects": len(ground_truth.dataset["annotations"]),
        "detections": len(results),
    }


def _per_class_ap(evaluator: COCOeval, class_index: ClassIndex) -> dict[str, dict[str, Any]]:
    """AP (IoU .50:.95, all areas, most detections) of each class with ground truth."""
    precision = evaluator.eval["precision"]
    per_class: dict[str, dict[str, Any]] = {}
    positions = {class_id: k for k, class_id in enumerate(evaluator.params.catIds)}
    for class_id, name in zip(class_index.class_ids, class_index.names, strict=True):
        values = precision[:, :, positions[class_id], 0, -1]
        valid = values[values > -1]
        per_class[name] = {"ap": float(valid.mean()) if valid.size else None}
    return per_class


def _empty_coco_metrics(ground_truth: COCO, class_index: ClassIndex) -> dict[str, Any]:
    with_objects = {a["category_id"] for a in ground_truth.dataset["annotations"]}
    return {
        "map": 0.0,
        "map_50": 0.0,
        "map_75": 0.0,
        "per_class": {
            name: {"ap": 0.0 if class_id in with_objects else None}
            for class_id, name in zip(class_index.class_ids, class_index.names, strict=True)
        },
        "objects": len(ground_truth.dataset["annotations"]),
        "detections": 0,
    }


# --- dispatch ---------------------------------------------------------------------------------


def evaluate_predictions(
    task: str, items: Sequence[VersionItem], predictions: Iterable[Any], class_index: ClassIndex
) -> dict[str, Any]:
    """The metrics of `task`, plus "items": how many items were evaluated."""
    predictions = list(predictions)
    if task == Task.CLASSIFICATION.value:
        metrics = classification_metrics(items, predictions, class_index)
    elif task == Task.MULTILABEL.value:
        metrics = multilabel_metrics(items, predictions, class_index)
    elif task == Task.DETECTION.value:
        metrics = coco_metrics(items, predictions, class_index, "bbox")
    elif task == Task.SEGMENTATION.value:
        metrics = coco_metrics(items, predictions, class_index, "segm")
        boxes = coco_metrics(items, predictions, class_index, "bbox", task=task)
        metrics["box_map"] = boxes["map"]
        metrics["box_map_50"] = boxes["map_50"]
    else:
        raise TrainingConfigError(f"unknown task {task!r}")
    metrics["items"] = len(items)
    return metrics


_EPOCH_METRICS = {
    Task.CLASSIFICATION.value: (("val/accuracy", "accuracy"), ("val/macro_f1", "macro_f1")),
    Task.MULTILABEL.value: (("val/map", "map"), ("val/f1", "macro_f1")),
    Task.DETECTION.value: (("val/map", "map"), ("val/map_50", "map_50")),
    Task.SEGMENTATION.value: (
        ("val/map", "map"),
        ("val/map_50", "map_50"),
        ("val/box_map", "box_map"),
    ),
}


def epoch_metrics(task: str, metrics: Mapping[str, Any]) -> dict[str, float]:
    """The flat "val/..." numbers of `metrics` (from `evaluate_predictions`) for one epoch."""
    if task not in _EPOCH_METRICS:
        raise TrainingConfigError(f"unknown task {task!r}")
    flat = {name: float(metrics[key]) for name, key in _EPOCH_METRICS[task] if key in metrics}
    if metrics.get("loss") is not None:
        flat["val/loss"] = float(metrics["loss"])
    return flat
