"""Exporting a project's labels: choose the items, let the format write, then publish at once.

The format writes into a staging folder beside the destination (`studio.core.staging`); only
when it has finished is its output renamed to the destination, so a failed, cancelled or
killed export leaves nothing half-written, and an existing destination is only replaced when
the user asks.

Which items are exported: those matching the filter (and split), minus rejected items and
items nobody has labeled yet (status "new" or "in progress" without annotations), since a
trainer would read those as images with no objects.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from studio.core.annotations import FINAL_REVIEWS, SHOWN_REVIEWS, annotations_of_items
from studio.core.classes import all_classes
from studio.core.database import Database
from studio.core.enums import LABELED_STATUSES, ItemStatus
from studio.core.errors import LabelExportError
from studio.core.formats.importer import CLASS_IDS_SETTING
from studio.core.formats.model import ExportItem, ExportSet, Progress
from studio.core.formats.reading import Control, collector_paused
from studio.core.formats.registry import LabelFormat, get_format
from studio.core.media import resolve
from studio.core.queries import ItemQuery, item_ids, items_by_ids
from studio.core.records import AnnotationRecord, ItemRecord
from studio.core.settings import get_setting
from studio.core.staging import recover_leftovers, staged_output

ImageMode = Literal["copy", "link", "none"]
IMAGE_MODES = ("copy", "link", "none")


@dataclass
class LabelExportReport:
    format: str
    destination: Path
    items: int = 0
    annotations: int = 0
    images_written: int = 0
    skipped: Counter = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (
            f"exported {self.annotations:,} annotations on {self.items:,} images to "
            f"{self.destination}"
        )
        if self.skipped:
            reasons = "; ".join(f"{count:,} {reason}" for reason, count in self.skipped.items())
            text += f" (not exported: {reasons})"
        return text


class ExportTarget:
    """The folder a format writes into, with the helpers every writer needs."""

    def __init__(
        self,
        root: Path,
        images: ImageMode,
        report: LabelExportReport,
        control: Control,
    ) -> None:
        self.root = root
        self.images = images
        self.report = report
        self.control = control
        self._names: dict[tuple[str, int], str] = {}
        self._taken: set[str] = set()

    def path(self, relative: str) -> Path:
        """A file inside the export (its folders created)."""
        path = self.root.joinpath(*PurePosixPath(relative).parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def image_name(self, entry: ExportItem, folder: str = "") -> str:
        """A unique file name for the item's image inside `folder` (stable per item)."""
        key = (folder, entry.item.id)
        if key not in self._names:
            name = PurePosixPath(entry.item.meta.get("original_name") or entry.item.path).name
            candidate = f"{folder}/{name}" if folder else name
            if candidate in self._taken:
                stem, suffix = os.path.splitext(name)
                name = f"{stem}-{entry.item.id}{suffix}"
                candidate = f"{folder}/{name}" if folder else name
            self._taken.add(candidate)
            self._names[key] = candidate
        return self._names[key]

    def place_image(self, entry: ExportItem, folder: str = "images") -> str:
        """Copy or link the item's image into `folder`; the path a label file should name.

        With images "none" nothing is written and the label file names the image by its
        path in the project (relative to the project file), which an import into the same
        project matches.
        """
        relative = self.image_name(entry, folder)
        if self.images == "none":
            stored = PurePosixPath(entry.item.path)
            safe = not stored.is_absolute() and ".." not in stored.parts
            return str(stored) if safe else stored.name
        destination = self.path(relative)
        if not entry.image_path.is_file():
            raise LabelExportError(f"{entry.image_path}: the image file is missing (relink it)")
        if self.images == "link":
            _link(entry.image_path, destination)
        else:
            shutil.copyfile(entry.image_path, destination)
        self.report.images_written += 1
        return relative

    def place_image_relative(self, entry: ExportItem, folder: str) -> str:
        """`place_image`, the name given relative to `folder` (formats whose label files name
        their images from beside that folder); with images "none", the path in the project."""
        name = self.place_image(entry, folder)
        return name if self.images == "none" else name[len(folder) + 1 :]

    def skip(self, annotation: AnnotationRecord, reason: str) -> None:
        """Count an annotation the format cannot hold (reported, never silently dropped)."""
        self.report.skipped[reason] += 1

    def exported(self, count: int = 1) -> None:
        self.report.annotations += count


def _link(source: Path, destination: Path) -> None:
    """A symbolic link; a hard link or a copy where the system allows no symbolic link."""
    try:
        os.symlink(source.resolve(), destination)
    except OSError:
        try:
            os.link(source, destination)
        except OSError:
            shutil.copyfile(source, destination)


