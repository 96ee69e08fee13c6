"""Error analysis of a stored evaluation: the images behind each confusion-matrix cell,
precision-recall curves per class, and the mistakes a detector made, image by image.

Everything is recomputed from the evaluation's stored per-item predictions and the ground
truth frozen in the run's dataset version (on the split the evaluation ran on), so every
number links back to images. The ground truth is what the model learnt from, as in
`studio.ml.data`: classification uses items with exactly one tag of a version class;
multilabel every item's tags; detection boxes, polygons and masks (polygons and masks give
their boxes); segmentation polygons and masks. numpy and pycocotools only (no torch, no Qt).

Matching of detections follows COCO: per image and class, detections in descending score
order each take the unmatched ground-truth object they overlap most, if the IoU reaches the
threshold (boxes: IoU of rectangles; segmentation: mask IoU by `pycocotools.mask.iou`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pycocotools import mask as coco_mask
from sqlalchemy import Connection, select

from studio.core import runs, versions
from studio.core.enums import OBJECT_TASKS, AnnotationKind, Task
from studio.core.errors import RunError
from studio.core.geometry import shape_box, shape_rle
from studio.core.runs import EvaluationRecord, PredictionRecord, RunRecord
from studio.core.schema import evaluation_table
from studio.core.versions import VersionItem

BACKGROUND = "background"  # detection: the row of unmatched detections, the column of misses
NO_LABEL = "none"  # multilabel: the row of tags predicted wrongly, the column of tags missed
DEFAULT_SCORE_THRESHOLD = 0.5
DEFAULT_IOU_THRESHOLD = 0.5
DEFAULT_POOR_IOU = 0.75
LOCALISATION_MIN_IOU = 0.1  # below it, a detection misses an object altogether (as in TIDE)
RECALL_POINTS = np.linspace(0.0, 1.0, 101)  # COCO's interpolation of the precision
MAX_DETECTIONS = 100  # per image, as COCOeval counts them

FALSE_POSITIVE = "false_positive"
FALSE_NEGATIVE = "false_negative"
POOR_LOCALISATION = "poor_localisation"
WRONG_CLASS = "wrong_class"
ERROR_KINDS = (FALSE_POSITIVE, FALSE_NEGATIVE, POOR_LOCALISATION, WRONG_CLASS)

TAG = AnnotationKind.TAG.value
BOX = AnnotationKind.BOX.value
POLYGON = AnnotationKind.POLYGON.value
MASK = AnnotationKind.MASK.value
ROTATED_BOX = AnnotationKind.ROTATED_BOX.value


# --- what an evaluation holds -----------------------------------------------------------------


@dataclass(frozen=True)
class _Shape:
    """A ground-truth object or a detection, in the item's pixels."""

    class_id: int
    kind: str
    geometry: Any
    score: float | None = None


@dataclass
class _Evaluation:
    record: EvaluationRecord
    run: RunRecord
    class_ids: tuple[int, ...]
    names: tuple[str, ...]
    items: list[VersionItem]
    predictions: dict[int, list[PredictionRecord]] = field(default_factory=dict)

    @property
    def task(self) -> str:
        return self.run.task

    def index_of(self, class_id: int) -> int:
        return self.class_ids.index(class_id)

    def name_of(self, class_id: int) -> str:
        return self.names[self.index_of(class_id)]


def _load(connection: Connection, evaluation_id: int, predictions: bool = True) -> _Evaluation:
    row = (
        connection.execute(select(evaluation_table).where(evaluation_table.c.id == evaluation_id))
        .mappings()
        .first()
    )
    if row is None:
        raise RunError(f"evaluation {evaluation_id} does not exist in this project")
    record = EvaluationRecord.from_row(row)
    run = runs.get_run(connection, record.run_id)
    version = versions.get_version(connection, run.version_id)
    items = versions.version_items(connection, run.version_id, record.split)
    evaluation = _Evaluation(
        record=record,
        run=run,
        class_ids=tuple(entry.id for entry in version.classes),
        names=tuple(entry.name for entry in version.classes),
        items=items,
    )
    if not predictions:
        return evaluation
    known = set(evaluation.class_ids)
    in_split = {item.item_id for item in items}
    grouped: dict[int, list[PredictionRecord]] = defaultdict(list)
    for prediction in runs.predictions_of(connection, evaluation_id):
        if prediction.item_id in in_split and prediction.class_id in known:
            grouped[prediction.item_id].append(prediction)
    evaluation.predictions = dict(grouped)
    return evaluation


