"""Validation and normalisation of annotation geometry, in image pixel coordinates.

Stored forms (JSON in `annotation.geometry`):
- box: `[x, y, width, height]` (COCO order), top-left origin.
- polygon: a list of rings, each a flat list `[x1, y1, x2, y2, ...]` of at least 3 points
  (COCO "segmentation" polygons, so an object may have several parts).
- mask: COCO run-length encoding `{"size": [height, width], "counts": "<compressed>"}`.
- keypoints: a list of `[x, y, visibility]` with visibility 0 (absent), 1 (hidden), 2 (visible).
- polyline: one open chain, a flat list `[x1, y1, x2, y2, ...]` of at least 2 points.
- rotated_box: `[cx, cy, width, height, angle]`: the centre, the sides before rotation, and the
  angle in degrees in [0, 360), clockwise as the image is shown (image y points down), about
  the centre. Angle 0 is the axis-aligned box; `width` is the side that starts horizontal.
  Corners are listed from the unrotated top-left, clockwise (`rotated_box_corners`). The
  centre must lie in the image; corners may stick out, as CVAT and X-AnyLabeling allow.
  Every format converter keeps this one convention (ADR 0045).
- tag: no geometry (an image-level label).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from pycocotools import mask as coco_mask

from studio.core.enums import AnnotationKind
from studio.core.errors import InvalidEditError
from studio.core.simplification import simplify_chains


def _sequence(value: Any, what: str) -> Sequence[Any]:
    if not isinstance(value, (list, tuple, np.ndarray)):
        raise InvalidEditError(f"{what}: expected a list, got {value!r}")
    return value


def _finite(values: Sequence[float], what: str) -> list[float]:
    numbers: list[float] = []
    for value in values:
        if not _is_number(value):
            raise InvalidEditError(f"{what}: {value!r} is not a number")
        number = float(value)
        if not math.isfinite(number):
            raise InvalidEditError(f"{what}: {value!r} is not a finite number")
        numbers.append(number)
    return numbers


def _inside(x: float, y: float, width: int, height: int, what: str) -> None:
    if not (0 <= x <= width and 0 <= y <= height):
        raise InvalidEditError(
            f"{what}: point ({x:g}, {y:g}) lies outside the {width}×{height} image"
        )


def normalize_box(box: Sequence[float], width: int, height: int) -> list[float]:
    box = _sequence(box, "box")
    if len(box) != 4:
        raise InvalidEditError(f"box: expected [x, y, width, height], got {len(box)} values")
    x, y, w, h = _finite(box, "box")
    if w <= 0 or h <= 0:
        raise InvalidEditError(f"box: width and height must be positive, got {w:g}×{h:g}")
    _inside(x, y, width, height, "box")
    _inside(x + w, y + h, width, height, "box")
    return [x, y, w, h]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _is_pair(value: Any) -> bool:
    return (
        isinstance(value, (list, tuple, np.ndarray))
        and len(value) == 2
        and all(_is_number(v) for v in value)
    )


def _flatten_ring(ring: Sequence[Any]) -> list[Any]:
    if len(ring) and _is_pair(ring[0]):
        if not all(_is_pair(point) for point in ring):
            raise InvalidEditError("polygon: every point needs exactly two coordinates")
        return [coordinate for point in ring for coordinate in point]
    return list(ring)


def normalize_polygon(polygon: Sequence[Any], width: int, height: int) -> list[list[float]]:
    """Accept one ring (`[(x, y), ...]` or flat `[x1, y1, ...]`) or a list of rings.

    Returns flat rings, the COCO form.
    """
    if len(_sequence(polygon, "polygon")) == 0:
        raise InvalidEditError("polygon: no points")
    single_ring = _is_number(polygon[0]) or _is_pair(polygon[0])
    rings = [polygon] if single_ring else polygon
    result = []
    for ring in rings:
        if not isinstance(ring, (list, tuple, np.ndarray)):
            raise InvalidEditError(f"polygon: {ring!r} is not a list of points")
        result.append(_points_inside(ring, 3, "a ring", "polygon", width, height))
    return result


def encode_mask(mask: np.ndarray) -> dict[str, Any]:
    """Compressed COCO RLE of a 2-D boolean array."""
    rle = coco_mask.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": [int(rle["size"][0]), int(rle["size"][1])], "counts": rle["counts"].decode()}


def mask_to_polygons(
    mask: np.ndarray, tolerance: float = 0.25, *, holes: bool = True, min_area: float = 1.0
) -> list[list[float]]:
    """The outlines of a boolean mask as flat polygon rings in image pixels, outer rings first.

    Outlines follow pixel edges: a mask covering columns 2..8 spans x 2.0 to 9.0. `tolerance`
    is the simplification's largest allowed deviation in pixels (0 keeps every contour point).
    With `holes`, the outline of each hole is a ring too; the canvas fills rings odd-even, so a
    ring inside another reads as a hole. Rings enclosing less than `min_area` square pixels
    are specks, not shapes, and are dropped.
    """
    from skimage import measure  # imported on first use: most processes never outline a mask

    mask = np.asarray(mask, dtype=bool)
    height, width = mask.shape
    rows, columns = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if not len(rows):
        return []
    top, left = int(rows[0]), int(columns[0])  # outline only the mask's extent: much faster
    padded = np.pad(mask[top : rows[-1] + 1, left : columns[-1] + 1].astype(np.uint8), 1)
    chains, windings = [], []
    for contour in measure.find_contours(padded, 0.5):
        xs, ys = contour[:, 1] - 0.5 + left, contour[:, 0] - 0.5 + top
        area = 0.5 * float(np.sum(xs * np.roll(ys, -1) - np.roll(xs, -1) * ys))
        if abs(area) < min_area or (area < 0 and not holes):  # a hole winds the other way
            continue
        chains.append(np.column_stack([xs, ys]))
        windings.append(area > 0)
    outer, inner = [], []
    for simplified, is_outer in zip(simplify_chains(chains, tolerance), windings, strict=True):
        if len(simplified) > 1 and np.allclose(simplified[0], simplified[-1]):
            simplified = simplified[:-1]
        if len(simplified) >= 3:
            simplified[:, 0] = np.clip(simplified[:, 0], 0, width)
            simplified[:, 1] = np.clip(simplified[:, 1], 0, height)
            (outer if is_outer else inner).append(simplified.ravel().tolist())
    return outer + inner


def decode_mask(rle: dict[str, Any]) -> np.ndarray:
    """The boolean array of a stored (compressed) RLE mask."""
    return coco_mask.decode(_pycocotools_rle(rle)).astype(bool)


def _pycocotools_rle(rle: dict[str, Any]) -> dict[str, Any]:
    """A stored RLE mask as pycocotools takes it: counts as bytes."""
    counts = rle["counts"]
    return {
        "size": [int(side) for side in rle["size"]],
        "counts": counts.encode() if isinstance(counts, str) else counts,
    }


def shape_rle(kind: str, geometry: Any, width: int, height: int) -> dict[str, Any]:
    """The pycocotools RLE of a stored box, polygon, rotated box or mask (a box covers its
    rectangle), the form pycocotools' `iou`, `area` and `toBbox` take."""
    if kind == AnnotationKind.MASK.value:
        return _pycocotools_rle(geometry)
    if kind == AnnotationKind.POLYGON.value:
        return polygon_rle(geometry, width, height)
    if kind == AnnotationKind.ROTATED_BOX.value:
        return polygon_rle([rotated_box_corners(geometry)], width, height)
    if kind == AnnotationKind.BOX.value:
        corners = np.asarray([geometry], dtype=np.float64)  # pycocotools takes boxes as N×4
        return coco_mask.frPyObjects(corners, height, width)[0]
    raise ValueError(f"a {kind} annotation has no area")


