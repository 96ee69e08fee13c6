"""Small real projects for the training tests: scikit-learn digits and synthetic scenes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image

from studio.api import Project
from studio.core.demo import DIGIT_CLASSES, digit_pixels

# A classifier that trains on a few hundred 32×32 digits in about a second per epoch on 2 CPUs.
TINY_CLASSIFIER: dict[str, Any] = {
    "model": "resnet18",
    "input_size": 32,
    "batch_size": 16,
    "learning_rate": 2e-3,
    "augmentations": [],
    "device": "cpu",
    "workers": 0,
    "pretrained": "never",
    "seed": 7,
}


def digits_project(folder: Path, count: int = 200, version: bool = True) -> Path:
    """A project with the first `count` scikit-learn digits as 32×32 PNGs, each tagged with
    its digit and done; frozen as version "v1" unless `version` is False."""
    from sklearn.datasets import load_digits

    dataset = load_digits()
    images = folder / "digits"
    images.mkdir(parents=True)
    paths = []
    for index in range(count):
        path = images / f"digit_{index:04d}.png"
        Image.fromarray(digit_pixels(dataset.images[index])).save(path)
        paths.append(path)
    project_path = folder / "digits.studio"
    with Project.create(project_path, author="tester") as project:
        project.add_classes(DIGIT_CLASSES)
        project.import_media(paths)
        by_name = {Path(item.path).name: item.id for item in project.items()}
        project.add_annotations(
            {"item_id": by_name[path.name], "label": str(dataset.target[index])}
            for index, path in enumerate(paths)
        )
        project.set_status(list(by_name.values()), "done")
        if version:
            project.create_version()
    return project_path
