from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision import tv_tensors

from studio.core.errors import TrainingConfigError
from studio.ml.augment import (
    AUGMENTATIONS,
    IMAGENET_MEAN,
    IMAGENET_STD,
    AugmentationSpec,
    augmentation_names,
    build_transforms,
)
from studio.ml.config import TrainConfig
from studio.plugins import hookimpl
from studio.plugins.manager import StudioPlugins

WIDTH, HEIGHT = 40, 30
DETECTOR = "fasterrcnn_mobilenet_v3_large_320_fpn"


def _scene(boxes: list[list[int]]) -> tuple[Image.Image, dict]:
    """A black image with one white rectangle per XYXY box, its boxes and its masks."""
    pixels = np.zeros((HEIGHT, WIDTH, 3), dtype=np.uint8)
    masks = np.zeros((len(boxes), HEIGHT, WIDTH), dtype=np.uint8)
    for index, (x1, y1, x2, y2) in enumerate(boxes):
        pixels[y1:y2, x1:x2] = 255
        masks[index, y1:y2, x1:x2] = 1
    target = {
        "boxes": tv_tensors.BoundingBoxes(
            torch.tensor(boxes, dtype=torch.float32), format="XYXY", canvas_size=(HEIGHT, WIDTH)
        ),
        "labels": torch.arange(1, len(boxes) + 1),
        "masks": tv_tensors.Mask(torch.from_numpy(masks)),
        "item_id": 7,
    }
    return Image.fromarray(pixels), target


def _outcomes(transform, image, target, seeds=range(16)):
    results = []
    for seed in seeds:
        torch.manual_seed(seed)
        results.append(transform(image, target))
    return results


def test_the_named_augmentations_exist_and_unknown_names_are_refused() -> None:
    expected = {"hflip", "vflip", "color_jitter", "random_resized_crop", "scale_jitter", "rotate"}
    assert set(AUGMENTATIONS) == expected
    assert all(AUGMENTATIONS.values())
    with pytest.raises(TrainingConfigError, match="unknown augmentation 'mixup'"):
        build_transforms("classification", 32, ["hflip", "mixup"], train=True)
    with pytest.raises(TrainingConfigError, match="unknown task"):
        build_transforms("captioning", 32, [], train=False)


def test_hflip_mirrors_the_box_and_the_mask_with_the_image() -> None:
    image, target = _scene([[5, 10, 15, 20]])
    transform = build_transforms("segmentation", 64, ["hflip"], train=True)
    seen = set()
    for output_image, output in _outcomes(transform, image, target):
        box = output["boxes"].tolist()[0]
        seen.add(tuple(box))
        assert box in ([5, 10, 15, 20], [25, 10, 35, 20])  # mirrored: x -> 40 - x
        x1, y1, x2, y2 = (int(v) for v in box)
        mask = output["masks"][0]
        assert mask[y1:y2, x1:x2].all()
        assert mask.sum() == (x2 - x1) * (y2 - y1)
        assert torch.equal(output_image[0] > 0.5, mask.bool())
        assert output["item_id"] == 7
    assert len(seen) == 2  # flipped and not flipped both happened


def test_detection_evaluation_keeps_the_size_and_unit_range_for_the_model() -> None:
    image, target = _scene([[5, 10, 15, 20]])
    output_image, output = build_transforms("detection", 320, ["hflip"], train=False)(image, target)
    assert isinstance(output_image, tv_tensors.Image)
    assert output_image.dtype == torch.float32
    assert output_image.shape == (3, HEIGHT, WIDTH)
    assert output_image.max() == 1.0
    assert output_image.min() == 0.0
    assert output["boxes"].tolist() == [[5, 10, 15, 20]]


@pytest.mark.parametrize("name", sorted(AUGMENTATIONS))
@pytest.mark.parametrize("task", ["detection", "segmentation"])
def test_every_augmentation_keeps_boxes_labels_and_masks_together(name: str, task: str) -> None:
    image, target = _scene([[2, 2, 12, 10], [24, 16, 38, 28]])
    if task == "detection":
        del target["masks"]
    transform = build_transforms(task, 48, [name], train=True)
    for output_image, output in _outcomes(transform, image, target, range(6)):
        boxes = output["boxes"]
        assert isinstance(boxes, tv_tensors.BoundingBoxes)
        assert boxes.canvas_size == tuple(output_image.shape[-2:])
        assert len(output["labels"]) == len(boxes)
        assert ((boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])).all()
        if task == "segmentation":
            assert len(output["masks"]) == len(boxes)
            for mask, box in zip(output["masks"], boxes, strict=True):
                ys, xs = torch.nonzero(mask, as_tuple=True)
                if len(xs):  # the object's pixels lie inside its (moved) box
                    assert xs.min() >= box[0] - 1
                    assert xs.max() <= box[2] + 1
                    assert ys.min() >= box[1] - 1
                    assert ys.max() <= box[3] + 1