def export_labels(
    database: Database,
    project_root: Path,
    destination: Path,
    format_name: str,
    split: str | None = None,
    filters: dict[str, Any] | None = None,
    item_ids_to_export: list[int] | None = None,
    images: ImageMode = "copy",
    overwrite: bool = False,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    include_pending: bool = False,
) -> LabelExportReport:
    """Write the chosen items' labels in `format_name` to the folder `destination`.

    Pending suggestions (a model's or SAM's shapes nobody accepted yet) are left out unless
    `include_pending`; rejected ones never go out."""
    label_format = get_format(format_name)
    if images not in IMAGE_MODES:
        raise LabelExportError(f"images must be one of {', '.join(IMAGE_MODES)}, got {images!r}")
    destination = Path(destination).absolute()
    recover_leftovers(destination)
    _check_destination(destination, overwrite)
    control = Control(progress, cancel)
    with collector_paused():
        return _export(
            label_format,
            database,
            project_root,
            destination,
            split,
            filters,
            item_ids_to_export,
            images,
            control,
            SHOWN_REVIEWS if include_pending else FINAL_REVIEWS,
        )


def export_totals(
    database: Database,
    project_root: Path,
    split: str | None = None,
    filters: dict[str, Any] | None = None,
    item_ids_to_export: list[int] | None = None,
    include_pending: bool = False,
) -> tuple[int, int]:
    """How many images and annotations an export of these choices would hold (before what
    the format cannot hold), writing nothing: what the export dialog announces."""
    reviews = SHOWN_REVIEWS if include_pending else FINAL_REVIEWS
    export_set = _export_set(database, project_root, split, filters, item_ids_to_export, reviews)
    return len(export_set.items), sum(len(entry.annotations) for entry in export_set.items)


def _export(
    label_format: LabelFormat,
    database: Database,
    project_root: Path,
    destination: Path,
    split: str | None,
    filters: dict[str, Any] | None,
    item_ids_to_export: list[int] | None,
    images: ImageMode,
    control: Control,
    reviews: frozenset[str | None],
) -> LabelExportReport:
    export_set = _export_set(database, project_root, split, filters, item_ids_to_export, reviews)
    report = LabelExportReport(label_format.name, destination, items=len(export_set.items))
    if not export_set.items:
        report.warnings.append("no item matched (rejected and unlabeled items are never exported)")
    destination.parent.mkdir(parents=True, exist_ok=True)
    with staged_output(destination) as staged:
        target = ExportTarget(staged.make_folder(), images, report, control)
        label_format.write(export_set, target)
        control.check()
        staged.publish()
    return report


def _check_destination(destination: Path, overwrite: bool) -> None:
    if destination.exists() and not destination.is_dir():
        raise LabelExportError(f"{destination}: exists and is not a folder")
    if destination.is_dir() and any(destination.iterdir()) and not overwrite:
        raise LabelExportError(
            f"{destination}: the folder is not empty; allow overwriting to replace it"
        )


def _export_set(
    database: Database,
    project_root: Path,
    split: str | None,
    filters: dict[str, Any] | None,
    chosen: list[int] | None,
    reviews: frozenset[str | None],
) -> ExportSet:
    query_filters = dict(filters or {})
    if split is not None:
        query_filters["split"] = split
    try:
        query = ItemQuery(**query_filters)
    except (TypeError, ValueError) as error:
        raise LabelExportError(f"invalid filter: {error}") from None
    with database.read() as connection:
        ids = item_ids(connection, query)
        if chosen is not None:
            wanted = set(chosen)
            ids = [item_id for item_id in ids if item_id in wanted]
        records = items_by_ids(connection, ids)
        by_item = annotations_of_items(connection, ids, reviews)
        project_classes = all_classes(connection)
        class_ids = get_setting(connection, CLASS_IDS_SETTING, {}) or {}
    entries = [
        ExportItem(record, resolve(project_root, record.path), tuple(by_item.get(record.id, ())))
        for record in records
        if _exportable(record, by_item)
    ]
    name = project_root.name
    return ExportSet(name, project_classes, entries, {k: dict(v) for k, v in class_ids.items()})


def _exportable(record: ItemRecord, by_item: dict[int, list[AnnotationRecord]]) -> bool:
    if record.status == ItemStatus.REJECTED.value:
        return False
    return record.status in LABELED_STATUSES or bool(by_item.get(record.id))
