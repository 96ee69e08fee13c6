"""Turning a trained torch model into an ONNX file (TorchScript exporter, a fixed opset).

Classifiers take a batch `images` [batch, 3, size, size] (already resized and normalised by
the bundle) and give `logits` [batch, classes]. torchvision detectors take one image `image`
[3, height, width] as floats in [0, 1] of any size (they resize and normalise inside the
graph) and give `boxes` (xyxy, pixels of the given image), `labels` (class index + 1),
`scores`, and for Mask R-CNN `masks` [N, 1, height, width] probabilities.

Non-maximum suppression either stays in the graph (`nms="graph"`) or is left to the bundle
(`nms="manifest"`): the graph then keeps every candidate above a low score and the manifest
declares the thresholds the bundle's numpy NMS applies.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from studio.core.enums import OBJECT_TASKS, Task
from studio.core.errors import ExportError
from studio.ml.architectures import temporarily

# The operating point of Studio's evaluation (studio.ml.evaluation.predict): the metrics in
# the manifest were measured with these, so the bundle reports detections the same way.
SCORE_THRESHOLD = 0.05
IOU_THRESHOLD = 0.5
MAX_DETECTIONS = 100
MASK_THRESHOLD = 0.5
# With NMS in the manifest the graph keeps candidates down to this score, so a user may
# lower the manifest's threshold to it, and no candidate is cut by a count before NMS.
GRAPH_CANDIDATE_SCORE = 0.01
GRAPH_CANDIDATE_LIMIT = 10_000


@dataclass(frozen=True)
class DetectionLimits:
    """What the exported graph itself filters: scores, NMS overlap, count per image."""

    score_threshold: float
    iou_threshold: float
    max_detections: int


@dataclass(frozen=True)
class OnnxModel:
    """An exported model file and what a caller needs to feed it and read it."""

    path: Path
    task: str
    opset: int
    input_name: str
    input_shape: list[Any]
    output_names: list[str]
    dynamic_batch: bool
    graph_limits: DetectionLimits | None = None
    notes: list[str] = field(default_factory=list)


class ClassifierGraph(nn.Module):
    """The classifier as exported: logits as float32, whatever the module returns."""

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.module = module

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.module(images).float()


class DetectorGraph(nn.Module):
    """A torchvision detector for one image: a CHW tensor in, plain output tensors out."""

    def __init__(self, module: nn.Module, masks: bool, detection_settings: str = "") -> None:
        super().__init__()
        self.module = module
        self.masks = masks
        self.detection_settings = detection_settings

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, ...]:
        output = self.module([image])[0]
        found = (output["boxes"], output["labels"], output["scores"])
        return (*found, output["masks"]) if self.masks else found


def output_names(task: str) -> list[str]:
    if task in OBJECT_TASKS:
        names = ["boxes", "labels", "scores"]
        return [*names, "masks"] if task == Task.SEGMENTATION.value else names
    return ["logits"]


def effective_nms(nms: str, task: str) -> str:
    """Where NMS runs for `task`: as asked for a detector; "graph" (none) for a classifier."""
    return nms if task in OBJECT_TASKS else "graph"


def graph_limits(nms: str) -> DetectionLimits:
    """The filters the graph applies: Studio's operating point, or (NMS left to the
    bundle) NMS off, a low score floor and room for every candidate."""
    if nms == "graph":
        return DetectionLimits(SCORE_THRESHOLD, IOU_THRESHOLD, MAX_DETECTIONS)
    return DetectionLimits(GRAPH_CANDIDATE_SCORE, 1.0, GRAPH_CANDIDATE_LIMIT)


def _limit_owner(module: nn.Module, detection_settings: str) -> Any:
    """The submodule that holds a detector's score floor, NMS overlap and count per image
    (its architecture's `detection_settings`: "roi_heads" for the R-CNNs, "" for the model
    itself as in RetinaNet, FCOS and SSD)."""
    try:
        owner = module.get_submodule(detection_settings) if detection_settings else module
    except AttributeError:
        owner = None
    if owner is None or not hasattr(owner, "nms_thresh"):
        raise ExportError(
            f"{type(module).__name__} has no NMS settings at {detection_settings or 'its top'} "
            "(score_thresh, nms_thresh, detections_per_img); it cannot be exported as a detector"
        )
    return owner


def detection_limits(graph: DetectorGraph, limits: DetectionLimits) -> Any:
    """Set the detector's score floor, NMS overlap and count per image for a while."""
    owner = _limit_owner(graph.module, graph.detection_settings)
    values = (limits.score_threshold, limits.iou_threshold, limits.max_detections)
    names = ("score_thresh", "nms_thresh", "detections_per_img")
    return temporarily([(owner, name, value) for name, value in zip(names, values, strict=True)])


