"""Image transforms for training and evaluation (torchvision.transforms.v2).

Boxes (`tv_tensors.BoundingBoxes`, XYXY) and masks (`tv_tensors.Mask`) move with the image.

- Classification and multilabel: the image is resized to `input_size` square (a random
  resized crop when that augmentation is on) and normalised with the ImageNet mean/std.
- Detection and segmentation: the image keeps its size and aspect and stays a float in
  [0, 1]: torchvision's detectors resize (`min_size`/`max_size`) and normalise inside the
  model, so predicted boxes come back in the pixels of the image given to the model. Boxes
  that an augmentation pushes out of the image (or shrinks below a pixel) are dropped with
  their labels and masks.

Plugins add augmentations through the `studio_augmentations` hook (`AugmentationSpec`); a
training config names them like Studio's own, and they run after Studio's, on the resized
image (and its boxes and masks), before it becomes a float. This module imports torch only
when it builds a transform, so checking names stays cheap.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from studio.core.enums import OBJECT_TASKS, Task
from studio.core.errors import TrainingConfigError
from studio.plugins.manager import plugins

log = logging.getLogger(__name__)

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

AUGMENTATIONS: dict[str, str] = {
    "hflip": "flip left-right (half of the images)",
    "vflip": "flip upside down (half of the images); for views without a natural 'up'",
    "color_jitter": "vary brightness, contrast and saturation by up to 20%, hue by 2%",
    "random_resized_crop": "crop a random part (25-100% of the area) and resize it",
    "scale_jitter": "zoom in or out by up to 25%",
    "rotate": "rotate by up to 15 degrees (boxes become the box around the rotated box)",
}


@dataclass(frozen=True)
class AugmentationSpec:
    """A plugin's augmentation: `name` as written in the training settings, a `description`
    for the settings form, and `build(task, input_size)` returning a torchvision
    `transforms.v2` transform (it receives the uint8 image tensor, with its
    `tv_tensors.BoundingBoxes` and `Mask` for detection and segmentation). It runs in
    DataLoader worker processes too, so it must be picklable."""

    name: str
    description: str
    build: Callable[[str, int], Any]


def plugin_augmentations() -> dict[str, AugmentationSpec]:
    """The active plugins' augmentations by name; one that reuses a taken name is left out
    and logged."""
    found: dict[str, AugmentationSpec] = {}
    for spec in plugins().collect("studio_augmentations"):
        name = getattr(spec, "name", None)
        if not isinstance(spec, AugmentationSpec) or name in AUGMENTATIONS or name in found:
            log.warning(
                "augmentation %r (from plugin %s) is not an AugmentationSpec or its name is "
                "taken; left out",
                name,
                plugins().owner(spec),
            )
            continue
        found[spec.name] = spec
    return found


def augmentation_names() -> list[str]:
    """Every augmentation a training config may name: Studio's, then the plugins'."""
    return [*AUGMENTATIONS, *plugin_augmentations()]


def check_augmentations(augmentations: Sequence[str]) -> list[str]:
    """The names, refusing any that is neither Studio's nor an active plugin's."""
    known = augmentation_names()
    unknown = [name for name in augmentations if name not in known]
    if unknown:
        raise TrainingConfigError(
            f"unknown augmentation {', '.join(map(repr, unknown))}; known: {', '.join(known)}"
        )
    return list(augmentations)


def _plugin_steps(names: Sequence[str], task: str, input_size: int) -> list[Any]:
    specs = plugin_augmentations()
    steps = []
    for name in names:
        spec = specs.get(name)
        if spec is not None:
            with plugins().guard(spec, "build"):
                steps.append(spec.build(task, input_size))
    return steps


def _augmentation(name: str, task: str, input_size: int) -> Any:
    from torchvision.transforms import v2

    bilinear = v2.InterpolationMode.BILINEAR
    if name == "hflip":
        return v2.RandomHorizontalFlip(0.5)
    if name == "vflip":
        return v2.RandomVerticalFlip(0.5)
    if name == "color_jitter":
        return v2.ColorJitter(brightness=0.2, contrast=0.2, saturation=0.2, hue=0.02)
    if name == "random_resized_crop":
        scale = (0.25, 1.0) if task in OBJECT_TASKS else (0.08, 1.0)
        return v2.RandomResizedCrop(input_size, scale=scale, antialias=True)
    if name == "scale_jitter":
        return v2.RandomAffine(degrees=0, scale=(0.75, 1.25), interpolation=bilinear)
    if name == "rotate":
        return v2.RandomRotation(15, interpolation=bilinear)
    raise TrainingConfigError(f"unknown augmentation {name!r}")


# Geometry first, then colour, so colour jitter sees the final pixels (order of the names
# chosen by the user does not matter).
_ORDER = ("random_resized_crop", "scale_jitter", "rotate", "hflip", "vflip", "color_jitter")


def build_transforms(
    task: str, input_size: int, augmentations: Sequence[str], train: bool
) -> Callable[..., Any]:
    """The transform for `task`: augmentations only when `train`, Studio's in a fixed order,
    then the plugins' in the order named."""
    import torch
    from torchvision.transforms import v2

    if task not in {member.value for member in Task}:
        raise TrainingConfigError(f"unknown task {task!r}")
    names = check_augmentations(augmentations) if train else []
    chosen = [name for name in _ORDER if name in names]
    plugin_steps = _plugin_steps(names, task, input_size)
    steps: list[Any] = [v2.ToImage()]
    if task in OBJECT_TASKS:
        steps += [_augmentation(name, task, input_size) for name in chosen]
        steps += plugin_steps
        steps += [v2.ToDtype(torch.float32, scale=True), v2.SanitizeBoundingBoxes()]
        return v2.Compose(steps)
    if not train:
        return v2.Compose([*_evaluation_resize(input_size), *_normalised_float()])
    if "random_resized_crop" in chosen:
        chosen.remove("random_resized_crop")
        steps.append(_augmentation("random_resized_crop", task, input_size))
    else:
        steps.append(v2.Resize((input_size, input_size), antialias=True))
    steps += [_augmentation(name, task, input_size) for name in chosen]
    steps += plugin_steps
    steps += _normalised_float()
    return v2.Compose(steps)


def _normalised_float() -> list[Any]:
    import torch
    from torchvision.transforms import v2

    return [
        v2.ToDtype(torch.float32, scale=True),
        v2.Normalize(mean=IMAGENET_MEAN, std=IMAGENET_STD),
    ]


def _evaluation_resize(input_size: int) -> list[Any]:
    """Resize, then make a tensor: a PIL image is resized by PIL itself (bilinear, with its
    antialiasing), exactly as an exported bundle resizes without torch, so the model sees the
    same pixels in Studio and in the bundle (torch's uint8 resize differs by one grey level
    on some pixels)."""
    from torchvision.transforms import v2

    return [v2.Resize((input_size, input_size), antialias=True), v2.ToImage()]
