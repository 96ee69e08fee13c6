"""A digits project for the active-learning queue tests: 150 labeled digits trained into a
tiny classifier (two epochs, in this process), and 60 more digits left unlabeled."""

from __future__ import annotations

import shutil
from pathlib import Path

from PIL import Image

from studio.api import Project
from studio.core.demo import digit_pixels
from studio.jobs.training_job import train_run
from tests.jobs.projects import TINY_CLASSIFIER, digits_project

LABELED = 150
UNLABELED = 60


def trained_queue_project(folder: Path) -> Path:
    """The project file: items 1..150 tagged and done (version v1, one finished run), items
    151..210 new and untagged."""
    from sklearn.datasets import load_digits

    project_path = digits_project(folder, LABELED)
    with Project.open(project_path, author="tester") as project:
        run = project.new_run(task="classification", epochs=2, **TINY_CLASSIFIER)
    train_run(project_path, run.id, emit=lambda _event: None)
    dataset = load_digits()
    unlabeled = folder / "unlabeled"
    unlabeled.mkdir()
    paths = []
    for index in range(LABELED, LABELED + UNLABELED):
        path = unlabeled / f"digit_{index:04d}.png"
        Image.fromarray(digit_pixels(dataset.images[index])).save(path)
        paths.append(path)
    with Project.open(project_path, author="tester") as project:
        project.import_media(paths)
    return project_path


def copy_of(project_path: Path, folder: Path) -> Path:
    """A copy of the whole project folder (images, file and store) under `folder`."""
    target = folder / project_path.parent.name
    shutil.copytree(project_path.parent, target)
    return target / project_path.name
