"""Training the digits classifier to 95 % test accuracy on the CPU: `Project.train` against a
minimal hand-written PyTorch loop on the same model, images and settings.

Studio's figure is the wall time of `Project.train` as a user sees it: the worker process
starts, imports torch, reads the frozen version, decodes the PNG files through its data
loader, trains with per-epoch validation, metrics and checkpoints written to the project,
then evaluates the best checkpoint on the test split and stores every prediction. The
baseline holds the same train and test images as tensors in memory (decoded before the clock
starts) and runs the same model, optimizer, learning rate, batch size and number of epochs
in a bare loop, then scores the test split once. Both must reach the accuracy floor; the
ratio is the baseline's time ÷ Studio's (1.0: no overhead at all).

Quick mode trains a tiny variant (a few hundred digits, one epoch) in a few seconds and
asserts no accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.harness import Measurement, Session, timed
from studio.api import Project
from studio.core.demo import DIGIT_CLASSES, digit_pixels

ACCURACY_FLOOR = 0.95
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class Recipe:
    digits: int
    epochs: int
    model: str = "resnet18"
    input_size: int = 32
    batch_size: int = 32
    learning_rate: float = 2e-3

    def settings(self, seed: int) -> dict:
        return {
            "model": self.model,
            "epochs": self.epochs,
            "input_size": self.input_size,
            "batch_size": self.batch_size,
            "learning_rate": self.learning_rate,
            "augmentations": [],
            "device": "cpu",
            "workers": 0,
            "pretrained": "never",
            "seed": seed,
        }


FULL = Recipe(digits=1797, epochs=6)
QUICK = Recipe(digits=100, epochs=1)


def digits_project(folder: Path, count: int) -> Path:
    """A project with the first `count` scikit-learn digits as 32×32 PNGs, tagged, done,
    frozen as version "v1" (not timed)."""
    from sklearn.datasets import load_digits

    dataset = load_digits()
    images = folder / "digits"
    images.mkdir(parents=True)
    paths = []
    for index in range(count):
        path = images / f"digit_{index:04d}.png"
        Image.fromarray(digit_pixels(dataset.images[index])).save(path, compress_level=1)
        paths.append(path)
    project_path = folder / "digits.studio"
    with Project.create(project_path, author="bench") as project:
        project.add_classes(DIGIT_CLASSES)
        project.import_media(paths)
        by_name = {item.path.rsplit("/", 1)[-1]: item.id for item in project.items()}
        project.add_annotations(
            {"item_id": by_name[path.name], "label": str(dataset.target[index])}
            for index, path in enumerate(paths)
        )
        project.set_status(list(by_name.values()), "done")
        project.create_version("v1")
    return project_path


def split_tensors(project_path: Path, split: str) -> tuple:
    """The split's images (normalised like Studio's transforms) and class indices."""
    import torch

    with Project.open(project_path) as project:
        version = project.version("v1")
        items = project.version_items("v1", split)
    index_of = {entry.id: position for position, entry in enumerate(version.classes)}
    pixels, labels = [], []
    for item in items:
        with Image.open(project_path.parent / item.path) as image:
            pixels.append(np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0)
        labels.append(index_of[item.annotations[0]["class_id"]])
    images = torch.from_numpy(np.stack(pixels)).permute(0, 3, 1, 2)
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return (images - mean) / std, torch.tensor(labels)


def hand_loop(project_path: Path, recipe: Recipe, seed: int) -> tuple[float, float]:
    """Train and test the bare way; (seconds, test accuracy). Decoding is not timed."""
    import torch
    import torchvision

    train_x, train_y = split_tensors(project_path, "train")
    test_x, test_y = split_tensors(project_path, "test")

    def work() -> float:
        torch.manual_seed(seed)
        model = getattr(torchvision.models, recipe.model)(weights=None, num_classes=10)
        optimizer = torch.optim.AdamW(model.parameters(), lr=recipe.learning_rate)
        for _epoch in range(recipe.epochs):
            model.train()
            order = torch.randperm(len(train_y))
            for start in range(0, len(order), recipe.batch_size):
                batch = order[start : start + recipe.batch_size]
                loss = torch.nn.functional.cross_entropy(model(train_x[batch]), train_y[batch])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        model.eval()
        with torch.no_grad():
            return (model(test_x).argmax(1) == test_y).float().mean().item()

    return timed(work)


def studio_training(session: Session, project_path: Path, recipe: Recipe) -> tuple[float, float]:
    """`Project.train` as a user calls it; (seconds, test accuracy)."""
    with Project.open(project_path, author="bench") as project, session.studio_side("digits"):
        seconds, run = timed(
            lambda: project.train(task="classification", **recipe.settings(session.seed))
        )
        return seconds, float(run.summary["test"]["accuracy"])


def run(session: Session) -> list[Measurement]:
    recipe = QUICK if session.quick else FULL
    folder = session.folder("digits")
    project_path = digits_project(folder, recipe.digits)
    baseline_seconds, baseline_accuracy = hand_loop(project_path, recipe, session.seed)
    studio_seconds, studio_accuracy = studio_training(session, project_path, recipe)
    if not session.quick and min(baseline_accuracy, studio_accuracy) < ACCURACY_FLOOR:
        raise RuntimeError(
            f"the digits recipe missed {ACCURACY_FLOOR:.0%} test accuracy: Studio "
            f"{studio_accuracy:.3f}, hand loop {baseline_accuracy:.3f}"
        )
    return [
        Measurement(
            benchmark=f"digits {recipe.model} {recipe.input_size}px "
            + (
                "quick (1 epoch, no accuracy floor, CPU)"
                if session.quick
                else f"to {ACCURACY_FLOOR:.0%} test accuracy ({recipe.digits:,} images, CPU)"
            ),
            metric="wall time",
            unit="s",
            studio=studio_seconds,
            baseline=baseline_seconds,
            higher_is_better=False,
            note=(
                f"digits: Studio = Project.train in a worker process ({recipe.epochs} epochs, "
                f"validation, checkpoints, test evaluation; test accuracy "
                f"{studio_accuracy:.3f}); baseline = a bare PyTorch loop over tensors decoded "
                f"beforehand, same model and settings (test accuracy {baseline_accuracy:.3f})"
            ),
        )
    ]
