from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torchvision

from studio.core.errors import TrainingConfigError
from studio.ml import architectures
from studio.ml.architectures import (
    ArchitectureSpec,
    architecture_names,
    build_model,
    get_architecture,
)
from studio.plugins import hookimpl
from studio.plugins.manager import StudioPlugins

CLASSIFIERS = [
    "resnet18",
    "resnet50",
    "mobilenet_v3_small",
    "mobilenet_v3_large",
    "efficientnet_b0",
]
DETECTORS = [
    "fasterrcnn_mobilenet_v3_large_fpn",
    "fasterrcnn_mobilenet_v3_large_320_fpn",
    "fasterrcnn_resnet50_fpn",
    "fasterrcnn_resnet50_fpn_v2",
    "retinanet_resnet50_fpn",
    "fcos_resnet50_fpn",
    "ssdlite320_mobilenet_v3_large",
]
SEGMENTERS = ["maskrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn_v2"]


def _checkpoints(torch_home: Path) -> Path:
    folder = torch_home / "hub" / "checkpoints"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _cache(torch_home: Path, weights: str, module: torch.nn.Module) -> dict:
    """Save `module`'s (random) state dict under the file name torchvision expects."""
    file_name = Path(torchvision.models.get_weight(weights).url).name
    state = module.state_dict()
    torch.save(state, _checkpoints(torch_home) / file_name)
    return state


def test_registry_has_every_required_model_for_its_tasks() -> None:
    assert set(CLASSIFIERS) <= set(architecture_names("classification"))
    assert set(CLASSIFIERS) <= set(architecture_names("multilabel"))
    assert set(DETECTORS) == set(architecture_names("detection"))
    assert set(SEGMENTERS) == set(architecture_names("segmentation"))
    assert architecture_names() == list(dict.fromkeys(architecture_names()))
    spec = get_architecture("fasterrcnn_resnet50_fpn")
    assert spec.weights == "FasterRCNN_ResNet50_FPN_Weights.COCO_V1"
    assert spec.backbone_weights == "ResNet50_Weights.IMAGENET1K_V1"


def test_unknown_model_error_lists_the_known_names() -> None:
    with pytest.raises(TrainingConfigError, match=r"unknown model 'yolo'.*resnet18"):
        get_architecture("yolo")


def test_model_cannot_be_built_for_a_task_it_does_not_do() -> None:
    with pytest.raises(TrainingConfigError, match=r"resnet18.*cannot do detection"):
        build_model("resnet18", "detection", 3, 64)
    with pytest.raises(TrainingConfigError, match="pretrained must be one of"):
        build_model("resnet18", "classification", 3, 64, pretrained="sometimes")


class TinyArchitecture:
    """A plugin that adds one architecture, and one whose name Studio already uses."""

    STUDIO_PLUGIN_API = 1

    def __init__(self) -> None:
        self.calls: list[tuple[int, int, bool]] = []

    def build(self, num_classes: int, input_size: int, pretrained: bool) -> torch.nn.Module:
        self.calls.append((num_classes, input_size, pretrained))
        return torch.nn.Linear(4, num_classes)

    @hookimpl
    def studio_model_architectures(self) -> list[ArchitectureSpec]:
        tasks = frozenset({"classification"})
        return [
            ArchitectureSpec("tiny", tasks, "a plugin model", self.build),
            ArchitectureSpec("resnet18", tasks, "a clash", self.build),
        ]


def test_plugin_architectures_come_from_the_hook_and_build_with_the_pretrained_flag(
    studio_plugins: StudioPlugins,
) -> None:
    plugin = TinyArchitecture()
    studio_plugins.register(plugin, "tiny-plugin")
    built = build_model("tiny", "classification", 5, 32, pretrained="auto")
    assert built.module.out_features == 5
    assert plugin.calls == [(5, 32, False)]
    assert built.pretrained_note == "from scratch: no pretrained weights known"
    assert "tiny" in architecture_names("classification")
    assert "tiny" not in architecture_names("detection")
    assert get_architecture("resnet18").description.startswith("ResNet-18")


