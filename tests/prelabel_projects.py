"""One trained digits project for the pre-label tests of every layer: 48 labeled digits that
trained a tiny classifier for one epoch (registered as digits:1, alias production, and
exported as a bundle beside the project) and 16 more digits nobody labeled. Training and
exporting run in this process (no worker to start) once per test process; each test works
on a copy."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from studio.api import ExportOptions, Project
from studio.core.demo import digit_pixels
from studio.jobs.export_job import export_source
from studio.jobs.training_job import train_run
from tests.jobs.projects import TINY_CLASSIFIER, digits_project

LABELED = 48
UNLABELED = 16
BUNDLE = "bundle"  # the exported bundle's folder, beside the project file

_templates: dict[str, Path] = {}


def _build_template(folder: Path) -> Path:
    from sklearn.datasets import load_digits

    path = digits_project(folder, LABELED)
    images = load_digits().images
    unlabeled = []
    for index in range(LABELED, LABELED + UNLABELED):
        image = folder / "digits" / f"digit_{index:04d}.png"
        Image.fromarray(digit_pixels(images[index])).save(image)
        unlabeled.append(image)
    with Project.open(path, author="tester") as project:
        run = project.new_run(task="classification", epochs=1, name="tiny", **TINY_CLASSIFIER)
        assert train_run(path, run.id, emit=ignore) == "finished"
        project.register_model(run.id, name="digits")
        project.set_alias("digits", 1, "production")
        export_source(path, "digits:1", folder / BUNDLE, ExportOptions(parity_images=4), ignore)
        project.import_media(unlabeled)
    return path


def ignore(_event: dict[str, Any]) -> None:
    """A worker function's events, unheard."""


def trained_digits(tmp_path_factory: pytest.TempPathFactory, destination: Path) -> Path:
    """A copy, in `destination`, of the trained project (built on first use); its path."""
    if "digits" not in _templates:
        _templates["digits"] = _build_template(tmp_path_factory.mktemp("prelabel_template"))
    template = _templates["digits"]
    shutil.copytree(template.parent, destination)
    return destination / template.name


def unlabeled_ids(project: Project) -> list[int]:
    return [item.id for item in project.items() if item.status == "new"]
