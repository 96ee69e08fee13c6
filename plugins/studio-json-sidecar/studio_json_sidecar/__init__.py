"""A Studio label format: one JSON file beside each image (`photo.jpg` → `photo.json`).

    {
      "format": "studio-json-sidecar", "version": 1,
      "image": "photo.jpg", "width": 640, "height": 480,
      "shapes": [
        {"type": "box", "label": "cat", "box": [x, y, width, height], "attributes": {}},
        {"type": "polygon", "label": "cat", "polygon": [[x1, y1, x2, y2, x3, y3, ...]]},
        {"type": "tag", "label": "outdoor"}
      ]
    }

`"image"` is the image's path relative to the sidecar; without it, the sidecar describes the
image beside it with the same stem. Coordinates are pixels from the image's top-left corner; a
polygon is a list of parts, each a flat list of at least three points. Masks and keypoints have
no place in a sidecar: an export counts them in its report. Registered through the
`studio_label_formats` hook.
"""

from __future__ import annotations

import glob
import json
from pathlib import Path, PurePosixPath
from typing import Any

from studio.plugins import hookimpl
from studio.plugins.formats import (
    IMAGE_SUFFIXES,
    AnnotationKind,
    Control,
    ExportSet,
    ExportTarget,
    ImageLabels,
    LabelFormat,
    LabelImportError,
    LabelRecord,
    LabelSet,
    expect,
    files_below,
    head,
    load_json,
    safe_relative_name,
)

STUDIO_PLUGIN_API = 1
__version__ = "1.0.0"

FORMAT_MARK = "studio-json-sidecar"
FORMAT_VERSION = 1
SHAPE_KINDS = {
    "box": AnnotationKind.BOX,
    "polygon": AnnotationKind.POLYGON,
    "tag": AnnotationKind.TAG,
}
NOT_WRITTEN = "masks and keypoints (a JSON sidecar holds boxes, polygons and tags)"
DETECT_SAMPLE = 20


class JsonSidecarFormat(LabelFormat):
    name = "json_sidecar"
    title = "JSON sidecar (one .json per image)"
    kinds = frozenset(SHAPE_KINDS.values())
    suffixes = (".json",)

    def detect(self, path: Path) -> float:
        if path.is_file():
            return 0.95 if path.suffix.lower() == ".json" and _is_sidecar_file(path) else 0.0
        return (
            0.9
            if any(_is_sidecar_file(file) for file in _json_files(path)[:DETECT_SAMPLE])
            else 0.0
        )

    def read(self, path: Path, control: Control) -> LabelSet:
        files = [path] if path.is_file() else _json_files(path)
        label_set = LabelSet(self.name, path)
        others = 0
        for done, file in enumerate(files, start=1):
            control.step(done, len(files))
            document = load_json(file)
            if not isinstance(document, dict) or document.get("format") != FORMAT_MARK:
                if path.is_file():
                    raise LabelImportError(
                        file, f'not a JSON sidecar (no "format": "{FORMAT_MARK}")'
                    )
                others += 1
                continue
            label_set.images.append(_read_sidecar(file, document, label_set))
        if not label_set.images:
            raise LabelImportError(path, "no JSON sidecar file found")
        if others:
            label_set.warnings.append(
                f"{others:,} .json files that are not JSON sidecars were skipped"
            )
        return label_set

    def write(self, export: ExportSet, target: ExportTarget) -> None:
        taken: set[str] = set()
        for done, entry in enumerate(export.items, start=1):
            target.control.step(done, len(export.items))
            image = target.place_image(entry, "")
            shapes = []
            for annotation in entry.annotations:
                shape = _shape(annotation.kind, annotation.label, annotation.geometry)
                if shape is None:
                    target.skip(annotation, NOT_WRITTEN)
                    continue
                if annotation.attributes:
                    shape["attributes"] = dict(annotation.attributes)
                shapes.append(shape)
                target.exported()
            document = {
                "format": FORMAT_MARK,
                "version": FORMAT_VERSION,
                "image": image,
                "width": entry.item.width,
                "height": entry.item.height,
                "shapes": shapes,
            }
            stem = PurePosixPath(image).stem
            name = stem if stem not in taken else f"{stem}-{entry.item.id}"
            taken.add(name)
            with open(target.path(f"{name}.json"), "w", encoding="utf-8") as stream:
                json.dump(document, stream, indent=2, ensure_ascii=False)


def _json_files(folder: Path) -> list[Path]:
    return files_below(folder, lambda name: name.lower().endswith(".json"))


