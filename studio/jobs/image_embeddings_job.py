"""Embedding a project's images for the map of the data, in a worker process.

    python -m studio.jobs.worker embed-images PROJECT [--model REF] [--item ID ...]
                                              [--device D] [--batch-size N]

The model is REF (a run id or name, or a registered model `NAME[:VERSION|:ALIAS]`), else the
project's latest finished run that has a checkpoint, else an ImageNet classifier whose weights
are already in torch's cache (`studio.ml.image_features.cached_backbone`); with none of those
the worker fails with one line saying what to do. Nothing is downloaded.

Each image's features go to the user's embedding cache (`studio.core.embedding_cache`, the
one SAM's embeddings use) under `EmbeddingKey(image sha256, model sha256, input size)`, where
the model's sha256 is its checkpoint's (or the cached weights file's): images already cached
are not computed again, for this project or any other holding the same image.
Events: {"event": "model", "kind", "description", "architecture", "sha256", "input_size",
"device"}, {"event": "progress", "done", "total", "cached"}, {"event": "skipped", "item_id",
"error"} for an image that cannot be read, then {"event": "finished", "status", "summary"}.
A signal stops between batches; what was stored stays stored. Nothing is written to the
project. This module imports no torch at load time (the API builds the command line here).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.core import runs, versions
from studio.core.database import Database
from studio.core.embedding_cache import EmbeddingCache, EmbeddingKey, EmbeddingMeta
from studio.core.errors import StudioError
from studio.core.model_registry import ModelVersionRecord
from studio.core.object_store import file_sha256
from studio.core.project_file import open_project_file, store_dir_of
from studio.core.runs import RunRecord
from studio.jobs import events
from studio.jobs.export_job import DEFAULT_CHECKPOINTS, resolve_source
from studio.jobs.launcher import WORKER_MODULE
from studio.jobs.run_context import Emit
from studio.jobs.sam_encode_job import ImageToEncode, images_of, read_rgb

if TYPE_CHECKING:
    from studio.ml.image_features import FeatureExtractor

EMBED_IMAGES_ACTION = "embed-images"
DEFAULT_BATCH_SIZE = 32


class EmbeddingModelError(StudioError):
    """No model to embed with, or the one named cannot be used; the message says why."""


@dataclass(frozen=True)
class EmbeddingOptions:
    """Which model embeds the images (`model`: "" for the latest run, else a cached
    backbone), on which device, in batches of how many images."""

    model: str = ""
    device: str = "auto"
    batch_size: int = DEFAULT_BATCH_SIZE


@dataclass(frozen=True)
class EmbeddingModel:
    """The model whose features are the embeddings, as values: `kind` is "run", "model" or
    "backbone"; `sha256` is its weights file's, which keys the cache."""

    kind: str
    description: str
    architecture: str
    sha256: str
    input_size: int

    def key_of(self, image_sha256: str) -> EmbeddingKey:
        return EmbeddingKey(image_sha256, self.sha256, self.input_size)

    def as_event(self, device: str) -> dict[str, Any]:
        return {
            "event": "model",
            "kind": self.kind,
            "description": self.description,
            "architecture": self.architecture,
            "sha256": self.sha256,
            "input_size": self.input_size,
            "device": device,
        }


@dataclass(frozen=True)
class EmbedSummary:
    embedded: int
    cached: int
    skipped: int
    cancelled: bool = False

    def as_dict(self) -> dict[str, int]:
        return {"embedded": self.embedded, "cached": self.cached, "skipped": self.skipped}


def embed_images_command(
    project_path: Path, options: EmbeddingOptions, item_ids: Sequence[int] = ()
) -> list[str]:
    """The full argv of an `embed-images` worker."""
    items = [argument for item_id in item_ids for argument in ("--item", str(item_id))]
    model = ["--model", options.model] if options.model else []
    return [
        sys.executable,
        "-m",
        WORKER_MODULE,
        EMBED_IMAGES_ACTION,
        str(Path(project_path)),
        *model,
        *items,
        "--device",
        options.device,
        "--batch-size",
        str(options.batch_size),
    ]


def no_model_message(project_path: Path, hub_folder: Path) -> str:
    """The one line given when there is nothing to embed with."""
    return (
        f"{project_path}: nothing to compute the map with: the project has no trained model and "
        f"torch's cache ({hub_folder}) holds no ImageNet weights; train a model first "
        "(studio train), or name one with --model"
    )


# -- choosing the model (no torch) -----------------------------------------------------------


def latest_run_with_checkpoint(connection: Any) -> RunRecord | None:
    """The project's most recent finished run that saved a checkpoint."""
    for run in reversed(runs.list_runs(connection)):
        if run.status != "finished":
            continue
        names = {artifact.name for artifact in runs.artifacts_of(connection, run.id)}
        if names & set(DEFAULT_CHECKPOINTS):
            return run
    return None


@dataclass(frozen=True)
class RunCheckpoint:
    """A trained model of the project: its run, the checkpoint file and its class count."""

    run: RunRecord
    model: EmbeddingModel
    path: Path
    num_classes: int


