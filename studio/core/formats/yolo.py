"""YOLO text labels in the Ultralytics layout: boxes and segmentation polygons.

Import reads a dataset folder (or its `data.yaml`):

- `data.yaml` gives the class names (`names`, a list or a dict {index: name}) and the image
  sets (`train`, `val`, `test`: folders or `.txt` lists of images, relative to `path`, which is
  relative to the yaml's folder). Nothing outside the dataset folder is followed. Without those
  keys, or without a `data.yaml`, the folder is scanned: `images/<split>/` + `labels/<split>/`,
  the flat `images/` + `labels/`, Roboflow's `<split>/images/` + `<split>/labels/`, or images
  beside their `.txt` files, with the names in `classes.txt`.
- A relative `path` that names nothing here (Ultralytics reads it under its own datasets
  folder: `path: ../datasets/coco8-pose`) is replaced by the yaml's folder, with a warning.
- An image's label file is its path with the last `images` folder replaced by `labels` and the
  suffix by `.txt`, as Ultralytics finds it. Each line is `class cx cy w h` (a box) or
  `class x1 y1 x2 y2 ...` (a polygon of 3 or more points), in fractions of the image size. An
  empty label file means an image without objects; an image without one is not labeled yet.
- A pose dataset (`kpt_shape: [points, 2 or 3]`) has the box followed by the points on each
  line: they become a box and a keypoints annotation. The keypoint names come from
  `kpt_names` (else they are numbered from 1) and are kept on the class with `flip_idx`.
- The split comes from the image's folders ("train", "val2017", "valid", ...) or else from the
  `data.yaml` key naming its folder or list (unless several keys name it).

YOLO-OBB (`yolo_obb`, in `studio.core.formats.yolo_obb`: Ultralytics' oriented boxes, as in
DOTA-v1 converted by Ultralytics) is the same layout with one line per rotated box, `class x1
y1 x2 y2 x3 y3 x4 y4`: its four corners in fractions of the image size, the first two along the
box's width (see `studio.core.geometry.rotated_box_corners`). It is never guessed (a 4-point
polygon line looks the same): name it. Its export writes rotated boxes, and boxes as rotated
boxes of angle 0.

Export writes `data.yaml` (`path: .`, `names` as {index: name} with the indices given on import
kept), `images/<split>/` and `labels/<split>/`, one `.txt` per image (empty for an image without
objects). When no exported image has a split, the flat `images/` + `labels/` layout is written
and `train` and `val` both name `images`. Otherwise images without a split go to `train` (what
is not held out is trained on), which the export report says. Masks become polygons (outer
contours; several parts joined into one outline as Ultralytics does) and rotated boxes their
4-corner polygons (the report says so; YOLO-OBB keeps them rotated); tags, keypoints and
polylines have no place and are counted as skipped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from studio.core.enums import AnnotationKind
from studio.core.errors import LabelImportError
from studio.core.formats.exporter import ExportTarget
from studio.core.formats.model import ExportItem, ExportSet, ImageLabels, LabelRecord, LabelSet
from studio.core.formats.reading import (
    SPLIT_NAMES,
    Control,
    find_image,
    head,
    images_below,
    is_image_name,
    is_inside,
    read_text,
    safe_relative_name,
    split_of_name,
    text_number,
)
from studio.core.formats.registry import LabelFormat
from studio.core.formats.writing import stable_ids
from studio.core.geometry import decode_mask, mask_to_polygons, rotated_box_corners
from studio.core.records import AnnotationRecord

CONFIG_NAMES = ("data.yaml", "data.yml", "dataset.yaml", "dataset.yml")
CLASSES_FILE = "classes.txt"
MAX_CONFIG_BYTES = 16 * 1024**2
DECIMALS = 6
MASK_OUTLINE_TOLERANCE = 0.25  # pixels a mask's written outline may stray from its edge


ROTATED_AS_POLYGONS = "rotated boxes were written as 4-point polygons (YOLO-OBB keeps them rotated)"


class YoloFormat(LabelFormat):
    name = "yolo"
    title = "YOLO"
    kinds = frozenset(
        {
            AnnotationKind.BOX,
            AnnotationKind.POLYGON,
            AnnotationKind.MASK,
            AnnotationKind.ROTATED_BOX,
        }
    )
    suffixes = (".yaml", ".yml")
    # Whether each line is a rotated box's four corners (YOLO-OBB).
    oriented = False

    def detect(self, path: Path) -> float:
        if path.is_file():
            is_yaml = path.suffix.lower() in (".yaml", ".yml")
            return 0.9 if is_yaml and "names" in head(path) else 0.0
        if _config_file(path) is not None:
            return 0.9
        if _has_label_folder(path):
            return 0.8
        if (path / CLASSES_FILE).is_file() and any(path.glob("*.txt")):
            return 0.6
        return 0.0

    def read(self, path: Path, control: Control) -> LabelSet:
        if path.is_file():
            if path.suffix.lower() not in (".yaml", ".yml"):
                raise LabelImportError(
                    path, "a YOLO dataset is a folder with data.yaml, or the data.yaml file"
                )
            root, config = path.parent, path
        else:
            root, config = path, _config_file(path)
        label_set = LabelSet(self.name, path)
        root = root.absolute()
        if config is not None:
            rules, sources = _read_config(config, root, label_set)
        else:
            rules = _LineRules(*_read_classes_file(root))
            sources = [(None, root)]
        rules = replace(rules, oriented=self.oriented)
        for index, name in sorted((rules.names or {}).items()):
            label_set.add_class(name, index)
        images = _collect_images(root, sources, label_set)
        used_labels: set[Path] = set()
        for done, (image, split) in enumerate(images.items(), start=1):
            control.step(done, len(images))
            labels = _image_labels(root, image, split, rules)
            if labels.source_file is not None:
                used_labels.add(labels.source_file)
            label_set.images.append(labels)
        _warn_orphan_labels(root, used_labels, label_set)
        return label_set

    def write(self, export: ExportSet, target: ExportTarget) -> None:
        numbers = stable_ids(export, self.name, first=0)
        flat = not any(entry.item.split for entry in export.items)
        splits_written: set[str] = set()
        stems: set[str] = set()
        for done, entry in enumerate(export.items, start=1):
            target.control.step(done, len(export.items))
            folder = "images"
            if not flat:
                split = entry.item.split or "train"
                splits_written.add(split)
                folder = f"images/{split}"
            label_name = _place(entry, folder, stems, target)
            lines = _label_lines(entry, numbers, target, self.oriented)
            with open(target.path(label_name), "w", encoding="utf-8") as stream:
                stream.writelines(f"{line}\n" for line in lines)
        unsplit = 0 if flat else sum(1 for entry in export.items if not entry.item.split)
        if unsplit:
            target.report.warnings.append(
                f"{unsplit:,} images without a split were written to the train split"
            )
        if not self.oriented and any(
            annotation.kind == AnnotationKind.ROTATED_BOX.value
            for entry in export.items
            for annotation in entry.annotations
        ):
            target.report.warnings.append(ROTATED_AS_POLYGONS)
        _write_config(export, numbers, flat, splits_written, target)


# -- finding the dataset's parts -------------------------------------------------------------


def _config_file(folder: Path) -> Path | None:
    for name in CONFIG_NAMES:
        if (folder / name).is_file():
            return folder / name
    candidates = [
        path
        for suffix in ("*.yaml", "*.yml")
        for path in folder.glob(suffix)
        if "names" in head(path)
    ]
    return candidates[0] if len(candidates) == 1 else None


def _has_label_folder(folder: Path) -> bool:
    """`labels/` (or `<split>/labels/`) holding .txt files, beside an `images/` folder."""
    for labels in [folder / "labels", *folder.glob("*/labels")]:
        if labels.is_dir() and (labels.parent / "images").is_dir() and _has_text_file(labels):
            return True
    return False


def _has_text_file(folder: Path) -> bool:
    return any(name.endswith(".txt") for _, _, names in os.walk(folder) for name in names)


def _load_config(config: Path) -> dict[str, Any]:
    text = read_text(config, MAX_CONFIG_BYTES)
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else None
        problem = getattr(error, "problem", None) or str(error)
        raise LabelImportError(config, f"not valid plain YAML ({problem})", where) from None
    except RecursionError:
        raise LabelImportError(config, "not valid plain YAML (nested too deeply)") from None
    if not isinstance(document, dict):
        raise LabelImportError(config, "the file should be a YAML mapping with names and splits")
    return document


@dataclass(frozen=True)
class _LineRules:
    """How to read a label file's lines: the class names (and the file that gave them), and
    for a pose dataset the keypoints each line has (`kpt_shape: [points, dims]`)."""

    names: dict[int, str] | None
    names_file: Path | None
    keypoints: int = 0
    keypoint_dims: int = 0
    oriented: bool = False


def _read_config(
    config: Path, root: Path, label_set: LabelSet
) -> tuple[_LineRules, list[tuple[str | None, Path]]]:
    """How to read the lines, and the (split, folder or list) pairs a data.yaml names."""
    document = _load_config(config)
    if document.get("names") is None:
        raise LabelImportError(config, "the class names (names:) are missing")
    names = _names(document["names"], config)
    rules = _LineRules(names, config)
    if document.get("kpt_shape") is not None:
        points, dims = _keypoint_shape(document["kpt_shape"], config)
        rules = _LineRules(names, config, points, dims)
        for index, name in names.items():
            label_set.class_meta[name] = _keypoint_meta(document, index, points, config)
    base = config.parent.absolute()
    if document.get("path") not in (None, "") and not _names_nothing(base, document["path"]):
        base = _resolved(config, root, base, document["path"], "path")
        if not base.is_dir():
            raise LabelImportError(config, f"path: {document['path']!r} is not a folder")
    elif document.get("path") not in (None, ""):
        label_set.warnings.append(
            f"{config.name}: path: {document['path']!r} does not exist here (Ultralytics "
            "reads it under its own datasets folder); the paths were read from the folder "
            f"of {config.name}"
        )
    sources: list[tuple[str | None, Path]] = []
    for key in SPLIT_NAMES:
        values = document.get(key)
        if values in (None, ""):
            continue
        for value in values if isinstance(values, list) else [values]:
            found = _resolved(config, root, base, value, key)
            if found.exists():
                sources.append((key, found))
            else:
                label_set.warnings.append(f"{config.name}: {key}: {value!r} does not exist")
    return rules, sources or [(None, base)]


def _names_nothing(base: Path, value: Any) -> bool:
    """Whether a data.yaml `path` names nothing on this machine (as written, or without a
    leading "../"); an unusable value is left to `_resolved` to report."""
    if not isinstance(value, str) or not value.strip():
        return False
    try:
        tried = [base / value]
        if value.startswith("../"):
            tried.append(base / value[3:])
        return not any(path.exists() for path in tried)
    except (OSError, ValueError):
        return False


def _keypoint_shape(raw: Any, config: Path) -> tuple[int, int]:
    """`kpt_shape: [points, dims]`, dims 2 (x y) or 3 (x y visibility)."""
    valid = (
        isinstance(raw, list)
        and len(raw) == 2
        and all(isinstance(value, int) and not isinstance(value, bool) for value in raw)
        and raw[0] > 0
        and raw[1] in (2, 3)
    )
    if not valid:
        raise LabelImportError(
            config, f"kpt_shape {raw!r:.60} should be [number of keypoints, 2 or 3]", "kpt_shape"
        )
    return raw[0], raw[1]


def _keypoint_meta(document: dict[str, Any], index: int, points: int, config: Path) -> dict:
    """The keypoint names of class `index`: from `kpt_names` (a dict by class index, a list
    per class, or one list for all), else numbered from 1; `flip_idx` is kept beside them."""
    raw = document.get("kpt_names")
    if isinstance(raw, dict):
        raw = raw.get(index, raw.get(str(index)))
    elif isinstance(raw, list) and raw and all(isinstance(entry, list) for entry in raw):
        raw = raw[index] if index < len(raw) else None
    if raw is None:
        names = [str(number) for number in range(1, points + 1)]
    elif isinstance(raw, list) and len(raw) == points and all(isinstance(n, str) for n in raw):
        names = list(raw)
    else:
        raise LabelImportError(
            config, f"kpt_names for class {index} should be {points} names", "kpt_names"
        )
    meta: dict[str, Any] = {"keypoints": names}
    flip = document.get("flip_idx")
    if isinstance(flip, list) and len(flip) == points:
        meta["flip_idx"] = flip
    return meta


def _resolved(config: Path, root: Path, base: Path, value: Any, key: str) -> Path:
    """`base/value` resolved, refused when it leaves the dataset folder.

    Like Ultralytics, a value starting with "../" that does not exist as written is also
    tried without that part (Roboflow writes `train: ../train/images`).
    """
    if not isinstance(value, str) or not value.strip():
        raise LabelImportError(config, f"{value!r} should be a path", key)
    try:
        candidate = (base / value).resolve()
        if value.startswith("../") and not (is_inside(candidate, root) and candidate.exists()):
            shortened = (base / value[3:]).resolve()
            if is_inside(shortened, root) and shortened.exists():
                candidate = shortened
    except (OSError, ValueError) as error:
        problem = f"{value!r:.80} is not a usable path ({error})"
        raise LabelImportError(config, problem, key) from None
    if not is_inside(candidate, root):
        raise LabelImportError(config, f"{value!r} points outside the dataset folder {root}", key)
    return root / candidate.relative_to(root.resolve())


def _names(raw: Any, config: Path) -> dict[int, str]:
    """Index → class name from `names` (a list, or a dict with gaps allowed)."""
    if isinstance(raw, list):
        pairs = list(enumerate(raw))
    elif isinstance(raw, dict):
        pairs = [(_index_key(key, config), value) for key, value in raw.items()]
    else:
        raise LabelImportError(config, f"names should be a list or a mapping, got {raw!r:.60}")
    names: dict[int, str] = {}
    seen: dict[str, int] = {}
    for index, value in pairs:
        where = f"names[{index}]"
        if isinstance(value, bool):
            problem = f"the class name is {value} (YAML reads an unquoted yes or no so): quote it"
            raise LabelImportError(config, problem, where)
        if not isinstance(value, (str, int)):
            raise LabelImportError(config, f"the class name {value!r:.40} is not text", where)
        name = str(value).strip()
        if not name:
            raise LabelImportError(config, "the class name is empty", where)
        if name in seen:
            raise LabelImportError(
                config, f"the class name {name!r} is also index {seen[name]}", where
            )
        seen[name] = index
        names[index] = name
    return names


def _index_key(key: Any, config: Path) -> int:
    if isinstance(key, str) and key.strip().isdigit():
        return int(key)
    if isinstance(key, bool) or not isinstance(key, int) or key < 0:
        raise LabelImportError(config, f"the class index {key!r} is not a whole number ≥ 0")
    return key


def _read_classes_file(root: Path) -> tuple[dict[int, str] | None, Path | None]:
    for candidate in (root / CLASSES_FILE, root / "labels" / CLASSES_FILE):
        if candidate.is_file():
            return _classes_from(candidate), candidate
    return None, None


def _classes_from(file: Path) -> dict[int, str]:
    """classes.txt: one name a line, the line's position its index."""
    lines = read_text(file, MAX_CONFIG_BYTES).splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    names: dict[int, str] = {}
    for index, line in enumerate(lines):
        name, where = line.strip(), f"line {index + 1}"
        if not name:
            raise LabelImportError(file, "the class name is empty", where)
        if name in names.values():
            raise LabelImportError(file, f"the class name {name!r} is listed twice", where)
        names[index] = name
    return names


