"""COCO JSON: boxes, polygons (several per object), masks (RLE, compressed or not), keypoints.

Import reads one COCO file or a folder of them:

- COCO's own layout, `annotations/instances_train2017.json` (and `person_keypoints_*.json`)
  beside `train2017/`: only the `instances_*` and `person_keypoints_*` files are read when
  there are any, and the other JSON files there (captions, panoptic) are named in a warning;
- Roboflow's layout, `<split>/_annotations.coco.json` with the images beside it: every split.

The split comes from the file's name, else from its folder's ("valid" → val). An annotation
with `keypoints` becomes its shape plus a keypoints annotation `[[x, y, v], ...]`; the
category's keypoint names and skeleton are kept on the class (`label_class.meta`). An
`image_info` file (images without an `annotations` list) brings its images in unlabeled.
Layouts Studio does not read (panoptic, captions, detection results) are named in the error.
Category ids are kept, so an export gives every class its old id back. Export writes
`annotations/instances_<split>.json` per split (`default` for items without one) and the
images under `images/<split>/`; keypoints go back into the annotation of the shape they lie
on, and the category's keypoints and skeleton are written; the result loads in pycocotools. A
polygon with holes (rings filled even-odd, as the canvas draws them) is written as an RLE
mask with iscrowd 0, since COCO reads an object's polygons as a union. COCO has no rotated box
and no open line: a rotated box is written as the polygon of its corners (kept inside the
image), which the report says, and polylines are skipped and counted.
"""

from __future__ import annotations

import json
from collections import Counter
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
from studio.core.formats.registry import LabelFormat
from studio.core.formats.writing import stable_ids
from studio.core.geometry import polygon_rle, rotated_box_corners
from studio.core.records import AnnotationRecord, ItemRecord, LabelClassRecord

DEFAULT_GROUP = "default"
# The files of COCO's annotations/ folder that hold objects (not captions, not panoptic).
OBJECT_FILE_PREFIXES = ("instances_", "person_keypoints_")
# What an annotation's fields become; any other field set on one is named in a warning.
ANNOTATION_FIELDS = frozenset(
    {"id", "image_id", "category_id", "segmentation", "bbox", "area", "iscrowd", "score"}
    | {"keypoints", "num_keypoints", "attributes"}
)
# The reserved flag (studio.core.attributes) COCO has a place of its own for; the others and
# the user attributes go, flat, into an annotation's "attributes" object, as CVAT writes it.
NATIVE_FLAGS = frozenset({"iscrowd"})


ROTATED_AS_POLYGONS = "rotated boxes were written as 4-point polygons (COCO has no rotated box)"


class CocoFormat(LabelFormat):
    name = "coco"
    title = "COCO JSON"
    kinds = frozenset(
        {
            AnnotationKind.BOX,
            AnnotationKind.POLYGON,
            AnnotationKind.MASK,
            AnnotationKind.KEYPOINTS,
            AnnotationKind.ROTATED_BOX,
        }
    )
    suffixes = (".json",)

    def detect(self, path: Path) -> float:
        if path.is_dir():
            return 0.85 if _coco_files(path) else 0.0
        return 0.9 if path.suffix.lower() == ".json" and _looks_like_coco(path) else 0.0

    def read(self, path: Path, control: Control) -> LabelSet:
        files = _coco_files(path) if path.is_dir() else [path]
        if not files:
            raise LabelImportError(
                path,
                "no COCO JSON file found (looked in annotations/, the folder itself and "
                "its split folders)",
            )
        label_set = LabelSet(self.name, path)
        reader = _Reader(label_set, control)
        if path.is_dir():
            files = _files_to_read(files, label_set)
        for file in files:
            reader.read_file(file)
        label_set.images.extend(reader.images.values())
        if reader.fields_left_out:
            counts = ", ".join(
                f"{key} ×{count:,}" for key, count in sorted(reader.fields_left_out.items())
            )
            label_set.warnings.append(
                f"COCO annotation fields Studio does not import were left out: {counts}"
            )
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
        if any(
            annotation.kind == AnnotationKind.ROTATED_BOX.value
            for entry in export.items
            for annotation in entry.annotations
        ):
            target.report.warnings.append(ROTATED_AS_POLYGONS)


