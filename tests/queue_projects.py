"""A digits project for the active-learning queue tests: 120 labeled digits trained into a
tiny classifier (one epoch, in this process), and 40 more digits left unlabeled.

Training takes seconds, so one session builds it once (the session fixture `queue_project`;
a test module imports `shared_queue_project`) and every test works on its own copy (`copy_of`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from studio.api import Project
from studio.core.demo import digit_pixels
from studio.jobs.training_job import train_run
from tests.jobs.projects import TINY_CLASSIFIER, as_every_test_runs, copy_of, digits_project

__all__ = ["LABELED", "UNLABELED", "copy_of", "shared_queue_project", "trained_queue_project"]

LABELED = 120
UNLABELED = 40
_BUILT: list[Path] = []  # the session's trained project, once built


def trained_queue_project(folder: Path) -> Path:
    """The project file: items 1..120 tagged and done (version v1, one finished run), items
    121..160 new and untagged."""
    from sklearn.datasets import load_digits

    project_path = digits_project(folder, LABELED)
    with Project.open(project_path, author="tester") as project:
        run = project.new_run(task="classification", epochs=1, **TINY_CLASSIFIER)
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


@pytest.fixture(scope="session", name="queue_project")
def shared_queue_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The trained project, built once per session: copy it before changing it. Built with
    Studio's own plugins only and caches outside the user's folders, as every test is.
    Each module that imports the fixture gets its own copy of it, so the project built first
    is remembered here."""
    if not _BUILT:
        with as_every_test_runs(tmp_path_factory):
            _BUILT.append(trained_queue_project(tmp_path_factory.mktemp("queue")))
    return _BUILT[0]
