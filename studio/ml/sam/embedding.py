"""An image embedding and the sizes the prompt decoder needs with it (numpy only, no torch)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from studio.core.embedding_cache import CachedEmbedding, EmbeddingMeta


@dataclass(frozen=True)
class ImageEmbedding:
    """What SAM's image encoder made of one image.

    `embedding` is (1, C, grid, grid) float16 (C is 256 and grid 64 for the official models:
    2 MiB per image); `original_size` is the image's (height, width) and `input_size` the
    (height, width) it was resized to before padding to the encoder's square input. The
    decoder needs both to map prompts in and masks back out.
    """

    embedding: np.ndarray
    original_size: tuple[int, int]
    input_size: tuple[int, int]

    def meta(self, model_kind: str) -> EmbeddingMeta:
        """The sizes, for the embedding cache (`model_kind`: "vit_b", "custom"…)."""
        return EmbeddingMeta(self.original_size, self.input_size, model_kind)

    @classmethod
    def from_cached(cls, cached: CachedEmbedding) -> ImageEmbedding:
        """The embedding an `EmbeddingCache` hit holds."""
        return cls(np.asarray(cached.array), cached.meta.original_size, cached.meta.resized_size)