def _looks_like_coco(path: Path) -> bool:
    text = head(path).lstrip()
    keys = ('"annotations"', '"categories"', '"file_name"')
    return text.startswith("{") and '"images"' in text and any(key in text for key in keys)


def _coco_files(folder: Path) -> list[Path]:
    """The COCO files of a dataset folder: in annotations/, in the folder, or one per split
    folder (Roboflow's `train/_annotations.coco.json`)."""
    for candidates in (
        (folder / "annotations").glob("*.json"),
        folder.glob("*.json"),
        folder.glob("*/*.json"),
    ):
        found = sorted(path for path in candidates if _looks_like_coco(path))
        if found:
            return found
    return []


def _files_to_read(files: list[Path], label_set: LabelSet) -> list[Path]:
    """COCO's own annotations/ folder also holds captions (and maybe panoptic) files: when
    instance or keypoint files are there, only they are read, and the others are named."""
    wanted = [file for file in files if file.name.startswith(OBJECT_FILE_PREFIXES)]
    if not wanted:
        return files
    others = [file.name for file in files if file not in wanted]
    if others:
        label_set.warnings.append(
            f"COCO files other than {' and '.join(p + '*' for p in OBJECT_FILE_PREFIXES)} "
            f"were not read: {', '.join(others)}"
        )
    return wanted


def _split_of_file(file: Path) -> str | None:
    """From the file name ("instances_val2017.json"), else its folder's ("valid/")."""
    return split_of_name(file.name) or split_of_name(file.parent.name)


def _unsupported_layout(document: dict[str, Any]) -> str | None:
    """The name of a COCO layout Studio does not read, when `document` is one."""
    annotations = document.get("annotations")
    first = annotations[0] if isinstance(annotations, list) and annotations else None
    if isinstance(first, dict) and "segments_info" in first:
        return (
            "a COCO panoptic file (segments_info with PNG masks), which Studio does not read; "
            "import the instances_*.json file instead"
        )
    if isinstance(first, dict) and "caption" in first:
        return "a COCO captions file, which Studio does not read (it holds no labels)"
    return None


# -- reading -------------------------------------------------------------------------------


def _image_roots(file: Path) -> list[Path]:
    """Where a COCO file's images may lie: beside it, in images/, in the split's folder."""
    folder = file.parent
    bases = [folder, folder.parent] if folder.name == "annotations" else [folder]
    # "instances_val2017" → val2017/, "image_info_test-dev2017" → test-dev2017/
    stem = file.stem
    tokens = [stem.split("_", 1)[-1], stem.rsplit("_", 1)[-1]]
    split = split_of_name(file.name)
    roots = []
    for base in bases:
        roots += [base, base / "images"]
        for token in dict.fromkeys(tokens):
            roots += [base / token, base / "images" / token]
        if split:
            roots += [base / split, base / "images" / split]
    return roots


