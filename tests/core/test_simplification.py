from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage
from skimage import measure

from studio.core.simplification import simplify_chains


def _ragged_outlines() -> list[np.ndarray]:
    """The contours of thresholded smooth noise: dozens of rings, specks and long wiggles."""
    noise = ndimage.gaussian_filter(np.random.default_rng(0).normal(size=(100, 140)), 2)
    return measure.find_contours(np.pad((noise > 0).astype(np.uint8), 1), 0.5)


@pytest.mark.parametrize("tolerance", [0.25, 1.0, 4.0])
def test_keeps_the_points_scikit_image_approximate_polygon_keeps(tolerance: float) -> None:
    chains = _ragged_outlines()
    assert len(chains) > 25
    simplified = simplify_chains(chains, tolerance)
    for ours, chain in zip(simplified, chains, strict=True):
        np.testing.assert_array_equal(ours, measure.approximate_polygon(chain, tolerance))


def test_an_open_chain_keeps_its_ends_and_its_corner() -> None:
    chain = np.array([[0, 0], [1, 0.1], [2, 0], [3, 3], [4, 6.05], [5, 9]], dtype=float)
    (simplified,) = simplify_chains([chain], 0.5)
    np.testing.assert_array_equal(simplified, chain[[0, 2, 5]])


def test_zero_tolerance_keeps_every_point() -> None:
    chain = np.array([[0, 0], [1, 0], [2, 0]], dtype=float)
    np.testing.assert_array_equal(simplify_chains([chain], 0)[0], chain)
