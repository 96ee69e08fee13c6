"""CVAT for images 1.1: one `annotations.xml` for a whole task, job or project.

The file lists the labels in `<meta>` (their order is the class order) and every image with its
shapes: `<box>`, `<polygon>`, `<mask>` (CVAT's own run-length encoding) and `<tag>`, each with
`<attribute name="…">value</attribute>` children, which become text user attributes (a label
attribute named like a reserved flag CVAT has no place for, such as `difficult`, becomes that
flag; see `studio.core.attributes`; of a repeated name the last is kept and the others
counted). The label attribute definitions in `<meta>` become the class's attribute schema
(below). `occluded="1"` becomes the reserved flag `occluded` = 1 and a non-zero
`z_order` the flag `z_order`; a label attribute named `occluded` stays a user attribute beside
it. `source="auto"` (a model's shape no person changed) becomes source `model`; `semi-auto`
shapes come in as human work and are counted. A `<box rotation="…">` is a rotated box (turned
clockwise about its centre by that many degrees, as CVAT draws it and as Studio stores it) and
a `<polyline>` a polyline. Polygons of one label sharing a `group_id` are one object with
several parts; a `group_id` on any other shape is counted in the warnings. Points, ellipses,
cuboids and skeletons have no Studio shape: they are counted in the import's warnings, never
dropped silently; so are shapes with an empty label (Datumaro's test files have them), and an
image with skipped shapes is not taken to be empty. An image's `subset` (or the task's) gives
its split: Train/Validation/Test → train/val/test, "default" → none. Images are looked for in
`images/<subset>/` (a project export), `images/` (a task export) and beside the file.

A label's attribute definitions become its class's attribute schema (`studio.core.attributes`):
select and radio → choice, checkbox → check box, number (values "min, max, step") → number,
text (and a choice with no values) → text; a shape's values of declared attributes are read
in their type ("true" as a tick). The schema is written back on export (a choice as select, a
number without bounds with CVAT's 32-bit ones).

CVAT's mask RLE: `rle="a, b, c, …"` are alternating runs of background and foreground
pixels, starting with background, over the `width`×`height` rectangle at `left`,`top`, read
row by row.

Export writes `annotations.xml` (meta with every class in project order) and the images in
`images/`; a rotated box is a `<box>` with its `rotation`, a polyline a `<polyline>`; keypoints
have no CVAT-for-images shape in Studio's mapping and are skipped and counted. Shapes are
written with the source CVAT gives such work (`CVAT_SOURCES`); model scores are not kept.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from studio.core.attributes import (
    SCHEMA_KEY,
    AttributeSpec,
    attribute_schema,
    checked_schema,
    format_attributes,
    read_format_attributes,
    typed_user_values,
)
from studio.core.enums import AnnotationKind, AnnotationSource
from studio.core.errors import InvalidEditError, LabelImportError
from studio.core.formats.exporter import ExportTarget
from studio.core.formats.model import ExportItem, ExportSet, ImageLabels, LabelRecord, LabelSet
from studio.core.formats.reading import (
    SPLIT_ALIASES,
    Control,
    LeftOut,
    find_image,
    head,
    load_xml,
    safe_relative_name,
    text_number,
)
from studio.core.formats.registry import LabelFormat
from studio.core.formats.writing import (
    attribute_text,
    is_true,
    mask_bounds,
    number_text,
    write_xml,
)
from studio.core.geometry import decode_mask
from studio.core.records import AnnotationRecord

SUBSET_OF_SPLIT = {"train": "Train", "val": "Validation", "test": "Test"}
DEFAULT_SUBSET = "default"
UNSUPPORTED_SHAPES = {
    "points": "points shapes",
    "ellipse": "ellipses",
    "cuboid": "cuboids",
    "skeleton": "skeletons",
}
META_CONTAINERS = ("task", "job", "project")
# The key counting shapes with an empty label (Datumaro's own test files have them); no XML
# tag can be named so.
UNLABELED = "unlabeled shape"
# The reserved flags (studio.core.attributes) CVAT has places of its own for.
NATIVE_FLAGS = frozenset({"occluded", "z_order"})
# CVAT's `source` of a shape: "auto" is a model's work no person changed (a model-made
# annotation in Studio); "semi-auto" is a person's work with a tool's help, which Studio has no
# source for, so it comes in as human work and is counted.
AUTO_SOURCE = "auto"
SEMI_AUTO_SOURCE = "semi-auto"
CVAT_SOURCES = {
    AnnotationSource.MODEL.value: AUTO_SOURCE,
    AnnotationSource.SAM.value: SEMI_AUTO_SOURCE,
    AnnotationSource.HUMAN.value: "manual",
}
UNGROUPED = "CVAT group_id on shapes other than polygons was left out (Studio joins polygons only)"
SEMI_AUTO = "CVAT shapes made with a tool's help were imported as human work"
REPEATED_ATTRIBUTES = (
    "CVAT <attribute>s repeating a name on their shape were left out (the last is kept)"
)
# The class meta key where projects imported before attribute schemas kept a CVAT label's
# attribute definitions as CVAT wrote them; an export still declares them.
ATTRIBUTE_DEFINITIONS = "attribute_definitions"
# CVAT's input types of the attribute types (studio.core.attributes) and back.
INPUT_TYPES = {"choice": "select", "number": "number", "checkbox": "checkbox", "text": "text"}
ATTRIBUTE_TYPES = {
    "select": "choice",
    "radio": "choice",
    "number": "number",
    "checkbox": "checkbox",
}
# CVAT needs a number's bounds; these stand for "none".
INT32_BOUNDS = (-(2**31), 2**31 - 1)
WHOLE_NUMBER = re.compile(r"-?[0-9]+")
COUNT = re.compile(r"[0-9]+")


class CvatFormat(LabelFormat):
    name = "cvat"
    title = "CVAT for images 1.1"
    kinds = frozenset(
        {
            AnnotationKind.BOX,
            AnnotationKind.ROTATED_BOX,
            AnnotationKind.POLYGON,
            AnnotationKind.POLYLINE,
            AnnotationKind.MASK,
            AnnotationKind.TAG,
        }
    )
    suffixes = (".xml",)

    def detect(self, path: Path) -> float:
        if path.is_file():
            return 0.95 if path.suffix.lower() == ".xml" and _looks_like_cvat(path) else 0.0
        return 0.9 if _cvat_files(path) else 0.0

    def read(self, path: Path, control: Control) -> LabelSet:
        files = [path] if path.is_file() else _cvat_files(path)
        if not files:
            raise LabelImportError(path, "no CVAT annotations.xml found")
        label_set = LabelSet(self.name, path)
        skipped: Counter = Counter()
        left_out = LeftOut()
        for file in files:
            _read_file(file, label_set, skipped, left_out, control)
        for shape, count in sorted(skipped.items()):
            label_set.warnings.append(_skip_warning(shape, count))
        label_set.warnings.extend(left_out.warnings())
        return label_set

    def write(self, export: ExportSet, target: ExportTarget) -> None:
        root = ET.Element("annotations")
        ET.SubElement(root, "version").text = "1.1"
        root.append(_meta(export))
        for done, entry in enumerate(export.items, start=1):
            target.control.step(done, len(export.items))
            root.append(_image_element(done - 1, entry, target))
        write_xml(root, target.path("annotations.xml"))


def _looks_like_cvat(path: Path) -> bool:
    text = head(path, 8192)
    return "<annotations>" in text and ("<version>" in text or "<meta>" in text)


def _cvat_files(folder: Path) -> list[Path]:
    preferred = folder / "annotations.xml"
    if preferred.is_file():
        return [preferred]
    return sorted(p for p in folder.glob("*.xml") if _looks_like_cvat(p))


def _skip_warning(shape: str, count: int) -> str:
    if shape == "track":
        return f"{count:,} tracks skipped: they belong to CVAT for video, not CVAT for images"
    if shape == UNLABELED:
        return f"{count:,} shapes without a label skipped: every Studio shape has a class"
    plural = UNSUPPORTED_SHAPES.get(shape, f"<{shape}> elements")
    return f"{count:,} {plural} skipped: Studio has no {shape} shape"


# -- reading -------------------------------------------------------------------------------


def _read_file(
    file: Path, label_set: LabelSet, skipped: Counter, left_out: LeftOut, control: Control
) -> None:
    root = load_xml(file)
    if root.tag != "annotations":
        raise LabelImportError(file, f"the root element is <{root.tag}>, not CVAT <annotations>")
    known, task_subset = _read_meta(file, root, label_set)
    elements = root.findall("image")
    unknown_subsets: Counter = Counter()
    skipped["track"] += len(root.findall("track"))
    for done, element in enumerate(elements, start=1):
        control.step(done, len(elements))
        subset = element.get("subset", task_subset)
        image = _image(file, element, _image_roots(file, subset), known, skipped, left_out)
        image.split = _split(subset, unknown_subsets)
        label_set.images.append(image)
        for record in image.labels:
            label_set.add_class(record.label)
            meta = label_set.class_meta.get(record.label) or {}
            record.attributes = typed_user_values(record.attributes, attribute_schema(meta))
    for subset, count in sorted(unknown_subsets.items()):
        label_set.warnings.append(
            f"{count:,} images of subset {subset!r} get no split (Studio's splits are "
            "train, val and test)"
        )
    if skipped["track"] == 0:
        del skipped["track"]


def _image_roots(file: Path, subset: str | None) -> list[Path]:
    """Where an image may lie: a project export keeps them in `images/<subset>/`, a task
    export in `images/`."""
    folders = [file.parent, file.parent / "images"]
    subset = (subset or "").strip()
    if subset and subset not in (".", "..") and "/" not in subset and "\\" not in subset:
        folders.insert(0, file.parent / "images" / subset)
    return folders


def _read_meta(file: Path, root: Any, label_set: LabelSet) -> tuple[set[str] | None, str]:
    """The labels the meta declares (None when it lists none) and the task's subset."""
    known: set[str] | None = None
    subset = ""
    for container in META_CONTAINERS:
        for meta in root.findall(f"meta/{container}"):
            labels = meta.find("labels")
            if labels is not None:
                known = known or set()
                for label in labels.findall("label"):
                    name = (label.findtext("name") or "").strip()
                    if name and not (label.findtext("parent") or "").strip():
                        known.add(name)
                        label_set.add_class(name)
                        schema = _label_schema(file, name, _attribute_definitions(label))
                        if schema:
                            label_set.class_meta.setdefault(name, {SCHEMA_KEY: schema})
            subset = subset or (meta.findtext("subset") or "").strip()
    return known, subset


