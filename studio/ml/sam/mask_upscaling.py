"""SAM's mask post-processing in numpy: low-resolution logits up to the image's size.

`Sam.postprocess_masks` (what `SamPredictor.predict` calls, and what segment_anything's
`SamOnnxModel` puts in the exported graph) upscales the decoder's low-resolution logits
(4·grid pixels square, 256 for the official models) in two bilinear steps
(`align_corners=False`): to the encoder's square input, then, with the padding cropped away,
to the image's size. Both steps are linear and separable, so along each axis they compose into
one step in which an output pixel mixes at most four low-resolution pixels (two when the image
is at least the encoder's size). Upscaling a mask is then two gathers of those few neighbours
with numpy's element-wise arithmetic (no BLAS thread pool to contend with ONNX Runtime's), and
only for the mask that is shown. The taps depend only on the sizes, so they are computed once
per image size.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np


def bilinear_weights(in_size: int, out_size: int) -> np.ndarray:
    """(out_size, in_size) matrix of torch's bilinear resize along one axis, with
    `align_corners=False` and an output size given (torch's `area_pixel_compute_source_index`:
    source = (target + 0.5) · in/out - 0.5, clamped at 0, then the two neighbours)."""
    source = np.maximum((np.arange(out_size) + 0.5) * (in_size / out_size) - 0.5, 0.0)
    lower = np.minimum(source.astype(np.int64), in_size - 1)
    upper = np.minimum(lower + 1, in_size - 1)
    upper_weight = source - lower
    weights = np.zeros((out_size, in_size))
    rows = np.arange(out_size)
    np.add.at(weights, (rows, lower), 1.0 - upper_weight)
    np.add.at(weights, (rows, upper), upper_weight)
    return weights


@dataclass(frozen=True)
class AxisTaps:
    """Along one axis, each output pixel as a weighted sum of a few low-res pixels:
    `indices` and `weights` are (output size, taps); unused taps weigh 0."""

    indices: np.ndarray
    weights: np.ndarray


@lru_cache(maxsize=16)
def axis_taps(low_res: int, image_size: int, resized: int, original: int) -> AxisTaps:
    """One axis of `postprocess_masks`: low_res -> image_size, crop to resized -> original."""
    to_input = bilinear_weights(low_res, image_size)[:resized]
    combined = bilinear_weights(resized, original) @ to_input
    taps = int(np.count_nonzero(combined, axis=1).max())
    indices = np.argsort(combined == 0, axis=1, kind="stable")[:, :taps]
    weights = np.take_along_axis(combined, indices, axis=1).astype(np.float32)
    return AxisTaps(indices, weights)


def upscale_logits(
    low_res_logits: np.ndarray,
    image_size: int,
    input_size: tuple[int, int],
    original_size: tuple[int, int],
) -> np.ndarray:
    """Low-res logits (L, L) or (N, L, L) -> logits (height, width) or (N, height, width) at
    `original_size`, as `Sam.postprocess_masks` computes them (float32 rounding apart)."""
    logits = np.asarray(low_res_logits, np.float32)
    if logits.ndim == 3:
        return np.stack(
            [upscale_logits(mask, image_size, input_size, original_size) for mask in logits]
        )
    low_res = logits.shape[-1]
    rows = axis_taps(low_res, image_size, input_size[0], original_size[0])
    columns = axis_taps(low_res, image_size, input_size[1], original_size[1])
    wide = logits[:, columns.indices[:, 0]] * columns.weights[:, 0]
    for tap in range(1, columns.indices.shape[1]):
        wide += logits[:, columns.indices[:, tap]] * columns.weights[:, tap]
    result = wide[rows.indices[:, 0]]
    result *= rows.weights[:, 0, None]
    for tap in range(1, rows.indices.shape[1]):
        term = wide[rows.indices[:, tap]]
        term *= rows.weights[:, tap, None]
        result += term
    return result