class _Reader:
    """Reads COCO files into one label set.

    Images are kept by split and file name: COCO's instances and person_keypoints files list
    the same images and the same annotation ids, so an object read from both is taken once.
    """

    def __init__(self, label_set: LabelSet, control: Control) -> None:
        self.label_set = label_set
        self.control = control
        self.categories: dict[int, str] = {}
        self.keypoint_counts: dict[int, int] = {}
        self.images: dict[tuple[str | None, str], ImageLabels] = {}
        self.objects_read: set[tuple[str | None, str, int]] = set()
        self.fields_left_out: Counter[str] = Counter()

    def read_file(self, file: Path) -> None:
        raw_document = load_json(file)
        if isinstance(raw_document, list):
            raise LabelImportError(
                file,
                "a COCO detection results file (a list of detections without images), which "
                "Studio does not read; import the dataset's instances file",
            )
        document = expect(raw_document, dict, file, "top level", "the file")
        problem = _unsupported_layout(document)
        if problem:
            raise LabelImportError(file, problem)
        for key in ("images", "categories"):
            if key not in document:
                raise LabelImportError(file, f'the "{key}" list is missing')
        self._read_categories(file, document["categories"])
        split = _split_of_file(file)
        # An image_info file lists images without labels: they are not known to be empty.
        labeled = "annotations" in document
        images = _read_images(file, document["images"], split, _image_roots(file), labeled)
        raw_annotations = expect(
            document.get("annotations", []), list, file, "top level", '"annotations"'
        )
        seen_ids: set[int] = set()
        for position, raw in enumerate(raw_annotations):
            self.control.step(position + 1, len(raw_annotations))
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
            if category_id not in self.categories:
                raise LabelImportError(file, f"category_id {category_id} names no category", where)
            extra = raw.keys() - ANNOTATION_FIELDS
            if extra:
                self.fields_left_out.update(key for key in extra if raw[key])
            image = images[image_id]
            label = self.categories[category_id]
            for record in _labels(file, where, raw, label, self.keypoint_counts.get(category_id)):
                key = (image.split, image.file_name, annotation_id, record.kind.value)
                if key not in self.objects_read:
                    self.objects_read.add(key)
                    image.labels.append(record)
        for image in images.values():
            known = self.images.setdefault((image.split, image.file_name), image)
            if known is not image and known.source_file == file:
                raise LabelImportError(
                    file,
                    f"the image {image.file_name!r} is listed twice (also as {known.where})",
                    image.where,
                )
            if known is not image:
                known.labels.extend(image.labels)
                known.labeled = known.labeled or image.labeled

    def _read_categories(self, file: Path, raw: Any) -> None:
        names_here: dict[str, int] = {}
        for position, category in enumerate(expect(raw, list, file, "top level", '"categories"')):
            where = f"categories[{position}]"
            category = expect(category, dict, file, where, "a category")
            category_id = whole_number(category.get("id"), file, where, "category id")
            name = expect(category.get("name"), str, file, where, "the category name").strip()
            if not name:
                raise LabelImportError(file, "the category name is empty", where)
            if name in names_here or category_id in names_here.values():
                raise LabelImportError(
                    file, f"duplicate category {name!r} / id {category_id}", where
                )
            names_here[name] = category_id
            if self.categories.get(category_id, name) != name:
                raise LabelImportError(
                    file,
                    f"category id {category_id} is {name!r} here but "
                    f"{self.categories[category_id]!r} in another file",
                    where,
                )
            self.categories[category_id] = name
            self.label_set.add_class(name, category_id)
            meta = _keypoint_meta(file, where, category)
            if meta:
                self.keypoint_counts[category_id] = len(meta["keypoints"])
                self.label_set.class_meta.setdefault(name, meta)


def _keypoint_meta(file: Path, where: str, category: dict[str, Any]) -> dict[str, Any]:
    """A keypoint category's point names and skeleton (pairs of 1-based point numbers)."""
    if not category.get("keypoints"):
        return {}
    names = expect(category["keypoints"], list, file, where, "keypoints")
    for name in names:
        expect(name, str, file, where, "a keypoint name")
    skeleton = []
    for pair in expect(category.get("skeleton") or [], list, file, where, "skeleton"):
        pair = expect(pair, list, file, where, "a skeleton pair")
        ends = [whole_number(end, file, where, "a skeleton point") for end in pair]
        if len(ends) != 2 or not all(1 <= end <= len(names) for end in ends):
            raise LabelImportError(
                file,
                f"skeleton pair {pair!r} does not join two of the {len(names)} keypoints",
                where,
            )
        skeleton.append(ends)
    return {"keypoints": list(names), "skeleton": skeleton}


def _read_images(
    file: Path, raw: Any, split: str | None, roots: list[Path], labeled: bool
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
            labeled=labeled,
            where=where,
            source_file=file,
        )
    return images


def _labels(
    file: Path, where: str, raw: dict[str, Any], label: str, keypoint_count: int | None
) -> list[LabelRecord]:
    """The shape of one COCO annotation, and its keypoints when it has any."""
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
    records = [
        LabelRecord(
            label, kind, geometry, attributes=attributes, score=score, source=source, where=where
        )
    ]
    points = _keypoints(file, where, raw.get("keypoints"), keypoint_count)
    if points:
        records.append(
            LabelRecord(
                label, AnnotationKind.KEYPOINTS, points, score=score, source=source, where=where
            )
        )
    return records


