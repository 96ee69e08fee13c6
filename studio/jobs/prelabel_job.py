"""Pre-labeling: a model's predictions over a project's items, stored as pending suggestions.

    python -m studio.jobs.worker prelabel PROJECT SOURCE [--item ID ...] [--threshold T]
                                          [--map MODEL_CLASS=PROJECT_CLASS ...]
                                          [--include-labeled] [--device D] [--batch-size N]
                                          [--author A]

SOURCE is a run (id, name, or "latest"), a registered model (`NAME`, `NAME:VERSION`,
`NAME:ALIAS`) or an exported bundle (folder or zip). A run or a model version is predicted
with torch through `studio.ml.evaluation.predict`; a bundle with its own ONNX runtime
(`studio.bundle.runtime.Bundle`), in this worker too, so batch pre-labeling never loads the
window's process and stops the same way whatever the source (the worker then imports no
torch). Each batch of items is one transaction (one undo step), so a cancelled run keeps the
batches it finished. Classification suggests one tag per item (the top class), multi-label
every class above the threshold, detection boxes and segmentation masks.

Events: {"event": "prelabel", "model", "items"}, {"event": "progress", "done", "total",
"suggested"}, {"event": "skipped", "item_id", "error"}, then {"event": "finished", "status",
"summary"}.

This module imports no torch at load time: the API builds the worker's command line with
`prelabel_command`, and runs a plugin's pre-labeler with `prelabel_items` in its own process.
"""

from __future__ import annotations

import sys
import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from studio.core import model_registry, runs, versions
from studio.core.classes import all_classes
from studio.core.database import Database
from studio.core.edits import user_edit
from studio.core.enums import AnnotationKind, RunStatus, Task
from studio.core.errors import ExportError, RunError, StudioError
from studio.core.prelabels import (
    LATEST_RUN,
    PrelabelOptions,
    as_suggestions,
    items_to_prelabel,
    map_classes,
    suggested_by,
)
from studio.core.project_file import open_project_file, store_dir_of
from studio.core.queries import items_by_ids
from studio.core.records import ItemRecord
from studio.core.suggestions import suggest_annotations
from studio.core.versions import VersionItem
from studio.core.wording import counted
from studio.jobs import events
from studio.jobs.launcher import WORKER_MODULE
from studio.jobs.run_context import Emit, RunFiles

PRELABEL_ACTION = "prelabel"
OnSkipped = Callable[[int, str], None]


