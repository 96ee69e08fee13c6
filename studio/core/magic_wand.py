"""The magic wand: click-to-region and box-to-region without any model weights.

A click selects the connected region whose colours lie within `tolerance` of the clicked
pixel's colour, measured in CIELAB (so the tolerance means roughly the same visible difference
in dark and light areas: 1 is barely visible, 10 a clear step, 50 another colour). A box
recovers the object inside it GrabCut-style: a watershed on the colour gradient, flooded from
the box's border (background) and its centre (foreground), so the object's outline is where
the two floods meet, on its strongest edge.

    image = WandImage.open(path)                      # Lab colours once (about 0.3 s / MP)
    mask = region_from_click(image, 120, 80, tolerance=12)
    mask = region_from_box(image, (100, 60, 80, 50))
    mask = region_from_prompts(image, Prompts(points=(Point(120, 80), Point(90, 40, False))))
    rings = mask_to_polygons(mask, tolerance=1.0)     # studio.core.geometry

Masks are boolean arrays of the image's shape (height, width). Everything here is numpy and
scikit-image: no torch, no Qt, so the window, the API and scripts share it.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps
from scipy import ndimage
from skimage import color, filters, segmentation

from studio.core.errors import StudioError
from studio.core.prompts import Point, Prompts

DEFAULT_TOLERANCE = 12.0  # CIELAB ΔE: a clear step in colour stops the region
MIN_TOLERANCE, MAX_TOLERANCE = 1.0, 100.0
# The box's foreground seed: the centre rectangle, this share of the box's width and height.
BOX_SEED_SHARE = 0.2
CLICK_SEED_RADIUS = 2  # pixels around a click inside a box that seed its side of the watershed
BACKGROUND, FOREGROUND = 1, 2  # the watershed's marker labels
MAX_WORKING_SIDE = 2048  # a larger photograph is worked on reduced (4 megapixels at most)
# Holes up to this many (worked) pixels are grain, not holes the person meant; filled, they
# also spare the outline dozens of pin-hole rings (most of the time of outlining a region).
MAX_PINHOLE_AREA = 16


class WandError(StudioError):
    """An image the wand cannot read."""


class WandImage:
    """An image prepared for the wand: its CIELAB colours computed once, so each click costs
    only a distance and a flood fill (the conversion is most of a first click's time).

    A large photograph is worked on reduced by a whole `factor` (`open`'s `max_side`), which
    keeps a click interactive and the colours' memory bounded; prompts and masks stay in the
    full image's pixels (`width` × `height`), so a region's edge is exact to `factor` pixels.
    """

    def __init__(
        self, pixels: np.ndarray, factor: int = 1, size: tuple[int, int] | None = None
    ) -> None:
        """`pixels`: (height, width, 3) RGB or (height, width) grey, 8-bit, as worked on;
        `factor`: full-image pixels per worked pixel along each side; `size`: the full image's
        (width, height), by default that of `pixels`."""
        pixels = np.asarray(pixels)
        if pixels.ndim == 2:
            pixels = np.stack([pixels] * 3, axis=-1)
        if pixels.ndim != 3 or pixels.shape[2] != 3:
            raise ValueError(f"expected an RGB or grey image, got an array of shape {pixels.shape}")
        self.lab = color.rgb2lab(pixels).astype(np.float32)
        self.factor = factor
        self.width, self.height = size or (pixels.shape[1], pixels.shape[0])

    @classmethod
    def open(cls, path: str | Path, max_side: int = MAX_WORKING_SIDE) -> WandImage:
        """The upright image (EXIF orientation applied) of an image file, reduced by the
        smallest whole factor that brings its longer side to at most `max_side`."""
        try:
            with Image.open(path) as image:
                image.load()
                upright = ImageOps.exif_transpose(image).convert("RGB")
        except FileNotFoundError:
            raise WandError(f"{path}: the image file is missing") from None
        except Image.DecompressionBombError as error:
            raise WandError(f"{path}: refused as a decompression bomb ({error})") from None
        except (OSError, SyntaxError, ValueError, EOFError) as error:
            raise WandError(f"{path}: unreadable or corrupt image ({error})") from None
        factor = max(1, math.ceil(max(upright.size) / max_side))
        worked = upright.reduce(factor) if factor > 1 else upright
        return cls(np.asarray(worked), factor, upright.size)

    def cell(self, x: float, y: float) -> tuple[int, int]:
        """The (row, column) of the worked pixel that holds full-image point (x, y)."""
        rows, columns = self.lab.shape[:2]
        return min(int(y) // self.factor, rows - 1), min(int(x) // self.factor, columns - 1)

    def full_mask(self, worked: np.ndarray) -> np.ndarray:
        """A mask of the worked pixels as a mask of the full image."""
        if self.factor == 1:
            return worked
        grown = np.repeat(np.repeat(worked, self.factor, axis=0), self.factor, axis=1)
        return np.ascontiguousarray(grown[: self.height, : self.width])


def region_from_click(
    image: WandImage | np.ndarray, x: float, y: float, tolerance: float = DEFAULT_TOLERANCE
) -> np.ndarray:
    """The connected region around pixel (x, y) whose colours lie within `tolerance` (CIELAB
    ΔE) of that pixel's colour (4-connected: regions touching only at corners stay apart)."""
    image = _prepared(image)
    Prompts(points=(Point(x, y),)).check(image.width, image.height, "the image")
    return image.full_mask(_click_region(image, x, y, tolerance))


def _click_region(image: WandImage, x: float, y: float, tolerance: float) -> np.ndarray:
    cell = image.cell(x, y)
    difference = image.lab - image.lab[cell]
    near = np.einsum("ijk,ijk->ij", difference, difference) <= clamp_tolerance(tolerance) ** 2
    return segmentation.flood(near, cell, connectivity=1)


def region_from_box(
    image: WandImage | np.ndarray,
    box: tuple[float, float, float, float],
    points: tuple[Point, ...] = (),
) -> np.ndarray:
    """The object inside `box` (`x, y, width, height`), as a mask that is False outside it.

    The box's border pixels seed the background and its centre the foreground; positive
    `points` inside the box add foreground seeds and negative ones background seeds, so a click
    fixes a part the centre seed missed. A watershed on the CIELAB gradient grows both until
    they meet. An object touching the box's border loses its outermost pixel row there.
    """
    image = _prepared(image)
    Prompts(points=points, box=box).check(image.width, image.height, "the image")
    return _clipped_to_box(image.full_mask(_box_region(image, box, points)), box)


def _box_region(
    image: WandImage, box: tuple[float, float, float, float], points: tuple[Point, ...]
) -> np.ndarray:
    rows, columns = image.lab.shape[:2]
    top, left = image.cell(box[0], box[1])
    right = min(columns, max(left + 1, math.ceil((box[0] + box[2]) / image.factor)))
    bottom = min(rows, max(top + 1, math.ceil((box[1] + box[3]) / image.factor)))
    mask = np.zeros((rows, columns), dtype=bool)
    if right - left < 3 or bottom - top < 3:  # no inside to tell from the border
        mask[top:bottom, left:right] = True
        return mask
    lab = image.lab[top:bottom, left:right]
    gradient = np.sqrt(sum(filters.sobel(lab[..., channel]) ** 2 for channel in range(3)))
    inside = [(p.x / image.factor - left, p.y / image.factor - top, p) for p in points]
    seeds = _box_seeds(bottom - top, right - left, inside)
    mask[top:bottom, left:right] = segmentation.watershed(gradient, seeds) == FOREGROUND
    return mask


def _clipped_to_box(mask: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """`mask` False outside the pixels `box` touches (a worked pixel may reach past it)."""
    left, top = int(box[0]), int(box[1])
    right, bottom = math.ceil(box[0] + box[2]), math.ceil(box[1] + box[3])
    mask[:top] = False
    mask[bottom:] = False
    mask[:, :left] = False
    mask[:, right:] = False
    return mask


def _box_seeds(height: int, width: int, points: list[tuple[float, float, Point]]) -> np.ndarray:
    """Watershed markers for a box of `height`×`width`: its border is background, its centre
    and the positive points foreground, the negative points background."""
    seeds = np.zeros((height, width), dtype=np.int32)
    seeds[[0, -1], :] = BACKGROUND
    seeds[:, [0, -1]] = BACKGROUND
    half_height = max(1, round(height * BOX_SEED_SHARE / 2))
    half_width = max(1, round(width * BOX_SEED_SHARE / 2))
    middle_row, middle_column = height // 2, width // 2
    seeds[
        middle_row - half_height + 1 : middle_row + half_height,
        middle_column - half_width + 1 : middle_column + half_width,
    ] = FOREGROUND
    for x, y, point in points:
        if 0 <= x < width and 0 <= y < height:
            row, column = int(y), int(x)
            radius = CLICK_SEED_RADIUS
            seeds[
                max(0, row - radius) : row + radius + 1,
                max(0, column - radius) : column + radius + 1,
            ] = FOREGROUND if point.positive else BACKGROUND
    return seeds


def region_from_prompts(
    image: WandImage | np.ndarray, prompts: Prompts, tolerance: float = DEFAULT_TOLERANCE
) -> np.ndarray:
    """The region a set of prompts asks for.

    With a box: the box's object, its points steering the watershed (`region_from_box`).
    Without: the regions of the positive clicks, less the regions of the negative ones (so a
    shift-click adds a region and an alt-click cuts one out). Pin-holes are filled
    (`MAX_PINHOLE_AREA`).
    """
    image = _prepared(image)
    prompts.check(image.width, image.height, "the image")
    if prompts.box is not None:
        worked = fill_pinholes(_box_region(image, prompts.box, prompts.points))
        return _clipped_to_box(image.full_mask(worked), prompts.box)
    worked = np.zeros(image.lab.shape[:2], dtype=bool)
    for point in prompts.positive:
        worked |= _click_region(image, point.x, point.y, tolerance)
    for point in prompts.negative:
        worked &= ~_click_region(image, point.x, point.y, tolerance)
    return image.full_mask(fill_pinholes(worked))


def fill_pinholes(mask: np.ndarray, max_area: int = MAX_PINHOLE_AREA) -> np.ndarray:
    """`mask` with its holes of at most `max_area` pixels filled (in place, and returned)."""
    rows, columns = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if not len(rows):
        return mask
    extent = mask[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1]  # a view into mask
    holes, count = ndimage.label(ndimage.binary_fill_holes(extent) & ~extent)
    if count:
        small = np.bincount(holes.ravel()) <= max_area
        small[0] = False  # label 0: not a hole
        extent |= small[holes]
    return mask


def clamp_tolerance(tolerance: float) -> float:
    """`tolerance` kept within the range the wand offers."""
    return min(MAX_TOLERANCE, max(MIN_TOLERANCE, float(tolerance)))


def _prepared(image: WandImage | np.ndarray) -> WandImage:
    return image if isinstance(image, WandImage) else WandImage(image)
