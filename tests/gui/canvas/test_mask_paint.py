"""Brush strokes and mask crops: exact pixels, no image-sized work, RLE round trips."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from studio.core.geometry import decode_mask
from studio.gui.canvas.mask_paint import (
    MaskCrop,
    apply_stroke,
    crop_of,
    edge_pixels,
    full_of,
    rle_of,
    shifted,
    stroke_crop,
)

WIDTH, HEIGHT = 60, 40


def brute_force(points: list[tuple[float, float]], diameter: float) -> np.ndarray:
    """Every pixel centre tested against every segment; the pixels under the points."""
    painted = np.zeros((HEIGHT, WIDTH), dtype=bool)
    radius = max(diameter / 2, 0.5)
    segments = list(itertools.pairwise(points)) or [(points[0], points[0])]
    for row in range(HEIGHT):
        for column in range(WIDTH):
            px, py = column + 0.5, row + 0.5
            for (ax, ay), (bx, by) in segments:
                dx, dy = bx - ax, by - ay
                length = dx * dx + dy * dy
                along = ((px - ax) * dx + (py - ay) * dy) / length if length else 0.0
                t = min(1.0, max(0.0, along))
                if (px - ax - t * dx) ** 2 + (py - ay - t * dy) ** 2 <= radius * radius:
                    painted[row, column] = True
    for x, y in points:
        if 0 <= x < WIDTH and 0 <= y < HEIGHT:
            painted[int(y), int(x)] = True
    return painted


@pytest.mark.parametrize(
    ("points", "diameter"),
    [
        ([(10.0, 10.0)], 7),
        ([(5.2, 5.7), (30.1, 20.4), (50.0, 8.0)], 5),
        ([(-5.0, 20.0), (70.0, 25.0)], 9),  # runs off both sides of the image
        ([(30.0, 20.0)], 1),  # a pixel corner: no centre within 0.5 px
        ([(30.7, 20.2), (33.9, 20.1)], 0.5),
    ],
)
def test_a_stroke_paints_exactly_the_pixels_within_the_brush_radius(
    points: list[tuple[float, float]], diameter: float
) -> None:
    crop = stroke_crop(points, diameter, WIDTH, HEIGHT)
    assert crop is not None
    assert np.array_equal(full_of(crop, WIDTH, HEIGHT), brute_force(points, diameter))
    assert crop.pixels[0].any()  # trimmed to the painted pixels
    assert crop.pixels[:, 0].any()


def test_a_stroke_outside_the_image_paints_nothing() -> None:
    assert stroke_crop([(-30.0, -30.0), (-20.0, -25.0)], 5, WIDTH, HEIGHT) is None


def test_brush_adds_and_eraser_removes() -> None:
    base = crop_of(np.pad(np.ones((10, 10), dtype=bool), ((5, 25), (5, 45))))
    stroke = MaskCrop(12, 8, np.ones((4, 20), dtype=bool))

    added = full_of(apply_stroke(base, stroke, False, WIDTH, HEIGHT), WIDTH, HEIGHT)
    erased = full_of(apply_stroke(base, stroke, True, WIDTH, HEIGHT), WIDTH, HEIGHT)

    assert added.sum() == 100 + 4 * 20 - 4 * 3
    assert added[8:12, 12:32].all()
    assert erased.sum() == 100 - 4 * 3
    assert not erased[8:12, 12:15].any()
    assert apply_stroke(None, stroke, True, WIDTH, HEIGHT) is None


def test_a_crop_moves_by_whole_pixels_and_is_cut_at_the_edge() -> None:
    crop = MaskCrop(50, 30, np.ones((5, 5), dtype=bool))
    moved = shifted(crop, 8, -2, WIDTH, HEIGHT)
    assert moved is not None
    assert (moved.x, moved.y, moved.width, moved.height) == (58, 28, 2, 5)
    assert shifted(crop, 30, 0, WIDTH, HEIGHT) is None


def test_rle_round_trip_and_outline() -> None:
    full = np.zeros((HEIGHT, WIDTH), dtype=bool)
    full[10:20, 30:45] = True
    crop = crop_of(full)
    assert crop is not None
    assert (crop.x, crop.y, crop.width, crop.height) == (30, 10, 15, 10)
    assert np.array_equal(decode_mask(rle_of(crop, WIDTH, HEIGHT)), full)
    outline = edge_pixels(crop.pixels)
    assert outline.sum() == 2 * 15 + 2 * 10 - 4
    assert crop.contains(30.5, 10.2)
    assert not crop.contains(29.9, 10.2)
