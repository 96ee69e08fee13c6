"""What label files say, in terms every format shares.

A reader turns a file into a `LabelSet` (images, each with its labels) without touching the
project; the importer then checks it against the images and the project and writes it in one
transaction. An exporter gets an `ExportSet` (the project's classes and the chosen items with
their annotations) and writes files from it. Keeping the formats on these plain dataclasses
means a format module never sees SQL, and a plugin format is a reader and a writer of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.core.enums import AnnotationKind
from studio.core.records import AnnotationRecord, ItemRecord, LabelClassRecord

Progress = Callable[[int, int], None]


@dataclass
class LabelRecord:
    """One label in a file: a tag (image-level class) or a shape.

    `geometry` is in Studio's stored form (see `studio.core.geometry`) in pixels, or in
    fractions of the image's width and height when `relative` is set (YOLO, Label Studio),
    which the importer converts once it knows the image's real size (a relative rotated box is
    given by its four corners, `rotated_box_corners`' order). A mask may be a COCO RLE
    (compressed or not) or a boolean array. `where` names the record for error messages
    ("annotation id 17", "line 4", "shape 2").
    """

    label: str
    kind: AnnotationKind
    geometry: Any = None
    relative: bool = False
    attributes: dict[str, Any] = field(default_factory=dict)
    score: float | None = None
    source: str = "human"
    where: str = ""


@dataclass
class ImageLabels:
    """One image a label file describes, and its labels.

    `file_name` is the name as written in the file; `path` is the file on disk it resolves to
    (None when the reader found none: the importer then looks for an item of that name in the
    project). `width`/`height` are what the file declares, checked against the real image.
    `labeled` says that the file claims to list all of the image's labels, so an image with
    none is known to be empty (a COCO image without annotations, an empty YOLO txt file).
    `data` holds image bytes embedded in the label file (labelme's imageData).
    """

    file_name: str
    path: Path | None = None
    width: int | None = None
    height: int | None = None
    labels: list[LabelRecord] = field(default_factory=list)
    split: str | None = None
    labeled: bool = True
    data: bytes | None = None
    where: str = ""
    source_file: Path | None = None


@dataclass
class LabelSet:
    """Everything a reader found: classes in the file's order, images, and warnings.

    `class_ids` keeps the file's own numbering (COCO category ids, YOLO indices) so that an
    export to the same format gives every class its old number back. `class_meta` holds what
    the file says of a class beyond its name (keypoint names and skeleton), kept on the
    project's class (`label_class.meta`).
    """

    format: str
    source: Path
    classes: list[str] = field(default_factory=list)
    class_ids: dict[str, int] = field(default_factory=dict)
    class_meta: dict[str, dict[str, Any]] = field(default_factory=dict)
    images: list[ImageLabels] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add_class(self, name: str, number: int | None = None) -> None:
        if name not in self.classes:
            self.classes.append(name)
        if number is not None:
            self.class_ids.setdefault(name, number)


@dataclass(frozen=True)
class ExportItem:
    """One item to export: its record, the image file, and its annotations."""

    item: ItemRecord
    image_path: Path
    annotations: tuple[AnnotationRecord, ...]


@dataclass
class ExportSet:
    """What an exporter writes: every class in project order and the chosen items.

    `class_ids` holds the numbers each format gave the classes on import, by format name, so
    writers can keep them stable.
    """

    project_name: str
    classes: list[LabelClassRecord]
    items: list[ExportItem]
    class_ids: dict[str, dict[str, int]] = field(default_factory=dict)
