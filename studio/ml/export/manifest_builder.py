"""The bundle's `manifest.json`: what the model expects, what it returns, where it came from.

The bundle runtime (studio.bundle) reads it; every figure in it is written here, so the
runtime needs nothing of Studio's project to pre-process, run and post-process an image.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from studio.core.enums import OBJECT_TASKS, Task
from studio.ml.augment import IMAGENET_MEAN, IMAGENET_STD
from studio.ml.export.onnx_export import (
    IOU_THRESHOLD,
    MASK_THRESHOLD,
    MAX_DETECTIONS,
    OnnxModel,
)

MANIFEST_SCHEMA_VERSION = 1
PIXEL_SCALE = 1.0 / 255.0
TOP_K = 5
MULTILABEL_THRESHOLD = 0.5
# The score a detection needs to be reported by the bundle (`predict.py`, `serve.py`); the
# manifest's metrics were measured over every detection down to 0.05, as COCO does.
DISPLAY_SCORE_THRESHOLD = 0.5
LABEL_OFFSET = 1


def preprocess_steps(task: str, input_size: int) -> list[dict[str, Any]]:
    """The bundle's pre-processing, equal to Studio's evaluation transform for `task`.

    Classifiers: PIL bilinear resize to a square, /255, ImageNet mean/std, CHW. Detectors
    get the image as it is, in [0, 1]: they resize and normalise inside the graph.
    """
    steps: list[dict[str, Any]] = [{"op": "load_rgb", "exif_transpose": True}]
    if task not in OBJECT_TASKS:
        steps.append(
            {
                "op": "resize",
                "size": [input_size, input_size],
                "mode": "stretch",
                "interpolation": "bilinear",
            }
        )
    steps.append({"op": "to_float", "scale": PIXEL_SCALE})
    if task not in OBJECT_TASKS:
        steps.append({"op": "normalize", "mean": list(IMAGENET_MEAN), "std": list(IMAGENET_STD)})
    steps.append({"op": "to_chw"})
    return steps


def input_spec(task: str, input_size: int, steps: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The input described for a person (or a runtime in another language)."""
    by_op = {step["op"]: step for step in steps}
    resize = by_op.get("resize")
    normalize = by_op.get("normalize")
    return {
        "layout": "NCHW" if task not in OBJECT_TASKS else "CHW",
        "color_order": "RGB",
        "size": list(resize["size"]) if resize else None,
        "resize": resize["mode"] if resize else "none",
        "interpolation": resize["interpolation"] if resize else None,
        "scale": by_op["to_float"]["scale"] if "to_float" in by_op else PIXEL_SCALE,
        "mean": list(normalize["mean"]) if normalize else [0.0, 0.0, 0.0],
        "std": list(normalize["std"]) if normalize else [1.0, 1.0, 1.0],
        "shorter_side": input_size if task in OBJECT_TASKS else None,
    }


def postprocess_spec(model: OnnxModel, nms: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(manifest["output"], manifest["postprocess"]) for the task."""
    if model.task == Task.CLASSIFICATION.value:
        return {"kind": "logits"}, {"op": "softmax", "top_k": TOP_K}
    if model.task == Task.MULTILABEL.value:
        return {"kind": "logits"}, {"op": "sigmoid", "threshold": MULTILABEL_THRESHOLD}
    limits = model.graph_limits
    postprocess: dict[str, Any] = {
        "op": "detections",
        "score_threshold": DISPLAY_SCORE_THRESHOLD,
        "nms": nms,
        "iou_threshold": IOU_THRESHOLD,
        "max_detections": MAX_DETECTIONS,
        "label_offset": LABEL_OFFSET,
        "graph_score_threshold": limits.score_threshold if limits else None,
        "graph_iou_threshold": limits.iou_threshold if limits else None,
        "graph_max_detections": limits.max_detections if limits else None,
    }
    if model.task == Task.SEGMENTATION.value:
        postprocess["mask_threshold"] = MASK_THRESHOLD
    return {"kind": "detections", "box_format": "xyxy"}, postprocess


def software_versions() -> dict[str, str]:
    import onnx
    import onnxruntime
    import torch
    import torchvision

    import studio

    return {
        "studio": studio.__version__,
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "onnx": onnx.__version__,
        "onnxruntime": onnxruntime.__version__,
    }


@dataclass(frozen=True)
class ManifestParts:
    """Everything the manifest says that the export pipeline gathered."""

    model: OnnxModel
    architecture: str
    input_size: int
    nms: str
    int8: bool
    steps: list[dict[str, Any]]
    classes: list[dict[str, Any]]
    metrics: Mapping[str, Any]
    parity: Mapping[str, Any]
    quantization: Mapping[str, Any] | None
    lineage: Mapping[str, Any]


def build_manifest(parts: ManifestParts, files: Mapping[str, str]) -> dict[str, Any]:
    """The manifest; `files` maps every other file of the bundle to its sha256."""
    model = parts.model
    output, postprocess = postprocess_spec(model, parts.nms)
    return {
        "schema_version": MANIFEST_SCHEMA_VERSION,
        "task": model.task,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "classes": parts.classes,
        "model": {
            "file": model.path.name,
            "opset": model.opset,
            "inputs": [{"name": model.input_name, "shape": model.input_shape, "dtype": "float32"}],
            "outputs": list(model.output_names),
            "dynamic_batch": model.dynamic_batch,
            "architecture": parts.architecture,
            "input_size": parts.input_size,
            "int8": parts.int8,
        },
        "input": input_spec(model.task, parts.input_size, parts.steps),
        "preprocess": parts.steps,
        "output": output,
        "postprocess": postprocess,
        "metrics": dict(parts.metrics),
        "parity": dict(parts.parity),
        "quantization": dict(parts.quantization) if parts.quantization else None,
        "lineage": dict(parts.lineage),
        "versions": software_versions(),
        "files": dict(sorted(files.items())),
    }