def _keypoints(file: Path, where: str, raw: Any, expected: int | None) -> list[list[float]] | None:
    """`[x1, y1, v1, x2, ...]` as `[[x, y, v], ...]`; None when no point is labeled."""
    if raw in (None, []):
        return None
    values = [
        number(value, file, where, "keypoint value")
        for value in expect(raw, list, file, where, "keypoints")
    ]
    if len(values) % 3:
        raise LabelImportError(
            file, f"keypoints has {len(values)} values; it should be x, y, v for each point", where
        )
    if expected is not None and len(values) != 3 * expected:
        raise LabelImportError(
            file,
            f"keypoints has {len(values) // 3} points but its category names {expected}",
            where,
        )
    points = [values[i : i + 3] for i in range(0, len(values), 3)]
    return points if any(v for _, _, v in points) else None


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
    named_points = {record.name: record.meta.get("keypoints") or () for record in export.classes}
    for done, entry in enumerate(entries, start=1):
        target.control.step(done, len(entries))
        item = entry.item
        file_name = target.place_image_relative(entry, f"images/{group}")
        images.append(
            {"id": item.id, "file_name": file_name, "width": item.width, "height": item.height}
        )
        written_here: list[tuple[AnnotationRecord, dict[str, Any]]] = []
        keypoints = []
        for annotation in entry.annotations:
            if annotation.kind == AnnotationKind.KEYPOINTS.value:
                keypoints.append(annotation)
                continue
            written = _annotation(annotation, category_ids[annotation.label], item)
            if written is None:
                target.skip(annotation, f"{annotation.kind} annotations (COCO has no place)")
                continue
            written_here.append((annotation, written))
            target.exported()
        for annotation in keypoints:
            holder = _keypoints_holder(annotation, written_here)
            if holder is None:
                holder = _points_box_annotation(
                    annotation, category_ids[annotation.label], item.width, item.height
                )
                written_here.append((annotation, holder))
            named = len(named_points.get(annotation.label, ()))
            points = _padded(annotation.geometry, named)
            holder["keypoints"] = [value for point in points for value in point]
            holder["num_keypoints"] = sum(1 for point in annotation.geometry if point[2])
            target.exported()
        annotations.extend(written for _, written in written_here)
    categories = [_category(record, category_ids[record.name]) for record in export.classes]
    return {
        "info": {"description": f"exported by Studio from {export.project_name}"},
        "licenses": [],
        "images": images,
        "annotations": annotations,
        "categories": sorted(categories, key=lambda category: category["id"]),
    }


def _padded(points: list[list[float]], named: int) -> list[list[float]]:
    """Keypoints drawn before their class named more points get those as absent (v = 0), so
    that every annotation has as many as its category names."""
    return [list(point) for point in points] + [[0, 0, 0]] * max(0, named - len(points))


def _category(record: LabelClassRecord, category_id: int) -> dict[str, Any]:
    category: dict[str, Any] = {"id": category_id, "name": record.name, "supercategory": ""}
    if record.meta.get("keypoints"):
        category["keypoints"] = list(record.meta["keypoints"])
        category["skeleton"] = [list(pair) for pair in record.meta.get("skeleton", [])]
    return category


def _keypoints_holder(
    keypoints: AnnotationRecord, written: list[tuple[AnnotationRecord, dict[str, Any]]]
) -> dict[str, Any] | None:
    """The written shape of the same class that holds most of the visible points.

    COCO keeps an object's keypoints in the annotation of its box or outline; Studio keeps
    them apart, so on export each keypoints annotation goes back into the shape it lies on.
    """
    visible = [(x, y) for x, y, v in keypoints.geometry if v]
    best, best_count = None, 0
    for annotation, candidate in written:
        if annotation.label != keypoints.label or "keypoints" in candidate:
            continue
        left, top, width, height = candidate["bbox"]
        count = sum(1 for x, y in visible if left <= x <= left + width and top <= y <= top + height)
        if count > best_count:
            best, best_count = candidate, count
    return best