def _attribute_definitions(label: Any) -> list[dict[str, Any]]:
    """A label's attribute definitions in `<meta>` (name, mutable, input_type, default_value,
    values), as CVAT writes them."""
    definitions = []
    for attribute in label.findall("attributes/attribute"):
        name = (attribute.findtext("name") or "").strip()
        if not name:
            continue
        values = (attribute.findtext("values") or "").split("\n")
        definitions.append(
            {
                "name": name,
                "mutable": (attribute.findtext("mutable") or "").strip().lower() == "true",
                "input_type": (attribute.findtext("input_type") or "").strip(),
                "default_value": attribute.findtext("default_value") or "",
                "values": [value for value in values if value],
            }
        )
    return definitions


def _label_schema(file: Path, label: str, definitions: list[dict[str, Any]]) -> list[dict]:
    """A CVAT label's attribute definitions as its class's attribute schema (JSON form)."""
    try:
        return [spec.to_meta() for spec in _schema(definitions)]
    except InvalidEditError as error:
        raise LabelImportError(file, f"label {label!r}: {error}") from None


def _schema(definitions: list[dict[str, Any]]) -> list[AttributeSpec]:
    """Attribute specs of CVAT definitions (name, input_type, default_value, values)."""
    specs = []
    for definition in definitions:
        kind = ATTRIBUTE_TYPES.get(str(definition.get("input_type", "")).lower(), "text")
        values = [str(value) for value in definition.get("values", [])]
        if kind == "choice" and not values:
            kind = "text"  # a choice CVAT gives no values to (Datumaro's test files)
        spec: dict[str, Any] = {
            "name": definition["name"],
            "type": kind,
            "default": definition.get("default_value"),
        }
        if kind == "choice":
            spec["values"] = values
        elif kind == "number":
            bounds = dict(zip(("min", "max"), values, strict=False))
            spec.update({which: value for which, value in bounds.items() if value.strip() != ""})
        specs.append(spec)
    return checked_schema(specs)


