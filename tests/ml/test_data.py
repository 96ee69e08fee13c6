from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision import tv_tensors

from studio.core.errors import RunError, TrainingConfigError
from studio.core.geometry import decode_mask, encode_mask
from studio.core.synthetic_scenes import write_scenes
from studio.core.versions import VersionItem
from studio.ml.architectures import build_model
from studio.ml.augment import build_transforms
from studio.ml.data import (
    ClassIndex,
    VersionDataset,
    collate_detection,
    make_loader,
    shape_notes,
    usable_items,
)
from tests.ml.conftest import annotation, version_record


def _item(item_id: int, annotations: tuple = (), status: str = "done") -> VersionItem:
    return VersionItem(
        item_id, f"images/{item_id}.png", "0" * 64, 40, 30, status, "train", annotations
    )


CLASSES = ClassIndex.of(version_record(["cat", "dog"]))  # ids 10, 11
BOX = [1.0, 2.0, 10.0, 8.0]
POLYGON = [[1.0, 1.0, 11.0, 1.0, 11.0, 9.0]]


def test_class_index_maps_version_class_ids_to_model_indices() -> None:
    assert CLASSES.class_ids == (10, 11)
    assert CLASSES.names == ("cat", "dog")
    assert CLASSES.index_of(11) == 1
    assert CLASSES.class_id_at(0) == 10
    assert 11 in CLASSES
    with pytest.raises(TrainingConfigError, match="class id 99"):
        CLASSES.index_of(99)
    with pytest.raises(TrainingConfigError, match="class index 2"):
        CLASSES.class_id_at(2)


def test_classification_uses_items_with_exactly_one_tag() -> None:
    items = [
        _item(1, (annotation(1, 10, "tag"),)),
        _item(2, ()),
        _item(3, (annotation(2, 10, "tag"), annotation(3, 11, "tag"))),
        _item(4, (annotation(4, 11, "tag"), annotation(5, 10, "box", BOX))),
    ]
    kept, skipped = usable_items(items, "classification", CLASSES)
    assert [item.item_id for item in kept] == [1, 4]
    assert skipped == {"no tag": 1, "several tags": 1}
    kept, skipped = usable_items(items, "multilabel", CLASSES)
    assert [item.item_id for item in kept] == [1, 2, 3, 4]
    assert skipped == {}


def test_detection_uses_boxes_polygons_and_masks_and_checked_empty_items() -> None:
    pixels = np.zeros((30, 40), dtype=bool)
    pixels[5:9, 20:30] = True
    mask = encode_mask(pixels)
    items = [
        _item(1, (annotation(1, 10, "box", BOX),)),
        _item(2, (annotation(2, 11, "polygon", POLYGON),)),
        _item(3, (annotation(3, 11, "mask", mask),)),
        _item(4, (annotation(4, 10, "tag"),)),
        _item(5, (), status="done_empty"),
        _item(6, (annotation(5, 10, "box", BOX), annotation(6, 11, "polygon", POLYGON))),
    ]
    kept, skipped = usable_items(items, "detection", CLASSES)
    assert [item.item_id for item in kept] == [1, 2, 3, 5, 6]
    assert skipped == {"no boxes": 1}
    kept, skipped = usable_items(items, "segmentation", CLASSES)
    assert [item.item_id for item in kept] == [2, 3, 5, 6]
    assert skipped == {"no masks": 2, "box-only objects": 1}
    with pytest.raises(TrainingConfigError, match="unknown task"):
        usable_items(items, "captioning", CLASSES)


TURNED = [20.0, 15.0, 10.0, 4.0, 90.0]  # standing up: spans x 18..22, y 10..20
LANE = [2.0, 2.0, 30.0, 25.0]


def _turned_and_lane_item(tmp_path: Path) -> VersionItem:
    (tmp_path / "images").mkdir()
    Image.new("RGB", (40, 30), (90, 120, 150)).save(tmp_path / "images/1.png")
    shapes = (annotation(1, 10, "rotated_box", TURNED), annotation(2, 11, "polyline", LANE))
    return _item(1, shapes)


def test_a_detector_learns_a_rotated_box_as_its_bounds_and_ignores_polylines(
    tmp_path: Path,
) -> None:
    item = _turned_and_lane_item(tmp_path)
    _, target = VersionDataset([item], tmp_path, "detection", CLASSES, None)[0]
    assert torch.allclose(target["boxes"], torch.tensor([[18.0, 10.0, 22.0, 20.0]]))
    assert target["labels"].tolist() == [1]
    assert shape_notes([item], "detection", CLASSES) == [
        "1 rotated box trained on its axis-aligned bounds",
        "1 polyline ignored (detection learns shapes with an area)",
    ]


