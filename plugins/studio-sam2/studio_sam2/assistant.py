"""The SAM 2.1 assistant: answers clicks and boxes on one image with masks.

The image encoder (the slow half) runs once per image and checkpoint: its output goes into
Studio's shared embedding cache under the checkpoint's sha256, the main embedding as the entry's
array and SAM 2's two high-resolution feature maps as its extra arrays. A later prompt on the
same image, in this process or another, decodes from the cache without running the encoder.

This module imports torch and sam2; Studio imports it only when the assistant is created.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageOps
from sam2.build_sam import build_sam2
from sam2.modeling.sam2_base import SAM2Base
from sam2.sam2_image_predictor import SAM2ImagePredictor

from studio.plugins.assistants import (
    CachedEmbedding,
    EmbeddingCache,
    EmbeddingKey,
    EmbeddingMeta,
    Prompts,
    StudioError,
    encode_mask,
    file_sha256,
)
from studio_sam2.settings import Sam2Settings

# The names of SAM 2's high-resolution feature maps in a cache entry (finest first).
HIGH_RES_ARRAYS = ("high_res_0", "high_res_1")

ModelBuilder = Callable[[Sam2Settings, str], SAM2Base]


def build_official(settings: Sam2Settings, device: str) -> SAM2Base:
    """An official SAM 2.1 architecture (sam2's own config) with the checkpoint's weights."""
    return build_sam2(settings.config_name, str(settings.checkpoint), device=device)


class Sam2Assistant:
    """Answers prompts with SAM 2.1. `build` makes the model from the settings (the official
    configs by default; tests pass a tiny architecture)."""

    def __init__(
        self,
        settings: Sam2Settings,
        *,
        build: ModelBuilder = build_official,
        cache: EmbeddingCache | None = None,
    ) -> None:
        try:
            self.checkpoint_sha256 = file_sha256(settings.checkpoint)
        except OSError as error:
            raise StudioError(f"{settings.checkpoint}: cannot read ({error})") from None
        self.settings = settings
        self.cache = cache if cache is not None else EmbeddingCache()
        device = "cuda" if torch.cuda.is_available() else "cpu"
        self.model = build(settings, device)
        self.predictor = SAM2ImagePredictor(self.model)
        # sam2 assumes a 1024-pixel input; derive the feature sizes from the model instead,
        # so checkpoints trained at another size work too.
        size = self.model.image_size
        self.predictor._bb_feat_sizes = [(size // 4,) * 2, (size // 8,) * 2, (size // 16,) * 2]
        self.encoded = 0  # images this assistant ran the encoder on (cache misses)
        # The predictor holds one image at a time; the window may ask from several threads.
        self._lock = threading.Lock()

    def answer(self, image_path: Path, prompts: Prompts) -> list[dict[str, Any]]:
        """Masks for the prompts, best (highest predicted IoU) first, with source "sam"."""
        with self._lock:
            return self._answer(Path(image_path), prompts)

    def _answer(self, image_path: Path, prompts: Prompts) -> list[dict[str, Any]]:
        self._set_image(image_path)
        points = [(point.x, point.y) for point in prompts.points]
        box = None
        if prompts.box is not None:
            x, y, width, height = prompts.box
            box = np.array([x, y, x + width, y + height], dtype=np.float32)
        masks, scores, _ = self.predictor.predict(
            point_coords=np.array(points, dtype=np.float32) if points else None,
            point_labels=np.array([int(p.positive) for p in prompts.points]) if points else None,
            box=box,
            multimask_output=True,
        )
        order = np.argsort(-scores)
        return [
            {"mask": encode_mask(masks[index] > 0), "source": "sam", "score": float(scores[index])}
            for index in order
            if masks[index].any()
        ]

    def _set_image(self, path: Path) -> None:
        """Make `path` the predictor's image, from the cache when it holds the embedding."""
        key = EmbeddingKey(file_sha256(path), self.checkpoint_sha256, self.model.image_size)
        cached = self.cache.get(key)
        if cached is None:
            cached = self._encode(path, key)
        features = {
            name: torch.from_numpy(array.astype(np.float32)).to(self.predictor.device)
            for name, array in cached.extra_arrays.items()
        }
        # What `SAM2ImagePredictor.set_image` leaves behind, rebuilt from the cache.
        self.predictor.reset_predictor()
        self.predictor._features = {
            "image_embed": torch.from_numpy(cached.array.astype(np.float32)).to(
                self.predictor.device
            ),
            "high_res_feats": [features[name] for name in HIGH_RES_ARRAYS],
        }
        self.predictor._orig_hw = [cached.meta.original_size]
        self.predictor._is_image_set = True

    def _encode(self, path: Path, key: EmbeddingKey) -> CachedEmbedding:
        try:
            with Image.open(path) as image:
                rgb = np.array(ImageOps.exif_transpose(image).convert("RGB"))
        except OSError as error:
            raise StudioError(f"{path}: cannot read the image ({error})") from None
        self.predictor.set_image(rgb)
        self.encoded += 1
        features = self.predictor._features
        size = self.model.image_size
        meta = EmbeddingMeta(
            original_size=(int(rgb.shape[0]), int(rgb.shape[1])),
            resized_size=(size, size),  # SAM 2 resizes to a square, ignoring the aspect
            model_kind=self.settings.model_kind,
        )
        # Kept as the cache keeps them (float16), so this answer equals every later one.
        arrays = {
            name: _half(feature)
            for name, feature in zip(HIGH_RES_ARRAYS, features["high_res_feats"], strict=True)
        }
        embedding = _half(features["image_embed"])
        self.cache.put(key, embedding, meta, arrays)
        return CachedEmbedding(embedding, meta, arrays)


def _half(feature: torch.Tensor) -> np.ndarray:
    return feature.to(torch.float16).cpu().numpy()