def _split(subset: str | None, unknown: Counter) -> str | None:
    value = (subset or "").strip()
    if not value or value.lower() == DEFAULT_SUBSET:
        return None
    split = SPLIT_ALIASES.get(value.lower())
    if split is None:
        unknown[value] += 1
    return split


def _whole(file: Path, where: str, element: Any, name: str, minimum: int) -> int:
    text = element.get(name)
    if text is None:
        raise LabelImportError(file, f"the {name} is missing", where)
    value = text_number(text, file, where, name)
    if not value.is_integer() or value < minimum:
        raise LabelImportError(file, f"{name} {text!r} is not a whole number ≥ {minimum}", where)
    return int(value)


def _image(
    file: Path,
    element: Any,
    roots: list[Path],
    known: set[str] | None,
    skipped: Counter,
    left_out: LeftOut,
) -> ImageLabels:
    where = f"image id {element.get('id', '?')}"
    name = safe_relative_name(element.get("name"), file, where)
    where = f"image {str(name)!r}"
    width = _whole(file, where, element, "width", 1)
    height = _whole(file, where, element, "height", 1)
    labels: list[LabelRecord] = []
    groups: dict[tuple[str, str], LabelRecord] = {}
    skipped_before = sum(skipped.values())
    for number, child in enumerate(element, start=1):
        shape_where = f"{where}, <{child.tag}> {number}"
        if child.tag in UNSUPPORTED_SHAPES or child.tag not in SHAPE_READERS:
            skipped[child.tag] += 1
            continue
        label = (child.get("label") or "").strip()
        if not label:
            skipped[UNLABELED] += 1
            continue
        if known is not None and label not in known:
            raise LabelImportError(
                file, f"label {label!r} is not among the labels declared in <meta>", shape_where
            )
        record = SHAPE_READERS[child.tag](file, shape_where, child, label, width, height)
        record.attributes = _attributes(child, left_out)
        source = (child.get("source") or "").strip()
        if source == AUTO_SOURCE:
            record.source = AnnotationSource.MODEL.value
        elif source == SEMI_AUTO_SOURCE:
            left_out.add(SEMI_AUTO, SEMI_AUTO_SOURCE)
        group = (child.get("group_id") or "0").strip()
        if record.kind is not AnnotationKind.POLYGON and group not in ("", "0"):
            left_out.add(UNGROUPED, f"<{child.tag}>")
        elif record.kind is AnnotationKind.POLYGON and group not in ("", "0"):
            if (label, group) in groups:
                groups[(label, group)].geometry.extend(record.geometry)
                continue
            groups[(label, group)] = record
        labels.append(record)
    return ImageLabels(
        file_name=str(name),
        path=find_image(name, roots),
        width=width,
        height=height,
        labels=labels,
        # An image whose shapes were all skipped is not known to be empty.
        labeled=sum(skipped.values()) == skipped_before,
        where=where,
        source_file=file,
    )


