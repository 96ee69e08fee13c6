"""Masks as the canvas holds them: the pixels inside their bounding box, plus brush strokes.

A mask of a 12-megapixel image is mostly empty, so the canvas keeps only the crop around its
set pixels (`MaskCrop`) and rebuilds the full image-sized array only to encode COCO RLE when
an edit is emitted. A brush stroke is the union of round-ended segments ("capsules") of the
brush's radius along the pointer's path: pixel (col, row) is painted when its centre
(col + 0.5, row + 0.5) lies within the radius of the path, and the pixel under each pointer
position always is, so a stroke is exact to the pixel at any zoom. No Qt here.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from studio.core.geometry import decode_mask, encode_mask

Point = tuple[float, float]


@dataclass(frozen=True)
class MaskCrop:
    """The part of a mask around its set pixels: `pixels[r, c]` is image pixel (x + c, y + r)."""

    x: int
    y: int
    pixels: np.ndarray

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    def bounds(self) -> tuple[int, int, int, int]:
        return self.x, self.y, self.x + self.width, self.y + self.height

    def contains(self, x: float, y: float) -> bool:
        column, row = math.floor(x) - self.x, math.floor(y) - self.y
        inside = 0 <= column < self.width and 0 <= row < self.height
        return inside and bool(self.pixels[row, column])


def crop_of(full: np.ndarray) -> MaskCrop | None:
    """The crop around the set pixels of a full mask; None when no pixel is set."""
    rows = np.flatnonzero(full.any(axis=1))
    if rows.size == 0:
        return None
    columns = np.flatnonzero(full.any(axis=0))
    top, bottom = int(rows[0]), int(rows[-1]) + 1
    left, right = int(columns[0]), int(columns[-1]) + 1
    return MaskCrop(left, top, full[top:bottom, left:right].copy())


def crop_of_rle(rle: dict[str, Any]) -> MaskCrop | None:
    return crop_of(decode_mask(rle))


def full_of(crop: MaskCrop | None, width: int, height: int) -> np.ndarray:
    """The image-sized boolean array of a crop (all False for None)."""
    full = np.zeros((height, width), dtype=bool)
    if crop is not None:
        x0, y0 = max(crop.x, 0), max(crop.y, 0)
        x1, y1 = min(crop.x + crop.width, width), min(crop.y + crop.height, height)
        if x1 > x0 and y1 > y0:
            full[y0:y1, x0:x1] = crop.pixels[y0 - crop.y : y1 - crop.y, x0 - crop.x : x1 - crop.x]
    return full


def rle_of(crop: MaskCrop | None, width: int, height: int) -> dict[str, Any]:
    return encode_mask(full_of(crop, width, height))


def _paint_capsule(
    pixels: np.ndarray, origin: tuple[int, int], a: Point, b: Point, radius: float
) -> None:
    """Set the pixels of `pixels` whose centres lie within `radius` of segment a–b."""
    ox, oy = origin
    rows, columns = pixels.shape
    left = max(0, math.floor(min(a[0], b[0]) - radius) - ox)
    right = min(columns, math.ceil(max(a[0], b[0]) + radius) - ox + 1)
    top = max(0, math.floor(min(a[1], b[1]) - radius) - oy)
    bottom = min(rows, math.ceil(max(a[1], b[1]) + radius) - oy + 1)
    if right <= left or bottom <= top:
        return
    xs = np.arange(left, right, dtype=np.float64)[None, :] + ox + 0.5
    ys = np.arange(top, bottom, dtype=np.float64)[:, None] + oy + 0.5
    dx, dy = b[0] - a[0], b[1] - a[1]
    length_squared = dx * dx + dy * dy
    if length_squared == 0:
        t = np.zeros_like(xs * ys)
    else:
        t = np.clip(((xs - a[0]) * dx + (ys - a[1]) * dy) / length_squared, 0.0, 1.0)
    distance_squared = (xs - (a[0] + t * dx)) ** 2 + (ys - (a[1] + t * dy)) ** 2
    pixels[top:bottom, left:right] |= distance_squared <= radius * radius


def stroke_crop(
    points: Sequence[Point], diameter: float, width: int, height: int
) -> MaskCrop | None:
    """The pixels a round brush of `diameter` paints along `points` (None if none inside)."""
    if not points:
        return None
    radius = max(diameter / 2, 0.5)
    xs = [point[0] for point in points]
    ys = [point[1] for point in points]
    left = max(0, math.floor(min(xs) - radius))
    right = min(width, math.ceil(max(xs) + radius) + 1)
    top = max(0, math.floor(min(ys) - radius))
    bottom = min(height, math.ceil(max(ys) + radius) + 1)
    if right <= left or bottom <= top:
        return None
    pixels = np.zeros((bottom - top, right - left), dtype=bool)
    segments = list(itertools.pairwise(points)) or [(points[0], points[0])]
    for a, b in segments:
        _paint_capsule(pixels, (left, top), a, b, radius)
    for x, y in points:  # a thin brush still paints the pixel under the pointer
        column, row = math.floor(x) - left, math.floor(y) - top
        if 0 <= row < pixels.shape[0] and 0 <= column < pixels.shape[1]:
            pixels[row, column] = True
    return _trimmed(MaskCrop(left, top, pixels))


def _trimmed(crop: MaskCrop) -> MaskCrop | None:
    """The crop shrunk to its set pixels (None when none is set)."""
    inner = crop_of(crop.pixels)
    return None if inner is None else MaskCrop(crop.x + inner.x, crop.y + inner.y, inner.pixels)


def clipped(crop: MaskCrop, width: int, height: int) -> MaskCrop | None:
    """The part of a crop inside the image, trimmed to its set pixels."""
    x0, y0 = max(crop.x, 0), max(crop.y, 0)
    x1, y1 = min(crop.x + crop.width, width), min(crop.y + crop.height, height)
    if x1 <= x0 or y1 <= y0:
        return None
    window = crop.pixels[y0 - crop.y : y1 - crop.y, x0 - crop.x : x1 - crop.x]
    return _trimmed(MaskCrop(x0, y0, window))


def apply_stroke(
    base: MaskCrop | None, stroke: MaskCrop, erase: bool, width: int, height: int
) -> MaskCrop | None:
    """`base` with the stroke's pixels added (brush) or removed (eraser).

    Works inside the union of the two crops, never on an image-sized array.
    """
    if base is None:
        return None if erase else clipped(stroke, width, height)
    left, top = min(base.x, stroke.x), min(base.y, stroke.y)
    right = max(base.x + base.width, stroke.x + stroke.width)
    bottom = max(base.y + base.height, stroke.y + stroke.height)
    pixels = np.zeros((bottom - top, right - left), dtype=bool)
    pixels[
        base.y - top : base.y - top + base.height, base.x - left : base.x - left + base.width
    ] = base.pixels
    window = pixels[
        stroke.y - top : stroke.y - top + stroke.height,
        stroke.x - left : stroke.x - left + stroke.width,
    ]
    if erase:
        window &= ~stroke.pixels
    else:
        window |= stroke.pixels
    return clipped(MaskCrop(left, top, pixels), width, height)


def shifted(crop: MaskCrop, dx: int, dy: int, width: int, height: int) -> MaskCrop | None:
    """The crop moved by whole pixels; what leaves the image is cut off."""
    return clipped(MaskCrop(crop.x + dx, crop.y + dy, crop.pixels), width, height)


def edge_pixels(pixels: np.ndarray) -> np.ndarray:
    """The set pixels with at least one unset 4-neighbour (the mask's outline)."""
    padded = np.pad(pixels, 1, constant_values=False)
    interior = padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:] & pixels
    return pixels & ~interior
