"""Image transforms for training and evaluation (torchvision.transforms.v2).

Boxes (`tv_tensors.BoundingBoxes`, XYXY) and masks (`tv_tensors.Mask`) move with the image.

- Classification and multilabel: the image is resized to `input_size` square (a random
  resized crop when that augmentation is on) and normalised with the ImageNet mean/std.
- Detection and segmentation: the image keeps its size and aspect and stays a float in
  [0, 1]: torchvision's detectors resize (`min_size`/`max_size`) and normalise inside the
  model, so predicted boxes come back in the pixels of the image given to the model. Boxes
  that an augmentation pushes out of the image (or shrinks below a pixel) are dropped with
  their labels and masks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torchvision.transforms import v2

from studio.core.enums import OBJECT_TASKS, Task
from studio.core.errors import TrainingConfigError

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

_BILINEAR = v2.InterpolationMode.BILINEAR


def check_augmentations(augmentations: Sequence[str]) -> list[str]:
    """The names, refusing any that is not in `AUGMENTATIONS`."""
    unknown = [name for name in augmentations if name not in AUGMENTATIONS]
    if unknown:
        raise TrainingConfigError(
            f"unknown augmentation {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(AUGMENTATIONS)}"
        )
    return list(augmentations)


def _augmentation(name: str, task: str, input_size: int) -> Any:
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
        return v2.RandomAffine(degrees=0, scale=(0.75, 1.25), interpolation=_BILINEAR)
    if name == "rotate":
        return v2.RandomRotation(15, interpolation=_BILINEAR)
    raise TrainingConfigError(f"unknown augmentation {name!r}")


# Geometry first, then colour, so colour jitter sees the final pixels (order of the names
# chosen by the user does not matter).
_ORDER = ("random_resized_crop", "scale_jitter", "rotate", "hflip", "vflip", "color_jitter")


def build_transforms(
    task: str, input_size: int, augmentations: Sequence[str], train: bool
) -> Callable[..., Any]:
    """The transform for `task`: augmentations only when `train`, in a fixed order."""
    if task not in {member.value for member in Task}:
        raise TrainingConfigError(f"unknown task {task!r}")
    names = check_augmentations(augmentations) if train else []
    chosen = [name for name in _ORDER if name in names]
    steps: list[Any] = [v2.ToImage()]
    if task in OBJECT_TASKS:
        steps += [_augmentation(name, task, input_size) for name in chosen]
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
    steps += _normalised_float()
    return v2.Compose(steps)


def _normalised_float() -> list[Any]:
    return [
        v2.ToDtype(torch.float32, scale=True),
        v2.Normalize(mean=IMAGENET_MEAN, std=IMAGENET_STD),
    ]


def _evaluation_resize(input_size: int) -> list[Any]:
    """Resize, then make a tensor: a PIL image is resized by PIL itself (bilinear, with its
    antialiasing), exactly as an exported bundle resizes without torch, so the model sees the
    same pixels in Studio and in the bundle (torch's uint8 resize differs by one grey level
    on some pixels)."""
    return [v2.Resize((input_size, input_size), antialias=True), v2.ToImage()]