def polygon_rle(rings: Sequence[Sequence[float]], width: int, height: int) -> dict[str, Any]:
    """The pycocotools RLE of a polygon's rings filled even-odd, as the canvas draws them: a
    pixel is inside when an odd number of rings cover it. A ring inside another is a hole (an
    outline's inner rings, see `mask_to_polygons`) and a ring apart from the others is one
    more part of the object (COCO's several polygons per object). Each ring is rasterised as
    pycocotools rasterises COCO polygons; only rings whose extents meet another's are decoded
    to combine them, the others are merged as runs."""
    rles = coco_mask.frPyObjects([list(ring) for ring in rings], height, width)
    boxes = coco_mask.toBbox(rles)
    left, top = boxes[:, 0], boxes[:, 1]
    right, bottom = left + boxes[:, 2], top + boxes[:, 3]
    meets = (
        (left[:, None] < right[None, :])
        & (left[None, :] < right[:, None])
        & (top[:, None] < bottom[None, :])
        & (top[None, :] < bottom[:, None])
    )
    np.fill_diagonal(meets, False)
    touching = np.flatnonzero(meets.any(axis=1))
    if not len(touching):
        return coco_mask.merge(rles)
    parity = np.zeros((height, width), dtype=np.uint8, order="F")
    for index in touching:
        parity ^= coco_mask.decode(rles[index])
    combined = coco_mask.encode(parity)
    combined_here = set(touching.tolist())
    apart = [rle for index, rle in enumerate(rles) if index not in combined_here]
    return coco_mask.merge([combined, *apart]) if apart else combined


