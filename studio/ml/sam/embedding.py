"""An image embedding and the sizes the prompt decoder needs with it (numpy only, no torch)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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

    def meta(self) -> dict[str, list[int]]:
        """The sizes as plain values, for an embedding store's metadata."""
        return {"original_size": list(self.original_size), "input_size": list(self.input_size)}

    @classmethod
    def from_stored(cls, array: np.ndarray, meta: dict) -> ImageEmbedding:
        """Rebuild an embedding from what `meta()` and the array were stored as."""
        original = meta["original_size"]
        resized = meta["input_size"]
        return cls(
            np.asarray(array),
            (int(original[0]), int(original[1])),
            (int(resized[0]), int(resized[1])),
        )