def _collect_images(
    root: Path, sources: list[tuple[str | None, Path]], label_set: LabelSet
) -> dict[Path, str | None]:
    """Every image the sources name, with its split."""
    named_by: dict[Path, set[str | None]] = {}
    order: list[Path] = []
    for key, source in sources:
        found = _source_images(source, root)
        for image in found:
            if image not in named_by:
                named_by[image] = set()
                order.append(image)
            named_by[image].add(key)
    if not order:
        label_set.warnings.append("no images found in the dataset")
    result = {}
    for image in order:
        keys = named_by[image]
        from_folder = _folder_split(root, image)
        result[image] = from_folder or (next(iter(keys)) if len(keys) == 1 else None)
    return result


def _source_images(source: Path, root: Path) -> list[Path]:
    """The images of a data.yaml entry: a folder, a `.txt` list, or one image."""
    if source.is_dir():
        return images_below(source)
    if is_image_name(source.name):
        return [source]
    return _list_file(source, root)


def _list_file(list_file: Path, root: Path) -> list[Path]:
    """The images a `.txt` list names, one per line, relative to the list's folder."""
    images = []
    for number, line in enumerate(read_text(list_file).splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        where = f"line {number}"
        relative = safe_relative_name(line.removeprefix("./"), list_file, where)
        image = find_image(relative, [list_file.parent, root])
        if image is None:
            raise LabelImportError(list_file, f"image file not found: {line}", where)
        images.append(image)
    return images


def _folder_split(root: Path, image: Path) -> str | None:
    for part in reversed(image.relative_to(root).parts[:-1]):
        split = split_of_name(part)
        if split:
            return split
    return None


def _label_path(root: Path, image: Path) -> Path:
    """Ultralytics' rule: the last `images` folder becomes `labels`, the suffix `.txt`."""
    parts = list(image.relative_to(root).parts)
    for position in range(len(parts) - 2, -1, -1):
        if parts[position] == "images":
            parts[position] = "labels"
            break
    parts[-1] = os.path.splitext(parts[-1])[0] + ".txt"
    return root.joinpath(*parts)


# -- reading label files -----------------------------------------------------------------------


def _image_labels(root: Path, image: Path, split: str | None, rules: _LineRules) -> ImageLabels:
    relative = image.relative_to(root).as_posix()
    label_file = _label_path(root, image)
    if not label_file.is_file():
        return ImageLabels(relative, image, split=split, labeled=False)
    labels = _parse_label_file(label_file, rules)
    return ImageLabels(relative, image, labels=labels, split=split, source_file=label_file)


def _parse_label_file(file: Path, rules: _LineRules) -> list[LabelRecord]:
    records = []
    pose_values = 5 + rules.keypoints * rules.keypoint_dims
    for number, line in enumerate(read_text(file).splitlines(), start=1):
        values = line.split()
        if not values:
            continue
        where = f"line {number}"
        count = len(values)
        if rules.keypoints and count != pose_values:
            raise LabelImportError(
                file,
                f"{count} values; data.yaml's kpt_shape [{rules.keypoints}, "
                f"{rules.keypoint_dims}] makes a line 'class cx cy w h' and "
                f"{rules.keypoints} points of {rules.keypoint_dims} values ({pose_values} "
                "values)",
                where,
            )
        if rules.oriented and count != 9:
            raise LabelImportError(
                file,
                f"{count} values; a YOLO-OBB line is 'class x1 y1 x2 y2 x3 y3 x4 y4' "
                "(a rotated box's 4 corners, 9 values)",
                where,
            )
        if not rules.keypoints and count != 5 and (count < 7 or count % 2 == 0):
            raise LabelImportError(
                file,
                f"{count} values; a line is 'class cx cy w h' (5 values) or "
                "'class x1 y1 x2 y2 x3 y3 ...' (a polygon of 3 or more points)",
                where,
            )
        name = _class_name(values[0], file, where, rules)
        coordinates = [text_number(value, file, where, "coordinate") for value in values[1:]]
        if rules.keypoints:
            records += _pose_records(name, coordinates, rules.keypoint_dims, where)
        elif rules.oriented:
            records.append(
                LabelRecord(
                    name, AnnotationKind.ROTATED_BOX, coordinates, relative=True, where=where
                )
            )
        else:
            records.append(_record(name, coordinates, where))
    return records


def _class_name(text: str, file: Path, where: str, rules: _LineRules) -> str:
    index = _whole_number(text, file, where)
    names = rules.names
    if names is None:
        raise LabelImportError(
            file,
            f"class index {index} has no name: the dataset has neither data.yaml nor "
            f"{CLASSES_FILE}, and Studio cannot guess class names",
            where,
        )
    if index not in names:
        known = ", ".join(str(i) for i in sorted(names)) or "none"
        shown = rules.names_file.name if rules.names_file else "the names"
        raise LabelImportError(
            file, f"class index {index} is not in {shown} (indices: {known})", where
        )
    return names[index]


def _whole_number(text: str, file: Path, where: str) -> int:
    if text.lstrip("-").isdigit():
        return int(text)
    value = text_number(text, file, where, "class index")
    if not value.is_integer():
        raise LabelImportError(file, f"class index {text!r} is not a whole number", where)
    return int(value)


def _record(name: str, coordinates: list[float], where: str) -> LabelRecord:
    if len(coordinates) == 4:
        cx, cy, w, h = coordinates
        box = [cx - w / 2, cy - h / 2, w, h]
        return LabelRecord(name, AnnotationKind.BOX, box, relative=True, where=where)
    return LabelRecord(name, AnnotationKind.POLYGON, [coordinates], relative=True, where=where)


def _pose_records(name: str, coordinates: list[float], dims: int, where: str) -> list[LabelRecord]:
    """A pose line: the object's box, and its keypoints `[[x, y, v], ...]`.

    With two values a point, a point at (0, 0) is one Ultralytics marks as absent (v 0); the
    others are visible (v 2).
    """
    box = _record(name, coordinates[:4], where)
    values = coordinates[4:]
    points = []
    for start in range(0, len(values), dims):
        x, y, *rest = values[start : start + dims]
        visibility = rest[0] if rest else (0.0 if x == 0 and y == 0 else 2.0)
        points.append([x, y, visibility])
    if not any(visibility for _, _, visibility in points):
        return [box]
    keypoints = LabelRecord(name, AnnotationKind.KEYPOINTS, points, relative=True, where=where)
    return [box, keypoints]


def _warn_orphan_labels(root: Path, used: set[Path], label_set: LabelSet) -> None:
    """Label files without an image cannot be imported: say so rather than drop them."""
    orphans = [
        path
        for path in root.rglob("*.txt")
        if "labels" in path.relative_to(root).parts[:-1] and path.name != CLASSES_FILE
        if path not in used
    ]
    if orphans:
        first = orphans[0].relative_to(root).as_posix()
        label_set.warnings.append(
            f"{len(orphans):,} label files have no image and were not imported (first: {first})"
        )


# -- writing -------------------------------------------------------------------------------------


def _place(entry: ExportItem, folder: str, stems: set[str], target: ExportTarget) -> str:
    """Place the image; the path of its label file.

    Ultralytics finds a label by the image's name without its suffix, so two images that
    differ only by suffix ("a.jpg", "a.png") cannot share a folder: the second goes into a
    subfolder named by its item id (Ultralytics reads image folders recursively).
    """
    name = target.image_name(entry, folder)
    stem = os.path.splitext(name)[0]
    if stem in stems:
        folder = f"{folder}/{entry.item.id}"
        name = target.image_name(entry, folder)
        stem = os.path.splitext(name)[0]
    stems.add(stem)
    target.place_image(entry, folder)
    return "labels" + stem[len("images") :] + ".txt"


def _label_lines(
    entry: ExportItem, numbers: dict[str, int], target: ExportTarget, oriented: bool
) -> list[str]:
    width, height = entry.item.width, entry.item.height
    lines = []
    for annotation in entry.annotations:
        if oriented:
            coordinates = _corners(annotation, width, height)
            held = "YOLO-OBB holds boxes and rotated boxes"
        else:
            coordinates = _coordinates(annotation, width, height)
            held = "YOLO holds boxes and polygons"
        if coordinates is None:
            reason = (
                "masks too small to become a polygon"
                if annotation.kind == AnnotationKind.MASK.value
                else f"{annotation.kind} annotations ({held})"
            )
            target.skip(annotation, reason)
            continue
        text = " ".join(_number(value) for value in coordinates)
        lines.append(f"{numbers[annotation.label]} {text}")
        target.exported()
    return lines


def _coordinates(annotation: AnnotationRecord, width: int, height: int) -> list[float] | None:
    """The annotation as YOLO's fractions: cx cy w h, or one polygon outline."""
    kind = annotation.kind
    if kind == AnnotationKind.BOX.value:
        x, y, w, h = annotation.geometry
        return [(x + w / 2) / width, (y + h / 2) / height, w / width, h / height]
    if kind == AnnotationKind.POLYGON.value:
        rings = annotation.geometry
    elif kind == AnnotationKind.ROTATED_BOX.value:
        rings = [rotated_box_corners(annotation.geometry)]
    elif kind == AnnotationKind.MASK.value:
        rings = mask_outlines(decode_mask(annotation.geometry))
        if not rings:
            return None
    else:
        return None
    ring = join_rings(rings)
    return [value / (width if i % 2 == 0 else height) for i, value in enumerate(ring)]


def _corners(annotation: AnnotationRecord, width: int, height: int) -> list[float] | None:
    """A box or rotated box as YOLO-OBB's four corners in fractions (a box has angle 0)."""
    if annotation.kind == AnnotationKind.BOX.value:
        x, y, w, h = annotation.geometry
        corners = rotated_box_corners([x + w / 2, y + h / 2, w, h, 0.0])
    elif annotation.kind == AnnotationKind.ROTATED_BOX.value:
        corners = rotated_box_corners(annotation.geometry)
    else:
        return None
    return [value / (width if i % 2 == 0 else height) for i, value in enumerate(corners)]


def _number(value: float) -> str:
    text = f"{value:.{DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def mask_outlines(mask: np.ndarray) -> list[list[float]]:
    """The outer outlines of a boolean mask as flat pixel rings (holes and specks dropped):
    YOLO gives an object one outline, so a hole cannot be written."""
    return mask_to_polygons(mask, MASK_OUTLINE_TOLERANCE, holes=False)


def join_rings(rings: list[list[float]]) -> list[float]:
    """Several rings as one outline, each joined to the first at their closest points.

    YOLO gives an object one polygon; like Ultralytics' `merge_multi_segment`, the parts are
    linked by thin bridges (there and back along the same line).
    """
    outline = [(rings[0][i], rings[0][i + 1]) for i in range(0, len(rings[0]), 2)]
    for ring in rings[1:]:
        points = [(ring[i], ring[i + 1]) for i in range(0, len(ring), 2)]
        first = np.asarray(outline)
        other = np.asarray(points)
        distances = ((first[:, None, :] - other[None, :, :]) ** 2).sum(axis=2)
        at, to = np.unravel_index(int(np.argmin(distances)), distances.shape)
        loop = points[to:] + points[:to] + [points[to]]
        outline = outline[: at + 1] + loop + outline[at:]
    return [value for point in outline for value in point]


def _write_config(
    export: ExportSet,
    numbers: dict[str, int],
    flat: bool,
    splits: set[str],
    target: ExportTarget,
) -> None:
    document: dict[str, Any] = {"path": "."}
    if flat:
        document.update(train="images", val="images")
    else:
        present = [split for split in SPLIT_NAMES if split in splits]
        folders = {split: f"images/{split}" for split in present}
        document["train"] = folders.get("train", folders[present[0]])
        document["val"] = folders.get("val", document["train"])
        if "test" in folders:
            document["test"] = folders["test"]
    names = {numbers[record.name]: record.name for record in export.classes}
    document["names"] = dict(sorted(names.items()))
    with open(target.path("data.yaml"), "w", encoding="utf-8") as stream:
        yaml.safe_dump(document, stream, sort_keys=False, allow_unicode=True)


FORMAT = YoloFormat()