def test_a_segmenter_learns_a_rotated_box_as_its_filled_outline(tmp_path: Path) -> None:
    item = _turned_and_lane_item(tmp_path)
    _, target = VersionDataset([item], tmp_path, "segmentation", CLASSES, None)[0]
    (mask,) = target["masks"]
    assert int(mask.sum()) == 40
    assert mask[10:20, 18:22].all()
    assert shape_notes([item], "segmentation", CLASSES)[0] == (
        "1 rotated box trained on its filled outline"
    )
    assert shape_notes([item], "classification", CLASSES) == []


def test_classification_dataset_gives_normalised_images_and_class_indices(tagged_version) -> None:
    fixture = tagged_version(per_class=2)
    transforms = build_transforms("classification", 32, [], train=False)
    dataset = fixture.dataset("classification", transforms)
    assert len(dataset) == 6
    image, label = dataset[1]
    assert image.shape == (3, 32, 32)
    assert label == 1  # the second class, "green"
    assert image[1].mean() > image[0].mean()  # green channel dominates


def test_multilabel_dataset_gives_multi_hot_targets(tagged_version) -> None:
    fixture = tagged_version(per_class=2, multilabel=True)
    dataset = fixture.dataset("multilabel")
    _, first = dataset[0]
    _, second = dataset[1]
    assert first.tolist() == [1.0, 0.0, 0.0]
    assert second.tolist() == [0.0, 1.0, 1.0]
    assert second.dtype == torch.float32


def test_detection_dataset_gives_exact_boxes_and_labels(scene_version) -> None:
    fixture = scene_version(count=3, geometry="polygon")
    scenes = write_scenes(fixture.root / "again", 3, seed=0)
    dataset = fixture.dataset("detection", build_transforms("detection", 96, [], train=False))
    for index, scene in enumerate(scenes):
        image, target = dataset[index]
        assert image.shape == (3, scene.height, scene.width)
        assert image.dtype == torch.float32
        assert isinstance(target["boxes"], tv_tensors.BoundingBoxes)
        assert target["boxes"].format == tv_tensors.BoundingBoxFormat.XYXY
        expected = [_polygon_extent(o.polygon) for o in scene.objects]
        assert torch.allclose(target["boxes"], torch.tensor(expected, dtype=torch.float32))
        labels = [fixture.class_index.names.index(o.label) + 1 for o in scene.objects]
        assert target["labels"].tolist() == labels
        assert target["labels"].dtype == torch.int64
        assert target["item_id"] == fixture.items[index].item_id
        assert "masks" not in target


def _polygon_extent(ring: list[float]) -> list[float]:
    xs, ys = ring[0::2], ring[1::2]
    return [min(xs), min(ys), max(xs), max(ys)]


@pytest.mark.parametrize("geometry", ["polygon", "mask"])
def test_segmentation_dataset_gives_the_drawn_masks(scene_version, geometry: str) -> None:
    fixture = scene_version(count=2, geometry=geometry)
    scenes = write_scenes(fixture.root / "again", 2, seed=0)
    dataset = fixture.dataset("segmentation")
    for index, scene in enumerate(scenes):
        _, target = dataset[index]
        masks = target["masks"]
        assert isinstance(masks, tv_tensors.Mask)
        assert masks.shape == (len(scene.objects), scene.height, scene.width)
        for mask, scene_object in zip(masks, scene.objects, strict=True):
            drawn = torch.from_numpy(decode_mask(scene_object.mask))
            if geometry == "mask":
                assert torch.equal(mask.bool(), drawn)
            else:  # the rasterised polygon and the drawn pixels agree but for the outline
                overlap = (mask.bool() & drawn).sum() / (mask.bool() | drawn).sum()
                assert overlap > 0.8
        if geometry == "mask":
            expected = [[x, y, x + w, y + h] for x, y, w, h in (o.box for o in scene.objects)]
            assert torch.allclose(target["boxes"], torch.tensor(expected, dtype=torch.float32))