def evaluation_items(connection: Connection, evaluation_id: int) -> list[VersionItem]:
    """The version items of the split an evaluation ran on (item id order)."""
    return _load(connection, evaluation_id, predictions=False).items


def _tag_class_ids(item: VersionItem, class_ids: Sequence[int]) -> list[int]:
    tagged = {a["class_id"] for a in item.annotations if a["kind"] == TAG}
    return [class_id for class_id in class_ids if class_id in tagged]


def _single_tag(item: VersionItem, class_ids: Sequence[int]) -> int | None:
    tags = _tag_class_ids(item, class_ids)
    return tags[0] if len(tags) == 1 else None


def _scores(evaluation: _Evaluation, item_id: int) -> np.ndarray:
    """The item's stored score of every class; a class without a stored score has 0."""
    scores = np.zeros(len(evaluation.class_ids))
    for prediction in evaluation.predictions.get(item_id, []):
        scores[evaluation.index_of(prediction.class_id)] = prediction.score
    return scores


# --- geometry: boxes, masks and IoU -----------------------------------------------------------


def _box(shape: _Shape, width: int, height: int) -> list[float]:
    return shape_box(shape.kind, shape.geometry, width, height)


def _rle(shape: _Shape, width: int, height: int) -> dict[str, Any]:
    return shape_rle(shape.kind, shape.geometry, width, height)


