"""Encoding a project's images with SAM's image encoder, in a worker process.

    python -m studio.jobs.worker sam-encode PROJECT CHECKPOINT [--item ID ...] [--device D]

Each image's embedding goes to the user's `EmbeddingCache` (`studio.core.embedding_cache`)
under an `EmbeddingKey(image sha256, checkpoint sha256, encoder input size)`; images whose key
is already cached are skipped, so a second request for the same images encodes nothing. The
GUI process reads the cache back when a click needs the embedding. The checkpoint's ONNX
prompt decoder is exported first unless cached (`studio.ml.sam.decoder_export`).
Events: {"event": "decoder", "path", "exported"},
{"event": "encoder", "checkpoint", "checkpoint_sha256", "model_type", "device"},
{"event": "progress", "done", "total", "item_id", "cached"}, {"event": "skipped", "item_id",
"error"} for an image that cannot be read, then {"event": "finished", "status", "summary"}.

Only the values the encoder needs (paths and sha256s of the items) are read from the project;
nothing is written to it. This module imports no torch at load time; the encoder is imported
when an encoding runs.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageOps

from studio.core import media, queries
from studio.core.embedding_cache import EmbeddingCache, EmbeddingKey
from studio.core.errors import StudioError
from studio.core.project_file import open_project_file
from studio.core.queries import ItemQuery
from studio.jobs import events
from studio.jobs.run_context import Emit

if TYPE_CHECKING:
    from segment_anything.modeling import Sam

    from studio.ml.sam.checkpoint import SamCheckpoint


@dataclass(frozen=True)
class ImageToEncode:
    """One project image, as the encoder job needs it."""

    item_id: int
    path: Path
    sha256: str


@dataclass(frozen=True)
class EncodeSummary:
    encoded: int
    cached: int
    skipped: int
    cancelled: bool = False

    def as_dict(self) -> dict[str, int]:
        return {"encoded": self.encoded, "cached": self.cached, "skipped": self.skipped}


def images_of(project_path: Path, item_ids: Sequence[int] = ()) -> list[ImageToEncode]:
    """The project's items (all of them when `item_ids` is empty) as files to encode."""
    project_path = Path(project_path).resolve()
    database = open_project_file(project_path)
    try:
        with database.read() as connection:
            ids = list(item_ids) or queries.item_ids(connection, ItemQuery())
            records = queries.items_by_ids(connection, ids)
    finally:
        database.close()
    missing = sorted(set(ids) - {record.id for record in records})
    if missing:
        raise StudioError(f"{project_path}: no item with id {', '.join(map(str, missing))}")
    root = project_path.parent
    return [
        ImageToEncode(record.id, media.resolve(root, record.path), record.sha256)
        for record in records
    ]


def read_rgb(path: Path) -> np.ndarray:
    """The image at `path` upright (EXIF orientation applied) as (H, W, 3) uint8."""
    try:
        with Image.open(path) as image:
            return np.asarray(ImageOps.exif_transpose(image).convert("RGB"))
    except FileNotFoundError:
        raise StudioError(f"{path}: the file is missing") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise StudioError(f"{path}: unreadable or corrupt image ({error})") from None


def encode_images(
    images: Sequence[ImageToEncode],
    sam: Sam,
    checkpoint: SamCheckpoint,
    store: EmbeddingCache,
    *,
    device: str = "auto",
    emit: Emit = events.emit,
    cancel: threading.Event | None = None,
) -> EncodeSummary:
    """Encode every image not yet in `store` with `sam` (loaded from `checkpoint`); stop
    between images once `cancel` is set."""
    from studio.ml.sam.encoder import SamEncoder

    encoder = SamEncoder(sam, device)
    input_size = checkpoint.architecture.image_size
    emit(
        {
            "event": "encoder",
            "checkpoint": str(checkpoint.path),
            "checkpoint_sha256": checkpoint.sha256,
            "model_type": checkpoint.model_type,
            "device": encoder.describe(),
        }
    )
    encoded = cached = skipped = 0
    for done, image in enumerate(images, start=1):
        if cancel is not None and cancel.is_set():
            return EncodeSummary(encoded, cached, skipped, cancelled=True)
        key = EmbeddingKey(image.sha256, checkpoint.sha256, input_size)
        hit = store.get(key) is not None
        if hit:
            cached += 1
        else:
            try:
                embedding = encoder.encode(read_rgb(image.path))
            except StudioError as error:
                skipped += 1
                emit({"event": "skipped", "item_id": image.item_id, "error": str(error)})
                continue
            store.put(key, embedding.embedding, embedding.meta(checkpoint.model_type))
            encoded += 1
        event = {"done": done, "total": len(images), "item_id": image.item_id, "cached": hit}
        emit({"event": "progress", **event})
    return EncodeSummary(encoded, cached, skipped)


def encode_project(
    project_path: Path,
    checkpoint_path: Path,
    item_ids: Sequence[int] = (),
    *,
    device: str = "auto",
    cache_limit_mb: int | None = None,
    emit: Emit = events.emit,
    cancel: threading.Event | None = None,
) -> EncodeSummary:
    """The worker's `sam-encode`: the checkpoint's prompt decoder exported (once, cached) and
    the project's images into the user's embedding cache: all the window needs to decode."""
    from studio.ml.sam.checkpoint import load_sam
    from studio.ml.sam.decoder_export import export_decoder

    images = images_of(project_path, item_ids)
    sam, checkpoint = load_sam(checkpoint_path)
    decoder = export_decoder(sam, checkpoint)
    emit({"event": "decoder", "path": str(decoder.path), "exported": decoder.parity is not None})

    limit = None if cache_limit_mb is None else cache_limit_mb * 2**20  # None: the user's
    store = EmbeddingCache(limit_bytes=limit)
    return encode_images(images, sam, checkpoint, store, device=device, emit=emit, cancel=cancel)