def shape_box(kind: str, geometry: Any, width: int, height: int) -> list[float]:
    """`[x, y, w, h]` of a stored box, or the extent of a polygon, polyline or mask, in image
    pixels; a rotated box's axis-aligned bounds, cut to the image (its corners may stick out)."""
    if kind == AnnotationKind.BOX.value:
        return [float(value) for value in geometry]
    if kind in (AnnotationKind.POLYGON.value, AnnotationKind.ROTATED_BOX.value):
        rings = (
            [rotated_box_corners(geometry)]
            if kind == AnnotationKind.ROTATED_BOX.value
            else geometry
        )
        xs = [min(max(x, 0.0), width) for ring in rings for x in ring[0::2]]
        ys = [min(max(y, 0.0), height) for ring in rings for y in ring[1::2]]
        return [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
    if kind == AnnotationKind.POLYLINE.value:
        xs, ys = geometry[0::2], geometry[1::2]
        return [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
    if kind == AnnotationKind.MASK.value:
        return [float(value) for value in coco_mask.toBbox(_pycocotools_rle(geometry))]
    raise ValueError(f"a {kind} annotation has no box")


def _counts_of_string(counts: str) -> list[int]:
    """The run lengths of a compressed COCO RLE string (pycocotools' `rleFrString`).

    pycocotools decodes any string without complaint, so Studio reads the runs itself to
    refuse counts that do not describe exactly the image's pixels.
    """
    runs: list[int] = []
    position = 0
    while position < len(counts):
        value, shift, more = 0, 0, True
        while more:
            if position >= len(counts):
                raise InvalidEditError("mask: RLE counts end in the middle of a number")
            code = ord(counts[position]) - 48
            if not 0 <= code < 64:
                raise InvalidEditError(f"mask: {counts[position]!r} cannot occur in RLE counts")
            value |= (code & 0x1F) << (5 * shift)
            more = bool(code & 0x20)
            position += 1
            shift += 1
            if not more and code & 0x10:
                value |= -1 << (5 * shift)
        if len(runs) > 2:
            value += runs[-2]
        runs.append(value)
    return runs


def _check_runs(runs: Sequence[Any], width: int, height: int) -> None:
    if not all(_is_number(run) and run >= 0 and int(run) == run for run in runs):
        raise InvalidEditError("mask: RLE counts must be whole numbers ≥ 0")
    total = sum(int(run) for run in runs)
    if total != width * height:
        raise InvalidEditError(
            f"mask: RLE counts cover {total:,} pixels, the {width}×{height} image has "
            f"{width * height:,}"
        )


def normalize_mask(mask: Any, width: int, height: int) -> dict[str, Any]:
    if isinstance(mask, np.ndarray):
        if mask.ndim != 2:
            raise InvalidEditError(f"mask: expected a 2-D array, got {mask.ndim} dimensions")
        if mask.shape != (height, width):
            raise InvalidEditError(
                f"mask: shape {mask.shape[1]}×{mask.shape[0]} "
                f"differs from the image {width}×{height}"
            )
        return encode_mask(mask.astype(bool))
    if not isinstance(mask, dict) or "size" not in mask or "counts" not in mask:
        raise InvalidEditError("mask: expected a 2-D array or a COCO RLE {'size', 'counts'}")
    size = [int(side) for side in _finite(_sequence(mask["size"], "mask size"), "mask size")]
    if size != [height, width]:
        raise InvalidEditError(f"mask: RLE size {size} differs from the image [{height}, {width}]")
    counts = mask["counts"]
    if isinstance(counts, bytes):
        counts = counts.decode("ascii", errors="replace")
    if isinstance(counts, str):
        _check_runs(_counts_of_string(counts), width, height)
    elif isinstance(counts, list):
        _check_runs(counts, width, height)
    else:
        raise InvalidEditError(f"mask: RLE counts must be a string or a list, got {counts!r}")
    try:
        if isinstance(counts, list):
            rle = coco_mask.frPyObjects({"size": size, "counts": counts}, height, width)
        else:
            rle = {"size": size, "counts": counts.encode()}
        decoded = coco_mask.decode(rle)
    except Exception as error:
        raise InvalidEditError(f"mask: invalid RLE counts ({error})") from error
    return encode_mask(decoded.astype(bool))


def normalize_keypoints(points: Sequence[Any], width: int, height: int) -> list[list[float]]:
    if len(_sequence(points, "keypoints")) == 0:
        raise InvalidEditError("keypoints: no points")
    result = []
    for point in points:
        if not isinstance(point, (list, tuple, np.ndarray)) or len(point) not in (2, 3):
            raise InvalidEditError(
                f"keypoints: each point is [x, y] or [x, y, visibility], got {point!r}"
            )
        x, y, *rest = _finite(point, "keypoints")
        visibility = rest[0] if rest else 2
        if visibility not in (0, 1, 2):
            raise InvalidEditError(f"keypoints: visibility {visibility:g} is not 0, 1 or 2")
        visibility = int(visibility)
        if visibility:
            _inside(x, y, width, height, "keypoints")
        result.append([x, y, visibility])
    return result


def normalize_polyline(polyline: Sequence[Any], width: int, height: int) -> list[float]:
    """Accept `[(x, y), ...]` or flat `[x1, y1, ...]`; return the flat chain."""
    if len(_sequence(polyline, "polyline")) == 0:
        raise InvalidEditError("polyline: no points")
    if _is_pair(polyline[0]) and not all(_is_pair(point) for point in polyline):
        raise InvalidEditError("polyline: every point needs exactly two coordinates")
    return _points_inside(polyline, 2, "a line", "polyline", width, height)


def _points_inside(
    points: Any, least: int, what: str, kind: str, width: int, height: int
) -> list[float]:
    """The flat chain of `points` (pairs or flat), at least `least` of them, all in the image."""
    flat = _finite(_flatten_ring(points), kind)
    if len(flat) % 2:
        raise InvalidEditError(f"{kind}: odd number of coordinates")
    if len(flat) < 2 * least:
        raise InvalidEditError(f"{kind}: {what} needs at least {least} points")
    for index in range(0, len(flat), 2):
        _inside(flat[index], flat[index + 1], width, height, kind)
    return flat


def normalize_rotated_box(box: Sequence[Any], width: int, height: int) -> list[float]:
    box = _sequence(box, "rotated_box")
    if len(box) != 5:
        raise InvalidEditError(
            f"rotated_box: expected [cx, cy, width, height, angle], got {len(box)} values"
        )
    cx, cy, w, h, angle = _finite(box, "rotated_box")
    if w <= 0 or h <= 0:
        raise InvalidEditError(f"rotated_box: width and height must be positive, got {w:g}×{h:g}")
    _inside(cx, cy, width, height, "rotated_box centre")
    return [cx, cy, w, h, angle % 360.0]


def rotated_box_corners(box: Sequence[float]) -> list[float]:
    """The four corners `[x1, y1, ..., x4, y4]` of a stored rotated box: the unrotated
    top-left first, then clockwise on screen (top-right, bottom-right, bottom-left)."""
    cx, cy, w, h, angle = (float(value) for value in box)
    cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    corners = []
    for dx, dy in ((-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)):
        corners += [cx + dx * cos - dy * sin, cy + dx * sin + dy * cos]
    return corners


def rotated_box_from_corners(corners: Sequence[float]) -> list[float]:
    """`[cx, cy, width, height, angle]` of four corners in `rotated_box_corners`' order.

    The width runs from the first corner to the second, and the angle is that side's
    direction. A quadrilateral that is not quite a rectangle (rounded coordinates) gets the
    mean of its opposite sides."""
    if len(corners) != 8:
        raise InvalidEditError(f"rotated_box: expected 4 corners, got {len(corners) / 2:g}")
    xs, ys = [float(x) for x in corners[0::2]], [float(y) for y in corners[1::2]]

    def side(a: int, b: int) -> float:
        return math.hypot(xs[b] - xs[a], ys[b] - ys[a])

    angle = math.degrees(math.atan2(ys[1] - ys[0], xs[1] - xs[0])) % 360.0
    width, height = (side(0, 1) + side(2, 3)) / 2, (side(1, 2) + side(3, 0)) / 2
    return [sum(xs) / 4, sum(ys) / 4, width, height, angle]


def normalize_geometry(kind: AnnotationKind, geometry: Any, width: int, height: int) -> Any:
    """Check one annotation's geometry against its image and return the stored form."""
    if kind is AnnotationKind.TAG:
        return None
    if geometry is None:
        raise InvalidEditError(f"{kind.value}: geometry is missing")
    normalizers = {
        AnnotationKind.BOX: normalize_box,
        AnnotationKind.POLYGON: normalize_polygon,
        AnnotationKind.MASK: normalize_mask,
        AnnotationKind.KEYPOINTS: normalize_keypoints,
        AnnotationKind.POLYLINE: normalize_polyline,
        AnnotationKind.ROTATED_BOX: normalize_rotated_box,
    }
    return normalizers[kind](geometry, width, height)
