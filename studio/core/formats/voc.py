"""Pascal VOC XML: one `<annotation>` file per image, holding boxes.

Import reads a folder in VOC's own layout (`Annotations/*.xml` beside `JPEGImages/`, with
the splits listed in `ImageSets/Main/{train,val,test}.txt`), a flat folder of .xml files
beside their images (in `train/`, `valid/` and `test/` folders, which give the split, as
Roboflow exports them), or a single .xml file. Export writes that layout back.

Coordinates: `xmin`/`ymin`/`xmax`/`ymax` are taken as they are, as pixel coordinates of
the box's corners: Studio's box is `[xmin, ymin, xmax - xmin, ymax - ymin]`. That is what
labelImg, CVAT (and Datumaro), Roboflow and torchvision's VOC loader do, so a file written
by any of them opens unchanged, and an export re-imports to exactly the same numbers. (The
original devkit meant 1-based inclusive pixel indices, under which a box is one pixel wider;
reading it that way would move every box written by those tools and put CVAT's `xmin` 0
outside the image.) Integral values are written as integers, others in full precision.

Per object, `difficult`, `truncated` and `occluded` become the reserved flags of those names
(0 or 1, only when the file has them; an empty `<truncated/>` as labelme2voc.py writes says
nothing), `pose` a text flag, and CVAT's `<attributes><attribute><name>…<value>…` block user
attributes (see `studio.core.attributes`). A box ending up to one pixel past the declared
size (Roboflow writes `xmax` = width + 1) is clamped to the image with a warning. Nothing is
left out silently: object elements Studio has no place for (VOC2012's `<actions>` and
`<point>`, the person layout's `<part>`), values of a repeated `<attribute>` name (the first
is kept) and split-list ids without an annotation file are counted in the warnings. VOC holds
boxes only: polygons, masks, keypoints and image tags are skipped on export and counted in
the report.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path, PurePosixPath
from typing import Any

from studio.core.attributes import format_attributes, read_format_attributes
from studio.core.enums import AnnotationKind
from studio.core.errors import LabelImportError
from studio.core.formats.exporter import ExportTarget
from studio.core.formats.label_checks import EDGE_TOLERANCE
from studio.core.formats.model import ExportItem, ExportSet, ImageLabels, LabelRecord, LabelSet
from studio.core.formats.reading import (
    IMAGE_SUFFIXES,
    SPLIT_ALIASES,
    SPLIT_NAMES,
    Control,
    LeftOut,
    find_image,
    head,
    load_xml,
    read_text,
    safe_relative_name,
    text_number,
)
from studio.core.formats.registry import LabelFormat
from studio.core.formats.writing import (
    attribute_text,
    is_true,
    number_text,
    unique_stem,
    write_xml,
)
from studio.core.records import AnnotationRecord

FLAG_ATTRIBUTES = ("truncated", "difficult", "occluded")
FLAG_VALUES = {"0": 0, "1": 1, "false": 0, "true": 1}
STANDARD_ATTRIBUTES = {"pose", *FLAG_ATTRIBUTES}
# The children of an <object> that Studio reads (<part> boxes are counted on their own); any
# other with content, such as VOC2012's <actions> and <point>, is named in a warning.
OBJECT_ELEMENTS = frozenset({"name", "bndbox", "attributes", "part", *STANDARD_ATTRIBUTES})
UNREAD_ELEMENTS = "Pascal VOC object elements Studio does not import were left out"
REPEATED_ATTRIBUTES = (
    "Pascal VOC <attribute>s repeating a name on their object were left out (the first is kept)"
)
# How many of the image ids listed without an annotation file a warning names.
SHOWN_IDS = 5
SKIP_REASONS = {
    AnnotationKind.POLYGON.value: "polygons and masks (VOC holds boxes only)",
    AnnotationKind.MASK.value: "polygons and masks (VOC holds boxes only)",
    AnnotationKind.KEYPOINTS.value: "keypoints (VOC holds boxes only)",
    AnnotationKind.TAG.value: "tags (VOC holds boxes only)",
    AnnotationKind.POLYLINE.value: "polylines (VOC holds boxes only)",
    AnnotationKind.ROTATED_BOX.value: "rotated boxes (VOC holds axis-aligned boxes only)",
}
DETECT_SAMPLE = 20
_VOC_ROOT = re.compile(r"<annotation[\s>]")


class VocFormat(LabelFormat):
    name = "voc"
    title = "Pascal VOC XML"
    kinds = frozenset({AnnotationKind.BOX})
    suffixes = (".xml",)

    def detect(self, path: Path) -> float:
        if path.is_file():
            return 0.9 if path.suffix.lower() == ".xml" and _looks_like_voc(path) else 0.0
        annotations = path / "Annotations"
        if annotations.is_dir() and _any_voc(sorted(annotations.glob("*.xml"))):
            return 0.95
        return 0.8 if _any_voc(_flat_files(path)) else 0.0

    def read(self, path: Path, control: Control) -> LabelSet:
        files, dataset_root, strict = _annotation_files(path)
        if not files:
            raise LabelImportError(path, "no Pascal VOC .xml file found")
        label_set = LabelSet(self.name, path)
        splits = _read_splits(dataset_root, label_set)
        listed_ids = set(splits)
        left_out = LeftOut()
        skipped = parts = 0
        for done, file in enumerate(files, start=1):
            control.step(done, len(files))
            root = load_xml(file)
            image = _read_file(file, root, dataset_root, strict, label_set, left_out)
            if image is None:
                skipped += 1
                continue
            parts += len(root.findall("object/part"))
            image_ids = (file.stem, PurePosixPath(image.file_name).stem)
            listed_ids.difference_update(image_ids)
            image.split = (
                splits.get(image_ids[0])
                or splits.get(image_ids[1])
                or _folder_split(file, dataset_root)
            )
            label_set.images.append(image)
        if skipped:
            label_set.warnings.append(
                f"{skipped:,} .xml files that are not Pascal VOC annotations were skipped"
            )
        if parts:
            label_set.warnings.append(
                f"{parts:,} <part> boxes of the VOC person layout were skipped: Studio keeps "
                "the whole objects"
            )
        label_set.warnings.extend(left_out.warnings())
        if listed_ids and path.is_dir():
            label_set.warnings.append(_unmatched_ids_warning(listed_ids))
        if not label_set.images:
            raise LabelImportError(path, "no Pascal VOC annotation found among the .xml files")
        return label_set

    def write(self, export: ExportSet, target: ExportTarget) -> None:
        split_ids: dict[str, list[str]] = {}
        taken: set[str] = set()
        for done, entry in enumerate(export.items, start=1):
            target.control.step(done, len(export.items))
            file_name = target.place_image_relative(entry, "JPEGImages")
            # Two images named a.jpg and a.png cannot both be Annotations/a.xml.
            image_id = unique_stem(PurePosixPath(file_name).stem, entry.item.id, taken)
            root = _annotation_element(entry, file_name, target)
            write_xml(root, target.path(f"Annotations/{image_id}.xml"))
            if entry.item.split:
                split_ids.setdefault(entry.item.split, []).append(image_id)
        for split, ids in sorted(split_ids.items()):
            with open(target.path(f"ImageSets/Main/{split}.txt"), "w") as stream:
                stream.write("".join(f"{image_id}\n" for image_id in ids))


# -- detecting -----------------------------------------------------------------------------


def _looks_like_voc(path: Path) -> bool:
    return bool(_VOC_ROOT.search(head(path, 4096)))


def _flat_files(folder: Path) -> list[Path]:
    """The .xml files of a flat folder and of its split folders (`train/`, `valid/`…)."""
    splits = (child for child in folder.iterdir() if child.name.lower() in SPLIT_ALIASES)
    folders = [folder, *sorted(child for child in splits if child.is_dir())]
    return [file for each in folders for file in sorted(each.glob("*.xml"))]


def _any_voc(files: list[Path]) -> bool:
    return any(_looks_like_voc(file) for file in files[:DETECT_SAMPLE])


# -- reading -------------------------------------------------------------------------------


def _annotation_files(path: Path) -> tuple[list[Path], Path, bool]:
    """The .xml files to read, the dataset's root folder, and whether each must be VOC.

    In VOC's layout (and for a single file) a file that is not a VOC annotation is an
    error; in a flat folder other .xml files may lie beside them and are skipped.
    """
    if path.is_file():
        root = path.parent.parent if path.parent.name == "Annotations" else path.parent
        return [path], root, True
    if (path / "Annotations").is_dir():
        return sorted((path / "Annotations").rglob("*.xml")), path, True
    return sorted(p for p in path.rglob("*.xml") if not p.name.startswith(".")), path, False


def _read_splits(dataset_root: Path, label_set: LabelSet) -> dict[str, str]:
    """Image id → split from `ImageSets/Main/{train,val,test}.txt`."""
    splits: dict[str, str] = {}
    where_listed: dict[str, str] = {}
    for split in SPLIT_NAMES:
        file = dataset_root / "ImageSets" / "Main" / f"{split}.txt"
        if not file.is_file():
            continue
        for number, line in enumerate(read_text(file).splitlines(), start=1):
            words = line.split()
            if not words:
                continue
            image_id = words[0]
            if splits.get(image_id, split) != split:
                raise LabelImportError(
                    file,
                    f"{image_id!r} is also listed in {where_listed[image_id]}; an image "
                    "belongs to one split",
                    f"line {number}",
                )
            splits[image_id] = split
            where_listed[image_id] = file.name
    return splits


def _unmatched_ids_warning(image_ids: set[str]) -> str:
    """The warning naming the ids of ImageSets/Main's split lists that no annotation file has:
    such an image is not imported."""
    shown = ", ".join(sorted(image_ids)[:SHOWN_IDS])
    more = f" and {len(image_ids) - SHOWN_IDS:,} more" if len(image_ids) > SHOWN_IDS else ""
    return (
        f"{len(image_ids):,} image ids listed in ImageSets/Main have no annotation file and "
        f"were left out: {shown}{more}"
    )


def _folder_split(file: Path, dataset_root: Path) -> str | None:
    """The split of a folder the file lies in, as Roboflow's export has them: `train/`,
    `valid/`, `test/`, each holding images and .xml files side by side."""
    try:
        folders = file.relative_to(dataset_root).parts[:-1]
    except ValueError:
        return None
    for folder in folders:
        if folder.lower() in SPLIT_ALIASES:
            return SPLIT_ALIASES[folder.lower()]
    return None


def _image_roots(file: Path, dataset_root: Path) -> list[Path]:
    return [dataset_root / "JPEGImages", file.parent, dataset_root, dataset_root / "images"]


def _read_file(
    file: Path, root: Any, dataset_root: Path, strict: bool, label_set: LabelSet, left_out: LeftOut
) -> ImageLabels | None:
    if root.tag != "annotation":
        if strict:
            raise LabelImportError(
                file, f"the root element is <{root.tag}>, not a VOC <annotation>"
            )
        return None
    name = _text(root, "filename")
    if not name:
        raise LabelImportError(file, "the <filename> of the image is missing")
    relative = safe_relative_name(name, file, "<filename>")
    width, height = _declared_size(file, root)
    labels = []
    for number, element in enumerate(root.findall("object"), start=1):
        record = _object(file, element, number, width, height, left_out)
        label_set.add_class(record.label)
        labels.append(record)
    return ImageLabels(
        file_name=str(relative),
        path=_find(relative, _image_roots(file, dataset_root)),
        width=width,
        height=height,
        labels=labels,
        labeled=True,
        source_file=file,
    )


def _find(relative: PurePosixPath, roots: list[Path]) -> Path | None:
    """The image file; a `<filename>` written without its suffix is tried with each."""
    found = find_image(relative, roots)
    if found is None and relative.suffix.lower() not in IMAGE_SUFFIXES:
        for suffix in sorted(IMAGE_SUFFIXES):
            found = find_image(relative.with_name(relative.name + suffix), roots)
            if found is not None:
                break
    return found


def _text(element: Any, tag: str) -> str:
    return (element.findtext(tag) or "").strip()


def _declared_size(file: Path, root: Any) -> tuple[int | None, int | None]:
    """`<size>`'s width and height; None when absent or 0 (tools that did not know it)."""
    size = root.find("size")
    if size is None:
        return None, None
    values = []
    for tag in ("width", "height"):
        text = _text(size, tag)
        if not text:
            return None, None
        value = text_number(text, file, "<size>", tag)
        if value < 0 or not value.is_integer():
            raise LabelImportError(file, f"the image {tag} {text!r} is not a whole number ≥ 0")
        values.append(int(value))
    if 0 in values:
        return None, None
    return values[0], values[1]


