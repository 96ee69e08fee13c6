"""Finding the images a label file names: items of the project, or new images to add.

An image is matched, in this order, by its stored path, by its content (sha256, so a copy
elsewhere is the same item), or, when the file is not beside the label file, by a file name
that exactly one item has. Declared sizes are checked against the real image; an image listed
twice is an error. Byte-identical files under two names (a photo copied into two folders,
Roboflow's splits sharing a frame) are one item: the labels of both go on it, the other names
are recorded in its `meta["duplicate_names"]`, and the report warns (ADR 0022). With
`keep_duplicates` each name is an item of its own, with its own labels (ADR 0024); content
then matches an item of the project that no other entry of the file has claimed, one of the
same file name first. Copied images are stored once by content, so a kept duplicate that
would be copied into the store is refused.
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
from studio.core.formats.import_options import LabelImportOptions
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
        self.by_sha: dict[str, list[Any]] = {}
        for row in sorted(rows, key=lambda row: row.id):
            self.by_sha.setdefault(row.sha256, []).append(row)
        self.by_name: dict[str, list[Any]] = {}
        for row in rows:
            self.by_name.setdefault(os.path.basename(row.path), []).append(row)
        self.class_ids = dict(connection.execute(select(classes.c.name, classes.c.id)).all())

    def item_with_content(
        self, sha256: str, file_name: str, claimed: set[int] | None
    ) -> Any | None:
        """The item with these bytes: the oldest, or, when `claimed` holds the items other
        entries of the file took (keeping duplicates), a free one, of this file name first."""
        rows = self.by_sha.get(sha256, [])
        if claimed is None:
            return rows[0] if rows else None
        free = [row for row in rows if row.id not in claimed]
        name = _base_name(file_name)
        same_name = [row for row in free if os.path.basename(row.path) == name]
        return next(iter(same_name or free), None)

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
    label_set: LabelSet, project: ProjectIndex, options: LabelImportOptions, control: Control
) -> tuple[list[FoundImage], list[str]]:
    found: list[FoundImage] = []
    seen: dict[Any, FoundImage] = {}
    missing: list[ImageLabels] = []
    claimed = _claimed_by_path(label_set, project) if options.keep_duplicates else None
    total = len(label_set.images)
    for done, labels in enumerate(label_set.images, start=1):
        control.step(done, total)
        image = _find_image(labels, project, options.copy_images, label_set.source, claimed)
        if image is None:
            missing.append(labels)
            continue
        identity = _identity(image, options.keep_duplicates)
        first = seen.get(identity)
        if first is None:
            seen[identity] = image
            found.append(image)
            if claimed is not None and image.item_id is not None:
                claimed.add(image.item_id)
        elif _same_file(first.labels, labels):
            raise LabelImportError(
                labels.source_file or label_set.source,
                f"the image {labels.file_name!r} is listed twice "
                f"(also as {first.labels.where or first.labels.file_name})",
                labels.where,
            )
        else:
            first.duplicates.append(labels)
    if missing and not options.skip_missing_images:
        first = missing[0]
        more = f" (and {len(missing) - 1:,} more)" if len(missing) > 1 else ""
        raise LabelImportError(
            first.source_file or label_set.source,
            f"image file not found: {first.file_name}{more}; put the images beside the "
            "label file, import them first, or skip missing images",
            first.where,
        )
    if options.keep_duplicates:
        _refuse_stored_copies(found, project, label_set.source)
    return found, [labels.file_name for labels in missing]


def _claimed_by_path(label_set: LabelSet, project: ProjectIndex) -> set[int]:
    """The items that entries of the file name by their own path: a copy under another name
    must not match one of them by content."""
    stored = (project.stored_paths.of(labels.path) for labels in label_set.images if labels.path)
    return {project.by_path[path].id for path in stored if path in project.by_path}


def _identity(image: FoundImage, keep_duplicates: bool) -> Any:
    """What makes two entries one item: the item, or for a new image its content, and when
    duplicates are kept, its file as well (so only one file named twice is the same)."""
    if image.item_id is not None:
        return image.item_id
    if keep_duplicates:
        file = image.labels.path.resolve() if image.labels.path else image.labels.file_name
        return image.new_row["sha256"], file
    return image.new_row["sha256"]


def _refuse_stored_copies(found: list[FoundImage], project: ProjectIndex, source: Path) -> None:
    """Kept duplicates cannot be copied into the store: it holds each content once, under
    one path, and an item's path is its own."""
    by_content: dict[str, list[FoundImage]] = {}
    for image in found:
        if image.new_row is not None:
            by_content.setdefault(image.new_row["sha256"], []).append(image)
    for sha256, images in by_content.items():
        if not any(image.into_store for image in images):
            continue
        twins = [repr(image.labels.file_name) for image in images]
        if sha256 in project.by_sha:
            twins.insert(0, "an image already in the project")
        if len(twins) > 1:
            copy = images[-1].labels
            raise LabelImportError(
                copy.source_file or source,
                f"the image {twins[-1]} is byte-identical to {twins[0]}; images copied into "
                "the project are stored once by content, so copies cannot be kept as separate "
                "items: import the images where they are (unzip an archive first), or do not "
                "keep duplicates",
                copy.where,
            )


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


def kept_duplicates_warning(found: list[FoundImage], project: ProjectIndex) -> str | None:
    """The report's line on new items whose bytes another item (new or not) has too."""
    names: dict[str, list[str]] = {
        sha256: [os.path.basename(row.path) for row in rows]
        for sha256, rows in project.by_sha.items()
    }
    copies = []
    for image in found:
        if image.new_row is not None:
            twins = names.setdefault(image.new_row["sha256"], [])
            if twins:
                copies.append((image.labels.file_name, twins[0]))
            twins.append(image.labels.file_name)
    if not copies:
        return None
    return (
        f"{len(copies):,} new items are byte-identical copies of another item and were kept "
        f"as separate items (first: {copies[0][0]} = {copies[0][1]})"
    )


def _find_image(
    labels: ImageLabels,
    project: ProjectIndex,
    copy_images: bool,
    source: Path,
    claimed: set[int] | None,
) -> FoundImage | None:
    file = labels.source_file or source
    if labels.path is not None:
        stored = project.stored_paths.of(labels.path)
        row = project.by_path.get(stored)
        if row is not None:
            return _matched(labels, row, file)
        data = _read_image(labels.path, file, labels)
        return _new_or_matched(labels, data, project, stored, file, copy_images, claimed)
    if labels.data is not None:
        return _new_or_matched(labels, labels.data, project, None, file, True, claimed)
    candidates = project.by_name.get(_base_name(labels.file_name), [])
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


def _base_name(file_name: str) -> str:
    """A label file's image name without its folders (Windows separators too)."""
    return os.path.basename(file_name.replace("\\", "/"))


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
    claimed: set[int] | None,
) -> FoundImage:
    try:
        info = probe_image_data(data)
    except ProbeError as error:
        message = f"the image {labels.file_name!r}: {error}"
        raise LabelImportError(file, message, labels.where) from None
    sha256 = hashlib.sha256(data).hexdigest()
    row = project.item_with_content(sha256, labels.file_name, claimed)
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