def box_iou(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """IoU of every `[x, y, w, h]` box of `first` (N×4) with every box of `second` (M×4)."""
    first = np.asarray(first, dtype=np.float64).reshape(-1, 4)
    second = np.asarray(second, dtype=np.float64).reshape(-1, 4)
    left = np.maximum(first[:, None, 0], second[None, :, 0])
    top = np.maximum(first[:, None, 1], second[None, :, 1])
    right = np.minimum((first[:, 0] + first[:, 2])[:, None], (second[:, 0] + second[:, 2])[None])
    bottom = np.minimum((first[:, 1] + first[:, 3])[:, None], (second[:, 1] + second[:, 3])[None])
    overlap = np.clip(right - left, 0, None) * np.clip(bottom - top, 0, None)
    areas = (first[:, 2] * first[:, 3])[:, None] + (second[:, 2] * second[:, 3])[None, :]
    union = areas - overlap
    return np.divide(overlap, union, out=np.zeros_like(overlap), where=union > 0)


def _iou_matrix(
    detections: Sequence[_Shape], truths: Sequence[_Shape], item: VersionItem, task: str
) -> np.ndarray:
    """IoU of every detection (rows) with every ground-truth object (columns)."""
    if not detections or not truths:
        return np.zeros((len(detections), len(truths)))
    size = (item.width, item.height)
    if task == Task.SEGMENTATION.value:
        found = [_rle(shape, *size) for shape in detections]
        known = [_rle(shape, *size) for shape in truths]
        return np.asarray(coco_mask.iou(found, known, [0] * len(known)), dtype=np.float64)
    found_boxes = np.array([_box(shape, *size) for shape in detections])
    known_boxes = np.array([_box(shape, *size) for shape in truths])
    return box_iou(found_boxes, known_boxes)


# --- the objects of an image ------------------------------------------------------------------


def _object_kinds(task: str) -> tuple[str, ...]:
    if task == Task.SEGMENTATION.value:
        return (POLYGON, MASK, ROTATED_BOX)
    return (BOX, POLYGON, MASK, ROTATED_BOX)


def _truths(evaluation: _Evaluation, item: VersionItem) -> list[_Shape]:
    kinds = _object_kinds(evaluation.task)
    shapes = [
        _Shape(a["class_id"], a["kind"], a["geometry"])
        for a in item.annotations
        if a["kind"] in kinds and a["class_id"] in evaluation.class_ids
    ]
    return [shape for shape in shapes if _has_area(shape, item)]


def _has_area(shape: _Shape, item: VersionItem) -> bool:
    _, _, width, height = _box(shape, item.width, item.height)
    return width > 0 and height > 0


def _detections(
    evaluation: _Evaluation, item: VersionItem, score_threshold: float = 0.0
) -> list[_Shape]:
    """The item's detections scoring at least `score_threshold`, best first (at most
    MAX_DETECTIONS); detections of a kind the task cannot compare are left out."""
    kinds = _object_kinds(evaluation.task) if evaluation.task == Task.SEGMENTATION.value else None
    shapes = [
        _Shape(p.class_id, p.kind, p.geometry, float(p.score))
        for p in evaluation.predictions.get(item.item_id, [])
        if p.kind != TAG and p.score >= score_threshold and (kinds is None or p.kind in kinds)
    ]
    shapes.sort(key=lambda shape: -(shape.score or 0.0))
    return shapes[:MAX_DETECTIONS]


def _greedy_match(
    iou: np.ndarray,
    allowed: np.ndarray,
    threshold: float,
    free_detections: Iterable[int],
    taken: np.ndarray,
) -> list[tuple[int, int]]:
    """Each detection (in the given order, best score first) takes the free object it
    overlaps most among those `allowed`, when the IoU reaches `threshold`."""
    pairs = []
    for row in free_detections:
        candidates = np.where(allowed[row] & ~taken & (iou[row] >= threshold), iou[row], -1.0)
        if candidates.size and candidates.max() >= 0:
            column = int(candidates.argmax())
            taken[column] = True
            pairs.append((row, column))
    return pairs


def _same_class(detections: Sequence[_Shape], truths: Sequence[_Shape]) -> np.ndarray:
    found = np.array([shape.class_id for shape in detections])[:, None]
    known = np.array([shape.class_id for shape in truths])[None, :]
    return (found == known).reshape(len(detections), len(truths))


# --- confusion matrix -------------------------------------------------------------------------


def _cell_key(true_index: int, predicted_index: int) -> str:
    return f"{true_index},{predicted_index}"


class _Cells:
    def __init__(self, size: int) -> None:
        self.matrix = np.zeros((size, size), dtype=np.int64)
        self.items: dict[str, set[int]] = defaultdict(set)

    def add(self, true_index: int, predicted_index: int, item_id: int) -> None:
        self.matrix[true_index, predicted_index] += 1
        self.items[_cell_key(true_index, predicted_index)].add(item_id)

    def result(self, labels: Sequence[str], **extra: Any) -> dict[str, Any]:
        return {
            "labels": list(labels),
            "matrix": self.matrix.tolist(),
            "items": {key: sorted(ids) for key, ids in sorted(self.items.items())},
            **extra,
        }


def confusion_cells(
    connection: Connection,
    evaluation_id: int,
    score_threshold: float = DEFAULT_SCORE_THRESHOLD,
    iou_threshold: float = DEFAULT_IOU_THRESHOLD,
) -> dict[str, Any]:
    """The confusion matrix of an evaluation and the item ids behind each cell.

    {"labels": [...], "matrix": [[n]] (rows: true, columns: predicted), "items": {"i,j":
    [item ids]}, "task": ...}. Classification: the top-scoring class of each item (items
    without predictions are counted in "missing_predictions"). Multilabel: per tag, with a
    "none" class: (c, c) tag found, (c, none) tag missed, (none, c) tag predicted wrongly
    (a tag is predicted at the evaluation's threshold, 0.5 by default). Detection and
    segmentation: detections scoring at least `score_threshold` matched to objects of any
    class (IoU >= `iou_threshold`, best score first), with a "background" class for
    missed objects (column) and detections of nothing (row); cells count objects.
    """
    evaluation = _load(connection, evaluation_id)
    if evaluation.task == Task.CLASSIFICATION.value:
        return _classification_cells(evaluation)
    if evaluation.task == Task.MULTILABEL.value:
        return _multilabel_cells(evaluation)
    return _object_cells(evaluation, score_threshold, iou_threshold)


def _classification_cells(evaluation: _Evaluation) -> dict[str, Any]:
    cells = _Cells(len(evaluation.names))
    missing = 0
    for item in evaluation.items:
        truth = _single_tag(item, evaluation.class_ids)
        if truth is None:
            continue
        if not evaluation.predictions.get(item.item_id):
            missing += 1
            continue
        best = max(evaluation.predictions[item.item_id], key=lambda p: p.score)
        cells.add(evaluation.index_of(truth), evaluation.index_of(best.class_id), item.item_id)
    return cells.result(evaluation.names, task=evaluation.task, missing_predictions=missing)


def _multilabel_cells(evaluation: _Evaluation) -> dict[str, Any]:
    threshold = float(evaluation.record.metrics.get("threshold", DEFAULT_SCORE_THRESHOLD))
    none = len(evaluation.names)
    cells = _Cells(none + 1)
    for item in evaluation.items:
        truth = {evaluation.index_of(c) for c in _tag_class_ids(item, evaluation.class_ids)}
        predicted = set(np.flatnonzero(_scores(evaluation, item.item_id) >= threshold).tolist())
        for index in truth | predicted:
            true_index = index if index in truth else none
            predicted_index = index if index in predicted else none
            cells.add(true_index, predicted_index, item.item_id)
    labels = [*evaluation.names, NO_LABEL]
    return cells.result(labels, task=evaluation.task, threshold=threshold)


def _object_cells(
    evaluation: _Evaluation, score_threshold: float, iou_threshold: float
) -> dict[str, Any]:
    background = len(evaluation.names)
    cells = _Cells(background + 1)
    for item in evaluation.items:
        truths = _truths(evaluation, item)
        found = _detections(evaluation, item, score_threshold)
        iou = _iou_matrix(found, truths, item, evaluation.task)
        taken = np.zeros(len(truths), dtype=bool)
        anything = np.ones(iou.shape, dtype=bool)
        pairs = _greedy_match(iou, anything, iou_threshold, range(len(found)), taken)
        for row, column in pairs:
            true_index = evaluation.index_of(truths[column].class_id)
            cells.add(true_index, evaluation.index_of(found[row].class_id), item.item_id)
        matched = {row for row, _ in pairs}
        for row, shape in enumerate(found):
            if row not in matched:
                cells.add(background, evaluation.index_of(shape.class_id), item.item_id)
        for column in np.flatnonzero(~taken):
            cells.add(evaluation.index_of(truths[column].class_id), background, item.item_id)
    labels = [*evaluation.names, BACKGROUND]
    return cells.result(
        labels, task=evaluation.task, score_threshold=score_threshold, iou_threshold=iou_threshold
    )


# --- precision-recall curves ------------------------------------------------------------------


def precision_recall_curves(
    connection: Connection, evaluation_id: int, iou_threshold: float = DEFAULT_IOU_THRESHOLD
) -> dict[str, dict[str, Any]]:
    """Class name -> {"precision": [...], "recall": [...], "scores": [...], "ap": float | None,
    "positives": n}, points in descending score order, starting at (recall 0, precision 1).

    Classification and multilabel: one-vs-rest over the split's items from the stored
    per-class scores (a class without a stored score for an item scores 0); AP is the
    step-wise average precision (as scikit-learn's). Detection and segmentation: COCO-style
    at IoU `iou_threshold` over the split, AP interpolated at 101 recall points (as
    COCOeval's AP50 of that class). AP is None for a class without positives in the split.
    """
    evaluation = _load(connection, evaluation_id)
    if evaluation.task in OBJECT_TASKS:
        ranked = _ranked_detections(evaluation, iou_threshold)
        return {
            name: _curve(*ranked[class_id], interpolated=True)
            for class_id, name in zip(evaluation.class_ids, evaluation.names, strict=True)
        }
    truth, scores = _tag_table(evaluation)
    return {
        name: _curve(scores[:, column], truth[:, column], int(truth[:, column].sum()), False)
        for column, name in enumerate(evaluation.names)
    }


def _tag_table(evaluation: _Evaluation) -> tuple[np.ndarray, np.ndarray]:
    """One-hot truth and stored scores (items × classes) of the items the task scores."""
    single = evaluation.task == Task.CLASSIFICATION.value
    rows_truth, rows_scores = [], []
    for item in evaluation.items:
        tags = _tag_class_ids(item, evaluation.class_ids)
        if single and len(tags) != 1:
            continue
        truth = np.zeros(len(evaluation.class_ids), dtype=bool)
        truth[[evaluation.index_of(class_id) for class_id in tags]] = True
        rows_truth.append(truth)
        rows_scores.append(_scores(evaluation, item.item_id))
    width = len(evaluation.class_ids)
    truth_table = np.array(rows_truth, dtype=bool).reshape(-1, width)
    return truth_table, np.array(rows_scores, dtype=np.float64).reshape(-1, width)


def _ranked_detections(
    evaluation: _Evaluation, iou_threshold: float
) -> dict[int, tuple[np.ndarray, np.ndarray, int]]:
    """Per class: every detection's score and whether it matched an object, and the number
    of objects (COCO matching per image and class)."""
    scores: dict[int, list[float]] = defaultdict(list)
    hits: dict[int, list[bool]] = defaultdict(list)
    positives: dict[int, int] = defaultdict(int)
    for item in evaluation.items:
        truths = _truths(evaluation, item)
        found = _detections(evaluation, item)
        iou = _iou_matrix(found, truths, item, evaluation.task)
        pairs = _greedy_match(
            iou,
            _same_class(found, truths),
            iou_threshold,
            range(len(found)),
            np.zeros(len(truths), dtype=bool),
        )
        matched = {row for row, _ in pairs}
        for row, shape in enumerate(found):
            scores[shape.class_id].append(shape.score or 0.0)
            hits[shape.class_id].append(row in matched)
        for shape in truths:
            positives[shape.class_id] += 1
    return {
        class_id: (
            np.array(scores[class_id]),
            np.array(hits[class_id], dtype=bool),
            positives[class_id],
        )
        for class_id in evaluation.class_ids
    }


def _curve(
    scores: np.ndarray, hits: np.ndarray, positives: int, interpolated: bool
) -> dict[str, Any]:
    """Precision and recall down the ranking, best score first, and the average precision.

    Step-wise AP (`interpolated` False) takes one point per distinct score, so tied scores
    count together; COCO's interpolated AP takes one point per detection, as COCOeval does.
    """
    order = np.argsort(-scores, kind="mergesort")
    scores, hits = scores[order], hits[order]
    if interpolated or not scores.size:
        ends = np.arange(scores.size)
    else:
        ends = np.r_[np.flatnonzero(np.diff(scores)), scores.size - 1]
    true_positives = np.cumsum(hits)[ends].astype(np.float64)
    precision = true_positives / (ends + 1)
    recall = true_positives / positives if positives else np.zeros(ends.size)
    if positives == 0:
        ap = None
    elif interpolated:
        ap = _interpolated_ap(precision, recall)
    else:
        ap = float(np.sum(np.diff(np.r_[0.0, recall]) * precision))
    return {
        "precision": [1.0, *precision.tolist()],
        "recall": [0.0, *recall.tolist()],
        "scores": [float(scores[0]) if scores.size else 1.0, *scores[ends].tolist()],
        "ap": ap,
        "positives": positives,
    }


def _interpolated_ap(precision: np.ndarray, recall: np.ndarray) -> float:
    """COCO's AP: the precision envelope sampled at 101 recall points, averaged."""
    if not precision.size:
        return 0.0
    envelope = np.maximum.accumulate(precision[::-1])[::-1]
    positions = np.searchsorted(recall, RECALL_POINTS, side="left")
    sampled = np.where(
        positions < envelope.size, envelope[np.minimum(positions, envelope.size - 1)], 0.0
    )
    return float(sampled.mean())


# --- detection errors -------------------------------------------------------------------------


def detection_errors(
    connection: Connection,
    evaluation_id: int,
    score_threshold: float = DEFAULT_SCORE_THRESHOLD,
    iou_threshold: float = DEFAULT_IOU_THRESHOLD,
    poor_iou: float = DEFAULT_POOR_IOU,
) -> list[dict[str, Any]]:
    """The mistakes of a detection or segmentation evaluation, one dict per mistake:
    {"item_id", "kind", "class", "predicted_class", "score", "iou", "prediction", "truth",
    "prediction_kind", "truth_kind"} (geometries as stored; None where there is none).

    Per image, with the detections scoring at least `score_threshold`, best first:
    1. each detection takes the free object of its class it overlaps most at IoU >=
       `iou_threshold`; a pair below `poor_iou` is a "poor_localisation";
    2. a detection left over that overlaps a free object of its class at IoU >= 0.1 is a
       "poor_localisation" too (it found the object but placed it badly);
    3. one left over that overlaps a free object of another class at IoU >= `iou_threshold`
       is a "wrong_class";
    4. the detections still left are "false_positive"s, the objects "false_negative"s.
    Sorted by kind (as ERROR_KINDS), then score (highest first), then item id.
    """
    evaluation = _load(connection, evaluation_id)
    if evaluation.task not in OBJECT_TASKS:
        raise RunError(
            f"evaluation {evaluation_id} of run {evaluation.run.name} is a {evaluation.task} "
            "evaluation: detection errors exist only for detection and segmentation"
        )
    thresholds = (score_threshold, iou_threshold, poor_iou)
    errors = [
        error for item in evaluation.items for error in _image_errors(evaluation, item, *thresholds)
    ]
    errors.sort(key=lambda e: (ERROR_KINDS.index(e["kind"]), -(e["score"] or 0.0), e["item_id"]))
    return errors


def _image_errors(
    evaluation: _Evaluation,
    item: VersionItem,
    score_threshold: float,
    iou_threshold: float,
    poor_iou: float,
) -> list[dict[str, Any]]:
    truths = _truths(evaluation, item)
    found = _detections(evaluation, item, score_threshold)
    iou = _iou_matrix(found, truths, item, evaluation.task)
    same = _same_class(found, truths)
    taken = np.zeros(len(truths), dtype=bool)
    errors = []

    def record(kind: str, row: int | None, column: int | None) -> None:
        detection = found[row] if row is not None else None
        truth = truths[column] if column is not None else None
        overlap = float(iou[row, column]) if row is not None and column is not None else None
        errors.append(_error(evaluation, item, kind, detection, truth, overlap))

    matched = _greedy_match(iou, same, iou_threshold, range(len(found)), taken)
    for row, column in matched:
        if iou[row, column] < poor_iou:
            record(POOR_LOCALISATION, row, column)
    left = [row for row in range(len(found)) if row not in {r for r, _ in matched}]
    for kind, allowed, threshold in (
        (POOR_LOCALISATION, same, LOCALISATION_MIN_IOU),
        (WRONG_CLASS, ~same, iou_threshold),
    ):
        pairs = _greedy_match(iou, allowed, threshold, left, taken)
        for row, column in pairs:
            record(kind, row, column)
        left = [row for row in left if row not in {r for r, _ in pairs}]
    for row in left:
        record(FALSE_POSITIVE, row, None)
    for column in np.flatnonzero(~taken):
        record(FALSE_NEGATIVE, None, int(column))
    return errors


def _error(
    evaluation: _Evaluation,
    item: VersionItem,
    kind: str,
    detection: _Shape | None,
    truth: _Shape | None,
    iou: float | None,
) -> dict[str, Any]:
    owner = truth or detection  # every error has one or both
    return {
        "item_id": item.item_id,
        "kind": kind,
        "class": evaluation.name_of(owner.class_id),
        "predicted_class": evaluation.name_of(detection.class_id) if detection else None,
        "score": detection.score if detection else None,
        "iou": iou,
        "prediction": detection.geometry if detection else None,
        "truth": truth.geometry if truth else None,
        "prediction_kind": detection.kind if detection else None,
        "truth_kind": truth.kind if truth else None,
    }


def error_counts(errors: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """How many errors of each kind (every kind present, 0 when none)."""
    counts = dict.fromkeys(ERROR_KINDS, 0)
    for error in errors:
        counts[error["kind"]] += 1
    return counts