def _object(
    file: Path,
    element: Any,
    number: int,
    width: int | None,
    height: int | None,
    left_out: LeftOut,
) -> LabelRecord:
    where = f"object {number}"
    label = _text(element, "name")
    if not label:
        raise LabelImportError(file, "the object has no <name>", where)
    where = f"object {number} ({label})"
    box = element.find("bndbox")
    if box is None:
        raise LabelImportError(file, "the object has no <bndbox>", where)
    corners = []
    for tag in ("xmin", "ymin", "xmax", "ymax"):
        text = _text(box, tag)
        if not text:
            raise LabelImportError(file, f"<bndbox> has no <{tag}>", where)
        corners.append(text_number(text, file, where, tag))
    _check_corners(file, where, corners, width, height)
    xmin, ymin, xmax, ymax = corners
    geometry = [xmin, ymin, xmax - xmin, ymax - ymin]
    for child in element:
        if child.tag not in OBJECT_ELEMENTS and (len(child) or (child.text or "").strip()):
            left_out.add(UNREAD_ELEMENTS, f"<{child.tag}>")
    attributes = _attributes(file, element, where, left_out)
    return LabelRecord(label, AnnotationKind.BOX, geometry, attributes=attributes, where=where)


def _check_corners(
    file: Path, where: str, corners: list[float], width: int | None, height: int | None
) -> None:
    xmin, ymin, xmax, ymax = corners
    shown = f"({xmin:g}, {ymin:g}) – ({xmax:g}, {ymax:g})"
    if xmax <= xmin or ymax <= ymin:
        raise LabelImportError(
            file, f"the box {shown} is inverted or empty (xmax ≤ xmin or ymax ≤ ymin)", where
        )
    if min(xmin, ymin) < -EDGE_TOLERANCE:
        raise LabelImportError(file, f"the box {shown} has negative coordinates", where)
    if (
        width is not None
        and height is not None
        and (xmax > width + EDGE_TOLERANCE or ymax > height + EDGE_TOLERANCE)
    ):
        raise LabelImportError(
            file, f"the box {shown} reaches outside the declared {width}×{height} image", where
        )


