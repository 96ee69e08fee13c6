"""From raw model outputs to results: class scores, thresholds, NMS, boxes and masks in pixels.

Boxes come out of a detector as [x1, y1, x2, y2] in model-input pixels and leave as
[x, y, width, height] in the original image's pixels (after EXIF orientation); masks leave as
uncompressed COCO RLE (`counts` run lengths in column-major order, starting with background).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

from .manifest import BundleError, class_names, resize_size

DEFAULTS = {
    "top_k": 5,
    "threshold": 0.5,
    "score_threshold": 0.5,
    "iou_threshold": 0.5,
    "max_detections": 100,
    "label_offset": 1,
    "mask_threshold": 0.5,
}


def postprocess(
    outputs: dict[str, np.ndarray], manifest: dict[str, Any], original_size: tuple[int, int]
) -> dict[str, Any]:
    """The result for one image from its raw `outputs` (a leading batch axis of 1 is dropped)."""
    settings = {**DEFAULTS, **manifest["postprocess"]}
    names = class_names(manifest)
    op = settings.get("op")
    if op == "softmax":
        return _classification(_logits(outputs, manifest), names, int(settings["top_k"]))
    if op == "sigmoid":
        return _multilabel(_logits(outputs, manifest), names, float(settings["threshold"]))
    if op == "detections":
        return _detections(outputs, manifest, settings, names, original_size)
    raise BundleError(f"manifest.json: unknown postprocess op {op!r}")


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits.astype(np.float64) - np.max(logits, axis=-1, keepdims=True)
    exponentials = np.exp(shifted)
    return exponentials / exponentials.sum(axis=-1, keepdims=True)


def sigmoid(logits: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-logits.astype(np.float64)))


def _logits(outputs: dict[str, np.ndarray], manifest: dict[str, Any]) -> np.ndarray:
    names = manifest["model"].get("outputs") or list(outputs)
    name = names[0] if names[0] in outputs else next(iter(outputs))
    logits = np.asarray(outputs[name])
    while logits.ndim > 1 and logits.shape[0] == 1:
        logits = logits[0]
    if logits.ndim != 1:
        raise BundleError(f"model output {name!r} has shape {logits.shape}; expected one row")
    return logits


def _check_width(logits: np.ndarray, names: list[str]) -> np.ndarray:
    if logits.shape[-1] != len(names):
        raise BundleError(
            f"manifest.json: {len(names)} classes but the model outputs {logits.shape[-1]} scores"
        )
    return logits


def _classification(logits: np.ndarray, names: list[str], top_k: int) -> dict[str, Any]:
    probabilities = softmax(_check_width(logits, names))
    order = np.argsort(-probabilities, kind="stable")[: max(1, top_k)]
    top = [
        {"class": names[index], "index": int(index), "score": float(probabilities[index])}
        for index in order
    ]
    return {"label": top[0]["class"], "score": top[0]["score"], "top": top}


def _multilabel(logits: np.ndarray, names: list[str], threshold: float) -> dict[str, Any]:
    probabilities = sigmoid(_check_width(logits, names))
    scores = {name: float(value) for name, value in zip(names, probabilities, strict=True)}
    labels = [name for name, probability in scores.items() if probability >= threshold]
    return {"labels": labels, "scores": scores}


def _detections(
    outputs: dict[str, np.ndarray],
    manifest: dict[str, Any],
    settings: dict[str, Any],
    names: list[str],
    original_size: tuple[int, int],
) -> dict[str, Any]:
    boxes, labels, scores, masks = detection_arrays(outputs)
    indexes = labels.astype(np.int64) - int(settings["label_offset"])
    keep = (scores >= float(settings["score_threshold"])) & (indexes >= 0) & (indexes < len(names))
    keep = np.flatnonzero(keep)
    keep = keep[np.argsort(-scores[keep], kind="stable")]
    if settings.get("nms") == "manifest":
        iou_threshold = float(settings["iou_threshold"])
        keep = keep[class_nms(boxes[keep], indexes[keep], scores[keep], iou_threshold)]
    keep = keep[: int(settings["max_detections"])]
    scaled = scale_boxes(boxes[keep], manifest, original_size)
    detections = []
    for row, index in enumerate(keep):
        x1, y1, x2, y2 = (float(value) for value in scaled[row])
        detection: dict[str, Any] = {
            "class": names[indexes[index]],
            "score": float(scores[index]),
            "box": [x1, y1, x2 - x1, y2 - y1],
        }
        if masks is not None:
            detection["mask"] = mask_rle(
                masks[index], original_size, float(settings["mask_threshold"])
            )
        detections.append(detection)
    return {"detections": detections}


def detection_arrays(
    outputs: dict[str, np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """(boxes [N, 4], labels [N], scores [N], masks [N, H, W] or None) from a detector's outputs."""
    missing = [name for name in ("boxes", "labels", "scores") if name not in outputs]
    if missing:
        raise BundleError(
            f"model.onnx: detector outputs {sorted(outputs)} lack {', '.join(missing)}"
        )
    boxes = _drop_batch(np.asarray(outputs["boxes"], dtype=np.float64), 2).reshape(-1, 4)
    labels = _drop_batch(np.asarray(outputs["labels"]), 1).reshape(-1)
    scores = _drop_batch(np.asarray(outputs["scores"], dtype=np.float64), 1).reshape(-1)
    if not len(boxes) == len(labels) == len(scores):
        raise BundleError(
            f"model.onnx: {len(boxes)} boxes, {len(labels)} labels and {len(scores)} scores differ"
        )
    masks = None
    if "masks" in outputs:
        masks = np.asarray(outputs["masks"], dtype=np.float32)
        if masks.ndim == 4:
            masks = masks[:, 0]
    return boxes, labels, scores, masks


