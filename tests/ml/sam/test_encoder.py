from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from segment_anything import SamPredictor

from studio.core.embedding_cache import EmbeddingCache, EmbeddingKey
from studio.ml.sam.embedding import ImageEmbedding
from studio.ml.sam.encoder import SamEncoder
from studio.ml.sam.errors import SamError


def test_embedding_matches_sam_predictor_set_image(
    tiny_sam: tuple, photograph: np.ndarray, photograph_embedding: ImageEmbedding
) -> None:
    predictor = SamPredictor(tiny_sam[0])
    predictor.set_image(photograph)
    reference = predictor.get_image_embedding().numpy()
    assert photograph_embedding.embedding.dtype == np.float16
    assert photograph_embedding.embedding.shape == reference.shape == (1, 32, 8, 8)
    np.testing.assert_allclose(photograph_embedding.embedding, reference, atol=2e-3, rtol=2e-3)


def test_embedding_carries_the_sizes_the_decoder_needs(
    photograph_embedding: ImageEmbedding,
) -> None:
    assert photograph_embedding.original_size == (96, 128)
    assert photograph_embedding.input_size == (96, 128)  # longest side 128 = the model's size


def test_grey_image_encodes_like_its_rgb_copy(tiny_sam: tuple, photograph: np.ndarray) -> None:
    encoder = SamEncoder(tiny_sam[0], "cpu")
    grey = photograph[..., 1]
    as_rgb = np.repeat(grey[..., None], 3, axis=2)
    np.testing.assert_array_equal(encoder.encode(grey).embedding, encoder.encode(as_rgb).embedding)


def test_float_image_is_refused(tiny_sam: tuple) -> None:
    with pytest.raises(SamError, match="expected uint8 pixels"):
        SamEncoder(tiny_sam[0], "cpu").encode(np.zeros((8, 8, 3), np.float32))


def test_a_cached_embedding_round_trips(
    photograph_embedding: ImageEmbedding, tmp_path: Path
) -> None:
    embedding = photograph_embedding
    cache = EmbeddingCache(tmp_path / "embeddings", 2**30)
    key = EmbeddingKey("a" * 64, "b" * 64, 1024)
    cache.put(key, embedding.embedding, embedding.meta("custom"))
    again = ImageEmbedding.from_cached(cache.get(key))
    assert again.original_size == embedding.original_size
    assert again.input_size == embedding.input_size
    np.testing.assert_array_equal(again.embedding, embedding.embedding)