def _attributes(file: Path, element: Any, where: str, left_out: LeftOut) -> dict[str, Any]:
    """The object's flags and its `<attributes>` block, in Studio's stored layout; an
    attribute repeating a name keeps the first value and the others are counted.

    An empty flag element (`<truncated/>`, as labelme's labelme2voc.py writes) says nothing
    and is left out, like an absent one.
    """
    flags: dict[str, Any] = {}
    pose = element.find("pose")
    if pose is not None and (pose.text or "").strip():
        flags["pose"] = pose.text.strip()
    for tag in FLAG_ATTRIBUTES:
        child = element.find(tag)
        text = "" if child is None else (child.text or "").strip().lower()
        if not text:
            continue
        if text not in FLAG_VALUES:
            raise LabelImportError(file, f"<{tag}> is {child.text!r}, not 0 or 1", where)
        flags[tag] = FLAG_VALUES[text]
    listed: dict[str, Any] = {}
    for attribute in element.findall("attributes/attribute"):
        name = _text(attribute, "name")
        if name in listed:
            left_out.add(REPEATED_ATTRIBUTES, name)
        elif name:
            listed[name] = (attribute.findtext("value") or "").strip()
    return read_format_attributes(flags, listed, STANDARD_ATTRIBUTES)


# -- writing -------------------------------------------------------------------------------