def test_missing_and_changed_images_name_the_file(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    item = _item(1, (annotation(1, 10, "tag"),))
    dataset = VersionDataset([item], tmp_path, "classification", CLASSES, None)
    with pytest.raises(RunError, match=r"images/1\.png: cannot read the image of item 1"):
        dataset[0]
    Image.new("RGB", (20, 20)).save(tmp_path / "images" / "1.png")
    with pytest.raises(RunError, match=r"1\.png: the image is 20×20 but .* 40×30"):
        dataset[0]
    (tmp_path / "images" / "1.png").write_bytes(b"not an image")
    with pytest.raises(RunError, match="cannot read"):
        dataset[0]


def test_images_are_loaded_with_their_exif_orientation(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° when shown: the stored 40×30 shows as 30×40
    Image.new("RGB", (40, 30), (250, 0, 0)).save(tmp_path / "images" / "1.jpg", exif=exif)
    item = dataclasses.replace(_item(1, ()), path="images/1.jpg", width=30, height=40)
    dataset = VersionDataset([item], tmp_path, "multilabel", CLASSES, None)
    image, _ = dataset[0]
    assert image.shape == (3, 40, 30)


def _batches(loader) -> list:
    return list(loader)


def _augmenting_dataset(fixture) -> VersionDataset:
    transforms = build_transforms(
        "classification", 24, ["random_resized_crop", "hflip", "color_jitter"], train=True
    )
    return fixture.dataset("classification", transforms)


def test_loaders_are_deterministic_per_seed_and_epoch_with_or_without_workers(
    tagged_version,
) -> None:
    dataset = _augmenting_dataset(tagged_version(per_class=4))

    def run(epoch: int, workers: int, batch_size: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
        loader = make_loader(
            dataset,
            batch_size,
            shuffle=True,
            workers=workers,
            seed=3,
            epoch=epoch,
            device_type="cpu",
        )
        batches = list(loader)
        return torch.cat([b[0] for b in batches]), torch.cat([b[1] for b in batches])

    images, labels = run(1, 0)
    again_images, again_labels = run(1, 0)
    assert torch.equal(images, again_images)
    assert torch.equal(labels, again_labels)
    worker_images, worker_labels = run(1, 2)
    assert torch.equal(images, worker_images)
    assert torch.equal(labels, worker_labels)
    other_batches, _ = run(1, 0, batch_size=5)
    assert torch.equal(images, other_batches)  # a sample's augmentation ignores batching
    next_images, next_labels = run(2, 0)
    assert not torch.equal(labels, next_labels)
    assert not torch.equal(images, next_images)
    assert sorted(labels.tolist()) == sorted(next_labels.tolist())


def test_loading_leaves_the_global_random_state_alone(tagged_version) -> None:
    dataset = _augmenting_dataset(tagged_version(per_class=1))
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    _batches(make_loader(dataset, 2, shuffle=True, workers=0, seed=0, epoch=1, device_type="cpu"))
    assert torch.equal(torch.rand(3), expected)


def test_unshuffled_loader_keeps_the_item_order_and_cuda_pins_memory(tagged_version) -> None:
    dataset = _augmenting_dataset(tagged_version(per_class=2))
    loader = make_loader(
        dataset, 4, shuffle=False, workers=0, seed=0, epoch=1, device_type="cuda", drop_last=True
    )
    assert loader.pin_memory
    assert not make_loader(
        dataset, 4, shuffle=False, workers=0, seed=0, epoch=1, device_type="cpu"
    ).pin_memory
    assert len(loader) == 1  # 6 items, batches of 4, the last partial one dropped
    loader = make_loader(dataset, 4, shuffle=False, workers=0, seed=0, epoch=1, device_type="cpu")
    labels = torch.cat([labels for _, labels in loader]).tolist()
    assert labels == [0, 1, 2, 0, 1, 2]
    with pytest.raises(TrainingConfigError, match="batch size"):
        make_loader(dataset, 0, shuffle=False, workers=0, seed=0, epoch=1, device_type="cpu")


def test_detection_batches_are_lists_of_images_and_targets(scene_version) -> None:
    fixture = scene_version(count=3)
    dataset = fixture.dataset(
        "segmentation", build_transforms("segmentation", 96, ["hflip"], train=True)
    )
    loader = make_loader(dataset, 2, shuffle=True, workers=0, seed=0, epoch=1, device_type="cpu")
    images, targets = next(iter(loader))
    assert isinstance(images, list)
    assert len(images) == len(targets) == 2
    assert {"boxes", "labels", "masks", "item_id"} <= set(targets[0])
    assert collate_detection([(1, "a"), (2, "b")]) == ([1, 2], ["a", "b"])


@pytest.mark.parametrize(
    ("name", "task"),
    [
        ("fasterrcnn_mobilenet_v3_large_320_fpn", "detection"),
        ("maskrcnn_resnet50_fpn", "segmentation"),
    ],
)
def test_augmented_batches_train_a_torchvision_detector(
    scene_version, name: str, task: str
) -> None:
    fixture = scene_version(count=2)
    every = ["hflip", "vflip", "rotate", "scale_jitter", "color_jitter", "random_resized_crop"]
    dataset = fixture.dataset(task, build_transforms(task, 64, every, train=True))
    model = build_model(name, task, len(fixture.class_index), 64, pretrained="never").module
    model.train()
    loader = make_loader(dataset, 2, shuffle=True, workers=0, seed=0, epoch=1, device_type="cpu")
    images, targets = next(iter(loader))
    loss = sum(model(images, targets).values())
    loss.backward()
    assert torch.isfinite(loss)
