from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from segment_anything.modeling import Sam

from studio.ml.sam.mask_upscaling import upscale_logits
from studio.ml.sam.onnx_decoder import LongestSideTransform

# (original size, encoder input size): larger, equal and smaller than the input, not square.
CASES = [((1080, 1920), 1024), ((1024, 1024), 1024), ((180, 240), 1024), ((96, 128), 128)]


def _sam_postprocess(low_res: np.ndarray, image_size: int, input_size, original_size):
    """segment_anything's own `Sam.postprocess_masks`, which reads only the input size."""
    model = SimpleNamespace(image_encoder=SimpleNamespace(img_size=image_size))
    with torch.no_grad():
        masks = Sam.postprocess_masks(
            model, torch.from_numpy(low_res)[None], input_size, original_size
        )
    return masks[0].numpy()


@pytest.mark.parametrize(("original_size", "image_size"), CASES)
def test_upscaling_equals_sam_postprocess_masks(
    original_size: tuple[int, int], image_size: int
) -> None:
    input_size = LongestSideTransform(image_size).preprocess_shape(*original_size)
    low_res = np.random.default_rng(0).normal(0, 8, (3, image_size // 4, image_size // 4))
    low_res = low_res.astype(np.float32)
    ours = upscale_logits(low_res, image_size, input_size, original_size)
    expected = _sam_postprocess(low_res, image_size, input_size, original_size)
    assert ours.shape == expected.shape == (3, *original_size)
    np.testing.assert_allclose(ours, expected, atol=2e-3)
    assert np.mean((ours > 0) != (expected > 0)) < 1e-5


def test_one_mask_upscales_as_it_does_among_several() -> None:
    low_res = np.random.default_rng(1).normal(0, 8, (3, 32, 32)).astype(np.float32)
    several = upscale_logits(low_res, 128, (96, 128), (96, 128))
    np.testing.assert_array_equal(upscale_logits(low_res[2], 128, (96, 128), (96, 128)), several[2])
