"""What the SAM canvas tool needs from the open project: the checkpoint, its ONNX prompt
decoder, the shown image's embedding, and the look-ahead that encodes the next images.

The workspace tells the assistant which image is shown and which come next in the gallery's
order; when an embedding is missing from the user's `EmbeddingCache`, one `sam-encode` worker
encodes the shown image first, then the next `look_ahead` images, while the person labels.
`session_for` runs on the tool's background thread: reading an embedding (2 MiB) and loading
the decoder (once per checkpoint) must not stall the window.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QSettings, Signal

from studio.api import AnnotationRecord, ItemRecord, Project, SamCheckpointChoice, StudioError
from studio.core.embedding_cache import EmbeddingCache, EmbeddingKey
from studio.gui.sam.encoder_process import EncodeRequest, EncoderProcess
from studio.ml.sam.embedding import ImageEmbedding
from studio.ml.sam.onnx_decoder import OnnxPromptDecoder, cached_decoder_path
from studio.ml.sam.session import PromptSession

DEFAULT_LOOK_AHEAD = 5
LOOK_AHEAD_SETTING = "sam/look_ahead"  # QSettings key of the number of images encoded ahead
DECODER_THREADS = 2


@dataclass(frozen=True)
class SamOptions:
    """look_ahead: how many images after the shown one (in the gallery's order) are encoded
    in the background."""

    look_ahead: int = DEFAULT_LOOK_AHEAD


def sam_options(settings: QSettings) -> SamOptions:
    """The user's SAM options from the window's settings (a bad value: the default)."""
    try:
        look_ahead = int(settings.value(LOOK_AHEAD_SETTING, DEFAULT_LOOK_AHEAD))
    except (TypeError, ValueError):
        look_ahead = DEFAULT_LOOK_AHEAD
    return SamOptions(max(0, look_ahead))


@dataclass(frozen=True)
class BoxMasks:
    """SAM's masks for boxes of one item (`masks` None: the item is not encoded yet)."""

    item_id: int
    boxes: list[AnnotationRecord]
    masks: list[np.ndarray] | None


class SamAssistant(QObject):
    embedding_ready = Signal(int)  # item id: its embedding is in the cache now
    encoding = Signal(bool)  # True while an encoder worker runs
    failed = Signal(str)

    def __init__(self, options: SamOptions = SamOptions(), parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.options = options
        self._project: Project | None = None
        self._item: ItemRecord | None = None
        self._suggest: Callable[[list[dict[str, Any]]], list[int]] | None = None
        self._cache = EmbeddingCache()
        self._decoder: OnnxPromptDecoder | None = None
        self._decoder_lock = threading.Lock()
        self._encoder = EncoderProcess(self)
        self._encoder.encoded.connect(self.embedding_ready)
        self._encoder.failed.connect(self.failed)
        self._encoder.idle.connect(lambda: self.encoding.emit(False))

    # -- the project and the shown image ----------------------------------------------------

    def set_project(self, project: Project | None) -> None:
        self._encoder.cancel()
        self._project, self._item = project, None
        self._decoder = None

    def set_suggest(self, suggest: Callable[[list[dict[str, Any]]], list[int]]) -> None:
        """How suggestions are stored: the workspace's controller (one undo step, reloaded)."""
        self._suggest = suggest

    def item(self) -> ItemRecord | None:
        return self._item

    def checkpoint(self) -> SamCheckpointChoice | None:
        """The project's SAM checkpoint, or None when none was chosen or its file moved or
        changed since (choosing it again records the new bytes)."""
        if self._project is None:
            return None
        chosen = self._project.sam_checkpoint()
        return chosen if chosen is not None and chosen.usable else None

    def set_checkpoint(self, path: Path) -> None:
        """Record `path` as the project's checkpoint (the API checks it) and start encoding."""
        if self._project is None:
            raise StudioError("Open a project first")
        self._project.set_sam_checkpoint(Path(path))
        self._encoder.cancel()
        self._decoder = None
        if self._item is not None:
            self.show_item(self._item, [])

    def show_item(self, item: ItemRecord | None, upcoming: Sequence[ItemRecord]) -> None:
        """`item` is shown and `upcoming` follow it in the gallery: encode the missing
        embeddings of `item` and the first `look_ahead` of `upcoming`, in that order."""
        self._item = item
        checkpoint = self.checkpoint()
        if item is None or checkpoint is None or self._project is None:
            return
        wanted = [item, *upcoming[: self.options.look_ahead]]
        missing = tuple(record.id for record in wanted if not self.has_embedding(record))
        if missing:
            self.encoding.emit(True)
            request = EncodeRequest(self._project.path, checkpoint.path, missing)
            self._encoder.request(request)

    def stop(self) -> None:
        """Stop the encoder worker (the project or the window closes)."""
        self._encoder.cancel()

    # -- embeddings and decoding ------------------------------------------------------------

    def _key(self, item: ItemRecord) -> EmbeddingKey | None:
        checkpoint = self.checkpoint()
        decoder = self.decoder()
        if checkpoint is None or decoder is None:
            return None
        return EmbeddingKey(item.sha256, checkpoint.sha256, decoder.image_size)

    def has_embedding(self, item: ItemRecord) -> bool:
        key = self._key(item)
        return key is not None and self._cache.contains(key)

    def decoder(self) -> OnnxPromptDecoder | None:
        """The checkpoint's ONNX prompt decoder, loaded once; None until a worker exported it."""
        with self._decoder_lock:
            if self._decoder is None:
                checkpoint = self.checkpoint()
                path = cached_decoder_path(checkpoint.sha256) if checkpoint else None
                if path is not None:
                    self._decoder = OnnxPromptDecoder(path, threads=DECODER_THREADS)
            return self._decoder

    def session_for(self, item: ItemRecord) -> Any:
        """A `PromptSession` on `item`'s cached embedding, or None while it is not encoded.
        Runs on a background thread (reads the cache, may load the decoder)."""
        key = self._key(item)
        cached = self._cache.get(key) if key is not None else None
        decoder = self.decoder()
        if cached is None or decoder is None:
            return None
        return PromptSession(decoder, ImageEmbedding.from_cached(cached))

    def box_masks(
        self, item: ItemRecord, boxes: Sequence[Sequence[float]]
    ) -> list[np.ndarray] | None:
        """SAM's single best mask for each box ([x, y, width, height]) on `item`, or None while
        its embedding is not encoded. Runs on a background thread."""
        key = self._key(item)
        cached = self._cache.get(key) if key is not None else None
        decoder = self.decoder()
        if cached is None or decoder is None:
            return None
        embedding = ImageEmbedding.from_cached(cached)
        masks = []
        for x, y, width, height in boxes:
            decoded = decoder.decode(embedding, box=(x, y, x + width, y + height), multimask=False)
            masks.append(decoded.mask(0))
        return masks

    def suggest(self, annotations: list[dict[str, Any]]) -> list[int]:
        """Store `annotations` as pending suggestions, one undo step; their ids."""
        if self._suggest is None:
            raise StudioError("SAM suggestions cannot be stored: no project is shown")
        return self._suggest(annotations)
