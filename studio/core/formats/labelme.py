"""labelme JSON: one .json file per image, beside it.

Each file holds `shapes` (`label`, `points`, `shape_type`, `group_id`, `flags`,
`description`, and for masks `mask`), the image-level `flags`, `imagePath`, `imageData`
(the image itself in base64, or null) and the image's size. Shapes map to Studio as:

- `rectangle` (2 points, any two opposite corners) → box;
- `polygon` (≥ 3 points) → polygon; polygons (and circles) of one label sharing a
  `group_id` are the parts (rings) of one object, which is how labelme groups them and how
  export writes them; a `group_id` on a rectangle or a mask is counted in the warnings;
- `point` → keypoints with one visible point; points of one label sharing a `group_id` are
  one keypoints annotation;
- `circle` (centre and a point on the circle) → a polygon of `CIRCLE_POINTS` vertices,
  kept inside the image: Studio has no circle, and a polygon keeps the shape editable;
- `mask` (labelme ≥ 5.4: a PNG, in base64, of the mask inside the rectangle of its two
  points, both ends included) → mask;
- `linestrip` (≥ 2 points) and `line` (2 points) → polyline; export writes `linestrip`;
- `rotation` (X-AnyLabeling's rotated box: 4 corners, the first two along its width, and its
  `direction` in radians, clockwise on screen) → rotated box, from the corners; export writes
  the same, which X-AnyLabeling reads and labelme itself does not (the export says so);
- unknown shape types have no Studio shape: they are counted in the import's warnings, never
  dropped silently, and an image with such shapes is not taken to be empty.

Image-level flags that are true become tags, and export writes tags as flags. A shape's
flags become boolean user attributes, its description the reserved flag `description`, and
other attributes (user attributes, and reserved flags labelme has no place for, such as
`difficult`) travel in an `attributes` object on the shape (labelme keeps unknown keys).
labelme 3's per-shape `line_color` and `fill_color` are counted in the warnings: Studio draws
a shape in its class's colour.

The image is `imageData` when the file embeds one, as in labelme itself (see
`_embedded_image`). Otherwise it is `imagePath`, relative to the .json file, accepted only
while it stays inside the folder being imported (labelme often writes `../images/x.jpg`); else
its file name is looked for beside the .json file and in that folder, and failing that the
importer looks for a project item of that name.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import math
import os
from collections import Counter
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import numpy as np
from PIL import Image

from studio.core.attributes import format_attributes, read_format_attributes
from studio.core.enums import AnnotationKind
from studio.core.errors import LabelImportError
from studio.core.formats.exporter import ExportTarget
from studio.core.formats.model import ExportItem, ExportSet, ImageLabels, LabelRecord, LabelSet
from studio.core.formats.reading import (
    Control,
    LeftOut,
    expect,
    files_below,
    flat_points,
    head,
    is_image_name,
    is_inside,
    load_json,
    whole_number,
)
from studio.core.formats.registry import LabelFormat
from studio.core.formats.writing import mask_bounds, unique_stem
from studio.core.geometry import decode_mask, rotated_box_corners, rotated_box_from_corners
from studio.core.image_probe import ProbeError, probe_image, probe_image_data
from studio.core.records import AnnotationRecord

LABELME_VERSION = "5.5.0"
# Base64 text of an embedded image (imageData) or mask larger than this is refused before
# decoding: a label file should not make Studio allocate gigabytes.
MAX_IMAGE_DATA_CHARS = 64 * 1024**2
CIRCLE_POINTS = 32
# The reserved flags (studio.core.attributes) labelme has a place of its own for.
NATIVE_FLAGS = frozenset({"description"})
# Shapes whose group_id joins them into one annotation (a circle is read as a polygon); on
# any other shape the group_id is counted in a warning.
GROUPED_KINDS = (AnnotationKind.POLYGON, AnnotationKind.KEYPOINTS)
UNGROUPED = (
    "labelme group_id on shapes other than polygons, circles and points was left out "
    "(Studio joins those only)"
)
# labelme 3's per-shape display colours: Studio draws a shape in its class's colour.
SHAPE_COLOURS = ("line_color", "fill_color")
UNKEPT_COLOURS = "labelme shape colours were left out (Studio draws shapes in the class colour)"
ROTATION_SHAPE = "rotation"  # X-AnyLabeling's rotated box
ROTATION_NOTE = (
    "rotated boxes were written as X-AnyLabeling 'rotation' shapes, which labelme itself "
    "does not open"
)
DETECT_SAMPLE = 20
EMPTY_REASONS = {
    AnnotationKind.MASK.value: "empty masks",
    AnnotationKind.KEYPOINTS.value: "keypoints with no visible point (labelme has no place)",
}


class LabelmeFormat(LabelFormat):
    name = "labelme"
    title = "labelme JSON"
    kinds = frozenset(
        {
            AnnotationKind.BOX,
            AnnotationKind.POLYGON,
            AnnotationKind.MASK,
            AnnotationKind.KEYPOINTS,
            AnnotationKind.POLYLINE,
            AnnotationKind.ROTATED_BOX,
            AnnotationKind.TAG,
        }
    )
    suffixes = (".json",)

    def detect(self, path: Path) -> float:
        if path.is_file():
            return 0.9 if path.suffix.lower() == ".json" and _looks_like_labelme(path) else 0.0
        files = _json_files(path)[:DETECT_SAMPLE]
        return 0.85 if any(_looks_like_labelme(file) for file in files) else 0.0

    def read(self, path: Path, control: Control) -> LabelSet:
        root = path.parent if path.is_file() else path
        files = [path] if path.is_file() else _json_files(path)
        label_set = LabelSet(self.name, path)
        skipped: Counter = Counter()
        left_out = LeftOut()
        others = 0
        for done, file in enumerate(files, start=1):
            control.step(done, len(files))
            document = load_json(file)
            if not isinstance(document, dict) or "shapes" not in document:
                if path.is_file():
                    raise LabelImportError(file, 'not a labelme file (no "shapes" list)')
                others += 1
                continue
            label_set.images.append(
                _read_document(file, document, root, label_set, skipped, left_out)
            )
        if not label_set.images:
            raise LabelImportError(path, "no labelme .json file found")
        label_set.warnings.extend(_skip_warning(kind, count) for kind, count in skipped.items())
        label_set.warnings.extend(left_out.warnings())
        if others:
            label_set.warnings.append(
                f"{others:,} .json files that are not labelme files were skipped"
            )
        return label_set

    def write(self, export: ExportSet, target: ExportTarget) -> None:
        taken: set[str] = set()
        lost_points = 0
        if any(
            annotation.kind == AnnotationKind.ROTATED_BOX.value
            for entry in export.items
            for annotation in entry.annotations
        ):
            target.report.warnings.append(ROTATION_NOTE)
        for done, entry in enumerate(export.items, start=1):
            target.control.step(done, len(export.items))
            image_path = target.place_image(entry, "")
            document, lost = _document(entry, image_path, target)
            lost_points += lost
            name = unique_stem(PurePosixPath(image_path).stem, entry.item.id, taken)
            with open(target.path(f"{name}.json"), "w", encoding="utf-8") as stream:
                json.dump(document, stream, indent=2, ensure_ascii=False)
        if lost_points:
            target.report.warnings.append(
                f"{lost_points:,} keypoints marked hidden or absent were written as labelme "
                "points (labelme has no visibility) or left out when absent"
            )


def _looks_like_labelme(path: Path) -> bool:
    text = head(path)
    return '"shapes"' in text and '"imagePath"' in text


def _json_files(folder: Path) -> list[Path]:
    return files_below(folder, lambda name: name.lower().endswith(".json"))


def _skip_warning(kind: str, count: int) -> str:
    return f"{count:,} shapes of unknown shape_type {kind!r} skipped"


# -- reading: the image --------------------------------------------------------------------


def _read_document(
    file: Path,
    document: dict,
    root: Path,
    label_set: LabelSet,
    skipped: Counter,
    left_out: LeftOut,
) -> ImageLabels:
    width = _declared(file, document, "imageWidth")
    height = _declared(file, document, "imageHeight")
    file_name, path = _image_file(file, document.get("imagePath"), root)
    data = _image_data(file, document.get("imageData"))
    if data is not None:
        file_name, path = _embedded_image(file, file_name, path, data)
    shapes = expect(document["shapes"], list, file, "top level", '"shapes"')
    skipped_before = sum(skipped.values())
    labels = _shapes(file, shapes, width, height, skipped, left_out)
    labels += _tags(file, document.get("flags"))
    for record in labels:
        label_set.add_class(record.label)
    return ImageLabels(
        file_name=file_name,
        path=path,
        width=width,
        height=height,
        labels=labels,
        # An image whose shapes were all skipped (lines) is not known to be empty.
        labeled=sum(skipped.values()) == skipped_before,
        data=data,
        source_file=file,
    )


def _declared(file: Path, document: dict, key: str) -> int | None:
    value = document.get(key)
    if value is None:
        return None
    value = whole_number(value, file, "top level", key)
    if value <= 0:
        raise LabelImportError(file, f"{key} {value} is not positive", "top level")
    return value


def _image_file(file: Path, raw: Any, root: Path) -> tuple[str, Path | None]:
    """The image's name as written and its file: `imagePath` if it stays inside `root`,
    else its basename beside the .json file or in `root` (None when none exists)."""
    if not isinstance(raw, str) or not raw.strip() or "\x00" in raw:
        raise LabelImportError(file, f"imagePath {raw!r:.80} is not a file name")
    posix = raw.replace("\\", "/")
    if not posix.startswith("/") and not PureWindowsPath(raw).drive:
        candidate = Path(os.path.normpath(file.parent / posix))
        if is_inside(candidate, root) and _is_file(candidate):
            return posix, candidate
    basename = PurePosixPath(posix).name
    for folder in (file.parent, root):
        candidate = folder / basename
        if basename not in ("", "..") and _is_file(candidate):
            return posix, candidate
    return posix, None


def _embedded_image(
    file: Path, file_name: str, path: Path | None, data: bytes
) -> tuple[str, Path | None]:
    """The image's name and file when the document embeds it: `imageData` is the image, as
    labelme itself uses it first.

    `imagePath` is kept only when it names an image file of the same displayed size, the
    file labelme made imageData from (re-encoding it), so that labels land on the project's
    item of that file. Otherwise (it names the .json itself, as labelme's tutorial and
    2018-era files do, or another image, or nothing) the embedded image is used, under the
    .json file's name when `imagePath` is not an image name.
    """
    try:
        embedded = probe_image_data(data)
    except ProbeError:
        return file_name, None  # the importer reports the broken image with its file
    if (
        path is not None
        and is_image_name(path.name)
        and _displayed_size(path)
        == (
            embedded.width,
            embedded.height,
        )
    ):
        return file_name, path
    if not is_image_name(file_name):
        suffix = embedded.format.lower().replace("jpeg", "jpg")
        file_name = f"{file.stem}.{suffix}"
    return file_name, None


def _displayed_size(path: Path) -> tuple[int, int] | None:
    try:
        info = probe_image(path)
    except (ProbeError, OSError):
        return None
    return info.width, info.height


def _is_file(path: Path) -> bool:
    """Whether `path` is a file; a name the system refuses (too long) is none."""
    try:
        return path.is_file()
    except OSError:
        return False


def _decoded(file: Path, text: Any, where: str, what: str) -> bytes:
    """Base64 text as bytes; too long or not base64 is an error."""
    text = expect(text, str, file, where, what)
    if len(text) > MAX_IMAGE_DATA_CHARS:
        raise LabelImportError(
            file,
            f"{what} is {len(text):,} characters of base64, more than the limit of "
            f"{MAX_IMAGE_DATA_CHARS:,}",
            where,
        )
    try:
        data = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise LabelImportError(file, f"{what} is not valid base64", where) from None
    if not data:
        raise LabelImportError(file, f"{what} is empty", where)
    return data


def _image_data(file: Path, raw: Any) -> bytes | None:
    if raw is None or raw == "":
        return None
    return _decoded(file, raw, "top level", "imageData")


def _tags(file: Path, flags: Any) -> list[LabelRecord]:
    if flags is None:
        return []
    flags = expect(flags, dict, file, "top level", '"flags"')
    return [
        LabelRecord(str(name), AnnotationKind.TAG, None, where=f"flag {name!r}")
        for name, value in flags.items()
        if value is True and str(name).strip()
    ]


# -- reading: the shapes -------------------------------------------------------------------


def _shapes(
    file: Path,
    shapes: list,
    width: int | None,
    height: int | None,
    skipped: Counter,
    left_out: LeftOut,
) -> list[LabelRecord]:
    records: list[LabelRecord] = []
    groups: dict[tuple[str, str, int], LabelRecord] = {}
    for number, shape in enumerate(shapes, start=1):
        where = f"shape {number}"
        shape = expect(shape, dict, file, where, "a shape")
        label = expect(shape.get("label"), str, file, where, "the label").strip()
        if not label:
            raise LabelImportError(file, "the label is empty", where)
        where = f"shape {number} ({label})"
        shape_type = expect(shape.get("shape_type") or "polygon", str, file, where, "shape_type")
        reader = SHAPE_READERS.get(shape_type)
        if reader is None:
            skipped[str(shape_type)] += 1
            continue
        points = flat_points(shape.get("points"), file, where)
        kind, geometry = reader(file, where, points, shape, width, height)
        attributes = _attributes(file, where, shape)
        record = LabelRecord(label, kind, geometry, attributes=attributes, where=where)
        for colour in SHAPE_COLOURS:
            if shape.get(colour) is not None:
                left_out.add(UNKEPT_COLOURS, colour)
        group_id = shape.get("group_id")
        if group_id is not None and kind not in GROUPED_KINDS:
            left_out.add(UNGROUPED, shape_type)
        elif group_id is not None:
            group_id = whole_number(group_id, file, where, "group_id")
            key = (label, kind.value, group_id)
            if key in groups:
                groups[key].geometry.extend(geometry)
                continue
            groups[key] = record
        records.append(record)
    return records


def _attributes(file: Path, where: str, shape: dict) -> dict[str, Any]:
    """The shape's `description` (a reserved flag), and its flags and `attributes` object
    (user attributes, but for reserved flags labelme has no place for)."""
    listed: dict[str, Any] = {}
    extra = shape.get("attributes")
    if extra is not None:
        listed.update(expect(extra, dict, file, where, '"attributes"'))
    flags = shape.get("flags") or {}
    listed.update(expect(flags, dict, file, where, '"flags"'))
    own_places = {}
    description = shape.get("description")
    if isinstance(description, str) and description.strip():
        own_places["description"] = description
    return read_format_attributes(own_places, listed, NATIVE_FLAGS)


def _count(file: Path, where: str, points: list[float], counts: tuple[int, ...], what: str) -> None:
    if len(points) // 2 not in counts:
        wanted = " or ".join(str(count) for count in counts)
        raise LabelImportError(
            file, f"a {what} needs {wanted} points, got {len(points) // 2}", where
        )


def _rectangle(
    file: Path, where: str, points: list[float], shape: dict, width: Any, height: Any
) -> tuple[AnnotationKind, Any]:
    _count(file, where, points, (2, 4), "rectangle")
    xs, ys = points[0::2], points[1::2]
    left, top = min(xs), min(ys)
    return AnnotationKind.BOX, [left, top, max(xs) - left, max(ys) - top]


def _polygon(
    file: Path, where: str, points: list[float], shape: dict, width: Any, height: Any
) -> tuple[AnnotationKind, Any]:
    if len(points) < 6:
        raise LabelImportError(
            file, f"a polygon needs at least 3 points, got {len(points) // 2}", where
        )
    return AnnotationKind.POLYGON, [points]


def _linestrip(
    file: Path, where: str, points: list[float], shape: dict, width: Any, height: Any
) -> tuple[AnnotationKind, Any]:
    if len(points) < 4:
        raise LabelImportError(
            file, f"a line needs at least 2 points, got {len(points) // 2}", where
        )
    return AnnotationKind.POLYLINE, points


def _line(
    file: Path, where: str, points: list[float], shape: dict, width: Any, height: Any
) -> tuple[AnnotationKind, Any]:
    _count(file, where, points, (2,), "line")
    return AnnotationKind.POLYLINE, points


def _rotation(
    file: Path, where: str, points: list[float], shape: dict, width: Any, height: Any
) -> tuple[AnnotationKind, Any]:
    """X-AnyLabeling's rotated box: its corners say it all (its `direction` is the angle of
    the first side, which the corners give too)."""
    _count(file, where, points, (4,), "rotated box")
    return AnnotationKind.ROTATED_BOX, rotated_box_from_corners(points)


def _point(
    file: Path, where: str, points: list[float], shape: dict, width: Any, height: Any
) -> tuple[AnnotationKind, Any]:
    _count(file, where, points, (1,), "point")
    return AnnotationKind.KEYPOINTS, [[points[0], points[1], 2]]


def _circle(
    file: Path, where: str, points: list[float], shape: dict, width: Any, height: Any
) -> tuple[AnnotationKind, Any]:
    _count(file, where, points, (2,), "circle")
    cx, cy, px, py = points
    radius = math.hypot(px - cx, py - cy)
    if radius == 0:
        raise LabelImportError(file, "the circle has a radius of 0", where)
    ring = []
    for index in range(CIRCLE_POINTS):
        angle = 2 * math.pi * index / CIRCLE_POINTS
        x, y = cx + radius * math.cos(angle), cy + radius * math.sin(angle)
        ring += [_clip(x, width), _clip(y, height)]
    return AnnotationKind.POLYGON, [ring]


def _clip(value: float, high: int | None) -> float:
    value = max(value, 0.0)
    return min(value, float(high)) if high is not None else value


def _mask(
    file: Path, where: str, points: list[float], shape: dict, width: Any, height: Any
) -> tuple[AnnotationKind, Any]:
    _count(file, where, points, (2,), "mask")
    if width is None or height is None:
        raise LabelImportError(file, "a mask shape needs imageWidth and imageHeight", where)
    x1, y1, x2, y2 = (int(value) for value in points)
    if not (0 <= x1 <= x2 < width and 0 <= y1 <= y2 < height):
        raise LabelImportError(
            file,
            f"the mask's rectangle ({x1}, {y1}) – ({x2}, {y2}) is not inside the "
            f"{width}×{height} image",
            where,
        )
    crop = _mask_crop(file, where, shape.get("mask"), x2 - x1 + 1, y2 - y1 + 1)
    mask = np.zeros((height, width), dtype=bool)
    mask[y1 : y2 + 1, x1 : x2 + 1] = crop
    return AnnotationKind.MASK, mask


def _mask_crop(file: Path, where: str, text: Any, width: int, height: int) -> np.ndarray:
    """The mask's PNG, checked to be `width`×`height` before its pixels are decoded."""
    data = _decoded(file, text, where, "the mask")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.size != (width, height):
                raise LabelImportError(
                    file,
                    f"the mask image is {image.size[0]}×{image.size[1]}, its rectangle is "
                    f"{width}×{height}",
                    where,
                )
            pixels = np.asarray(image)
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as error:
        raise LabelImportError(file, f"the mask is not a readable image ({error})", where) from None
    return pixels.any(axis=2) if pixels.ndim == 3 else pixels != 0


