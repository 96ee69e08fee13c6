"""Datasets and loaders built from a frozen dataset version.

Items keep their version's copy of the annotations. Class ids (project ids) map to 0-based
indices in the version's class order; detection labels are index + 1 (0 is background).
Loaders are deterministic: the shuffle order depends only on (seed, epoch), and each sample's
random augmentation only on (seed, epoch, sample index), whatever the number of workers or
the batch size.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError
from pycocotools import mask as coco_mask
from torch.utils.data import DataLoader, Dataset, RandomSampler, SequentialSampler
from torchvision import tv_tensors
from torchvision.transforms import v2

from studio.core.enums import OBJECT_TASKS, AnnotationKind, ItemStatus, Task
from studio.core.errors import RunError, TrainingConfigError
from studio.core.geometry import shape_box, shape_rle
from studio.core.media import resolve
from studio.core.versions import VersionItem, VersionRecord
from studio.core.wording import counted

# A detector learns a rotated box as its axis-aligned bounds and a segmenter as its filled
# outline; polylines enclose no area, so neither learns from them (ADR 0045).
BOX_KINDS = (
    AnnotationKind.BOX.value,
    AnnotationKind.POLYGON.value,
    AnnotationKind.MASK.value,
    AnnotationKind.ROTATED_BOX.value,
)
MASK_KINDS = (
    AnnotationKind.POLYGON.value,
    AnnotationKind.MASK.value,
    AnnotationKind.ROTATED_BOX.value,
)
TAG = AnnotationKind.TAG.value
ROTATED_BOX = AnnotationKind.ROTATED_BOX.value
POLYLINE = AnnotationKind.POLYLINE.value


@dataclass(frozen=True)
class ClassIndex:
    """The version's classes in panel order: model output `i` is `class_ids[i]`."""

    class_ids: tuple[int, ...]
    names: tuple[str, ...]

    @classmethod
    def of(cls, version: VersionRecord) -> ClassIndex:
        return cls(
            class_ids=tuple(entry.id for entry in version.classes),
            names=tuple(entry.name for entry in version.classes),
        )

    def __len__(self) -> int:
        return len(self.class_ids)

    def __contains__(self, class_id: object) -> bool:
        return class_id in self.class_ids

    def index_of(self, class_id: int) -> int:
        try:
            return self.class_ids.index(class_id)
        except ValueError:
            raise TrainingConfigError(f"class id {class_id} is not in this version") from None

    def class_id_at(self, index: int) -> int:
        if not 0 <= index < len(self.class_ids):
            raise TrainingConfigError(
                f"class index {index} is out of range (the version has {len(self)} classes)"
            )
        return self.class_ids[index]

    def name_of(self, class_id: int) -> str:
        return self.names[self.index_of(class_id)]


@dataclass(frozen=True)
class SplitData:
    split: str
    items: tuple[VersionItem, ...]
    skipped: Mapping[str, int]  # reason -> count


# --- annotations as the models see them -----------------------------------------------------


def _known(annotations: Iterable[Mapping[str, Any]], kinds: Sequence[str], classes: ClassIndex):
    return [a for a in annotations if a["kind"] in kinds and a["class_id"] in classes]


def tag_class_ids(item: VersionItem, class_index: ClassIndex) -> list[int]:
    """The item's distinct tag classes, in the version's class order."""
    tagged = {a["class_id"] for a in _known(item.annotations, (TAG,), class_index)}
    return [class_id for class_id in class_index.class_ids if class_id in tagged]


def object_boxes(
    item: VersionItem, task: str, class_index: ClassIndex
) -> list[tuple[Mapping[str, Any], list[float]]]:
    """(annotation, its `[x, y, w, h]`) of each annotation with an area that a detector
    (boxes) or a segmenter (polygons, masks) learns from."""
    kinds = MASK_KINDS if task == Task.SEGMENTATION.value else BOX_KINDS
    boxed = [
        (a, shape_box(a["kind"], a["geometry"], item.width, item.height))
        for a in _known(item.annotations, kinds, class_index)
    ]
    return [(a, box) for a, box in boxed if box[2] > 0 and box[3] > 0]


def annotation_mask(annotation: Mapping[str, Any], width: int, height: int) -> np.ndarray:
    """The boolean pixels of a polygon or mask annotation."""
    rle = shape_rle(annotation["kind"], annotation["geometry"], width, height)
    return coco_mask.decode(rle).astype(bool)


# --- which items a task can use -------------------------------------------------------------


def _skip_reason(item: VersionItem, task: str, class_index: ClassIndex) -> str | None:
    if task == Task.CLASSIFICATION.value:
        tags = tag_class_ids(item, class_index)
        return None if len(tags) == 1 else ("no tag" if not tags else "several tags")
    if task == Task.MULTILABEL.value:
        return None
    if object_boxes(item, task, class_index):
        return None
    if item.status == ItemStatus.DONE_EMPTY.value:
        return None  # checked and empty: a useful negative example
    return "no masks" if task == Task.SEGMENTATION.value else "no boxes"


