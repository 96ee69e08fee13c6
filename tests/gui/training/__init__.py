"""Helpers of the Train panel and Runs view tests: a tiny digits project and tiny settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image

from studio.api import Project
from studio.core.demo import digit_pixels

# Trains in a few seconds on 2 CPU cores: 32×32 digits, a small network, no weights to load.
TINY_SETTINGS: dict[str, Any] = {
    "model": "mobilenet_v3_small",
    "input_size": 32,
    "epochs": 2,
    "batch_size": 8,
    "augmentations": [],
    "device": "cpu",
    "workers": 0,
    "pretrained": "never",
    "early_stopping_patience": None,
    "seed": 3,
}
DIGITS = ("0", "1")


def write_digits_project(folder: Path, count: int = 40) -> Path:
    """A project with `count` real handwritten 0s and 1s (scikit-learn's digits) as 32×32
    PNGs, each tagged with its digit and done. No version yet."""
    from sklearn.datasets import load_digits

    dataset = load_digits(n_class=len(DIGITS))
    images = folder / "digits"
    images.mkdir(parents=True, exist_ok=True)
    labels = {}
    for index in range(count):
        path = images / f"digit_{index:04d}.png"
        Image.fromarray(digit_pixels(dataset.images[index])).save(path)
        labels[path.name] = str(dataset.target[index])
    project_path = folder / "digits.studio"
    with Project.create(project_path, author="tester") as project:
        project.add_classes(list(DIGITS))
        project.import_media([images])
        ids = {Path(item.path).name: item.id for item in project.items()}
        project.add_annotations(
            {"item_id": ids[name], "label": label} for name, label in labels.items()
        )
        project.set_status(list(ids.values()), "done")
    return project_path
