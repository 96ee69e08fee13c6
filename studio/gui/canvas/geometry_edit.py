"""Pure edits of annotation geometry in image pixel coordinates (no Qt, no project).

The forms are those of `studio.core.geometry`: a box is `[x, y, w, h]`, a polygon a list of
flat rings `[[x1, y1, x2, y2, ...], ...]`, keypoints `[[x, y, v], ...]`. Every function returns
new lists and leaves its arguments alone, so a shape's stored geometry is never changed by
accident while the user drags. Points are clamped inside the `width`×`height` image.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

Bounds = tuple[float, float, float, float]  # x0, y0, x1, y1
VertexRef = tuple[int, int]  # ring (or 0 for keypoints), point index within it

DECIMALS = 2
MIN_RING_POINTS = 3


def rounded(value: float) -> float:
    """Coordinates are kept to 1/100 pixel: exact enough, and short in the project file."""
    return round(float(value), DECIMALS)


def clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def clamp_point(x: float, y: float, width: float, height: float) -> tuple[float, float]:
    return rounded(clamp(x, 0, width)), rounded(clamp(y, 0, height))


def box_from_corners(
    x1: float, y1: float, x2: float, y2: float, width: float, height: float
) -> list[float]:
    """The box spanned by two corners in any order, clamped inside the image."""
    ax, ay = clamp_point(x1, y1, width, height)
    bx, by = clamp_point(x2, y2, width, height)
    left, top = min(ax, bx), min(ay, by)
    return [left, top, rounded(max(ax, bx) - left), rounded(max(ay, by) - top)]


def box_bounds(box: Sequence[float]) -> Bounds:
    x, y, w, h = box
    return x, y, x + w, y + h


def ring_points(ring: Sequence[float]) -> list[tuple[float, float]]:
    return [(ring[index], ring[index + 1]) for index in range(0, len(ring) - 1, 2)]


def polygon_bounds(rings: Sequence[Sequence[float]]) -> Bounds:
    xs = [ring[index] for ring in rings for index in range(0, len(ring), 2)]
    ys = [ring[index] for ring in rings for index in range(1, len(ring), 2)]
    return min(xs), min(ys), max(xs), max(ys)


def keypoint_bounds(points: Sequence[Sequence[float]]) -> Bounds | None:
    shown = [point for point in points if point[2] > 0]
    if not shown:
        return None
    xs = [point[0] for point in shown]
    ys = [point[1] for point in shown]
    return min(xs), min(ys), max(xs), max(ys)


def clamp_delta(
    bounds: Bounds, dx: float, dy: float, width: float, height: float
) -> tuple[float, float]:
    """The part of a move by (dx, dy) that keeps `bounds` inside the image."""
    x0, y0, x1, y1 = bounds
    return clamp(dx, -x0, width - x1), clamp(dy, -y0, height - y1)


def translate_box(box: Sequence[float], dx: float, dy: float) -> list[float]:
    x, y, w, h = box
    return [rounded(x + dx), rounded(y + dy), w, h]


def translate_rings(rings: Sequence[Sequence[float]], dx: float, dy: float) -> list[list[float]]:
    return [
        [rounded(value + (dx if index % 2 == 0 else dy)) for index, value in enumerate(ring)]
        for ring in rings
    ]


def translate_keypoints(points: Sequence[Sequence[float]], dx: float, dy: float) -> list[list[Any]]:
    """Visible and hidden points move; absent ones (v = 0) keep their placeholder values."""
    return [
        [rounded(x + dx), rounded(y + dy), int(v)] if v > 0 else [x, y, int(v)]
        for x, y, v in points
    ]


def move_vertex(
    rings: Sequence[Sequence[float]], vertex: VertexRef, x: float, y: float
) -> list[list[float]]:
    ring_index, point_index = vertex
    moved = [list(ring) for ring in rings]
    moved[ring_index][2 * point_index] = x
    moved[ring_index][2 * point_index + 1] = y
    return moved


def insert_vertex(
    rings: Sequence[Sequence[float]], after: VertexRef, x: float, y: float
) -> list[list[float]]:
    """A new point after point `after` of its ring (on the edge towards the next point)."""
    ring_index, point_index = after
    changed = [list(ring) for ring in rings]
    position = 2 * (point_index + 1)
    changed[ring_index][position:position] = [x, y]
    return changed


def remove_vertex(rings: Sequence[Sequence[float]], vertex: VertexRef) -> list[list[float]] | None:
    """The rings without one point, or None when its ring would fall below 3 points."""
    ring_index, point_index = vertex
    if len(rings[ring_index]) // 2 <= MIN_RING_POINTS:
        return None
    changed = [list(ring) for ring in rings]
    del changed[ring_index][2 * point_index : 2 * point_index + 2]
    return changed


def move_keypoint(
    points: Sequence[Sequence[float]], index: int, x: float, y: float
) -> list[list[Any]]:
    moved = [[p[0], p[1], int(p[2])] for p in points]
    moved[index][0], moved[index][1] = x, y
    return moved


def nearest_vertex(
    rings: Sequence[Sequence[float]], x: float, y: float, tolerance: float
) -> VertexRef | None:
    """The point of `rings` closest to (x, y), if it lies within `tolerance`."""
    best: VertexRef | None = None
    best_distance = tolerance
    for ring_index, ring in enumerate(rings):
        for point_index, (px, py) in enumerate(ring_points(ring)):
            distance = math.hypot(px - x, py - y)
            if distance <= best_distance:
                best, best_distance = (ring_index, point_index), distance
    return best


def _projection(
    x: float, y: float, ax: float, ay: float, bx: float, by: float
) -> tuple[float, float]:
    """The point of segment a–b nearest to (x, y)."""
    dx, dy = bx - ax, by - ay
    length_squared = dx * dx + dy * dy
    if length_squared == 0:
        return ax, ay
    t = clamp(((x - ax) * dx + (y - ay) * dy) / length_squared, 0.0, 1.0)
    return ax + t * dx, ay + t * dy


def nearest_edge(
    rings: Sequence[Sequence[float]], x: float, y: float, tolerance: float
) -> tuple[VertexRef, float, float] | None:
    """The closed-ring edge nearest (x, y) within `tolerance`: (its first point, foot x, y)."""
    best = None
    best_distance = tolerance
    for ring_index, ring in enumerate(rings):
        points = ring_points(ring)
        for point_index, (ax, ay) in enumerate(points):
            bx, by = points[(point_index + 1) % len(points)]
            fx, fy = _projection(x, y, ax, ay, bx, by)
            distance = math.hypot(fx - x, fy - y)
            if distance <= best_distance:
                best, best_distance = ((ring_index, point_index), fx, fy), distance
    return best


def distance_to_segment(x: float, y: float, ax: float, ay: float, bx: float, by: float) -> float:
    fx, fy = _projection(x, y, ax, ay, bx, by)
    return math.hypot(fx - x, fy - y)
