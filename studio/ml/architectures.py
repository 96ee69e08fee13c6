"""Model architectures: the torchvision classifiers and detectors, and any a plugin adds.

Architectures come from the `studio_model_architectures` hook: Studio's own through its
default plugin (`studio.ml.builtin_plugin`, which returns `builtin_architectures()`), others
from installed or project plugins. ("The model registry" is the project's registry of trained
model versions, `studio.core.model_registry`; this is the list of what can be trained.)

This module imports neither torch nor torchvision at module level (the GUI and the CLI read
the architecture names); the builders import them when they run.

Pretrained weights come only from where the user allows: "never" builds from scratch, "auto"
uses a weights file only when it is already in the torch hub cache (nothing is downloaded),
"download" lets torchvision fetch it. The classification head (or the detector's class head)
is replaced to the project's classes after the weights are loaded.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from studio.core.enums import Task
from studio.core.errors import TrainingConfigError
from studio.ml.config import PRETRAINED_CHOICES
from studio.plugins.manager import plugins

if TYPE_CHECKING:
    import torch

CLASSIFICATION_TASKS = frozenset({Task.CLASSIFICATION.value, Task.MULTILABEL.value})
DETECTION_TASKS = frozenset({Task.DETECTION.value})
SEGMENTATION_TASKS = frozenset({Task.SEGMENTATION.value})


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ArchitectureSpec:
    """One trainable architecture, and how it exports.

    `build(num_classes, input_size, pretrained)` returns the module; `num_classes` excludes
    the background class (detectors add it themselves). A plugin's builder loads its own
    weights when `pretrained` is true; the built-in builders also accept the exact weights
    to use (see `_TorchvisionBuilder.with_weights`).

    Export: a classifier must return logits [batch, classes] for a batch of normalised
    images. A detector must behave as torchvision's (a list of CHW images in, a list of dicts
    with "boxes", "labels", "scores" and for segmentation "masks" out) and name in
    `detection_settings` the submodule that holds its `score_thresh`, `nms_thresh` and
    `detections_per_img` ("roi_heads" for the R-CNNs, "" for the model itself): the ONNX
    exporter sets them to the operating point it bakes into the graph.
    """

    name: str
    tasks: frozenset[str]
    description: str
    build: Callable[[int, int, bool], torch.nn.Module]
    weights: str | None = None
    backbone_weights: str | None = None
    default_input_size: int = 224
    detection_settings: str = ""


@dataclass(frozen=True)
class BuiltModel:
    module: torch.nn.Module
    pretrained_note: str
    used_pretrained: bool


def _problem(spec: object, taken: Mapping[str, ArchitectureSpec]) -> str:
    """Why a plugin's entry cannot be used ("" when it can)."""
    if not isinstance(spec, ArchitectureSpec):
        return f"{spec!r} is not an ArchitectureSpec"
    if spec.name in taken:
        return f"the architecture name {spec.name!r} is taken"
    unknown = set(spec.tasks) - {task.value for task in Task}
    if unknown:
        return f"architecture {spec.name!r} names unknown tasks: {', '.join(sorted(unknown))}"
    return ""


def architectures() -> dict[str, ArchitectureSpec]:
    """Every architecture of the active plugins by name, Studio's own first. An entry with a
    taken name or an unknown task is left out and logged."""
    found: dict[str, ArchitectureSpec] = {}
    for spec in plugins().collect("studio_model_architectures"):
        problem = _problem(spec, found)
        if problem:
            log.warning("%s (from plugin %s); left out", problem, plugins().owner(spec))
        else:
            found[spec.name] = spec
    return found


def architecture_names(task: str | None = None) -> list[str]:
    """Architecture names (plugin order), only those able to do `task` if given."""
    return [name for name, spec in architectures().items() if task is None or task in spec.tasks]


def get_architecture(name: str) -> ArchitectureSpec:
    try:
        return architectures()[name]
    except KeyError:
        known = ", ".join(architecture_names())
        raise TrainingConfigError(f"unknown model {name!r}; known models: {known}") from None


def _hub_checkpoints() -> Path:
    import torch

    return Path(torch.hub.get_dir()) / "checkpoints"


def _weights_enum(weights: str) -> Any:
    from torchvision.models import get_weight

    try:
        return get_weight(weights)
    except (ValueError, KeyError) as error:
        raise TrainingConfigError(f"unknown torchvision weights {weights!r}: {error}") from None