def _attributes(element: Any, left_out: LeftOut) -> dict[str, Any]:
    """The shape's `occluded` and `z_order` (flags) and its `<attribute>` children (the
    label's attributes, user attributes even when one is named `occluded`; of a repeated name
    the last is kept, as before, and the others are counted)."""
    flags: dict[str, Any] = {}
    if (element.get("occluded") or "0").strip() == "1":
        flags["occluded"] = 1
    z_order = (element.get("z_order") or "0").strip()
    if WHOLE_NUMBER.fullmatch(z_order) and int(z_order) != 0:
        flags["z_order"] = int(z_order)
    listed: dict[str, Any] = {}
    for child in element.findall("attribute"):
        name = (child.get("name") or "").strip()
        if name in listed:
            left_out.add(REPEATED_ATTRIBUTES, name)
        if name:
            listed[name] = (child.text or "").strip()
    return read_format_attributes(flags, listed, NATIVE_FLAGS)


def _coordinates(file: Path, where: str, element: Any, names: tuple[str, ...]) -> list[float]:
    values = []
    for name in names:
        text = element.get(name)
        if text is None:
            raise LabelImportError(file, f"the {name} coordinate is missing", where)
        values.append(text_number(text, file, where, name))
    return values


def _box(file: Path, where: str, element: Any, label: str, width: int, height: int) -> LabelRecord:
    xtl, ytl, xbr, ybr = _coordinates(file, where, element, ("xtl", "ytl", "xbr", "ybr"))
    if xbr <= xtl or ybr <= ytl:
        raise LabelImportError(
            file, f"the box ({xtl:g}, {ytl:g}) – ({xbr:g}, {ybr:g}) is inverted or empty", where
        )
    rotation = text_number(element.get("rotation") or "0", file, where, "rotation")
    if rotation % 360:
        turned = [(xtl + xbr) / 2, (ytl + ybr) / 2, xbr - xtl, ybr - ytl, rotation]
        return LabelRecord(label, AnnotationKind.ROTATED_BOX, turned, where=where)
    return LabelRecord(label, AnnotationKind.BOX, [xtl, ytl, xbr - xtl, ybr - ytl], where=where)