def usable_items(
    items: Iterable[VersionItem], task: str, class_index: ClassIndex
) -> tuple[list[VersionItem], dict[str, int]]:
    """The items `task` can learn from, and how many were skipped for each reason.

    Segmentation also counts, under "box-only objects", the boxes of kept items that it
    cannot use (they have no polygon or mask).
    """
    if task not in {member.value for member in Task}:
        raise TrainingConfigError(f"unknown task {task!r}")
    kept: list[VersionItem] = []
    skipped: dict[str, int] = {}
    for item in items:
        reason = _skip_reason(item, task, class_index)
        if reason is not None:
            skipped[reason] = skipped.get(reason, 0) + 1
            continue
        kept.append(item)
        if task == Task.SEGMENTATION.value:
            boxes = len(_known(item.annotations, (AnnotationKind.BOX.value,), class_index))
            if boxes:
                skipped["box-only objects"] = skipped.get("box-only objects", 0) + boxes
    return kept, skipped


def shape_notes(items: Iterable[VersionItem], task: str, class_index: ClassIndex) -> list[str]:
    """One line per kind an object task converts or ignores, with its count: how training
    treats the rotated boxes and polylines of `items` (empty when they hold none)."""
    if task not in OBJECT_TASKS:
        return []
    counts = Counter(
        a["kind"]
        for item in items
        for a in _known(item.annotations, (ROTATED_BOX, POLYLINE), class_index)
    )
    notes = []
    if counts[ROTATED_BOX]:
        its = "its" if counts[ROTATED_BOX] == 1 else "their"
        outline = "filled outline" if counts[ROTATED_BOX] == 1 else "filled outlines"
        how = outline if task == Task.SEGMENTATION.value else "axis-aligned bounds"
        boxes = counted(counts[ROTATED_BOX], "rotated box")
        notes.append(f"{boxes} trained on {its} {how}")
    if counts[POLYLINE]:
        notes.append(
            f"{counted(counts[POLYLINE], 'polyline')} ignored ({task} learns shapes with an area)"
        )
    return notes


# --- the dataset ----------------------------------------------------------------------------


def load_image(root: Path, item: VersionItem) -> Image.Image:
    """The item's pixels as every tool shows them (EXIF orientation applied), in RGB."""
    path = resolve(root, item.path)
    try:
        with Image.open(path) as opened:
            image = _upright(opened).convert("RGB")
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError) as error:
        raise RunError(f"{path}: cannot read the image of item {item.item_id}: {error}") from None
    if image.size != (item.width, item.height):
        raise RunError(
            f"{path}: the image is {image.width}×{image.height} but the dataset version "
            f"recorded {item.width}×{item.height} for item {item.item_id}; the file changed"
        )
    return image


EXIF_ORIENTATION = 0x0112


def _upright(image: Image.Image) -> Image.Image:
    """The image turned as its EXIF orientation says; untouched (no copy) when upright."""
    if image.getexif().get(EXIF_ORIENTATION, 1) == 1:
        return image
    return ImageOps.exif_transpose(image)


_TO_FLOAT = v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True)])


class VersionDataset(Dataset):
    """Images of a version's items with their targets for `task`.

    classification -> (image, class index); multilabel -> (image, multi-hot float tensor);
    detection/segmentation -> (image, {"boxes", "labels", "masks" (segmentation), "item_id"}).
    """

    def __init__(
        self,
        items: Sequence[VersionItem],
        root: Path,
        task: str,
        class_index: ClassIndex,
        transforms: Callable[..., Any] | None,
    ) -> None:
        if task not in {member.value for member in Task}:
            raise TrainingConfigError(f"unknown task {task!r}")
        self.items = tuple(items)
        self.root = Path(root)
        self.task = task
        self.class_index = class_index
        self.transforms = transforms

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        item = self.items[index]
        image = load_image(self.root, item)
        if self.task in OBJECT_TASKS:
            return self._transformed(image, self._objects(item))
        return self._transformed(image, self._label(item))

    def _transformed(self, image: Image.Image, target: Any) -> tuple[Any, Any]:
        transform = self.transforms or _TO_FLOAT
        if self.task in OBJECT_TASKS:
            return transform(image, target)
        return transform(image), target

    def _label(self, item: VersionItem) -> Any:
        tags = tag_class_ids(item, self.class_index)
        if self.task == Task.CLASSIFICATION.value:
            if len(tags) != 1:
                raise RunError(f"item {item.item_id} needs exactly one tag, it has {len(tags)}")
            return self.class_index.index_of(tags[0])
        target = torch.zeros(len(self.class_index), dtype=torch.float32)
        for class_id in tags:
            target[self.class_index.index_of(class_id)] = 1.0
        return target

    def _objects(self, item: VersionItem) -> dict[str, Any]:
        boxed = object_boxes(item, self.task, self.class_index)
        objects = [annotation for annotation, _ in boxed]
        size = (item.height, item.width)
        boxes = torch.tensor([_xyxy(box) for _, box in boxed], dtype=torch.float32).reshape(-1, 4)
        target: dict[str, Any] = {
            "boxes": tv_tensors.BoundingBoxes(boxes, format="XYXY", canvas_size=size),
            "labels": torch.tensor(
                [self.class_index.index_of(a["class_id"]) + 1 for a in objects], dtype=torch.int64
            ),
            "item_id": item.item_id,
        }
        if self.task == Task.SEGMENTATION.value:
            masks = np.zeros((len(objects), *size), dtype=np.uint8)
            for position, annotation in enumerate(objects):
                masks[position] = annotation_mask(annotation, item.width, item.height)
            target["masks"] = tv_tensors.Mask(torch.from_numpy(masks))
        return target


