"""Small real projects for the training tests: scikit-learn digits, finished runs fabricated
without training, and digits trained in this process for the session's shared projects (built
once, copied by each test or module that changes them: `copy_of`)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from studio.api import Project
from studio.core import runs
from studio.core.demo import DIGIT_CLASSES, digit_pixels
from studio.core.object_store import file_sha256
from studio.core.runs import run_folder
from studio.plugins.manager import PLUGIN_SET_ENV, use_plugins

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


def finished_run(project: Project, name: str, accuracy: float = 0.5) -> runs.RunRecord:
    """A finished classification run with a (tiny, not loadable) best.pt and a test
    evaluation, written straight into the project: the registry reads rows, not weights."""
    version = project.latest_version()
    assert version is not None
    record = runs.create_run(
        project.context.database,
        task="classification",
        model="resnet18",
        version_id=version.id,
        config={"epochs": 1},
        seed=0,
        name=name,
    )
    checkpoint = project.store_dir / run_folder(record.id) / "best.pt"
    checkpoint.parent.mkdir(parents=True)
    checkpoint.write_bytes(f"weights of {name}".encode())
    runs.save_artifact(
        project.context.database,
        record.id,
        name="best.pt",
        kind="checkpoint",
        path=f"{run_folder(record.id)}/best.pt",
        sha256=file_sha256(checkpoint),
        size_bytes=checkpoint.stat().st_size,
        epoch=1,
    )
    runs.save_evaluation(
        project.context.database,
        record.id,
        checkpoint="best.pt",
        epoch=1,
        split="test",
        metrics={"accuracy": accuracy, "items": 4},
        predictions=[],
    )
    runs.finish_run(
        project.context.database, record.id, "finished", summary={"test": {"accuracy": accuracy}}
    )
    return project.run(record.id).record


def trained_digits_project(folder: Path, count: int = 200, epochs: int = 2) -> Path:
    """`digits_project` with a tiny classifier trained on it in this process (a few seconds):
    a finished run with a real, loadable best.pt."""
    from studio.jobs.training_job import train_run

    project_path = digits_project(folder, count)
    with Project.open(project_path) as project:
        run = project.new_run(task="classification", epochs=epochs, **TINY_CLASSIFIER)
    status = train_run(project_path, run.id, emit=lambda _event: None)
    assert status == "finished", status
    return project_path


def registered_digits_project(folder: Path, count: int = 60) -> Path:
    """`digits_project` with a tiny classifier, run "tiny", trained for one epoch in this
    process (no worker to start: the training worker has tests of its own) and registered
    as digits:1 with the alias production."""
    from studio.jobs.training_job import train_run

    project_path = digits_project(folder, count)
    with Project.open(project_path, author="tester") as project:
        run = project.new_run(task="classification", epochs=1, name="tiny", **TINY_CLASSIFIER)
        assert train_run(project_path, run.id, emit=lambda _event: None) == "finished"
        project.register_model(run.id, name="digits")
        project.set_alias("digits", 1, "production")
    return project_path


def copy_of(project_path: Path, folder: Path) -> Path:
    """A copy of the whole project folder (images, file and store) under `folder`."""
    target = folder / project_path.parent.name
    shutil.copytree(project_path.parent, target)
    return target / project_path.name


@contextmanager
def as_every_test_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Studio's own plugins only and caches outside the user's folders, as the autouse
    fixtures give every test: for a module or session fixture, built before those apply."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(PLUGIN_SET_ENV, "[]")
        patch.setenv("STUDIO_CACHE_DIR", str(tmp_path_factory.mktemp("shared-cache")))
        patch.setenv("STUDIO_CONFIG_DIR", str(tmp_path_factory.mktemp("shared-config")))
        use_plugins(None)
        try:
            yield
        finally:
            use_plugins(None)
