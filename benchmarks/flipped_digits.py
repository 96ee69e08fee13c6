"""The scikit-learn digits with 5 % of their labels flipped (seeded), as a project: the label-error
finder's tests and its benchmark measure how many of the flipped labels it raises."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from studio.api import Project
from studio.core.demo import DIGIT_CLASSES, digit_pixels

FLIPPED_SHARE = 0.05


@dataclass(frozen=True)
class FlippedDigits:
    """The project file, the digits' true and given classes (by item id), and the flipped ids."""

    path: Path
    truth: dict[int, str]
    given: dict[int, str]
    flipped: frozenset[int]


def flipped_labels(targets: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(positions flipped, the labels with 5 % of them moved to another random class)."""
    generator = np.random.default_rng(seed)
    positions = generator.choice(len(targets), round(FLIPPED_SHARE * len(targets)), replace=False)
    labels = targets.copy()
    labels[positions] = (labels[positions] + generator.integers(1, 10, len(positions))) % 10
    return np.sort(positions), labels


def flipped_digits_project(folder: Path, seed: int = 0, count: int | None = None) -> FlippedDigits:
    """The first `count` digits (all without it) as 32×32 PNGs under `folder/digits`, each
    tagged with its (maybe flipped) class."""
    from sklearn.datasets import load_digits

    dataset = load_digits()
    dataset.images, dataset.target = dataset.images[:count], dataset.target[:count]
    positions, labels = flipped_labels(dataset.target, seed)
    images = folder / "digits"
    images.mkdir(parents=True)
    paths = []
    for index, values in enumerate(dataset.images):
        path = images / f"digit_{index:04d}.png"
        Image.fromarray(digit_pixels(values)).save(path, compress_level=1)
        paths.append(path)
    project_path = folder / "digits.studio"
    with Project.create(project_path, author="tester") as project:
        project.add_classes(DIGIT_CLASSES)
        project.import_media(paths)
        ids = {Path(item.path).name: item.id for item in project.items()}
        item_ids = [ids[path.name] for path in paths]
        project.add_annotations(
            {"item_id": item_id, "label": str(label)}
            for item_id, label in zip(item_ids, labels, strict=True)
        )
    return FlippedDigits(
        project_path,
        {item_id: str(t) for item_id, t in zip(item_ids, dataset.target, strict=True)},
        {item_id: str(label) for item_id, label in zip(item_ids, labels, strict=True)},
        frozenset(item_ids[position] for position in positions),
    )


def recall_at_k(raised: list[int], flipped: frozenset[int]) -> float:
    """The share of the flipped items among the first k raised, k the number flipped."""
    return len(set(raised[: len(flipped)]) & flipped) / len(flipped)