SHAPE_READERS = {
    "rectangle": _rectangle,
    "polygon": _polygon,
    "linestrip": _linestrip,
    "line": _line,
    ROTATION_SHAPE: _rotation,
    "point": _point,
    "circle": _circle,
    "mask": _mask,
}


# -- writing -------------------------------------------------------------------------------


def _document(
    entry: ExportItem, image_path: str, target: ExportTarget
) -> tuple[dict[str, Any], int]:
    """The labelme file of one image, and how many keypoints lost their visibility."""
    flags: dict[str, bool] = {}
    shapes: list[dict[str, Any]] = []
    lost = 0
    groups = iter(range(1, len(entry.annotations) + 1))
    for annotation in entry.annotations:
        if annotation.kind == AnnotationKind.TAG.value:
            flags[annotation.label] = True
            target.exported()
            continue
        written, lost_here = _annotation_shapes(annotation, groups)
        lost += lost_here
        if not written:
            target.skip(annotation, EMPTY_REASONS[annotation.kind])
            continue
        shapes.extend(written)
        target.exported()
    document = {
        "version": LABELME_VERSION,
        "flags": flags,
        "shapes": shapes,
        "imagePath": image_path,
        "imageData": None,
        "imageHeight": entry.item.height,
        "imageWidth": entry.item.width,
    }
    return document, lost


