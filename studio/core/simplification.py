"""Douglas-Peucker simplification of many polygonal chains at once, in numpy.

scikit-image's `measure.approximate_polygon` simplifies one chain with a Python loop that
handles one segment per turn; a ragged mask's outline has hundreds of rings and tens of
thousands of kept points, so outlining it spent seconds in that loop. Douglas-Peucker decides
each segment on its own (split at the farthest inner point when it lies beyond the tolerance),
so the order in which segments are handled does not change the result: here every open
segment of every chain is handled in the same numpy pass, one pass per level of splitting.
The distances are computed with `approximate_polygon`'s own formulas and ties go to the first
farthest point as with its `argmax`, so the kept points are the ones it keeps.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def simplify_chains(chains: Sequence[np.ndarray], tolerance: float) -> list[np.ndarray]:
    """Each (K, 2) chain reduced to the points Douglas-Peucker keeps at `tolerance`, as
    `skimage.measure.approximate_polygon(chain, tolerance)` returns them (its first and last
    points always kept; `tolerance` ≤ 0 keeps every point)."""
    if tolerance <= 0 or not chains:
        return [np.asarray(chain) for chain in chains]
    lengths = np.array([len(chain) for chain in chains])
    ends = np.cumsum(lengths)
    starts = ends - lengths
    coords = np.concatenate([np.asarray(chain, dtype=float) for chain in chains])
    keep = np.zeros(len(coords), dtype=bool)
    keep[starts] = True
    keep[ends - 1] = True
    segment_starts, segment_ends = starts, ends - 1
    while True:
        open_segments = segment_ends - segment_starts >= 2
        segment_starts, segment_ends = segment_starts[open_segments], segment_ends[open_segments]
        if not len(segment_starts):
            break
        farthest, distance = _farthest_inner_points(coords, segment_starts, segment_ends)
        split = distance > tolerance
        keep[farthest[split]] = True
        segment_starts, segment_ends = (
            np.concatenate([segment_starts[split], farthest[split]]),
            np.concatenate([farthest[split], segment_ends[split]]),
        )
    return [coords[start:end][keep[start:end]] for start, end in zip(starts, ends, strict=True)]


def _farthest_inner_points(
    coords: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For segments (start, end) with inner points, the index of each one's farthest inner
    point (the first of equals) and its distance, as `approximate_polygon` measures it: the
    perpendicular distance to the chord where the point projects inside it, else the
    distance to the nearer end."""
    inner_counts = ends - starts - 1
    segment = np.repeat(np.arange(len(starts)), inner_counts)
    offsets = np.cumsum(inner_counts) - inner_counts
    inner = starts[segment] + 1 + np.arange(len(segment)) - offsets[segment]
    r0, c0, r1, c1 = coords[starts, 0], coords[starts, 1], coords[ends, 0], coords[ends, 1]
    angle = -np.arctan2(r1 - r0, c1 - c0)
    cos, sin = np.cos(angle), np.sin(angle)
    chord_distance = c0 * sin + r0 * cos
    r0, c0, r1, c1 = r0[segment], c0[segment], r1[segment], c1[segment]
    dr, dc = r1 - r0, c1 - c0
    r, c = coords[inner, 0], coords[inner, 1]
    dr0, dc0, dr1, dc1 = r - r0, c - c0, r - r1, c - c1
    perpendicular = ((dr0 * dr + dc0 * dc) > 0) & ((-dr1 * dr - dc1 * dc) > 0)
    distance = np.where(
        perpendicular,
        np.abs(r * cos[segment] + c * sin[segment] - chord_distance[segment]),
        np.minimum(np.sqrt(dc0**2 + dr0**2), np.sqrt(dc1**2 + dr1**2)),
    )
    largest = np.maximum.reduceat(distance, offsets)
    position = np.where(distance == largest[segment], np.arange(len(segment)), len(segment))
    first = np.minimum.reduceat(position, offsets)
    return inner[first], largest