def cached_weights_file(weights: str) -> Path | None:
    """The weights file in torch.hub's cache (`<hub dir>/checkpoints/<file of the URL>`)."""
    file_name = os.path.basename(urlparse(_weights_enum(weights).url).path)
    path = _hub_checkpoints() / file_name
    return path if path.is_file() else None


@dataclass(frozen=True)
class _WeightsChoice:
    weights: str | None
    backbone_weights: str | None
    note: str

    @property
    def used(self) -> bool:
        return self.weights is not None or self.backbone_weights is not None


def _kind_of(weights: str) -> str:
    return "COCO" if "COCO" in weights else "ImageNet"


def _choose_weights(spec: ArchitectureSpec, pretrained: str) -> _WeightsChoice:
    if pretrained not in PRETRAINED_CHOICES:
        raise TrainingConfigError(
            f"pretrained must be one of {', '.join(PRETRAINED_CHOICES)}, not {pretrained!r}"
        )
    wanted = spec.weights or spec.backbone_weights
    if pretrained == "never" or wanted is None:
        reason = "pretrained weights turned off" if wanted else "no pretrained weights known"
        return _WeightsChoice(None, None, f"from scratch: {reason}")
    if pretrained == "download":
        return _with_weights(spec, spec.weights, "downloaded when not cached")
    if spec.weights and cached_weights_file(spec.weights):
        return _with_weights(spec, spec.weights, "from the local cache")
    if spec.backbone_weights and cached_weights_file(spec.backbone_weights):
        return _WeightsChoice(
            None,
            spec.backbone_weights,
            f"{_kind_of(spec.backbone_weights)} backbone weights ({spec.backbone_weights}) "
            "from the local cache; detection heads from scratch",
        )
    return _WeightsChoice(
        None, None, f"from scratch: no cached weights for {wanted} and downloads not allowed"
    )


def _with_weights(spec: ArchitectureSpec, weights: str | None, where: str) -> _WeightsChoice:
    if weights is None:
        backbone = spec.backbone_weights
        note = f"{_kind_of(backbone)} backbone weights ({backbone}) {where}"
        return _WeightsChoice(None, backbone, note)
    return _WeightsChoice(weights, None, f"{_kind_of(weights)} weights ({weights}) {where}")


def build_model(
    name: str, task: str, num_classes: int, input_size: int, pretrained: str = "auto"
) -> BuiltModel:
    """Build `name` for `task` with `num_classes` outputs, with weights as `pretrained` allows."""
    spec = get_architecture(name)
    if task not in spec.tasks:
        raise TrainingConfigError(
            f"model {name!r} cannot do {task}; it does {', '.join(sorted(spec.tasks))}"
        )
    if num_classes < 1:
        raise TrainingConfigError(f"model {name!r} needs at least one class, got {num_classes}")
    choice = _choose_weights(spec, pretrained)
    if isinstance(spec.build, _TorchvisionBuilder):
        module = spec.build.with_weights(
            num_classes, input_size, choice.weights, choice.backbone_weights
        )
    else:
        with plugins().guard(spec, "build"):
            module = spec.build(num_classes, input_size, choice.used)
    return BuiltModel(module=module, pretrained_note=choice.note, used_pretrained=choice.used)


# --- the built-in torchvision models ----------------------------------------------------------


@dataclass(frozen=True)
class _TorchvisionBuilder:
    """Builds a torchvision model by name; `family` says how its head is replaced."""

    function: str
    family: str
    weights: str | None
    backbone_weights: str | None = None

    def __call__(self, num_classes: int, input_size: int, pretrained: bool) -> torch.nn.Module:
        weights = self.weights if pretrained else None
        backbone = self.backbone_weights if pretrained and weights is None else None
        return self.with_weights(num_classes, input_size, weights, backbone)

    def with_weights(
        self,
        num_classes: int,
        input_size: int,
        weights: str | None,
        backbone_weights: str | None,
    ) -> torch.nn.Module:
        if self.family == "classifier":
            return _build_classifier(self.function, num_classes, weights)
        return _build_detector(self, num_classes, input_size, weights, backbone_weights)


def _torchvision_function(name: str) -> Callable[..., Any]:
    import torchvision

    return torchvision.models.get_model_builder(name)


def _build_classifier(function: str, num_classes: int, weights: str | None) -> torch.nn.Module:
    builder = _torchvision_function(function)
    if weights is None:
        return builder(weights=None, num_classes=num_classes)
    model = builder(weights=weights)
    _replace_last_linear(model, num_classes)
    return model