class Predictor(Protocol):
    """A model as pre-labeling uses it: its class names, the name its suggestions carry, and
    its predictions for some items (annotation mappings whose `label` is a model class)."""

    classes: Sequence[str]
    name: str

    def predict(self, items: Sequence[ItemRecord], skipped: OnSkipped) -> list[dict[str, Any]]:
        """Predictions for `items`; an item that cannot be read is passed to `skipped`."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class PrelabelSummary:
    items: int
    suggestions: int
    skipped: int
    cancelled: bool = False

    def as_dict(self) -> dict[str, int]:
        return {"items": self.items, "suggestions": self.suggestions, "skipped": self.skipped}


def bundle_path(source: str) -> Path | None:
    """The bundle `source` names (an existing folder with a manifest, or a zip), else None."""
    path = Path(source).expanduser()
    if path.is_dir() and (path / "manifest.json").is_file():
        return path.resolve()
    if path.is_file() and path.suffix.lower() == ".zip":
        return path.resolve()
    return None


def prelabel_command(
    project_path: Path, options: PrelabelOptions, item_ids: Sequence[int] | None, author: str
) -> list[str]:
    """The full argv of a `prelabel` worker; `item_ids` None pre-labels every item."""
    items = [argument for item_id in item_ids or () for argument in ("--item", str(item_id))]
    if item_ids is not None and not item_ids:
        raise StudioError("no items to pre-label")
    mapping = [
        argument
        for model_class, project_class in options.class_mapping
        for argument in ("--map", f"{model_class}={project_class}")
    ]
    return [
        sys.executable,
        "-m",
        WORKER_MODULE,
        PRELABEL_ACTION,
        str(Path(project_path)),
        options.source,
        *items,
        *mapping,
        *(["--include-labeled"] if options.include_labeled else []),
        "--threshold",
        str(options.threshold),
        "--device",
        options.device,
        "--batch-size",
        str(options.batch_size),
        "--author",
        author,
    ]


# -- the loop ----------------------------------------------------------------------------------


def prelabel_items(
    database: Database,
    item_ids: Sequence[int],
    predictor: Predictor,
    mapping: dict[str, str],
    options: PrelabelOptions,
    author: str,
    *,
    emit: Emit = events.emit,
    cancel: threading.Event | None = None,
) -> PrelabelSummary:
    """Predict the items batch by batch and store each batch's suggestions in one transaction
    (one undo step); `cancel` stops between batches, keeping those done. Items holding a
    pending or rejected suggestion of this model already are left out (`already`)."""
    with database.read() as connection:
        already = suggested_by(connection, item_ids, predictor.name)
    item_ids = [item_id for item_id in item_ids if item_id not in already]
    total = len(item_ids)
    emit({"event": "prelabel", "model": predictor.name, "items": total, "already": len(already)})
    suggested = skipped = done = 0

    def skip(item_id: int, error: str) -> None:
        nonlocal skipped
        skipped += 1
        emit({"event": "skipped", "item_id": item_id, "error": error})

    for start in range(0, total, options.batch_size):
        if cancel is not None and cancel.is_set():
            return PrelabelSummary(done, suggested, skipped, cancelled=True)
        with database.read() as connection:
            records = items_by_ids(connection, item_ids[start : start + options.batch_size])
        predictions = predictor.predict(records, skip)
        specs = as_suggestions(predictions, mapping, options.threshold, predictor.name)
        if specs:
            description = f"Pre-label with {predictor.name}: {counted(len(specs), 'suggestion')}"
            with user_edit(database, description, author) as edit:
                suggest_annotations(edit, specs, author)
        suggested += len(specs)
        done = min(start + options.batch_size, total)
        emit({"event": "progress", "done": done, "total": total, "suggested": len(specs)})
    return PrelabelSummary(total, suggested, skipped)


def prelabel_project(
    project_path: Path,
    options: PrelabelOptions,
    item_ids: Sequence[int] | None,
    author: str,
    *,
    emit: Emit = events.emit,
    cancel: threading.Event | None = None,
) -> PrelabelSummary:
    """The worker's `prelabel`: open the project and the model, map the classes, and
    pre-label the items (`item_ids`, or all; without final labels unless asked)."""
    project_path = Path(project_path).resolve()
    database = open_project_file(project_path)
    try:
        database.check_writable()
        predictor = open_predictor(database, project_path, options)
        try:
            with database.read() as connection:
                project_classes = [record.name for record in all_classes(connection, False)]
                chosen = items_to_prelabel(connection, options, item_ids)
            mapping = map_classes(
                predictor.classes, project_classes, options.class_mapping, predictor.name
            )
            return prelabel_items(
                database, chosen, predictor, mapping, options, author, emit=emit, cancel=cancel
            )
        finally:
            predictor.close()
    finally:
        database.close()


# -- the models --------------------------------------------------------------------------------


def open_predictor(database: Database, project_path: Path, options: PrelabelOptions) -> Predictor:
    """The model `options.source` names, loaded: a bundle, else a run or a model version."""
    bundle = bundle_path(options.source)
    if bundle is not None:
        return BundlePredictor(bundle, project_path.parent, options.batch_size)
    with database.read() as connection:
        record = resolve_model_source(connection, options.source)
    return TorchPredictor.load(database, project_path, record, options)


def resolve_model_source(
    connection: Any, source: str
) -> runs.RunRecord | model_registry.ModelVersionRecord:
    """The run or model version `source` names ("latest": the newest finished run)."""
    from studio.jobs.export_job import resolve_source

    if source.strip() in ("", LATEST_RUN):
        finished = [
            run for run in runs.list_runs(connection) if run.status == RunStatus.FINISHED.value
        ]
        if not finished:
            raise RunError("the project has no finished run to pre-label with")
        return max(finished, key=lambda run: (run.finished_at or 0.0, run.id))
    try:
        return resolve_source(connection, source)
    except ExportError:
        raise StudioError(
            f"{source!r} is neither a run (id, name or {LATEST_RUN}), a registered model "
            "(NAME[:VERSION|:ALIAS]) nor a bundle (a folder with a manifest.json, or a .zip)"
        ) from None


def model_name(record: runs.RunRecord | model_registry.ModelVersionRecord) -> str:
    """What a suggestion's attributes call the model: `NAME:VERSION`, or `run NAME`."""
    if isinstance(record, model_registry.ModelVersionRecord):
        return record.ref
    return f"run {record.name}"