def _annotation_shapes(annotation: AnnotationRecord, groups: Any) -> tuple[list[dict], int]:
    kind, geometry = annotation.kind, annotation.geometry
    if kind == AnnotationKind.BOX.value:
        x, y, w, h = geometry
        return [_shape(annotation, "rectangle", [[x, y], [x + w, y + h]])], 0
    if kind == AnnotationKind.POLYGON.value:
        group = next(groups) if len(geometry) > 1 else None
        return [_shape(annotation, "polygon", _pairs(ring), group) for ring in geometry], 0
    if kind == AnnotationKind.MASK.value:
        return _mask_shapes(annotation), 0
    if kind == AnnotationKind.POLYLINE.value:
        return [_shape(annotation, "linestrip", _pairs(geometry))], 0
    if kind == AnnotationKind.ROTATED_BOX.value:
        shape = _shape(annotation, ROTATION_SHAPE, _pairs(rotated_box_corners(geometry)))
        shape["direction"] = math.radians(geometry[4])
        return [shape], 0
    shown = [point for point in geometry if point[2] > 0]
    group = next(groups) if len(shown) > 1 else None
    lost = sum(1 for point in geometry if point[2] != 2)
    return [_shape(annotation, "point", [[x, y]], group) for x, y, _ in shown], lost