def _annotation_element(entry: ExportItem, file_name: str, target: ExportTarget) -> ET.Element:
    root = ET.Element("annotation")
    ET.SubElement(root, "folder").text = "JPEGImages"
    ET.SubElement(root, "filename").text = file_name
    size = ET.SubElement(root, "size")
    ET.SubElement(size, "width").text = str(entry.item.width)
    ET.SubElement(size, "height").text = str(entry.item.height)
    ET.SubElement(size, "depth").text = "3"
    ET.SubElement(root, "segmented").text = "0"
    for annotation in entry.annotations:
        if annotation.kind != AnnotationKind.BOX.value:
            target.skip(annotation, SKIP_REASONS[annotation.kind])
            continue
        root.append(_object_element(annotation))
        target.exported()
    return root


def _object_element(annotation: AnnotationRecord) -> ET.Element:
    element = ET.Element("object")
    ET.SubElement(element, "name").text = annotation.label
    flags, others = format_attributes(annotation.attributes, STANDARD_ATTRIBUTES)
    if "pose" in flags:
        ET.SubElement(element, "pose").text = str(flags["pose"])
    for tag in FLAG_ATTRIBUTES:
        if tag in flags:
            ET.SubElement(element, tag).text = "1" if is_true(flags[tag]) else "0"
    x, y, w, h = annotation.geometry
    box = ET.SubElement(element, "bndbox")
    for tag, value in (("xmin", x), ("ymin", y), ("xmax", x + w), ("ymax", y + h)):
        ET.SubElement(box, tag).text = number_text(value)
    if others:
        block = ET.SubElement(element, "attributes")
        for name, value in others.items():
            attribute = ET.SubElement(block, "attribute")
            ET.SubElement(attribute, "name").text = name
            ET.SubElement(attribute, "value").text = attribute_text(value)
    return element


FORMAT = VocFormat()
