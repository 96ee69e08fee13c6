"""Image features for the map of the data: what a network sees in each image, as one vector.

A classifier's features are its penultimate layer (the input of its last linear layer: ResNet's
pooled 512 values, MobileNet's 1024…), so images the model finds alike lie close together. A
detector's are its backbone's coarsest feature map, averaged over the image. Either way the
model comes with its evaluation preprocessing (`studio.ml.augment.build_transforms`), so a
run's features are computed on the pixels it was trained to read.

When the project has no trained model, an ImageNet classifier from torchvision serves, but only
when its weights are already in torch's cache (`cached_backbone`): nothing is downloaded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch import nn
from torchvision.transforms import v2

from studio.core.enums import OBJECT_TASKS, Task
from studio.core.errors import TrainingConfigError
from studio.ml.architectures import architectures, build_model, cached_weights_file

BACKBONE_INPUT_SIZE = 224
# The backbones tried, in order, when no model is named: small and quick first.
BACKBONE_PREFERENCE = (
    "resnet18",
    "mobilenet_v3_small",
    "mobilenet_v3_large",
    "efficientnet_b0",
    "resnet50",
)


@dataclass(frozen=True)
class CachedBackbone:
    """A torchvision classifier whose ImageNet weights are in torch's cache."""

    architecture: str
    weights_file: Path


def cached_backbone() -> CachedBackbone | None:
    """The first classifier of `BACKBONE_PREFERENCE` whose weights are cached; None if none."""
    found = architectures()
    for name in BACKBONE_PREFERENCE:
        spec = found.get(name)
        if spec is None or spec.weights is None:
            continue
        path = cached_weights_file(spec.weights)
        if path is not None:
            return CachedBackbone(name, path)
    return None


def _without_last_linear(module: nn.Module) -> nn.Module:
    """`module` with its final `nn.Linear` replaced by the identity (in place)."""
    parent_name, child_name, found = "", "", False
    for name, child in module.named_modules():
        if isinstance(child, nn.Linear):
            parent_name, _, child_name = name.rpartition(".")
            found = True
    if not found:
        raise TrainingConfigError(f"{type(module).__name__} has no final linear layer")
    parent = module.get_submodule(parent_name) if parent_name else module
    setattr(parent, child_name, nn.Identity())
    return module


class _DetectorFeatures(nn.Module):
    """A torchvision detector's backbone: its own resize and normalisation, then the mean of
    its coarsest feature map."""

    def __init__(self, detector: nn.Module) -> None:
        super().__init__()
        self.transform = detector.transform
        self.backbone = detector.backbone

    def forward(self, images: list[torch.Tensor]) -> torch.Tensor:
        batch, _targets = self.transform(images)
        maps = self.backbone(batch.tensors)
        coarsest = list(maps.values())[-1] if isinstance(maps, dict) else maps
        return coarsest.mean(dim=(-2, -1))


class FeatureExtractor:
    """Images in, one float32 vector per image out (on the CPU, as NumPy)."""

    def __init__(self, module: nn.Module, task: str, input_size: int, device: Any) -> None:
        from studio.ml.augment import build_transforms

        self.task = task
        self.input_size = input_size
        self.device = torch.device(device)
        self.objects = task in OBJECT_TASKS
        if self.objects:
            if not hasattr(module, "backbone") or not hasattr(module, "transform"):
                raise TrainingConfigError(
                    f"{type(module).__name__}: features need a torchvision-style detector "
                    "(with a backbone and a transform)"
                )
            network: nn.Module = _DetectorFeatures(module)
        else:
            network = _without_last_linear(module)
        self.network = network.to(self.device).eval()
        # A detector resizes and normalises inside (its `transform`); it takes floats in 0-1.
        self._transform: Callable[[Image.Image], Any] = (
            v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True)])
            if self.objects
            else build_transforms(task, input_size, [], train=False)
        )

    def prepare(self, image: Image.Image) -> torch.Tensor:
        """One RGB image as the model's input tensor."""
        return self._transform(image)

    @torch.inference_mode()
    def features(self, inputs: Sequence[torch.Tensor]) -> np.ndarray:
        """(N, D) float32 features of prepared inputs (`prepare`)."""
        if self.objects:
            output = self.network([tensor.to(self.device) for tensor in inputs])
        else:
            output = self.network(torch.stack(list(inputs)).to(self.device))
        return output.reshape(len(inputs), -1).float().cpu().numpy()


def backbone_extractor(backbone: CachedBackbone, device: Any) -> FeatureExtractor:
    """The ImageNet classifier `backbone` (weights from torch's cache) as a feature extractor."""
    built = build_model(
        backbone.architecture, Task.CLASSIFICATION.value, 1000, BACKBONE_INPUT_SIZE, "auto"
    )
    if not built.used_pretrained:
        raise TrainingConfigError(f"{backbone.weights_file}: the cached weights were not used")
    return FeatureExtractor(built.module, Task.CLASSIFICATION.value, BACKBONE_INPUT_SIZE, device)