def graph_module(module: nn.Module, task: str, detection_settings: str = "") -> nn.Module:
    """The module as the ONNX graph computes it (eval mode, CPU, float32); a detector's
    `detection_settings` come from its architecture (`ArchitectureSpec`)."""
    module = module.eval().float().cpu()
    if task in OBJECT_TASKS:
        masks = task == Task.SEGMENTATION.value
        return DetectorGraph(module, masks, detection_settings).eval()
    return ClassifierGraph(module).eval()


def export_onnx(
    graph: nn.Module,
    task: str,
    path: Path,
    *,
    input_size: int,
    opset: int = 17,
    dynamic_batch: bool = True,
    limits: DetectionLimits | None = None,
) -> OnnxModel:
    """Export `graph` (from `graph_module`) to `path` and check the file with onnx.checker.

    Detectors are traced on an image of `input_size` pixels a side with `limits` in force
    (the graph keeps them); their height and width stay dynamic.
    """
    if task in OBJECT_TASKS:
        if limits is None:
            raise ExportError("a detector export needs its detection limits")
        with detection_limits(graph, limits):
            model = _export_detector(graph, task, path, input_size, opset)
        return OnnxModel(**{**model.__dict__, "graph_limits": limits})
    return _export_classifier(graph, task, path, input_size, opset, dynamic_batch)


def _export_classifier(
    graph: nn.Module, task: str, path: Path, size: int, opset: int, dynamic_batch: bool
) -> OnnxModel:
    example = torch.zeros(2 if dynamic_batch else 1, 3, size, size)
    axes = {"images": {0: "batch"}, "logits": {0: "batch"}} if dynamic_batch else None
    _run_exporter(graph, (example,), path, ["images"], ["logits"], axes, opset)
    shape: list[Any] = ["batch" if dynamic_batch else 1, 3, size, size]
    return OnnxModel(path, task, opset, "images", shape, ["logits"], dynamic_batch)


def _export_detector(graph: nn.Module, task: str, path: Path, size: int, opset: int) -> OnnxModel:
    names = output_names(task)
    generator = torch.Generator().manual_seed(0)
    example = torch.rand(3, size, size, generator=generator)
    axes: dict[str, dict[int, str]] = {"image": {1: "height", 2: "width"}}
    axes.update({name: {0: "detections"} for name in names})
    _run_exporter(graph, (example,), path, ["image"], names, axes, opset)
    return OnnxModel(path, task, opset, "image", [3, "height", "width"], names, False)


def _run_exporter(
    graph: nn.Module,
    args: tuple[Any, ...],
    path: Path,
    inputs: list[str],
    outputs: list[str],
    axes: dict[str, dict[int, str]] | None,
    opset: int,
) -> None:
    import onnx

    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                graph,
                args,
                str(path),
                dynamo=False,
                opset_version=opset,
                input_names=inputs,
                output_names=outputs,
                dynamic_axes=axes,
                do_constant_folding=True,
            )
    except Exception as error:
        raise ExportError(
            f"ONNX export (opset {opset}) of {type(_inner(graph)).__name__} failed: "
            f"{_first_line(error)}"
        ) from error
    try:
        onnx.checker.check_model(str(path), full_check=True)
    except Exception as error:
        raise ExportError(
            f"{path.name}: onnx.checker refused the exported model: {error}"
        ) from error


def _inner(graph: nn.Module) -> nn.Module:
    return getattr(graph, "module", graph)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