def test_listing_architectures_does_not_import_torch() -> None:
    code = (
        "import sys, studio.ml.architectures as m; m.architecture_names(); "
        "print('torch' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_auto_without_cached_weights_trains_from_scratch_and_says_why() -> None:
    built = build_model("resnet18", "classification", 3, 64, pretrained="auto")
    assert not built.used_pretrained
    assert built.pretrained_note == (
        "from scratch: no cached weights for ResNet18_Weights.IMAGENET1K_V1 "
        "and downloads not allowed"
    )
    assert architectures.cached_weights_file("ResNet18_Weights.IMAGENET1K_V1") is None


def test_auto_loads_cached_classifier_weights_and_replaces_the_head(
    empty_torch_home: Path,
) -> None:
    state = _cache(
        empty_torch_home,
        "ResNet18_Weights.IMAGENET1K_V1",
        torchvision.models.resnet18(weights=None),
    )
    cached = architectures.cached_weights_file("ResNet18_Weights.IMAGENET1K_V1")
    assert cached == empty_torch_home / "hub" / "checkpoints" / "resnet18-f37072fd.pth"

    built = build_model("resnet18", "classification", 3, 64, pretrained="auto")
    assert built.used_pretrained
    assert built.pretrained_note == (
        "ImageNet weights (ResNet18_Weights.IMAGENET1K_V1) from the local cache"
    )
    assert torch.equal(built.module.conv1.weight, state["conv1.weight"])
    assert built.module.fc.out_features == 3

    never = build_model("resnet18", "classification", 3, 64, pretrained="never")
    assert not never.used_pretrained
    assert never.pretrained_note == "from scratch: pretrained weights turned off"
    assert not torch.equal(never.module.conv1.weight, state["conv1.weight"])

    # "download" finds the file in the cache, so torch.hub has nothing to fetch
    download = build_model("resnet18", "classification", 3, 64, pretrained="download")
    assert download.pretrained_note.endswith("downloaded when not cached")
    assert torch.equal(download.module.conv1.weight, state["conv1.weight"])


def test_mobilenet_and_efficientnet_heads_are_replaced_after_loading(
    empty_torch_home: Path,
) -> None:
    _cache(
        empty_torch_home,
        "MobileNet_V3_Small_Weights.IMAGENET1K_V1",
        torchvision.models.mobilenet_v3_small(weights=None),
    )
    built = build_model("mobilenet_v3_small", "multilabel", 4, 64)
    assert built.used_pretrained
    assert built.module.classifier[-1].out_features == 4
    assert built.module.eval()(torch.rand(1, 3, 64, 64)).shape == (1, 4)


def test_auto_loads_cached_coco_detector_weights_and_replaces_the_class_head(
    empty_torch_home: Path,
) -> None:
    name = "fasterrcnn_mobilenet_v3_large_320_fpn"
    reference = torchvision.models.get_model(name, weights=None, weights_backbone=None)
    state = _cache(empty_torch_home, get_architecture(name).weights, reference)

    built = build_model(name, "detection", 2, 96)
    assert built.used_pretrained
    assert built.pretrained_note.startswith("COCO weights (FasterRCNN_MobileNet_V3_Large_320")
    module = built.module
    assert module.roi_heads.box_predictor.cls_score.out_features == 3  # 2 classes + background
    assert module.roi_heads.box_predictor.bbox_pred.out_features == 12
    key = "backbone.body.0.0.weight"
    assert torch.equal(module.state_dict()[key], state[key])


def test_auto_falls_back_to_cached_backbone_weights(empty_torch_home: Path) -> None:
    backbone = torchvision.models.mobilenet_v3_large(weights=None)
    state = _cache(empty_torch_home, "MobileNet_V3_Large_Weights.IMAGENET1K_V1", backbone)

    built = build_model("fasterrcnn_mobilenet_v3_large_320_fpn", "detection", 2, 96)
    assert built.used_pretrained
    assert built.pretrained_note == (
        "ImageNet backbone weights (MobileNet_V3_Large_Weights.IMAGENET1K_V1) from the "
        "local cache; detection heads from scratch"
    )
    first_conv = built.module.state_dict()["backbone.body.0.0.weight"]
    assert torch.equal(first_conv, state["features.0.0.weight"])
    assert built.module.roi_heads.box_predictor.cls_score.out_features == 3


def test_detector_heads_for_each_family_are_replaced_after_loading(
    empty_torch_home: Path,
) -> None:
    name = "ssdlite320_mobilenet_v3_large"
    _cache(
        empty_torch_home,
        get_architecture(name).weights,
        torchvision.models.get_model(name, weights=None, weights_backbone=None),
    )
    built = build_model(name, "detection", 2, 64)
    assert built.used_pretrained
    head = built.module.head.classification_head
    assert head.num_columns == 3
    assert built.module.transform.fixed_size == (64, 64)
    built.module.eval()(torch.rand(1, 3, 50, 70))


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("retinanet_resnet50_fpn", "retinanet"),
        ("fcos_resnet50_fpn", "fcos"),
        ("maskrcnn_resnet50_fpn", "mask_rcnn"),
    ],
)
def test_coco_class_heads_are_replaced_by_the_project_classes(name: str, family: str) -> None:
    coco = torchvision.models.get_model(name, weights=None, weights_backbone=None, min_size=64)
    architectures._replace_detector_head(coco, family, 3)
    assert _class_outputs(coco) == 3
    if family == "mask_rcnn":
        assert coco.roi_heads.mask_predictor.mask_fcn_logits.out_channels == 3
        return
    images = [torch.rand(3, 64, 64)]
    coco.train()
    losses = coco(images, _targets(images, masks=False))
    assert all(torch.isfinite(value) for value in losses.values())


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_classifier_builds_and_runs_a_forward(name: str) -> None:
    module = build_model(name, "classification", 3, 64, pretrained="never").module
    module.eval()
    with torch.no_grad():
        assert module(torch.rand(2, 3, 64, 64)).shape == (2, 3)