def _drop_batch(array: np.ndarray, rank: int) -> np.ndarray:
    return array[0] if array.ndim == rank + 1 and array.shape[0] == 1 else array


def box_iou(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    """IoU of one xyxy box with each of `others` (xyxy)."""
    left = np.maximum(box[0], others[:, 0])
    top = np.maximum(box[1], others[:, 1])
    right = np.minimum(box[2], others[:, 2])
    bottom = np.minimum(box[3], others[:, 3])
    inter = np.clip(right - left, 0, None) * np.clip(bottom - top, 0, None)
    area = max(box[2] - box[0], 0) * max(box[3] - box[1], 0)
    areas = np.clip(others[:, 2] - others[:, 0], 0, None) * np.clip(
        others[:, 3] - others[:, 1], 0, None
    )
    union = area + areas - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def class_nms(
    boxes: np.ndarray, classes: np.ndarray, scores: np.ndarray, iou_threshold: float
) -> np.ndarray:
    """Positions kept by greedy class-wise NMS, highest score first (like torchvision's)."""
    order = np.argsort(-scores, kind="stable")
    suppressed = np.zeros(len(order), dtype=bool)
    kept = []
    for rank, position in enumerate(order):
        if suppressed[rank]:
            continue
        kept.append(position)
        rest = order[rank + 1 :]
        same_class = classes[rest] == classes[position]
        overlapping = box_iou(boxes[position], boxes[rest]) > iou_threshold
        suppressed[rank + 1 :] |= same_class & overlapping
    return np.asarray(kept, dtype=np.int64)


def scale_boxes(
    boxes: np.ndarray, manifest: dict[str, Any], original_size: tuple[int, int]
) -> np.ndarray:
    """xyxy boxes from model-input pixels to original-image pixels, clipped to the image."""
    width, height = original_size
    resized = resize_size(manifest["preprocess"])
    scaled = np.array(boxes, dtype=np.float64).reshape(-1, 4)
    if resized is not None:
        input_height, input_width = resized
        scaled *= np.array([width / input_width, height / input_height] * 2)
    scaled[:, 0::2] = np.clip(scaled[:, 0::2], 0, width)
    scaled[:, 1::2] = np.clip(scaled[:, 1::2], 0, height)
    return scaled


def mask_rle(
    probabilities: np.ndarray, original_size: tuple[int, int], threshold: float
) -> dict[str, Any]:
    """Uncompressed COCO RLE of `probabilities >= threshold`, resized to the original image."""
    width, height = original_size
    probabilities = np.asarray(probabilities, dtype=np.float32)
    if probabilities.shape != (height, width):
        resized = Image.fromarray(probabilities).resize((width, height), Image.Resampling.BILINEAR)
        probabilities = np.asarray(resized, dtype=np.float32)
    return encode_rle(probabilities >= threshold)


def encode_rle(mask: np.ndarray) -> dict[str, Any]:
    """COCO uncompressed RLE of a binary [h, w] mask."""
    height, width = mask.shape
    flat = np.asarray(mask, dtype=np.uint8).flatten(order="F")
    changes = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate([[0], changes, [flat.size]])
    counts = np.diff(bounds).astype(int).tolist()
    if flat.size and flat[0] == 1:
        counts = [0, *counts]
    return {"size": [int(height), int(width)], "counts": counts}
