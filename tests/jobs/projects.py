"""Small real projects for the training tests: scikit-learn digits, and finished runs
fabricated without training."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image

from studio.api import Project
from studio.core import runs
from studio.core.demo import DIGIT_CLASSES, digit_pixels
from studio.core.object_store import file_sha256
from studio.core.runs import run_folder

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
