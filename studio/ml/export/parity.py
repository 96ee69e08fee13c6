"""The parity gate: the exported bundle must give what Studio's torch model gives.

Reference: the torch model (eval, CPU, float32) on Studio's evaluation transform of each
image, the same path Studio's metrics came from. Candidate: ONNX Runtime on the bundle's own
pre-processing (studio.bundle.preprocess) of the image file. Classifiers must agree within
1e-4 on every logit and on the top-1 class; detectors must give the same detections (same
class, IoU >= 0.99, score within 1e-3). With NMS left to the bundle, the candidate goes
through the bundle's numpy NMS and is compared with torchvision's NMS.

Detections whose score sits at a border (the score floor, or the lowest score kept when the
count limit was reached) are left out on both sides: a difference of 1e-6 may put one just
inside or just outside, which says nothing about the model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from studio.bundle.compare import DEFAULT_TOLERANCES, compare_outputs
from studio.bundle.postprocess import class_nms
from studio.bundle.preprocess import preprocess
from studio.core.enums import OBJECT_TASKS
from studio.ml.export.onnx_export import (
    IOU_THRESHOLD,
    MAX_DETECTIONS,
    DetectionLimits,
    OnnxModel,
    detection_limits,
    output_names,
)

TOLERANCES: dict[str, float] = dict(DEFAULT_TOLERANCES)
LISTED_ITEMS = 5


@dataclass(frozen=True)
class ParityReport:
    passed: bool
    images: int
    task: str
    details: Mapping[str, Any]
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "images": self.images,
            "task": self.task,
            "message": self.message,
            **dict(self.details),
        }


@dataclass(frozen=True)
class ParityImage:
    """One held-out image: its item, its file, and what it truly shows (for accuracy)."""

    item_id: int
    path: Path
    split: str
    truth: Any = None


@dataclass
class Comparison:
    """Per-image comparison reports and the arrays behind them."""

    images: list[ParityImage]
    reports: list[dict[str, Any]] = field(default_factory=list)
    candidates: list[dict[str, np.ndarray]] = field(default_factory=list)


def onnx_session(path: Path) -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(
        str(path), sess_options=options, providers=["CPUExecutionProvider"]
    )


# -- outputs -----------------------------------------------------------------------------------


def torch_outputs(
    graph: torch.nn.Module,
    task: str,
    inputs: Sequence[torch.Tensor],
    limits: DetectionLimits | None = None,
) -> list[dict[str, np.ndarray]]:
    """The graph's outputs for each CHW input, as numpy arrays by output name."""
    if task in OBJECT_TASKS:
        with torch.inference_mode(), detection_limits(graph, limits):
            found = [graph(image.float()) for image in inputs]
        names = output_names(task)
        return [
            {name: value.numpy() for name, value in zip(names, output, strict=True)}
            for output in found
        ]
    with torch.inference_mode():
        logits = graph(torch.stack([image.float() for image in inputs])).numpy()
    return [{"logits": row[None]} for row in logits]


def onnx_outputs(session: Any, model: OnnxModel, arrays: Sequence[np.ndarray]) -> list[dict]:
    """ONNX Runtime's outputs for each CHW array (classifiers in one batch when it may)."""
    if model.task in OBJECT_TASKS:
        return [_named(model, session.run(None, {model.input_name: array})) for array in arrays]
    if model.dynamic_batch and arrays:
        (logits,) = session.run(None, {model.input_name: np.stack(arrays)})
        return [{"logits": row[None]} for row in logits]
    return [_named(model, session.run(None, {model.input_name: array[None]})) for array in arrays]


