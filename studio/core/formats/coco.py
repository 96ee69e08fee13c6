"""COCO JSON: boxes, polygons (several per object) and masks (RLE, compressed or not).

Import reads one `instances_*.json` file or a folder with several (COCO's own layout:
`annotations/instances_train2017.json` beside `train2017/`); the split comes from the file's
name. Category ids are kept, so an export gives every class its old id back. Export writes
`annotations/instances_<split>.json` per split (`default` for items without one) and the
images under `images/<split>/`; the result loads in pycocotools.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from pycocotools import mask as coco_mask

from studio.core.attributes import format_attributes
from studio.core.enums import AnnotationKind, AnnotationSource
from studio.core.errors import LabelImportError
from studio.core.formats.exporter import ExportTarget
from studio.core.formats.model import ExportItem, ExportSet, ImageLabels, LabelRecord, LabelSet
from studio.core.formats.reading import (
    Control,
    expect,
    find_image,
    head,
    load_json,
    number,
    safe_relative_name,
    split_of_name,
    whole_number,
)
from studio.core.formats.registry import LabelFormat, register_format
from studio.core.formats.writing import stable_ids
from studio.core.records import AnnotationRecord

DEFAULT_GROUP = "default"
# The reserved flag (studio.core.attributes) COCO has a place of its own for; the others and
# the user attributes go, flat, into an annotation's "attributes" object, as CVAT writes it.
NATIVE_FLAGS = frozenset({"iscrowd"})


class CocoFormat(LabelFormat):
    name = "coco"
    title = "COCO JSON"
    kinds = frozenset({AnnotationKind.BOX, AnnotationKind.POLYGON, AnnotationKind.MASK})
    suffixes = (".json",)

    def detect(self, path: Path) -> float:
        if path.is_dir():
            return 0.85 if _coco_files(path) else 0.0
        return 0.9 if path.suffix.lower() == ".json" and _looks_like_coco(path) else 0.0

    def read(self, path: Path, control: Control) -> LabelSet:
        files = _coco_files(path) if path.is_dir() else [path]
        if not files:
            raise LabelImportError(path, "no COCO JSON file found (looked in annotations/)")
        label_set = LabelSet(self.name, path)
        categories: dict[int, str] = {}
        for file in files:
            _read_file(file, label_set, categories, control)
        return label_set

    def write(self, export: ExportSet, target: ExportTarget) -> None:
        category_ids = stable_ids(export, self.name, first=1)
        groups: dict[str, list[ExportItem]] = {}
        for entry in export.items:
            groups.setdefault(entry.item.split or DEFAULT_GROUP, []).append(entry)
        for group, entries in sorted(groups.items()):
            document = _document(export, entries, category_ids, group, target)
            with open(target.path(f"annotations/instances_{group}.json"), "w") as stream:
                json.dump(document, stream, separators=(",", ":"))


def _looks_like_coco(path: Path) -> bool:
    text = head(path).lstrip()
    keys = ('"annotations"', '"categories"', '"file_name"')
    return text.startswith("{") and '"images"' in text and any(key in text for key in keys)


def _coco_files(folder: Path) -> list[Path]:
    for candidate in (folder / "annotations", folder):
        if candidate.is_dir():
            found = sorted(p for p in candidate.glob("*.json") if _looks_like_coco(p))
            if found:
                return found
    return []


# -- reading -------------------------------------------------------------------------------


def _image_roots(file: Path) -> list[Path]:
    """Where a COCO file's images may lie: beside it, in images/, in the split's folder."""
    folder = file.parent
    bases = [folder, folder.parent] if folder.name == "annotations" else [folder]
    stem = file.stem
    token = stem.split("_", 1)[1] if "_" in stem else stem
    split = split_of_name(file.name)
    roots = []
    for base in bases:
        roots += [base, base / "images", base / token, base / "images" / token]
        if split:
            roots += [base / split, base / "images" / split]
    return roots


def _read_file(
    file: Path, label_set: LabelSet, categories: dict[int, str], control: Control
) -> None:
    document = expect(load_json(file), dict, file, "top level", "the file")
    for key in ("images", "categories"):
        if key not in document:
            raise LabelImportError(file, f'the "{key}" list is missing')
    _read_categories(file, document["categories"], label_set, categories)
    split = split_of_name(file.name)
    roots = _image_roots(file)
    images = _read_images(file, document["images"], split, roots)
    raw_annotations = expect(
        document.get("annotations", []), list, file, "top level", '"annotations"'
    )
    seen_ids: set[int] = set()
    for position, raw in enumerate(raw_annotations):
        control.step(position + 1, len(raw_annotations))
        where = f"annotations[{position}]"
        raw = expect(raw, dict, file, where, "an annotation")
        annotation_id = whole_number(raw.get("id"), file, where, "annotation id")
        where = f"annotation id {annotation_id}"
        if annotation_id in seen_ids:
            raise LabelImportError(file, "duplicate annotation id", where)
        seen_ids.add(annotation_id)
        image_id = whole_number(raw.get("image_id"), file, where, "image_id")
        if image_id not in images:
            raise LabelImportError(file, f"image_id {image_id} names no image", where)
        category_id = whole_number(raw.get("category_id"), file, where, "category_id")
        if category_id not in categories:
            raise LabelImportError(file, f"category_id {category_id} names no category", where)
        images[image_id].labels.append(_label(file, where, raw, categories[category_id]))
    label_set.images.extend(images.values())


def _read_categories(file: Path, raw: Any, label_set: LabelSet, categories: dict[int, str]) -> None:
    names_here: dict[str, int] = {}
    for position, category in enumerate(expect(raw, list, file, "top level", '"categories"')):
        where = f"categories[{position}]"
        category = expect(category, dict, file, where, "a category")
        category_id = whole_number(category.get("id"), file, where, "category id")
        name = expect(category.get("name"), str, file, where, "the category name").strip()
        if not name:
            raise LabelImportError(file, "the category name is empty", where)
        if name in names_here or category_id in names_here.values():
            raise LabelImportError(file, f"duplicate category {name!r} / id {category_id}", where)
        names_here[name] = category_id
        if categories.get(category_id, name) != name:
            raise LabelImportError(
                file,
                f"category id {category_id} is {name!r} here but {categories[category_id]!r} "
                "in another file",
                where,
            )
        categories[category_id] = name
        label_set.add_class(name, category_id)


def _read_images(
    file: Path, raw: Any, split: str | None, roots: list[Path]
) -> dict[int, ImageLabels]:
    images: dict[int, ImageLabels] = {}
    for position, image in enumerate(expect(raw, list, file, "top level", '"images"')):
        where = f"images[{position}]"
        image = expect(image, dict, file, where, "an image")
        image_id = whole_number(image.get("id"), file, where, "image id")
        where = f"image id {image_id}"
        if image_id in images:
            raise LabelImportError(file, "duplicate image id", where)
        name = safe_relative_name(image.get("file_name"), file, where)
        width = whole_number(image.get("width"), file, where, "width")
        height = whole_number(image.get("height"), file, where, "height")
        if width <= 0 or height <= 0:
            raise LabelImportError(file, f"the image size {width}×{height} is not positive", where)
        images[image_id] = ImageLabels(
            file_name=str(name),
            path=find_image(name, roots),
            width=width,
            height=height,
            split=split,
            where=where,
            source_file=file,
        )
    return images


def _label(file: Path, where: str, raw: dict[str, Any], label: str) -> LabelRecord:
    extra = raw.get("attributes")
    attributes = {} if extra is None else dict(expect(extra, dict, file, where, '"attributes"'))
    iscrowd = raw.get("iscrowd", 0)
    if iscrowd not in (0, 1) or isinstance(iscrowd, bool):
        raise LabelImportError(file, f"iscrowd {iscrowd!r} is not 0 or 1", where)
    if iscrowd:
        attributes["iscrowd"] = 1
    score = raw.get("score")
    if score is not None:
        score = number(score, file, where, "score")
    source = AnnotationSource.MODEL.value if score is not None else AnnotationSource.HUMAN.value
    kind, geometry = _geometry(file, where, raw)
    return LabelRecord(
        label, kind, geometry, attributes=attributes, score=score, source=source, where=where
    )


def _geometry(file: Path, where: str, raw: dict[str, Any]) -> tuple[AnnotationKind, Any]:
    segmentation = raw.get("segmentation")
    if isinstance(segmentation, dict):
        counts = segmentation.get("counts")
        if not isinstance(counts, (str, list)) or "size" not in segmentation:
            raise LabelImportError(file, "an RLE segmentation needs size and counts", where)
        return AnnotationKind.MASK, {"size": segmentation["size"], "counts": counts}
    if isinstance(segmentation, list) and segmentation:
        # Numbers are checked with the rest of the geometry, as any edit's are.
        return AnnotationKind.POLYGON, [
            expect(r, list, file, where, "a polygon") for r in segmentation
        ]
    if segmentation not in (None, []):
        raise LabelImportError(file, f"segmentation {segmentation!r:.60} is not understood", where)
    bbox = raw.get("bbox")
    if bbox is None:
        raise LabelImportError(file, "the annotation has neither bbox nor segmentation", where)
    bbox = expect(bbox, list, file, where, "bbox")
    if len(bbox) != 4:
        raise LabelImportError(file, f"bbox needs 4 numbers, got {len(bbox)}", where)
    return AnnotationKind.BOX, bbox


# -- writing -------------------------------------------------------------------------------


def _document(
    export: ExportSet,
    entries: list[ExportItem],
    category_ids: dict[str, int],
    group: str,
    target: ExportTarget,
) -> dict[str, Any]:
    images, annotations = [], []
    for done, entry in enumerate(entries, start=1):
        target.control.step(done, len(entries))
        item = entry.item
        file_name = target.place_image_relative(entry, f"images/{group}")
        images.append(
            {"id": item.id, "file_name": file_name, "width": item.width, "height": item.height}
        )
        for annotation in entry.annotations:
            written = _annotation(annotation, category_ids[annotation.label])
            if written is None:
                target.skip(annotation, f"{annotation.kind} annotations (COCO has no place)")
                continue
            annotations.append(written)
            target.exported()
    categories = [
        {"id": category_ids[record.name], "name": record.name, "supercategory": ""}
        for record in export.classes
    ]
    return {
        "info": {"description": f"exported by Studio from {export.project_name}"},
        "licenses": [],
        "images": images,
        "annotations": annotations,
        "categories": sorted(categories, key=lambda category: category["id"]),
    }


def _annotation(annotation: AnnotationRecord, category_id: int) -> dict[str, Any] | None:
    kind = annotation.kind
    flags, attributes = format_attributes(annotation.attributes, NATIVE_FLAGS)
    iscrowd = int(flags.get("iscrowd", 0))
    if kind == AnnotationKind.BOX.value:
        x, y, w, h = annotation.geometry
        segmentation: Any = []
        bbox, area = [x, y, w, h], w * h
    elif kind in (AnnotationKind.POLYGON.value, AnnotationKind.MASK.value):
        segmentation, bbox, area = _segmentation(annotation)
    else:
        return None
    written = {
        "id": annotation.id,
        "image_id": annotation.item_id,
        "category_id": category_id,
        "segmentation": segmentation,
        "area": area,
        "bbox": bbox,
        "iscrowd": iscrowd,
    }
    if annotation.score is not None and annotation.source != AnnotationSource.HUMAN.value:
        written["score"] = annotation.score
    if attributes:
        written["attributes"] = attributes
    return written


def _segmentation(annotation: AnnotationRecord) -> tuple[Any, list[float], float]:
    """COCO segmentation, bbox and area of a polygon or mask, as pycocotools computes them."""
    if annotation.kind == AnnotationKind.MASK.value:
        size, counts = annotation.geometry["size"], annotation.geometry["counts"]
        rle = {"size": size, "counts": counts.encode()}
        bbox = [float(value) for value in coco_mask.toBbox(rle)]
        return {"size": size, "counts": counts}, bbox, float(coco_mask.area(rle))
    rings = annotation.geometry
    height = max(int(max(ring[1::2])) + 1 for ring in rings)
    width = max(int(max(ring[0::2])) + 1 for ring in rings)
    rle = coco_mask.merge(coco_mask.frPyObjects(rings, height, width))
    return rings, _polygon_bbox(rings), float(coco_mask.area(rle))


def _polygon_bbox(rings: list[list[float]]) -> list[float]:
    xs = np.concatenate([np.asarray(ring[0::2]) for ring in rings])
    ys = np.concatenate([np.asarray(ring[1::2]) for ring in rings])
    left, top = float(xs.min()), float(ys.min())
    return [left, top, float(xs.max()) - left, float(ys.max()) - top]


register_format(CocoFormat())
