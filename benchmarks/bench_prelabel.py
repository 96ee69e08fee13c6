"""Pre-labeling throughput: Studio's whole pre-label path against the bare bundle.

A digits classifier (resnet18 at 32 px, seeded weights: throughput does not depend on what
the model learned) is exported as a bundle; the project holds a few labeled digits and many
unlabeled ones (1,500; 150 in quick mode). Studio's side is `Project.prelabel` with the bundle
as its source: the class mapping, a `prelabel` worker started and loading the bundle, the
predictions, and one transaction of pending suggestions per batch of 16 items. The baseline is
`Bundle.load` plus `Bundle.predict_many` on the same image files in this process, storing
nothing. Each side runs three times, alternating, each of Studio's runs on a fresh copy of
the project (a second run would find the tags already suggested); medians are compared.
"""

from __future__ import annotations

import shutil
from functools import partial
from pathlib import Path

import torch
from PIL import Image

from benchmarks.harness import Measurement, Session, median, timed
from studio.api import PrelabelOptions, Project
from studio.bundle.runtime import Bundle
from studio.core import runs
from studio.core.demo import DIGIT_CLASSES, digit_pixels
from studio.core.export_options import ExportOptions
from studio.jobs.export_job import export_source
from studio.ml.architectures import build_model
from studio.ml.checkpoints import save_checkpoint

LABELED = 30
ROUNDS = 3
INPUT_SIZE = 32


def _digits_project(folder: Path, unlabeled: int, seed: int) -> tuple[Path, list[Path]]:
    """A project of LABELED tagged digits (frozen as a version) and `unlabeled` more, with a
    finished resnet18 run holding seeded weights; the unlabeled images' paths."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = folder / "digits"
    images.mkdir(parents=True)
    paths = []
    for index in range(LABELED + unlabeled):
        path = images / f"digit_{index:04d}.png"
        Image.fromarray(digit_pixels(digits.images[index % len(digits.images)])).save(path)
        paths.append(path)
    project_path = folder / "digits.studio"
    with Project.create(project_path, author="bench") as project:
        project.add_classes(DIGIT_CLASSES)
        project.import_media(paths[:LABELED])
        items = project.items()
        project.add_annotations(
            {"item_id": item.id, "label": str(digits.target[index])}
            for index, item in enumerate(items)
        )
        project.set_status([item.id for item in items], "done")
        project.create_version()
        _seeded_run(project, seed)
        project.import_media(paths[LABELED:])
    return project_path, paths[LABELED:]


def _seeded_run(project: Project, seed: int) -> None:
    run = project.new_run(
        task="classification",
        model="resnet18",
        epochs=1,
        input_size=INPUT_SIZE,
        augmentations=[],
        device="cpu",
        workers=0,
        pretrained="never",
    )
    torch.manual_seed(seed)
    module = build_model("resnet18", "classification", len(DIGIT_CLASSES), INPUT_SIZE, "never")
    relative = f"{runs.run_folder(run.id)}/best.pt"
    target = project.store_dir / relative
    state = {"task": "classification", "model_name": "resnet18", "epoch": 1}
    digest = save_checkpoint(target, {**state, "model": module.module.state_dict()})
    runs.save_artifact(
        project.context.database,
        run.id,
        name="best.pt",
        kind="checkpoint",
        path=relative,
        sha256=digest,
        size_bytes=target.stat().st_size,
        epoch=1,
    )
    runs.finish_run(project.context.database, run.id, "finished")


def run(session: Session) -> list[Measurement]:
    unlabeled = 150 if session.quick else 1500
    folder = session.folder("prelabel")
    template, images = _digits_project(folder / "template", unlabeled, session.seed)
    bundle_folder = folder / "bundle"
    export_source(template, "1", bundle_folder, ExportOptions(parity_images=4), ignore)
    options = PrelabelOptions(str(bundle_folder), threshold=0.0)

    def bare_bundle() -> int:
        with Bundle.load(bundle_folder) as bundle:
            return len(bundle.predict_many(images, batch_size=16))

    studio_seconds, bare_seconds = [], []
    for round_number in range(ROUNDS):
        copy = folder / f"round_{round_number}"
        shutil.copytree(template.parent, copy)
        project = Project.open(copy / template.name, author="bench")
        with project, session.studio_side("prelabel"):
            seconds, outcome = timed(partial(project.prelabel, options))
        if outcome.suggestions != unlabeled:
            raise RuntimeError(f"pre-labeling suggested {outcome.suggestions} of {unlabeled}")
        studio_seconds.append(seconds)
        seconds, predicted = timed(bare_bundle)
        if predicted != unlabeled:
            raise RuntimeError(f"the bundle predicted {predicted} of {unlabeled} images")
        bare_seconds.append(seconds)
    return [
        Measurement(
            benchmark=f"pre-labeling {unlabeled:,} digits (resnet18, 32 px bundle)",
            metric="throughput",
            unit="images/s",
            studio=unlabeled / median(studio_seconds),
            baseline=unlabeled / median(bare_seconds),
            higher_is_better=True,
            note="Project.prelabel with a bundle (worker start, bundle load, predictions, one "
            "transaction of pending suggestions per 16 items) against Bundle.load + "
            f"predict_many on the same files in-process; median of {ROUNDS} alternating runs",
        )
    ]


def ignore(_event: dict) -> None:
    """The export's events, unheard."""