def _replace_last_linear(model: torch.nn.Module, num_classes: int) -> None:
    """Swap the final `nn.Linear` (resnet `fc`, mobilenet/efficientnet `classifier[-1]`)."""
    from torch import nn

    parent_name, child_name, last = "", "", None
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear):
            parent_name, _, child_name = name.rpartition(".")
            last = module
    if last is None:
        raise TrainingConfigError(f"{type(model).__name__} has no linear classification head")
    parent = model.get_submodule(parent_name) if parent_name else model
    setattr(parent, child_name, nn.Linear(last.in_features, num_classes))


def _detector_options(builder: _TorchvisionBuilder, input_size: int) -> dict[str, Any]:
    if builder.family == "ssdlite":
        return {}
    return {"min_size": input_size, "max_size": round(input_size * 4 / 3)}


def _build_detector(
    builder: _TorchvisionBuilder,
    num_classes: int,
    input_size: int,
    weights: str | None,
    backbone_weights: str | None,
) -> torch.nn.Module:
    function = _torchvision_function(builder.function)
    options = _detector_options(builder, input_size)
    if weights is not None:
        model = function(weights=weights, **options)
        _replace_detector_head(model, builder.family, num_classes + 1)
    else:
        model = function(
            weights=None,
            weights_backbone=backbone_weights,
            num_classes=num_classes + 1,
            **options,
        )
    if builder.family == "ssdlite":
        _fix_ssd_size(model, input_size)
    return model


def _fix_ssd_size(model: torch.nn.Module, input_size: int) -> None:
    """SSDlite resizes every image to a fixed square; make that square `input_size`."""
    transform = model.transform
    transform.min_size = (input_size,)
    transform.max_size = input_size
    transform.fixed_size = (input_size, input_size)


def _replace_detector_head(model: torch.nn.Module, family: str, classes: int) -> None:
    """Replace the class-predicting layers (COCO's 91 classes) by `classes` outputs."""
    from torchvision.models.detection import faster_rcnn, fcos, mask_rcnn, retinanet

    if family in ("faster_rcnn", "mask_rcnn"):
        predictor = model.roi_heads.box_predictor
        model.roi_heads.box_predictor = faster_rcnn.FastRCNNPredictor(
            predictor.cls_score.in_features, classes
        )
    if family == "mask_rcnn":
        mask_predictor = model.roi_heads.mask_predictor
        model.roi_heads.mask_predictor = mask_rcnn.MaskRCNNPredictor(
            mask_predictor.conv5_mask.in_channels, mask_predictor.conv5_mask.out_channels, classes
        )
    if family == "retinanet":
        old = model.head.classification_head
        model.head.classification_head = retinanet.RetinaNetClassificationHead(
            model.backbone.out_channels, old.num_anchors, classes
        )
    if family == "fcos":
        old = model.head.classification_head
        model.head.classification_head = fcos.FCOSClassificationHead(
            model.backbone.out_channels, old.num_anchors, classes
        )
    if family == "ssdlite":
        _replace_ssdlite_head(model, classes)


def _replace_ssdlite_head(model: torch.nn.Module, classes: int) -> None:
    from functools import partial

    from torch import nn
    from torchvision.models.detection import _utils as det_utils
    from torchvision.models.detection import ssdlite

    channels = det_utils.retrieve_out_channels(model.backbone, (320, 320))
    anchors = model.anchor_generator.num_anchors_per_location()
    norm_layer = partial(nn.BatchNorm2d, eps=0.001, momentum=0.03)
    model.head.classification_head = ssdlite.SSDLiteClassificationHead(
        channels, anchors, classes, norm_layer
    )