def _points_box_annotation(
    keypoints: AnnotationRecord, category_id: int, width: int, height: int
) -> dict[str, Any]:
    """A COCO annotation for keypoints no shape of their class holds: the box of the points
    (at least a pixel wide and high, inside the image, so that it imports back)."""
    visible = [(x, y) for x, y, v in keypoints.geometry if v] or [(0.0, 0.0)]
    left, right = _span([x for x, _ in visible], width)
    top, bottom = _span([y for _, y in visible], height)
    bbox = [left, top, right - left, bottom - top]
    written = {
        "id": keypoints.id,
        "image_id": keypoints.item_id,
        "category_id": category_id,
        "segmentation": [],
        "area": bbox[2] * bbox[3],
        "bbox": bbox,
        "iscrowd": 0,
    }
    if keypoints.score is not None and keypoints.source != AnnotationSource.HUMAN.value:
        written["score"] = keypoints.score
    return written


def _span(values: list[float], limit: int) -> tuple[float, float]:
    low, high = min(values), max(values)
    if high - low < 1:
        high = min(low + 1, float(limit))
        low = high - 1
    return low, high


def _annotation(
    annotation: AnnotationRecord, category_id: int, item: ItemRecord
) -> dict[str, Any] | None:
    kind = annotation.kind
    flags, attributes = format_attributes(annotation.attributes, NATIVE_FLAGS)
    iscrowd = int(flags.get("iscrowd", 0))
    if kind == AnnotationKind.BOX.value:
        x, y, w, h = annotation.geometry
        segmentation: Any = []
        bbox, area = [x, y, w, h], w * h
    elif kind == AnnotationKind.MASK.value:
        segmentation, bbox, area = _mask_segmentation(annotation.geometry)
    elif kind == AnnotationKind.POLYGON.value:
        segmentation, bbox, area = _segmentation(annotation.geometry, item.width, item.height)
    elif kind == AnnotationKind.ROTATED_BOX.value:
        corners = rotated_box_corners(annotation.geometry)
        limits = (item.width, item.height)
        ring = [min(max(value, 0.0), limits[i % 2]) for i, value in enumerate(corners)]
        segmentation, bbox, area = _segmentation([ring], item.width, item.height)
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


def _mask_segmentation(mask: dict[str, Any]) -> tuple[Any, list[float], float]:
    """COCO segmentation, bbox and area of a stored mask, as pycocotools computes them."""
    size, counts = mask["size"], mask["counts"]
    rle = {"size": size, "counts": counts.encode()}
    bbox = [float(value) for value in coco_mask.toBbox(rle)]
    return {"size": size, "counts": counts}, bbox, float(coco_mask.area(rle))


def _segmentation(
    rings: list[list[float]], width: int, height: int
) -> tuple[Any, list[float], float]:
    """COCO segmentation, bbox and area of polygon rings, as pycocotools computes them.

    COCO reads an object's polygons as a union, so a polygon whose rings overlap (an outline
    with holes: Studio fills rings even-odd) is written as a compressed RLE instead, with
    `iscrowd` left as it is. pycocotools and Datumaro (so CVAT) read an RLE `segmentation`
    whatever its iscrowd; Datumaro's own exporter marks every mask iscrowd 1, which COCOeval
    would ignore as a crowd region, so Studio keeps the object's 0."""
    filled = polygon_rle(rings, width, height)
    area = float(coco_mask.area(filled))
    union = coco_mask.merge(coco_mask.frPyObjects(rings, height, width))
    if area == float(coco_mask.area(union)):
        return rings, _polygon_bbox(rings), area
    bbox = [float(value) for value in coco_mask.toBbox(filled)]
    return {"size": [height, width], "counts": filled["counts"].decode()}, bbox, area


def _polygon_bbox(rings: list[list[float]]) -> list[float]:
    xs = np.concatenate([np.asarray(ring[0::2]) for ring in rings])
    ys = np.concatenate([np.asarray(ring[1::2]) for ring in rings])
    left, top = float(xs.min()), float(ys.min())
    return [left, top, float(xs.max()) - left, float(ys.max()) - top]


FORMAT = CocoFormat()