def test_boxes_cropped_away_are_dropped_with_their_labels_and_masks() -> None:
    image, target = _scene([[1, 1, 6, 6], [32, 22, 39, 29]])
    transform = build_transforms("segmentation", 48, ["random_resized_crop"], train=True)
    counts = set()
    for _, output in _outcomes(transform, image, target, range(40)):
        assert len(output["boxes"]) == len(output["labels"]) == len(output["masks"])
        counts.add(len(output["boxes"]))
    assert min(counts) < 2


def test_classification_resizes_to_a_normalised_square() -> None:
    image = Image.new("RGB", (WIDTH, HEIGHT), (128, 64, 255))
    output = build_transforms("classification", 32, [], train=False)(image)
    assert output.shape == (3, 32, 32)
    expected = [
        (value / 255 - mean) / std
        for value, mean, std in zip((128, 64, 255), IMAGENET_MEAN, IMAGENET_STD, strict=True)
    ]
    assert torch.allclose(output.mean(dim=(1, 2)), torch.tensor(expected), atol=1e-4)


@pytest.mark.parametrize("name", sorted(AUGMENTATIONS))
def test_classification_augmentations_give_the_input_size(name: str) -> None:
    image = Image.new("RGB", (WIDTH, HEIGHT), (10, 200, 30))
    transform = build_transforms("multilabel", 24, [name], train=True)
    torch.manual_seed(0)
    output = transform(image)
    assert output.shape == (3, 24, 24)
    assert output.dtype == torch.float32


def test_augmentations_apply_only_in_training() -> None:
    pixels = np.zeros((HEIGHT, WIDTH, 3), dtype=np.uint8)
    pixels[:, :10] = 255
    image = Image.fromarray(pixels)
    evaluation = build_transforms("classification", 32, ["hflip", "color_jitter"], train=False)
    outputs = set()
    for seed in range(8):
        torch.manual_seed(seed)
        outputs.add(evaluation(image).sum().item())
    assert len(outputs) == 1


def _invert(image: torch.Tensor) -> torch.Tensor:
    return 255 - image


def _build_invert(task: str, input_size: int) -> Any:
    from torchvision.transforms import v2

    return v2.Lambda(_invert, tv_tensors.Image)


class InvertPlugin:
    """A plugin augmentation that inverts the image (boxes and masks stay)."""

    STUDIO_PLUGIN_API = 1

    @hookimpl
    def studio_augmentations(self) -> list[AugmentationSpec]:
        return [
            AugmentationSpec("invert", "invert the colours", _build_invert),
            AugmentationSpec("hflip", "a clash with Studio's own", _build_invert),
        ]


def test_a_plugin_augmentation_is_named_like_studios_and_applied_in_training(
    studio_plugins: StudioPlugins,
) -> None:
    studio_plugins.register(InvertPlugin(), "invert-plugin")
    assert augmentation_names()[-1] == "invert"
    image, target = _scene([[5, 10, 15, 20]])
    output_image, output = build_transforms("detection", 64, ["invert"], train=True)(image, target)
    assert output_image[:, 12, 2].tolist() == [1.0, 1.0, 1.0]  # black became white
    assert output_image[:, 12, 8].tolist() == [0.0, 0.0, 0.0]
    assert output["boxes"].tolist() == [[5, 10, 15, 20]]
    evaluation = build_transforms("detection", 64, ["invert"], train=False)(image, target)
    assert evaluation[0][:, 12, 2].tolist() == [0.0, 0.0, 0.0]


def test_an_unknown_augmentation_in_the_settings_is_one_line_error_naming_the_plugins(
    studio_plugins: StudioPlugins,
) -> None:
    studio_plugins.register(InvertPlugin(), "invert-plugin")
    assert TrainConfig(task="detection", model=DETECTOR, augmentations=["invert"]).validate()
    with pytest.raises(TrainingConfigError, match=r"unknown augmentation\(s\) 'mixup'.*invert"):
        TrainConfig(task="detection", model=DETECTOR, augmentations=["mixup"]).validate()