def _pairs(ring: list[float]) -> list[list[float]]:
    return [[ring[i], ring[i + 1]] for i in range(0, len(ring), 2)]


def _shape(
    annotation: AnnotationRecord, shape_type: str, points: list, group_id: int | None = None
) -> dict[str, Any]:
    own_places, listed = format_attributes(annotation.attributes, NATIVE_FLAGS)
    description = own_places.get("description", "")
    flags = {k: v for k, v in listed.items() if isinstance(v, bool)}
    others = {k: v for k, v in listed.items() if k not in flags}
    shape: dict[str, Any] = {
        "label": annotation.label,
        "points": points,
        "group_id": group_id,
        "description": str(description),
        "shape_type": shape_type,
        "flags": flags,
        "mask": None,
    }
    if others:
        shape["attributes"] = others
    return shape


def _mask_shapes(annotation: AnnotationRecord) -> list[dict[str, Any]]:
    mask = decode_mask(annotation.geometry)
    bounds = mask_bounds(mask)
    if bounds is None:
        return []
    y1, y2, x1, x2 = bounds
    crop = mask[y1 : y2 + 1, x1 : x2 + 1].astype(np.uint8)
    stream = io.BytesIO()
    Image.fromarray(crop).save(stream, format="PNG")
    shape = _shape(annotation, "mask", [[x1, y1], [x2, y2]])
    shape["mask"] = base64.b64encode(stream.getvalue()).decode("ascii")
    return [shape]


FORMAT = LabelmeFormat()
