"""Finding the images a label file names: items of the project, or new images to add.

An image is matched, in this order, by its stored path, by its content (sha256, so a copy
elsewhere is the same item), or, when the file is not beside the label file, by a file name
that exactly one item has. Declared sizes are checked against the real image; an image listed
twice is an error. Byte-identical files under two names (a photo copied into two folders,
Roboflow's splits sharing a frame) are one item: the labels of both go on it, the other names
are recorded in its `meta["duplicate_names"]`, and the report warns. The project keeps one
item per content (`item.sha256` is unique), so the two cannot become two items.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from studio.core.enums import ItemStatus
from studio.core.errors import LabelImportError
from studio.core.formats.model import ImageLabels, LabelSet
from studio.core.formats.reading import Control
from studio.core.image_probe import ProbeError, probe_image_data
from studio.core.media import StoredPaths, new_item_row
from studio.core.object_store import ObjectStore
from studio.core.schema import annotation_table as annotations
from studio.core.schema import item_table as items
from studio.core.schema import label_class_table as classes


@dataclass
class FoundImage:
    """An image of the label file, found: an existing item or a new row to insert."""

    labels: ImageLabels
    width: int
    height: int
    item_id: int | None = None
    status: str = ItemStatus.NEW.value
    current_split: str | None = None
    new_row: dict[str, Any] | None = None
    # A new image that goes into the project's store: from `data` (embedded in the label
    # file) or copied from `source_file`, with the suffix of `image_format`.
    into_store: bool = False
    image_format: str = ""
    source_file: Path | None = None
    data: bytes | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)
    # Other entries of the label file naming a byte-identical file under another name.
    duplicates: list[ImageLabels] = field(default_factory=list)

    @property
    def entries(self) -> list[ImageLabels]:
        """The label file's entries for this image: its own, then its duplicates'."""
        return [self.labels, *self.duplicates]

    @property
    def labeled(self) -> bool:
        return any(entry.labeled for entry in self.entries)

    @property
    def has_labels(self) -> bool:
        return any(entry.labels for entry in self.entries)

    @property
    def duplicate_names(self) -> list[str]:
        return [entry.file_name for entry in self.duplicates]


class ProjectIndex:
    """What the importer needs to know of the project, read once."""

    def __init__(self, connection: Connection, project_root: Path) -> None:
        self.connection = connection
        self.stored_paths = StoredPaths(project_root)
        rows = connection.execute(
            select(
                items.c.id,
                items.c.path,
                items.c.sha256,
                items.c.width,
                items.c.height,
                items.c.status,
                items.c.split,
            )
        ).all()
        self.by_path = {row.path: row for row in rows}
        self.by_sha = {row.sha256: row for row in rows}
        self.by_name: dict[str, list[Any]] = {}
        for row in rows:
            self.by_name.setdefault(os.path.basename(row.path), []).append(row)
        self.class_ids = dict(connection.execute(select(classes.c.name, classes.c.id)).all())

    def annotation_keys(self, images: list[FoundImage]) -> set[tuple]:
        """(item, class name, kind, geometry) of the annotations the matched items have."""
        ids = [image.item_id for image in images if image.item_id is not None]
        names = {class_id: name for name, class_id in self.class_ids.items()}
        keys: set[tuple] = set()
        for start in range(0, len(ids), 500):
            query = select(
                annotations.c.item_id,
                annotations.c.class_id,
                annotations.c.kind,
                annotations.c.geometry,
            ).where(annotations.c.item_id.in_(ids[start : start + 500]))
            for row in self.connection.execute(query):
                keys.add(annotation_key(row.item_id, names[row.class_id], row.kind, row.geometry))
        return keys


def annotation_key(item_id: int, label: str, kind: str, geometry: Any) -> tuple:
    """What makes two annotations the same: item, class, kind and geometry."""
    return (item_id, label, kind, _frozen(geometry))


def _frozen(value: Any) -> Any:
    """A hashable copy of stored geometry (lists become tuples; masks as sorted JSON)."""
    if isinstance(value, list):
        if all(isinstance(part, (int, float)) for part in value):
            return tuple(value)
        return tuple(_frozen(part) for part in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return value


def find_images(
    label_set: LabelSet,
    project: ProjectIndex,
    copy_images: bool,
    skip_missing: bool,
    control: Control,
) -> tuple[list[FoundImage], list[str]]:
    found: list[FoundImage] = []
    seen: dict[Any, FoundImage] = {}
    missing: list[ImageLabels] = []
    total = len(label_set.images)
    for done, labels in enumerate(label_set.images, start=1):
        control.step(done, total)
        image = _find_image(labels, project, copy_images, label_set.source)
        if image is None:
            missing.append(labels)
            continue
        identity = image.item_id or image.new_row["sha256"]
        first = seen.get(identity)
        if first is None:
            seen[identity] = image
            found.append(image)
        elif _same_file(first.labels, labels):
            raise LabelImportError(
                labels.source_file or label_set.source,
                f"the image {labels.file_name!r} is listed twice "
                f"(also as {first.labels.where or first.labels.file_name})",
                labels.where,
            )
        else:
            first.duplicates.append(labels)
    if missing and not skip_missing:
        first = missing[0]
        more = f" (and {len(missing) - 1:,} more)" if len(missing) > 1 else ""
        raise LabelImportError(
            first.source_file or label_set.source,
            f"image file not found: {first.file_name}{more}; put the images beside the "
            "label file, import them first, or skip missing images",
            first.where,
        )
    return found, [labels.file_name for labels in missing]


def _same_file(first: ImageLabels, second: ImageLabels) -> bool:
    """Whether two entries name one file (not two files with the same bytes).

    Entries without a file on disk (matched to an item by name) count as the same file: they
    carry no evidence of being two copies.
    """
    if first.path is None or second.path is None:
        return first.data is None or second.data is None
    return first.path.resolve() == second.path.resolve()


def duplicates_warning(found: list[FoundImage]) -> str | None:
    """The report's line on byte-identical images merged into one item, if there were any."""
    with_copies = [image for image in found if image.duplicates]
    if not with_copies:
        return None
    copies = sum(len(image.duplicates) for image in with_copies)
    example = with_copies[0]
    return (
        f"{copies:,} images are byte-identical copies of another image of the file and were "
        f"imported as one item with both names (first: {example.labels.file_name} = "
        f"{example.duplicate_names[0]})"
    )