def find_run_checkpoint(database: Database, project_path: Path, ref: str) -> RunCheckpoint | None:
    """The checkpoint `ref` names (a run or a registered model); the latest finished run's
    when `ref` is ""; None when `ref` is "" and no run finished with a checkpoint."""
    with database.read() as connection:
        source = resolve_source(connection, ref) if ref else latest_run_with_checkpoint(connection)
        if source is None:
            return None
        if isinstance(source, ModelVersionRecord):
            run = runs.get_run(connection, source.run_id)
            name, kind, description = source.checkpoint, "model", f"model {source.ref}"
        else:
            run = source
            names = {artifact.name for artifact in runs.artifacts_of(connection, run.id)}
            found = [name for name in DEFAULT_CHECKPOINTS if name in names]
            if not found:
                raise EmbeddingModelError(f"run {run.name} has no checkpoint (it trained no epoch)")
            name, kind, description = found[0], "run", f"run {run.name}"
        artifact = runs.get_artifact(connection, run.id, name)
        num_classes = len(versions.get_version(connection, run.version_id).classes)
    path = store_dir_of(project_path) / artifact.path
    if not path.is_file():
        raise EmbeddingModelError(f"{description}: checkpoint {artifact.name} is missing ({path})")
    sha256 = file_sha256(path)
    if artifact.sha256 and sha256 != artifact.sha256:
        raise EmbeddingModelError(
            f"{description}: checkpoint {path} does not match its record (it changed on disk)"
        )
    input_size = int(run.config.get("input_size", 224))
    model = EmbeddingModel(kind, f"{description} ({name})", run.model, sha256, input_size)
    return RunCheckpoint(run, model, path, num_classes)


# -- embedding (torch, imported when it runs) ------------------------------------------------


def load_extractor(
    project_path: Path, ref: str, device: str
) -> tuple[EmbeddingModel, FeatureExtractor]:
    """The model to embed with (see the module doc) and its feature extractor."""
    import torch

    from studio.jobs.evaluation_job import build_run_module
    from studio.ml.checkpoints import load_model_weights
    from studio.ml.devices import choose_device
    from studio.ml.image_features import (
        BACKBONE_INPUT_SIZE,
        FeatureExtractor,
        backbone_extractor,
        cached_backbone,
    )

    project_path = Path(project_path).resolve()
    chosen = choose_device(device)
    database = open_project_file(project_path)
    try:
        found = find_run_checkpoint(database, project_path, ref)
    finally:
        database.close()
    if found is not None:
        module = build_run_module(found.run, found.num_classes)
        load_model_weights(module, found.path, found.model.description)
        extractor = FeatureExtractor(module, found.run.task, found.model.input_size, chosen)
        return found.model, extractor
    backbone = cached_backbone()
    if backbone is None:
        hub = Path(torch.hub.get_dir()) / "checkpoints"
        raise EmbeddingModelError(no_model_message(project_path, hub))
    model = EmbeddingModel(
        "backbone",
        f"ImageNet {backbone.architecture} (cached weights, no project model trained)",
        backbone.architecture,
        file_sha256(backbone.weights_file),
        BACKBONE_INPUT_SIZE,
    )
    return model, backbone_extractor(backbone, chosen)


def embed_images(
    images: Sequence[ImageToEncode],
    model: EmbeddingModel,
    extractor: FeatureExtractor,
    store: EmbeddingCache,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    emit: Emit = events.emit,
    cancel: threading.Event | None = None,
) -> EmbedSummary:
    """Embed every image not yet in `store`, `batch_size` at a time; stop between batches
    once `cancel` is set."""
    from PIL import Image

    if batch_size < 1:
        raise StudioError(f"batch size must be at least 1, not {batch_size}")
    pending = [image for image in images if not store.contains(model.key_of(image.sha256))]
    cached = len(images) - len(pending)
    done, embedded, skipped = cached, 0, 0
    emit({"event": "progress", "done": done, "total": len(images), "cached": cached})
    kind = f"features:{model.architecture}"
    for start in range(0, len(pending), batch_size):
        if cancel is not None and cancel.is_set():
            return EmbedSummary(embedded, cached, skipped, cancelled=True)
        batch = pending[start : start + batch_size]
        inputs, metas, kept = [], [], []
        for image in batch:
            try:
                pixels = read_rgb(image.path)
            except StudioError as error:
                skipped += 1
                emit({"event": "skipped", "item_id": image.item_id, "error": str(error)})
                continue
            inputs.append(extractor.prepare(Image.fromarray(pixels)))
            size = (model.input_size, model.input_size)
            metas.append(EmbeddingMeta((pixels.shape[0], pixels.shape[1]), size, kind))
            kept.append(image)
        if inputs:
            vectors = extractor.features(inputs)
            store.put_many(
                (model.key_of(image.sha256), vector, meta)
                for image, vector, meta in zip(kept, vectors, metas, strict=True)
            )
            embedded += len(kept)
        done += len(batch)
        emit({"event": "progress", "done": done, "total": len(images), "cached": cached})
    return EmbedSummary(embedded, cached, skipped)


def embed_project(
    project_path: Path,
    options: EmbeddingOptions,
    item_ids: Sequence[int] = (),
    *,
    emit: Emit = events.emit,
    cancel: threading.Event | None = None,
) -> EmbedSummary:
    """The worker's `embed-images`: the project's images (all when `item_ids` is empty) into
    the user's embedding cache, with the model `options.model` names."""
    images = images_of(project_path, item_ids)
    model, extractor = load_extractor(project_path, options.model, options.device)
    emit(model.as_event(str(extractor.device)))
    return embed_images(
        images,
        model,
        extractor,
        EmbeddingCache(),
        batch_size=options.batch_size,
        emit=emit,
        cancel=cancel,
    )