def _polyline(
    file: Path, where: str, element: Any, label: str, width: int, height: int
) -> LabelRecord:
    chain = _points(file, where, element.get("points") or "")
    if len(chain) < 4:
        raise LabelImportError(file, f"a polyline needs 2 points, got {len(chain) // 2}", where)
    return LabelRecord(label, AnnotationKind.POLYLINE, chain, where=where)


def _polygon(
    file: Path, where: str, element: Any, label: str, width: int, height: int
) -> LabelRecord:
    ring = _points(file, where, element.get("points") or "")
    if len(ring) < 6:
        raise LabelImportError(file, f"a polygon needs 3 points, got {len(ring) // 2}", where)
    return LabelRecord(label, AnnotationKind.POLYGON, [ring], where=where)


def _points(file: Path, where: str, text: str) -> list[float]:
    """CVAT's `"x1,y1;x2,y2;…"` as a flat list."""
    flat: list[float] = []
    for pair in text.split(";"):
        values = pair.split(",")
        if len(values) != 2:
            raise LabelImportError(
                file, f"the point {pair!r:.40} should be two numbers 'x,y'", where
            )
        flat.extend(text_number(value.strip(), file, where, "coordinate") for value in values)
    return flat


def _tag(file: Path, where: str, element: Any, label: str, width: int, height: int) -> LabelRecord:
    return LabelRecord(label, AnnotationKind.TAG, None, where=where)


def _mask(file: Path, where: str, element: Any, label: str, width: int, height: int) -> LabelRecord:
    left = _whole(file, where, element, "left", 0)
    top = _whole(file, where, element, "top", 0)
    crop_width = _whole(file, where, element, "width", 1)
    crop_height = _whole(file, where, element, "height", 1)
    if left + crop_width > width or top + crop_height > height:
        raise LabelImportError(
            file,
            f"the mask's {crop_width}×{crop_height} rectangle at ({left}, {top}) reaches "
            f"outside the {width}×{height} image",
            where,
        )
    if width * height > Image.MAX_IMAGE_PIXELS:
        raise LabelImportError(
            file, f"the declared image size {width}×{height} is too large for a mask", where
        )
    crop = _decode_rle(file, where, element.get("rle") or "", crop_width, crop_height)
    mask = np.zeros((height, width), dtype=bool)
    mask[top : top + crop_height, left : left + crop_width] = crop
    return LabelRecord(label, AnnotationKind.MASK, mask, where=where)