def _is_sidecar_file(path: Path) -> bool:
    return f'"{FORMAT_MARK}"' in head(path, 4096)


def _read_sidecar(file: Path, document: dict[str, Any], label_set: LabelSet) -> ImageLabels:
    version = document.get("version")
    if version != FORMAT_VERSION:
        raise LabelImportError(
            file, f"sidecar version {version!r}; this plugin reads version {FORMAT_VERSION}"
        )
    image = _image_name(file, document.get("image"))
    width = _size(file, document, "width")
    height = _size(file, document, "height")
    shapes = expect(document.get("shapes"), list, file, "top level", '"shapes"')
    labels = [_read_shape(file, shape, f"shape {index}") for index, shape in enumerate(shapes)]
    for record in labels:
        label_set.add_class(record.label)
    beside = file.parent.joinpath(*image.parts)
    return ImageLabels(
        file_name=str(image),
        path=beside if beside.is_file() else None,
        width=width,
        height=height,
        labels=labels,
        where=file.name,
        source_file=file,
    )


def _image_name(file: Path, name: Any) -> PurePosixPath:
    """The image a sidecar describes: its `"image"`, relative to the sidecar, else the one image
    file beside it with the sidecar's stem (`photo.json` → `photo.jpg`)."""
    if name is not None:
        return safe_relative_name(name, file, '"image"')
    candidates = sorted(
        path.name
        for path in file.parent.glob(f"{glob.escape(file.stem)}.*")
        if path.stem == file.stem and path.suffix.lower() in IMAGE_SUFFIXES
    )
    if len(candidates) != 1:
        found = "none" if not candidates else ", ".join(candidates)
        raise LabelImportError(
            file,
            f'no "image" given and not exactly one image named {file.stem}.* beside it '
            f"(found {found})",
        )
    return PurePosixPath(candidates[0])


def _size(file: Path, document: dict[str, Any], key: str) -> int:
    value = document.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise LabelImportError(
            file, f'"{key}" should be a positive whole number, got {value!r:.40}'
        )
    return value


def _read_shape(file: Path, shape: Any, where: str) -> LabelRecord:
    shape = expect(shape, dict, file, where, "a shape")
    kind = SHAPE_KINDS.get(shape.get("type"))
    if kind is None:
        known = ", ".join(SHAPE_KINDS)
        raise LabelImportError(
            file, f'"type" should be one of {known}, got {shape.get("type")!r:.40}', where
        )
    label = expect(shape.get("label"), str, file, where, '"label"').strip()
    if not label:
        raise LabelImportError(file, '"label" is empty', where)
    attributes = expect(shape.get("attributes", {}), dict, file, where, '"attributes"')
    geometry = None
    if kind is AnnotationKind.BOX:
        geometry = _numbers(file, shape.get("box"), where, '"box"')
        if len(geometry) != 4:
            raise LabelImportError(
                file, f'"box" should be [x, y, width, height], got {len(geometry)} numbers', where
            )
    elif kind is AnnotationKind.POLYGON:
        parts = expect(shape.get("polygon"), list, file, where, '"polygon"')
        geometry = [_numbers(file, part, where, '"polygon" part') for part in parts]
        if not geometry or any(len(part) < 6 or len(part) % 2 for part in geometry):
            raise LabelImportError(
                file, '"polygon" should hold parts of at least three x, y points', where
            )
    return LabelRecord(label, kind, geometry, attributes=dict(attributes), where=where)


def _numbers(file: Path, value: Any, where: str, what: str) -> list[float]:
    values = expect(value, list, file, where, what)
    if not all(
        isinstance(number, (int, float)) and not isinstance(number, bool) for number in values
    ):
        raise LabelImportError(file, f"{what} should hold numbers only, got {values!r:.80}", where)
    return [float(number) for number in values]


def _shape(kind: str, label: str, geometry: Any) -> dict[str, Any] | None:
    """A stored annotation as a sidecar shape; None for kinds a sidecar cannot hold."""
    if kind == AnnotationKind.BOX.value:
        return {"type": "box", "label": label, "box": [float(value) for value in geometry]}
    if kind == AnnotationKind.POLYGON.value:
        parts = [[float(value) for value in part] for part in geometry]
        return {"type": "polygon", "label": label, "polygon": parts}
    if kind == AnnotationKind.TAG.value:
        return {"type": "tag", "label": label}
    return None


FORMAT = JsonSidecarFormat()


@hookimpl
def studio_label_formats() -> list[LabelFormat]:
    return [FORMAT]
