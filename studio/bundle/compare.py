"""Output comparison: do two runs of a model (torch vs ONNX, expected vs now) agree?

Used by the export's parity gate and by the bundle's self-test. Every report has a `message`
that says what differed, or that nothing did.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .manifest import DETECTION_TASKS, BundleError
from .postprocess import box_iou, detection_arrays

DEFAULT_TOLERANCES = {"logits": 1e-4, "iou": 0.99, "score": 1e-3}


def compare_outputs(
    task: str,
    reference: dict[str, np.ndarray],
    candidate: dict[str, np.ndarray],
    tolerances: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Compare `candidate` with `reference` within `tolerances` (defaults: DEFAULT_TOLERANCES).

    classification/multilabel: {"passed", "max_abs_diff", "top1_equal", "message"};
    detection/segmentation: detections matched by class with IoU >= tolerances["iou"] and a score
    within tolerances["score"]: {"passed", "matched", "unmatched", "worst_iou", "max_score_diff",
    "message"}. An optional tolerances["min_score"] ignores detections below it on both sides.
    """
    limits = {**DEFAULT_TOLERANCES, **(tolerances or {})}
    if task in DETECTION_TASKS:
        return _compare_detections(reference, candidate, limits)
    return _compare_logits(reference, candidate, limits)


def _compare_logits(
    reference: dict[str, np.ndarray], candidate: dict[str, np.ndarray], limits: dict[str, float]
) -> dict[str, Any]:
    worst = 0.0
    top1_equal = True
    problems = []
    for name, expected in reference.items():
        expected = np.asarray(expected, dtype=np.float64)
        if name not in candidate:
            return _failed_logits(f"output {name!r} is missing")
        actual = np.asarray(candidate[name], dtype=np.float64)
        if actual.size != expected.size:
            return _failed_logits(
                f"output {name!r} has shape {actual.shape}, expected {expected.shape}"
            )
        actual = actual.reshape(expected.shape)
        difference = np.abs(actual - expected)
        if difference.size:
            largest = float(np.max(difference))
            worst = max(worst, largest)
            if largest > limits["logits"]:
                where = np.unravel_index(int(np.argmax(difference)), difference.shape)
                problems.append(
                    f"output {name!r} differs by {largest:.3g} at index "
                    f"{list(map(int, where))} (tolerance {limits['logits']:.3g})"
                )
            if expected.ndim and not np.array_equal(
                np.argmax(expected, axis=-1), np.argmax(actual, axis=-1)
            ):
                top1_equal = False
                problems.append(f"output {name!r} has a different top-1 class")
    passed = not problems
    message = "; ".join(problems) if problems else f"outputs agree (max abs diff {worst:.3g})"
    return {"passed": passed, "max_abs_diff": worst, "top1_equal": top1_equal, "message": message}


def _failed_logits(message: str) -> dict[str, Any]:
    return {"passed": False, "max_abs_diff": float("inf"), "top1_equal": False, "message": message}


def _compare_detections(
    reference: dict[str, np.ndarray], candidate: dict[str, np.ndarray], limits: dict[str, float]
) -> dict[str, Any]:
    try:
        expected = _above(detection_arrays(reference), limits.get("min_score"))
        actual = _above(detection_arrays(candidate), limits.get("min_score"))
    except BundleError as error:
        return _report(0, 1, None, None, [str(error)])
    used = np.zeros(len(actual[0]), dtype=bool)
    matched, unmatched, worst_iou, worst_score = 0, 0, None, None
    problems = []
    for row in np.argsort(-expected[2], kind="stable"):
        box, label, score = expected[0][row], expected[1][row], expected[2][row]
        candidates = np.flatnonzero(~used & (actual[1] == label))
        ious = box_iou(box, actual[0][candidates]) if len(candidates) else np.zeros(0)
        if not len(candidates) or float(np.max(ious)) < limits["iou"]:
            unmatched += 1
            best = f"best IoU {float(np.max(ious)):.3f}" if len(candidates) else "no such class"
            problems.append(
                f"expected detection label {int(label)} score {score:.4f} box "
                f"{[round(float(v), 2) for v in box]} has no match ({best})"
            )
            continue
        chosen = candidates[int(np.argmax(ious))]
        used[chosen] = True
        matched += 1
        iou = float(np.max(ious))
        score_diff = abs(float(actual[2][chosen]) - float(score))
        worst_iou = iou if worst_iou is None else min(worst_iou, iou)
        worst_score = score_diff if worst_score is None else max(worst_score, score_diff)
        if score_diff > limits["score"]:
            problems.append(
                f"detection label {int(label)} score {score:.4f} became "
                f"{float(actual[2][chosen]):.4f} (tolerance {limits['score']:.3g})"
            )
    extra = int(np.count_nonzero(~used))
    if extra:
        problems.append(f"{extra} unexpected detection(s)")
    return _report(matched, unmatched + extra, worst_iou, worst_score, problems)


def _above(
    arrays: tuple[np.ndarray, np.ndarray, np.ndarray, Any], min_score: float | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    boxes, labels, scores, _masks = arrays
    if min_score is None:
        return boxes, labels, scores
    keep = scores >= float(min_score)
    return boxes[keep], labels[keep], scores[keep]


def _report(
    matched: int,
    unmatched: int,
    worst_iou: float | None,
    max_score_diff: float | None,
    problems: list[str],
) -> dict[str, Any]:
    message = "; ".join(problems) if problems else f"all {matched} detection(s) match"
    return {
        "passed": not problems,
        "matched": matched,
        "unmatched": unmatched,
        "worst_iou": worst_iou,
        "max_score_diff": max_score_diff,
        "message": message,
    }