def _decode_rle(file: Path, where: str, text: str, width: int, height: int) -> np.ndarray:
    runs = []
    for value in text.split(","):
        value = value.strip()
        if not COUNT.fullmatch(value):
            raise LabelImportError(file, f"the mask RLE run {value!r:.20} is not a count", where)
        runs.append(int(value))
    if sum(runs) != width * height:
        raise LabelImportError(
            file,
            f"the mask RLE covers {sum(runs):,} pixels, its {width}×{height} rectangle has "
            f"{width * height:,}",
            where,
        )
    values = np.zeros(len(runs), dtype=bool)
    values[1::2] = True
    return np.repeat(values, runs).reshape(height, width)


SHAPE_READERS = {
    "box": _box,
    "polygon": _polygon,
    "polyline": _polyline,
    "tag": _tag,
    "mask": _mask,
}


# -- writing -------------------------------------------------------------------------------


def _meta(export: ExportSet) -> ET.Element:
    meta = ET.Element("meta")
    task = ET.SubElement(meta, "task")
    ET.SubElement(task, "name").text = export.project_name
    ET.SubElement(task, "size").text = str(len(export.items))
    ET.SubElement(task, "mode").text = "annotation"
    ET.SubElement(task, "overlap").text = "0"
    labels = ET.SubElement(task, "labels")
    for record in export.classes:
        label = ET.SubElement(labels, "label")
        ET.SubElement(label, "name").text = record.name
        ET.SubElement(label, "color").text = record.color
        ET.SubElement(label, "type").text = "any"
        definitions = ET.SubElement(label, "attributes")
        for spec in _class_schema(record.meta):
            definitions.append(_definition_element(spec))
    return meta


def _class_schema(meta: dict[str, Any]) -> list[AttributeSpec]:
    """A class's attribute schema; an older project's CVAT definitions stand in for it."""
    if SCHEMA_KEY in meta:
        return attribute_schema(meta)
    return _schema(meta.get(ATTRIBUTE_DEFINITIONS, []))


def _definition_element(spec: AttributeSpec) -> ET.Element:
    """A label's `<attribute>` declaration in CVAT's fields."""
    default = attribute_text(spec.default)
    if spec.type == "choice":
        values = list(spec.values)
    elif spec.type == "number":
        low = INT32_BOUNDS[0] if spec.minimum is None else spec.minimum
        high = INT32_BOUNDS[1] if spec.maximum is None else spec.maximum
        values = [number_text(low), number_text(high), "1" if spec.whole_numbers else "0.01"]
    else:
        values = [default]
    attribute = ET.Element("attribute")
    for field, text in (
        ("name", spec.name),
        ("mutable", "False"),
        ("input_type", INPUT_TYPES[spec.type]),
        ("default_value", default),
        ("values", "\n".join(values)),
    ):
        ET.SubElement(attribute, field).text = text
    return attribute


def _image_element(image_id: int, entry: ExportItem, target: ExportTarget) -> ET.Element:
    item = entry.item
    name = target.place_image_relative(entry, "images")
    element = ET.Element("image", {"id": str(image_id), "name": name})
    if item.split in SUBSET_OF_SPLIT:
        element.set("subset", SUBSET_OF_SPLIT[item.split])
    element.set("width", str(item.width))
    element.set("height", str(item.height))
    groups = iter(range(1, len(entry.annotations) + 1))
    for annotation in entry.annotations:
        shapes = _shapes(annotation, groups)
        if not shapes:
            reason = (
                "empty masks"
                if annotation.kind == AnnotationKind.MASK.value
                else f"{annotation.kind} annotations (not written to CVAT XML)"
            )
            target.skip(annotation, reason)
            continue
        element.extend(shapes)
        target.exported()
    return element