class UnlabeledDataset(VersionDataset):
    """Images to predict whatever labels they carry (pre-labels): a classification target is
    -1 and a multi-label one all zeros, placeholders `predict` never reads; object targets
    come from the items' annotations as usual (give items without any)."""

    def _label(self, item: VersionItem) -> Any:
        if self.task == Task.CLASSIFICATION.value:
            return -1
        return torch.zeros(len(self.class_index), dtype=torch.float32)


def _xyxy(box: Sequence[float]) -> list[float]:
    x, y, width, height = box
    return [x, y, x + width, y + height]


# --- loaders --------------------------------------------------------------------------------


def collate_detection(batch: Sequence[tuple[Any, Any]]) -> tuple[list, list]:
    """Detectors take lists of images of different sizes and a list of target dicts."""
    images = [image for image, _ in batch]
    targets = [target for _, target in batch]
    return images, targets


_MASK64 = (1 << 64) - 1


def _splitmix64(value: int) -> int:
    value = (value + 0x9E3779B97F4A7C15) & _MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
    return value ^ (value >> 31)


def derive_seed(*parts: int) -> int:
    """A 63-bit seed mixed from several integers (seed, epoch, sample index...).

    SplitMix64 over the parts in order: cheap enough to call once per sample (a NumPy
    `SeedSequence` costs about 25 times more), and nearby inputs give unrelated seeds.
    """
    state = 0
    for part in parts:
        state = _splitmix64(state ^ (int(part) & _MASK64))
    return state >> 1


class _SeededSamples(Dataset):
    """Draws each sample's random augmentation from its own (seed, epoch, index) generator.

    The process-wide RNG is left as it was, so data loading does not disturb the model's
    randomness (dropout, initialisation) in a loader without workers.
    """

    def __init__(self, dataset: Dataset, seed: int, epoch: int) -> None:
        self.dataset = dataset
        self.task = getattr(dataset, "task", None)
        self.seed = seed
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> Any:
        with torch.random.fork_rng(devices=[]):
            # Only the CPU generator: `torch.manual_seed` would also queue CUDA seeding and
            # record a stack trace, about 0.4 ms a sample.
            torch.default_generator.manual_seed(derive_seed(self.seed, self.epoch, index))
            return self.dataset[index]


def _seed_worker(worker_id: int) -> None:
    """numpy and random in a worker follow the worker's torch seed (set by the DataLoader)."""
    worker_seed = torch.initial_seed() % 2**32
    np.random.seed(worker_seed)
    random.seed(worker_seed)


def make_loader(
    dataset: Dataset,
    batch_size: int,
    *,
    shuffle: bool,
    workers: int,
    seed: int,
    epoch: int,
    device_type: str,
    drop_last: bool = False,
) -> DataLoader:
    """A loader whose order and augmentations depend only on (seed, epoch)."""
    if batch_size < 1:
        raise TrainingConfigError(f"batch size must be at least 1, got {batch_size}")
    samples = _SeededSamples(dataset, seed, epoch)
    order = torch.Generator().manual_seed(derive_seed(seed, epoch, 1))
    sampler = RandomSampler(samples, generator=order) if shuffle else SequentialSampler(samples)
    task = getattr(dataset, "task", None)
    return DataLoader(
        samples,
        batch_size=batch_size,
        sampler=sampler,
        num_workers=max(0, workers),
        collate_fn=collate_detection if task in OBJECT_TASKS else None,
        pin_memory=device_type == "cuda",
        drop_last=drop_last,
        worker_init_fn=_seed_worker,
        generator=torch.Generator().manual_seed(derive_seed(seed, epoch, 2)),
        persistent_workers=False,
    )
