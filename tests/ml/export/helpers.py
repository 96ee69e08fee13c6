"""Projects with a finished run to export, given a checkpoint of seeded random weights in the
trainer's format (cheap, and a random detector finds many objects, so boxes and masks are
really compared); a trained one is the session's `registered_digits` (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from studio.api import Project
from studio.core import runs
from studio.core.export_options import ExportOptions
from studio.core.model_registry import ModelVersionRecord
from studio.core.runs import RunRecord
from studio.core.synthetic_scenes import create_scene_project
from studio.jobs.export_job import export_from, load_export_source
from studio.jobs.run_context import Emit
from studio.ml.architectures import build_model
from studio.ml.checkpoints import save_checkpoint
from studio.ml.export.targets import ExportReport, export_to
from studio.ml.trainer import CHECKPOINT_FORMAT, CHECKPOINT_VERSION
from tests.jobs.projects import digits_project

DETECTOR = "fasterrcnn_mobilenet_v3_large_320_fpn"
SEGMENTER = "maskrcnn_resnet50_fpn"


def export(
    project: Project,
    source: RunRecord | ModelVersionRecord,
    out: Path,
    emit: Emit = lambda event: None,
    **settings: Any,
) -> ExportReport:
    """Export in this process as the export worker does: the job loads the source's values,
    the target exports them, the job records the result."""
    text = source.ref if isinstance(source, ModelVersionRecord) else str(source.id)
    options = ExportOptions(**settings)
    report, _ = export_from(project.context.database, project.path, text, out, options, emit)
    return report


def export_with_preprocessing(
    project: Project, run: RunRecord, out: Path, steps: Sequence[Mapping[str, Any]], **settings: Any
) -> ExportReport:
    """Export `run` with the bundle's pre-processing replaced by `steps` (the values an
    exporter receives can be changed before it runs)."""
    options = ExportOptions(**settings)
    values = load_export_source(project.context.database, project.path, run, options)
    return export_to(replace(values, preprocess=steps), options, out)


def run_record(project: Project, run_id: int) -> RunRecord:
    with project.context.database.read() as connection:
        return runs.get_run(connection, run_id)


def seeded_run(
    project: Project, task: str, model: str, input_size: int, seed: int = 0
) -> RunRecord:
    """A finished run of `model` whose best.pt holds seeded random weights."""
    run = project.new_run(
        task=task,
        model=model,
        epochs=1,
        input_size=input_size,
        augmentations=[],
        device="cpu",
        workers=0,
        pretrained="never",
    )
    classes = len(project.version(run.record.version_id).classes)
    torch.manual_seed(seed)
    module = build_model(model, task, classes, input_size, "never").module
    relative = f"{runs.run_folder(run.id)}/best.pt"
    state: dict[str, Any] = {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "task": task,
        "model_name": model,
        "epoch": 1,
        "model": module.state_dict(),
    }
    target = project.store_dir / relative
    digest = save_checkpoint(target, state)
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
    summary = {"test": {"map": 0.25, "items": 3.0}, "test_split": "test"}
    runs.finish_run(project.context.database, run.id, "finished", summary=summary)
    return run_record(project, run.id)


def scene_project(folder: Path, geometry: str, count: int = 12) -> Project:
    path = create_scene_project(folder / "scenes.studio", count=count, seed=3, geometry=geometry)
    project = Project.open(path, author="tester")
    project.create_version(ratios={"train": 0.5, "val": 0.25, "test": 0.25})
    return project


def digits(folder: Path, count: int = 30) -> Project:
    return Project.open(digits_project(folder, count), author="tester")
