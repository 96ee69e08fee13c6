"""Checking one label of a file against its image, as an edit would, before anything is written.

Relative coordinates (YOLO, Label Studio) become pixels here, shapes overshooting the image by
up to `EDGE_TOLERANCE` are clamped (other tools' float rounding), and the geometry is
normalised by `studio.core.geometry`, so an imported annotation is exactly what the editor
would have stored.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from studio.core.annotations import checked_score
from studio.core.attributes import normalized_attributes
from studio.core.enums import AnnotationKind, AnnotationSource
from studio.core.errors import InvalidEditError, LabelImportError
from studio.core.formats.image_matching import FoundImage
from studio.core.formats.model import LabelRecord
from studio.core.geometry import normalize_geometry, rotated_box_from_corners

# Shapes up to one pixel outside the image are clamped to it: other tools' float rounding, and
# VOC writers (Roboflow) that end a box at `width + 1`, the devkit's 1-based last pixel.
# Anything further out is an error.
EDGE_TOLERANCE = 1.0


def checked_row(
    record: LabelRecord, image: FoundImage, label: str, file: Path
) -> tuple[dict, bool]:
    """The annotation row of `record` on `image` (and whether it was clamped), or an error."""
    try:
        kind = AnnotationKind(record.kind)
        source = AnnotationSource(record.source).value
        geometry = record.geometry
        if record.relative:
            geometry = _to_pixels(kind, geometry, image.width, image.height)
        geometry, clamped = _clamped(kind, geometry, image.width, image.height)
        stored = normalize_geometry(kind, geometry, image.width, image.height)
        score = checked_score(record.score)
    except (InvalidEditError, ValueError, TypeError) as error:
        where = ", ".join(part for part in (image.labels.where, record.where) if part)
        raise LabelImportError(file, str(error), where or None) from None
    row = {
        "label": label,
        "kind": kind.value,
        "geometry": stored,
        "source": source,
        "score": score,
        "attributes": normalized_attributes(record.attributes),
    }
    return row, clamped


def _to_pixels(kind: AnnotationKind, geometry: Any, width: int, height: int) -> Any:
    """Fractions of the image size to pixels (boxes, polygon rings, polylines, keypoints, and
    rotated boxes, which come as their four corners: an angle in fractions of a non-square
    image would not be the angle in pixels)."""
    if kind is AnnotationKind.BOX:
        x, y, w, h = (float(value) for value in geometry)
        return [x * width, y * height, w * width, h * height]
    if kind is AnnotationKind.POLYGON:
        return [
            [float(v) * (width if i % 2 == 0 else height) for i, v in enumerate(ring)]
            for ring in geometry
        ]
    if kind is AnnotationKind.KEYPOINTS:
        return [[float(x) * width, float(y) * height, *rest] for x, y, *rest in geometry]
    if kind in (AnnotationKind.POLYLINE, AnnotationKind.ROTATED_BOX):
        points = [float(v) * (width if i % 2 == 0 else height) for i, v in enumerate(geometry)]
        return rotated_box_from_corners(points) if kind is AnnotationKind.ROTATED_BOX else points
    return geometry


def _clamped(kind: AnnotationKind, geometry: Any, width: int, height: int) -> tuple[Any, bool]:
    """Boxes, polygons and polylines nudged inside the image when they overshoot by ≤
    EDGE_TOLERANCE."""
    if kind is AnnotationKind.BOX and isinstance(geometry, (list, tuple)) and len(geometry) == 4:
        if _box_inside(geometry, width, height):
            return geometry, False
        if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in geometry):
            return geometry, False
        x, y, w, h = geometry
        left, top = _nudge(x, width), _nudge(y, height)
        right, bottom = _nudge(x + w, width), _nudge(y + h, height)
        result = [left, top, right - left, bottom - top]
        return (result, True) if result != list(geometry) else (geometry, False)
    if kind is AnnotationKind.POLYLINE and isinstance(geometry, list):
        rings, changed = _clamped(AnnotationKind.POLYGON, [geometry], width, height)
        return (rings[0], changed) if changed else (geometry, False)
    if kind is AnnotationKind.POLYGON and isinstance(geometry, list):
        changed = False
        rings = []
        for ring in geometry:
            if not isinstance(ring, list) or not all(
                isinstance(v, (int, float)) and math.isfinite(v) for v in ring
            ):
                return geometry, False
            new = [_nudge(v, width if i % 2 == 0 else height) for i, v in enumerate(ring)]
            changed |= new != ring
            rings.append(new)
        return rings, changed
    return geometry, False


def _box_inside(box: Any, width: int, height: int) -> bool:
    """The common case, decided cheaply; anything odd goes the careful way."""
    try:
        x, y, w, h = box
        return x >= 0 and y >= 0 and x + w <= width and y + h <= height
    except TypeError:
        return False


def _nudge(value: float, high: float) -> float:
    if -EDGE_TOLERANCE <= value < 0:
        return 0.0
    if high < value <= high + EDGE_TOLERANCE:
        return float(high)
    return value