def _shapes(annotation: AnnotationRecord, groups: Any) -> list[ET.Element]:
    kind = annotation.kind
    flags, listed = format_attributes(annotation.attributes, NATIVE_FLAGS)
    placed = _placement(flags)
    if kind == AnnotationKind.TAG.value:
        shapes = [ET.Element("tag", {"label": annotation.label, "source": _source(annotation)})]
    elif kind == AnnotationKind.BOX.value:
        x, y, w, h = annotation.geometry
        corners = {"xtl": x, "ytl": y, "xbr": x + w, "ybr": y + h}
        values = {key: _n(value) for key, value in corners.items()}
        shapes = [_shape("box", annotation, placed, values)]
    elif kind == AnnotationKind.ROTATED_BOX.value:
        cx, cy, w, h, angle = annotation.geometry
        corners = {"xtl": cx - w / 2, "ytl": cy - h / 2, "xbr": cx + w / 2, "ybr": cy + h / 2}
        values = {key: _n(value) for key, value in corners.items()}
        shapes = [_shape("box", annotation, placed, {**values, "rotation": _n(angle)})]
    elif kind == AnnotationKind.POLYLINE.value:
        points = {"points": _points_text(annotation.geometry)}
        shapes = [_shape("polyline", annotation, placed, points)]
    elif kind == AnnotationKind.POLYGON.value:
        rings = annotation.geometry
        group = {"group_id": str(next(groups))} if len(rings) > 1 else {}
        shapes = [
            _shape("polygon", annotation, placed, {"points": _points_text(ring), **group})
            for ring in rings
        ]
    elif kind == AnnotationKind.MASK.value:
        encoded = _mask_attributes(decode_mask(annotation.geometry))
        shapes = [_shape("mask", annotation, placed, encoded)] if encoded else []
    else:
        return []
    for shape in shapes:
        for name, value in listed.items():
            child = ET.SubElement(shape, "attribute", {"name": name})
            child.text = attribute_text(value)
    return shapes


def _placement(flags: dict[str, Any]) -> dict[str, str]:
    """The `occluded` and `z_order` of a shape's XML element."""
    occluded = is_true(flags.get("occluded", 0))
    return {"occluded": "1" if occluded else "0", "z_order": str(flags.get("z_order", 0))}


def _source(annotation: AnnotationRecord) -> str:
    """CVAT's source of a shape: a model's "auto", SAM's "semi-auto", a person's "manual"."""
    return CVAT_SOURCES.get(annotation.source, "manual")


def _shape(
    tag: str, annotation: AnnotationRecord, placed: dict[str, str], values: dict[str, str]
) -> ET.Element:
    element = ET.Element(tag, {"label": annotation.label, "source": _source(annotation)})
    element.set("occluded", placed["occluded"])
    for key, value in values.items():
        element.set(key, value)
    element.set("z_order", placed["z_order"])
    return element


def _mask_attributes(mask: np.ndarray) -> dict[str, str] | None:
    """CVAT's rle, left, top, width and height of a full-image mask (None when empty)."""
    bounds = mask_bounds(mask)
    if bounds is None:
        return None
    top, bottom, left, right = bounds
    flat = mask[top : bottom + 1, left : right + 1].ravel()
    changes = np.flatnonzero(np.diff(flat.astype(np.int8))) + 1
    edges = np.concatenate([[0], changes, [flat.size]])
    runs = np.diff(edges).tolist()
    if flat[0]:
        runs.insert(0, 0)
    return {
        "rle": ", ".join(str(run) for run in runs),
        "left": str(left),
        "top": str(top),
        "width": str(right - left + 1),
        "height": str(bottom - top + 1),
    }


def _n(value: float) -> str:
    """A coordinate as CVAT writes it (two decimals) unless that would change it."""
    short = f"{float(value):.2f}"
    return short if float(short) == float(value) else repr(float(value))


def _points_text(ring: list[float]) -> str:
    return ";".join(f"{_n(ring[i])},{_n(ring[i + 1])}" for i in range(0, len(ring), 2))


FORMAT = CvatFormat()