def _class_outputs(module: torch.nn.Module) -> int:
    """How many classes (background included) the detector's class head predicts."""
    if hasattr(module, "roi_heads"):
        return module.roi_heads.box_predictor.cls_score.out_features
    head = module.head.classification_head
    return getattr(head, "num_classes", None) or head.num_columns


@pytest.mark.parametrize(
    ("name", "task"),
    [(name, "detection") for name in DETECTORS] + [(name, "segmentation") for name in SEGMENTERS],
)
def test_every_detector_builds_with_a_background_class_and_the_input_size(
    name: str, task: str
) -> None:
    module = build_model(name, task, 2, 64, pretrained="never").module
    assert _class_outputs(module) == 3
    if task == "segmentation":
        assert module.roi_heads.mask_predictor.mask_fcn_logits.out_channels == 3
    transform = module.transform
    if name.startswith("ssdlite"):
        assert transform.fixed_size == (64, 64)
    else:
        assert (transform.min_size, transform.max_size) == ((64,), 85)


def _targets(images: list[torch.Tensor], masks: bool) -> list[dict]:
    targets = []
    for image in images:
        target = {"boxes": torch.tensor([[5.0, 6.0, 30.0, 40.0]]), "labels": torch.tensor([2])}
        if masks:
            mask = torch.zeros(1, *image.shape[1:], dtype=torch.uint8)
            mask[0, 6:40, 5:30] = 1
            target["masks"] = mask
        targets.append(target)
    return targets


# one model of each family runs a training and a prediction forward (the ResNet-50 v2
# variants share their family's code paths and take several times longer on a CPU)
@pytest.mark.parametrize(
    ("name", "task"),
    [
        ("fasterrcnn_mobilenet_v3_large_320_fpn", "detection"),
        ("retinanet_resnet50_fpn", "detection"),
        ("fcos_resnet50_fpn", "detection"),
        ("ssdlite320_mobilenet_v3_large", "detection"),
        ("maskrcnn_resnet50_fpn", "segmentation"),
    ],
)
def test_detector_family_trains_and_predicts_at_a_small_size(name: str, task: str) -> None:
    module = build_model(name, task, 2, 64, pretrained="never").module
    images = [torch.rand(3, 64, 80), torch.rand(3, 70, 64)]
    module.train()
    losses = module(images, _targets(images, masks=task == "segmentation"))
    assert all(torch.isfinite(value) for value in losses.values())
    if task == "segmentation":
        assert "loss_mask" in losses
    module.eval()
    with torch.no_grad():
        detections = module(images[:1])
    expected = {"boxes", "labels", "scores"} | ({"masks"} if task == "segmentation" else set())
    assert set(detections[0]) == expected
    boxes = detections[0]["boxes"]
    assert (boxes[:, 2] <= 80 + 1e-3).all()
    assert (boxes[:, 3] <= 64 + 1e-3).all()
    assert ((detections[0]["labels"] >= 1) & (detections[0]["labels"] <= 2)).all()