def builtin_architectures() -> list[ArchitectureSpec]:
    """Studio's torchvision architectures (its default plugin returns these)."""
    imagenet = "ImageNet-pretrained classifier"
    classifiers = (
        ("resnet18", "ResNet18_Weights.IMAGENET1K_V1", "ResNet-18: small, quick, a good default"),
        ("resnet50", "ResNet50_Weights.IMAGENET1K_V2", "ResNet-50: more accurate, 2-3× slower"),
        (
            "mobilenet_v3_small",
            "MobileNet_V3_Small_Weights.IMAGENET1K_V1",
            "MobileNetV3-Small: tiny and fast, for CPUs and edge devices",
        ),
        (
            "mobilenet_v3_large",
            "MobileNet_V3_Large_Weights.IMAGENET1K_V1",
            "MobileNetV3-Large: fast, good accuracy for its size",
        ),
        (
            "efficientnet_b0",
            "EfficientNet_B0_Weights.IMAGENET1K_V1",
            "EfficientNet-B0: accurate for its size, slower to train",
        ),
    )
    found = [
        ArchitectureSpec(
            name=name,
            tasks=CLASSIFICATION_TASKS,
            description=f"{description} ({imagenet})",
            build=_TorchvisionBuilder(name, "classifier", weights),
            weights=weights,
            default_input_size=224,
        )
        for name, weights, description in classifiers
    ]
    mobilenet_backbone = "MobileNet_V3_Large_Weights.IMAGENET1K_V1"
    resnet_backbone = "ResNet50_Weights.IMAGENET1K_V1"
    detectors = (
        (
            "fasterrcnn_mobilenet_v3_large_fpn",
            "faster_rcnn",
            "FasterRCNN_MobileNet_V3_Large_FPN_Weights.COCO_V1",
            mobilenet_backbone,
            DETECTION_TASKS,
            512,
            "Faster R-CNN with a MobileNetV3 backbone: fast two-stage detector",
        ),
        (
            "fasterrcnn_mobilenet_v3_large_320_fpn",
            "faster_rcnn",
            "FasterRCNN_MobileNet_V3_Large_320_FPN_Weights.COCO_V1",
            mobilenet_backbone,
            DETECTION_TASKS,
            320,
            "Faster R-CNN MobileNetV3 at low resolution: the quickest detector, for CPUs",
        ),
        (
            "fasterrcnn_resnet50_fpn",
            "faster_rcnn",
            "FasterRCNN_ResNet50_FPN_Weights.COCO_V1",
            resnet_backbone,
            DETECTION_TASKS,
            640,
            "Faster R-CNN ResNet-50 FPN: the classic accurate detector",
        ),
        (
            "fasterrcnn_resnet50_fpn_v2",
            "faster_rcnn",
            "FasterRCNN_ResNet50_FPN_V2_Weights.COCO_V1",
            resnet_backbone,
            DETECTION_TASKS,
            640,
            "Faster R-CNN ResNet-50 FPN v2: the most accurate detector here, slower",
        ),
        (
            "retinanet_resnet50_fpn",
            "retinanet",
            "RetinaNet_ResNet50_FPN_Weights.COCO_V1",
            resnet_backbone,
            DETECTION_TASKS,
            640,
            "RetinaNet ResNet-50 FPN: one-stage detector with focal loss",
        ),
        (
            "fcos_resnet50_fpn",
            "fcos",
            "FCOS_ResNet50_FPN_Weights.COCO_V1",
            resnet_backbone,
            DETECTION_TASKS,
            640,
            "FCOS ResNet-50 FPN: anchor-free one-stage detector",
        ),
        (
            "ssdlite320_mobilenet_v3_large",
            "ssdlite",
            "SSDLite320_MobileNet_V3_Large_Weights.COCO_V1",
            mobilenet_backbone,
            DETECTION_TASKS,
            320,
            "SSDlite MobileNetV3 at a fixed square size: light, for edge devices",
        ),
        (
            "maskrcnn_resnet50_fpn",
            "mask_rcnn",
            "MaskRCNN_ResNet50_FPN_Weights.COCO_V1",
            resnet_backbone,
            SEGMENTATION_TASKS,
            640,
            "Mask R-CNN ResNet-50 FPN: instance masks",
        ),
        (
            "maskrcnn_resnet50_fpn_v2",
            "mask_rcnn",
            "MaskRCNN_ResNet50_FPN_V2_Weights.COCO_V1",
            resnet_backbone,
            SEGMENTATION_TASKS,
            640,
            "Mask R-CNN ResNet-50 FPN v2: more accurate instance masks, slower",
        ),
    )
    found += [
        ArchitectureSpec(
            name=name,
            tasks=tasks,
            description=description,
            build=_TorchvisionBuilder(name, family, weights, backbone),
            weights=weights,
            backbone_weights=backbone,
            default_input_size=size,
            detection_settings="roi_heads" if family in ("faster_rcnn", "mask_rcnn") else "",
        )
        for name, family, weights, backbone, tasks, size, description in detectors
    ]
    return found


@contextlib.contextmanager
def temporarily(assignments: Iterable[tuple[Any, str, Any]]) -> Iterator[None]:
    """Set each (object, attribute, value) for the time of the block, then put every old
    value back (a detector's score floor, NMS overlap and count per image, say)."""
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in assignments]
    try:
        for owner, name, value in assignments:
            setattr(owner, name, value)
        yield
    finally:
        for owner, name, value in saved:
            setattr(owner, name, value)