def _find_image(
    labels: ImageLabels, project: ProjectIndex, copy_images: bool, source: Path
) -> FoundImage | None:
    file = labels.source_file or source
    if labels.path is not None:
        stored = project.stored_paths.of(labels.path)
        row = project.by_path.get(stored)
        if row is not None:
            return _matched(labels, row, file)
        data = _read_image(labels.path, file, labels)
        return _new_or_matched(labels, data, project, stored, file, copy_images)
    if labels.data is not None:
        return _new_or_matched(labels, labels.data, project, None, file, copy=True)
    candidates = project.by_name.get(os.path.basename(labels.file_name.replace("\\", "/")), [])
    exact = project.by_path.get(labels.file_name)
    if exact is not None:
        return _matched(labels, exact, file)
    if len(candidates) == 1:
        return _matched(labels, candidates[0], file)
    if len(candidates) > 1:
        raise LabelImportError(
            file,
            f"the image {labels.file_name!r} is not beside the label file and "
            f"{len(candidates)} project items have that name; cannot tell which is meant",
            labels.where,
        )
    return None


def _read_image(path: Path, file: Path, labels: ImageLabels) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise LabelImportError(
            file, f"cannot read the image {path} ({error.strerror or error})", labels.where
        ) from None


def _new_or_matched(
    labels: ImageLabels,
    data: bytes,
    project: ProjectIndex,
    stored: str | None,
    file: Path,
    copy: bool,
) -> FoundImage:
    try:
        info = probe_image_data(data)
    except ProbeError as error:
        message = f"the image {labels.file_name!r}: {error}"
        raise LabelImportError(file, message, labels.where) from None
    sha256 = hashlib.sha256(data).hexdigest()
    row = project.by_sha.get(sha256)
    if row is not None:
        return _matched(labels, row, file)
    _check_size(labels, info.width, info.height, file)
    image = FoundImage(labels, info.width, info.height, source_file=labels.path)
    image.new_row = new_item_row(info, sha256, stored or "", None, time.time())
    if copy or stored is None:
        image.into_store, image.image_format = True, info.format
        image.data = data if labels.path is None else None
        image.new_row["meta"]["original_name"] = os.path.basename(labels.file_name)
    return image


def _matched(labels: ImageLabels, row: Any, file: Path) -> FoundImage:
    _check_size(labels, row.width, row.height, file)
    return FoundImage(
        labels, row.width, row.height, item_id=row.id, status=row.status, current_split=row.split
    )


def _check_size(labels: ImageLabels, width: int, height: int, file: Path) -> None:
    declared = (labels.width, labels.height)
    if None in declared or declared == (width, height):
        return
    raise LabelImportError(
        file,
        f"the image {labels.file_name!r} is declared {labels.width}×{labels.height} "
        f"but the file is {width}×{height}",
        labels.where,
    )


def store_copies(images: list[FoundImage], store: ObjectStore, project_root: Path) -> None:
    """Copy the images that go into the project's store (zip imports, embedded images, --copy).

    A copied file is read again here rather than kept in memory since it was probed: a
    copying import of thousands of photos must not hold them all at once.
    """
    stored_paths = StoredPaths(project_root)
    for image in images:
        if not image.into_store:
            continue
        suffix = "." + image.image_format.lower().replace("jpeg", "jpg")
        if image.data is not None:
            target = store.put_bytes(image.data, suffix)
        else:
            target = store.put(image.source_file, image.new_row["sha256"])
        image.new_row["path"] = stored_paths.of(target)
