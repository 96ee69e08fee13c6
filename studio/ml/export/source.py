"""What an export starts from: a run (or a registered model version), its checkpoint file,
its dataset version's classes, and the held-out images the parity gate checks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.core import runs, versions
from studio.core.database import Database
from studio.core.enums import Task
from studio.core.errors import ExportError, RunError
from studio.core.media import resolve
from studio.core.object_store import file_sha256
from studio.core.runs import ArtifactRecord, RunRecord
from studio.core.versions import VersionItem, VersionRecord
from studio.ml.data import ClassIndex, tag_class_ids, usable_items
from studio.ml.export.parity import ParityImage

PARITY_SPLITS = ("test", "val", "train")
DEFAULT_CHECKPOINTS = ("best.pt", "last.pt")


@dataclass(frozen=True)
class ExportSource:
    run: RunRecord
    version: VersionRecord
    class_index: ClassIndex
    checkpoint: ArtifactRecord
    checkpoint_path: Path
    model_version: Any  # ModelVersionRecord | None
    metrics: dict[str, Any]

    @property
    def input_size(self) -> int:
        return int(self.run.config.get("input_size", 224))


def _is_model_version(source: Any) -> bool:
    return hasattr(source, "run_id") and hasattr(source, "checkpoint_sha256")


def _checkpoint_name(requested: str | None, run: RunRecord, model_version: Any, found) -> str:
    if requested:
        name = requested.strip()
        return name if name.endswith(".pt") else f"{name}.pt"
    if model_version is not None:
        return str(model_version.checkpoint)
    names = {artifact.name for artifact in found}
    for name in DEFAULT_CHECKPOINTS:
        if name in names:
            return name
    raise ExportError(f"run {run.name} has no checkpoint to export (it has not trained an epoch)")


def _metrics(run: RunRecord, model_version: Any) -> dict[str, Any]:
    if model_version is not None and model_version.metrics:
        return dict(model_version.metrics)
    figures = dict(run.summary.get("test") or {})
    if figures:
        figures.setdefault("split", run.summary.get("test_split", "test"))
    return figures


def load_source(
    database: Database, store_dir: Path, source: Any, checkpoint: str | None
) -> ExportSource:
    """The run, version and checkpoint of `source`; ExportError when the file is missing or
    changed since it was recorded (or since the model version was registered)."""
    model_version = source if _is_model_version(source) else None
    run_key = model_version.run_id if model_version is not None else source.id
    with database.read() as connection:
        run = runs.get_run(connection, run_key)
        version = versions.get_version(connection, run.version_id)
        found = runs.artifacts_of(connection, run.id)
        name = _checkpoint_name(checkpoint, run, model_version, found)
        try:
            artifact = runs.get_artifact(connection, run.id, name)
        except RunError as error:
            raise ExportError(str(error)) from None
    path = Path(store_dir) / artifact.path
    _check_checkpoint(path, artifact, run, model_version)
    return ExportSource(
        run,
        version,
        ClassIndex.of(version),
        artifact,
        path,
        model_version,
        _metrics(run, model_version),
    )


def _check_checkpoint(path: Path, artifact: ArtifactRecord, run: RunRecord, model: Any) -> None:
    if not path.is_file():
        raise ExportError(f"run {run.name}: checkpoint {artifact.name} is missing ({path})")
    actual = file_sha256(path)
    wanted = model.checkpoint_sha256 if model is not None and model.checkpoint_sha256 else None
    if wanted and actual != wanted:
        raise ExportError(
            f"model {model.name}:{model.version}: checkpoint {path} changed since it was "
            f"registered (sha256 {actual[:12]}…, registered {wanted[:12]}…)"
        )
    if artifact.sha256 and actual != artifact.sha256:
        raise ExportError(
            f"run {run.name}: checkpoint {path} does not match its record "
            f"(sha256 {actual[:12]}…, recorded {artifact.sha256[:12]}…)"
        )


def _truth(item: VersionItem, task: str, class_index: ClassIndex) -> Any:
    if task == Task.CLASSIFICATION.value:
        return class_index.index_of(tag_class_ids(item, class_index)[0])
    if task == Task.MULTILABEL.value:
        tagged = set(tag_class_ids(item, class_index))
        return [class_id in tagged for class_id in class_index.class_ids]
    return None


def parity_items(
    database: Database, source: ExportSource, count: int
) -> tuple[list[VersionItem], list[str]]:
    """Up to `count` usable items, held-out first: test, then val, then train."""
    chosen: list[VersionItem] = []
    splits: list[str] = []
    with database.read() as connection:
        for split in PARITY_SPLITS:
            if len(chosen) >= count:
                break
            items = versions.version_items(connection, source.version.id, split)
            usable, _ = usable_items(items, source.run.task, source.class_index)
            taken = usable[: count - len(chosen)]
            chosen += taken
            splits += [split] * len(taken)
    return chosen, splits


def parity_images(
    items: list[VersionItem], splits: list[str], root: Path, source: ExportSource
) -> list[ParityImage]:
    task, index = source.run.task, source.class_index
    return [
        ParityImage(item.item_id, resolve(root, item.path), split, _truth(item, task, index))
        for item, split in zip(items, splits, strict=True)
    ]