class TorchPredictor:
    """A run's checkpoint (or a registered version's) in its architecture, on the device."""

    def __init__(
        self,
        module: Any,
        run: runs.RunRecord,
        class_index: Any,
        name: str,
        *,
        root: Path,
        device: Any,
        transforms: Any,
        threshold: float,
    ) -> None:
        self.module = module
        self.run = run
        self.class_index = class_index
        self.classes = list(class_index.names)
        self.name = name
        self.root = root
        self.device = device
        self.transforms = transforms
        self.threshold = threshold

    @classmethod
    def load(
        cls,
        database: Database,
        project_path: Path,
        record: runs.RunRecord | model_registry.ModelVersionRecord,
        options: PrelabelOptions,
    ) -> TorchPredictor:
        from studio.jobs.evaluation_job import (
            EvaluationTarget,
            build_run_module,
            checked_checkpoint,
        )
        from studio.ml.augment import build_transforms
        from studio.ml.checkpoints import load_model_weights
        from studio.ml.data import ClassIndex
        from studio.ml.devices import choose_device

        model = record if isinstance(record, model_registry.ModelVersionRecord) else None
        with database.read() as connection:
            run = runs.get_run(connection, record.run_id if model is not None else record.id)
            version = versions.get_version(connection, run.version_id)
        files = RunFiles(store_dir_of(project_path), run.id)
        target = EvaluationTarget(database, project_path.parent, run, version, files)
        checkpoint = checked_checkpoint(target, model.checkpoint if model else "best.pt")
        classes = ClassIndex.of(version)
        device = choose_device(options.device)
        module = build_run_module(run, len(classes)).to(device)
        load_model_weights(module, checkpoint, model_name(record))
        input_size = int(run.config.get("input_size", 224))
        return cls(
            module,
            run,
            classes,
            model_name(record),
            root=project_path.parent,
            device=device,
            transforms=build_transforms(run.task, input_size, [], train=False),
            threshold=options.threshold,
        )

    def predict(self, items: Sequence[ItemRecord], skipped: OnSkipped) -> list[dict[str, Any]]:
        try:
            return self._predict(items)
        except RunError:
            if len(items) == 1:
                raise
        # An image of the batch cannot be read: predict one by one, skipping those.
        found = []
        for item in items:
            try:
                found += self._predict([item])
            except RunError as error:
                skipped(item.id, str(error))
        return found

    def _predict(self, items: Sequence[ItemRecord]) -> list[dict[str, Any]]:
        from studio.ml.data import UnlabeledDataset
        from studio.ml.evaluation import predict

        unlabeled = [
            VersionItem(
                item.id, item.path, item.sha256, item.width, item.height, item.status, "", ()
            )
            for item in items
        ]
        task = self.run.task
        dataset = UnlabeledDataset(unlabeled, self.root, task, self.class_index, self.transforms)
        found = predict(
            self.module,
            dataset,
            task,
            self.class_index,
            self.device,
            batch_size=max(1, len(items)),
            score_threshold=self.threshold,
        )
        by_item: dict[int, list[Any]] = defaultdict(list)
        for prediction in found:
            by_item[prediction.item_id].append(prediction)
        predictions = []
        for item_predictions in by_item.values():
            if task == Task.CLASSIFICATION.value:
                item_predictions = item_predictions[:1]  # the top class: `predict` sorts them
            for prediction in item_predictions:
                entry = {
                    "item_id": prediction.item_id,
                    "label": self.class_index.name_of(prediction.class_id),
                    "score": prediction.score,
                }
                if prediction.kind != AnnotationKind.TAG.value:
                    entry[prediction.kind] = prediction.geometry
                predictions.append(entry)
        return predictions

    def close(self) -> None:
        """Nothing to release: the module goes with the process."""


class BundlePredictor:
    """An exported bundle run by its own runtime (ONNX Runtime, no torch)."""

    def __init__(self, path: Path, root: Path, batch_size: int) -> None:
        from studio.bundle.manifest import BundleError
        from studio.bundle.runtime import Bundle

        try:
            self.bundle = Bundle.load(path)
        except BundleError as error:
            raise StudioError(str(error)) from None
        self.root = root
        self.batch_size = batch_size
        self.classes = list(self.bundle.classes)
        self.name = bundle_model_name(self.bundle.manifest, path)

    def predict(self, items: Sequence[ItemRecord], skipped: OnSkipped) -> list[dict[str, Any]]:
        from studio.core.media import resolve

        by_path = {str(resolve(self.root, item.path)): item for item in items}

        def on_error(image: Any, error: Exception) -> None:
            skipped(by_path[str(image)].id, str(error))

        results = self.bundle.predict_many(list(by_path), self.batch_size, on_error)
        predictions = []
        for result in results:
            item = by_path[result["image"]]
            predictions += bundle_predictions(item.id, self.bundle.task, result)
        return predictions

    def close(self) -> None:
        self.bundle.close()


def bundle_model_name(manifest: dict[str, Any], path: Path) -> str:
    """`bundle NAME:VERSION` (or `bundle RUN`) from the manifest's lineage, else the folder."""
    lineage = manifest.get("lineage") or {}
    model = lineage.get("model_version") or {}
    if model.get("name"):
        return f"bundle {model['name']}:{model.get('version')}"
    run = (lineage.get("run") or {}).get("name")
    return f"bundle {run}" if run else f"bundle {path.name}"


def bundle_predictions(item_id: int, task: str, result: dict[str, Any]) -> list[dict[str, Any]]:
    """A bundle's result for one image as predictions (see `studio.bundle.postprocess`)."""
    if task == Task.CLASSIFICATION.value:
        return [{"item_id": item_id, "label": result["label"], "score": result["score"]}]
    if task == Task.MULTILABEL.value:
        scores = result["scores"]
        return [{"item_id": item_id, "label": name, "score": scores[name]} for name in scores]
    geometry = "mask" if task == Task.SEGMENTATION.value else "box"
    return [
        {
            "item_id": item_id,
            "label": found["class"],
            "score": found["score"],
            geometry: found[geometry],
        }
        for found in result["detections"]
    ]