def _named(model: OnnxModel, values: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
    return dict(zip(model.output_names, values, strict=True))


def bundle_arrays(images: Sequence[ParityImage], steps: list[dict[str, Any]]) -> list[np.ndarray]:
    return [preprocess(image.path, steps)[0] for image in images]


def bundle_nms(outputs: Mapping[str, np.ndarray], iou: float, count: int) -> dict:
    """The bundle's class-wise NMS applied to raw candidate detections, best first."""
    scores = np.asarray(outputs["scores"])
    keep = class_nms(np.asarray(outputs["boxes"]), np.asarray(outputs["labels"]), scores, iou)
    return _rows(outputs, keep[:count])


def nms_as_torchvision(outputs: Sequence[Mapping[str, np.ndarray]]) -> list[dict]:
    return [bundle_nms(output, IOU_THRESHOLD, MAX_DETECTIONS) for output in outputs]


# -- comparing ---------------------------------------------------------------------------------


def _border(outputs: Sequence[Mapping[str, np.ndarray]], limits: DetectionLimits) -> float:
    """The lowest score that is not at a border on either side."""
    border = limits.score_threshold
    for output in outputs:
        scores = np.asarray(output["scores"])
        if len(scores) >= limits.max_detections and len(scores):
            border = max(border, float(scores.min()))
    return border + TOLERANCES["score"]


def pairwise_iou(boxes: np.ndarray, others: np.ndarray) -> np.ndarray:
    """IoU of every xyxy box of `boxes` with every one of `others` ([n, m])."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    others = np.asarray(others, dtype=np.float64).reshape(-1, 4)
    top_left = np.maximum(boxes[:, None, :2], others[None, :, :2])
    bottom_right = np.minimum(boxes[:, None, 2:], others[None, :, 2:])
    inter = np.prod(np.clip(bottom_right - top_left, 0, None), axis=2)
    area = np.prod(np.clip(boxes[:, 2:] - boxes[:, :2], 0, None), axis=1)
    other_area = np.prod(np.clip(others[:, 2:] - others[:, :2], 0, None), axis=1)
    union = area[:, None] + other_area[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def _without_nms_ties(
    reference: Mapping[str, np.ndarray], candidate: Mapping[str, np.ndarray], nms_iou: float
) -> tuple[dict, dict, int]:
    """Both sides without their NMS ties: a detection with no twin on the other side (same
    class, IoU >= the gate's, score within tolerance) that overlaps an equally scored,
    twinless detection of the same class there by more than the NMS overlap. NMS kept one
    of two equal boxes on each side, and which one is a coin toss, not a difference."""
    alike, ious, twins = _pairs(reference, candidate)
    lonely = ~twins.any(axis=1)[:, None] & ~twins.any(axis=0)[None, :]
    ties = alike & lonely & (ious > nms_iou)
    keep_reference, keep_candidate = ~ties.any(axis=1), ~ties.any(axis=0)
    dropped = int((~keep_reference).sum() + (~keep_candidate).sum())
    return _rows(reference, keep_reference), _rows(candidate, keep_candidate), dropped


def _pairs(reference: Mapping, candidate: Mapping) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """[reference, candidate] matrices: same class with a score within tolerance; IoU;
    twins (alike with IoU at least the gate's)."""
    same_class = np.asarray(reference["labels"])[:, None] == np.asarray(candidate["labels"])[None]
    scores = np.abs(
        np.asarray(reference["scores"], dtype=np.float64)[:, None]
        - np.asarray(candidate["scores"], dtype=np.float64)[None]
    )
    alike = same_class & (scores <= TOLERANCES["score"])
    ious = pairwise_iou(reference["boxes"], candidate["boxes"])
    return alike, ious, alike & (ious >= TOLERANCES["iou"])


def unmatched_score_floor(reference: Mapping, candidate: Mapping, floor: float) -> float:
    """The lowest `min_score` above which every detection of each side has its twin on the
    other (at least `floor`): the self-test compares detections from there up."""
    _alike, _ious, twins = _pairs(reference, candidate)
    lonely = [
        np.asarray(reference["scores"])[~twins.any(axis=1)],
        np.asarray(candidate["scores"])[~twins.any(axis=0)],
    ]
    highest = max((float(scores.max()) for scores in lonely if len(scores)), default=None)
    return floor if highest is None else max(floor, highest + TOLERANCES["score"])


def _rows(outputs: Mapping[str, np.ndarray], keep: np.ndarray) -> dict[str, np.ndarray]:
    return {name: np.asarray(value)[keep] for name, value in outputs.items()}


def compare_image(
    task: str, reference: Mapping, candidate: Mapping, limits: DetectionLimits | None
) -> dict[str, Any]:
    """One image's comparison; detectors without border and NMS-tie detections."""
    if task not in OBJECT_TASKS or limits is None:
        return compare_outputs(task, dict(reference), dict(candidate), dict(TOLERANCES))
    tolerances = {**TOLERANCES, "min_score": _border([reference, candidate], limits)}
    reference, candidate, ties = _without_nms_ties(reference, candidate, IOU_THRESHOLD)
    return {**compare_outputs(task, reference, candidate, tolerances), "nms_ties": ties}


def compare_all(
    task: str, comparison: Comparison, references: Sequence[Mapping], limits: DetectionLimits | None
) -> ParityReport:
    comparison.reports = [
        compare_image(task, reference, candidate, limits)
        for reference, candidate in zip(references, comparison.candidates, strict=True)
    ]
    return report_of(task, comparison)


def _items(images: Sequence[ParityImage]) -> str:
    shown = ", ".join(f"item {image.item_id}" for image in images[:LISTED_ITEMS])
    more = len(images) - LISTED_ITEMS
    return f"{shown}, and {more} more" if more > 0 else shown


def _logits_summary(comparison: Comparison) -> tuple[list[str], dict[str, Any]]:
    reports = comparison.reports
    worst = max((report["max_abs_diff"] for report in reports), default=0.0)
    top1 = [
        image for image, r in zip(comparison.images, reports, strict=True) if not r["top1_equal"]
    ]
    parts = [f"max |logit diff| {worst:.3g} (limit {TOLERANCES['logits']:g})"]
    parts.append(
        f"top-1 differs on {len(top1)} image{'s' if len(top1) != 1 else ''} ({_items(top1)})"
        if top1
        else "top-1 identical"
    )
    details = {
        "max_abs_diff": _finite(worst),
        "top1_differs": [image.item_id for image in top1],
        "tolerances": {"logits": TOLERANCES["logits"]},
    }
    return parts, details


def _detections_summary(comparison: Comparison) -> tuple[list[str], dict[str, Any]]:
    reports = comparison.reports
    matched = sum(report["matched"] for report in reports)
    unmatched = sum(report["unmatched"] for report in reports)
    ious = [report["worst_iou"] for report in reports if report["worst_iou"] is not None]
    diffs = [report["max_score_diff"] for report in reports if report["max_score_diff"] is not None]
    worst_iou = min(ious) if ious else None
    worst_score = max(diffs) if diffs else None
    missing = [
        image
        for image, report in zip(comparison.images, reports, strict=True)
        if report["unmatched"]
    ]
    ties = sum(report.get("nms_ties", 0) for report in reports)
    parts = [f"{matched} detections matched"]
    if ties:
        parts.append(f"{ties} tied under NMS set aside")
    if unmatched:
        parts.append(f"{unmatched} unmatched ({_items(missing)})")
    if worst_iou is not None:
        parts.append(f"worst IoU {worst_iou:.5g} (limit {TOLERANCES['iou']:g})")
    if worst_score is not None:
        parts.append(f"max |score diff| {worst_score:.3g} (limit {TOLERANCES['score']:g})")
    details = {
        "matched": matched,
        "unmatched": unmatched,
        "nms_ties": ties,
        "worst_iou": worst_iou,
        "max_score_diff": worst_score,
        "tolerances": {"iou": TOLERANCES["iou"], "score": TOLERANCES["score"]},
    }
    return parts, details


def _finite(value: float) -> float | None:
    return value if np.isfinite(value) else None


def report_of(task: str, comparison: Comparison) -> ParityReport:
    """The gate's verdict with a message naming what differed, and on which items."""
    reports, images = comparison.reports, comparison.images
    failed = [image for image, report in zip(images, reports, strict=True) if not report["passed"]]
    summary = _detections_summary if task in OBJECT_TASKS else _logits_summary
    parts, details = summary(comparison)
    if not images:
        verdict = "parity gate had no image to check"
    elif failed:
        verdict = f"parity gate failed on {len(failed)} of {len(images)} images"
    else:
        verdict = f"parity gate passed on {len(images)} images"
    per_image = [
        {"item_id": image.item_id, "split": image.split, **_plain(report)}
        for image, report in zip(images, reports, strict=True)
    ]
    details = {
        **details,
        "failed_items": [image.item_id for image in failed],
        "splits": sorted({image.split for image in images}),
        "per_image": per_image,
    }
    passed = bool(images) and not failed
    return ParityReport(passed, len(images), task, details, f"{verdict}: {'; '.join(parts)}")


def _plain(report: Mapping[str, Any]) -> dict[str, Any]:
    """A report as JSON-ready values (no numpy scalars, no infinities)."""
    plain: dict[str, Any] = {}
    for key, value in report.items():
        if isinstance(value, (np.floating, float)):
            plain[key] = _finite(float(value))
        elif isinstance(value, (np.integer, np.bool_)):
            plain[key] = value.item()
        else:
            plain[key] = value
    return plain
