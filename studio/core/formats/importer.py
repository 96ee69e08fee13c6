"""Importing a label file into a project: read, check everything, then write it all at once.

1. The format's reader turns the file into a `LabelSet` (a zip is first extracted through
   the guarded extractor).
2. Each image is found: an item of the project (same stored path, same content, or a unique
   file name), or a new image file to add. Declared sizes are checked against the real ones.
3. Every label is checked against its image exactly as an edit would be.
4. Only then, unless it is a dry run, one transaction writes the new classes, the new items
   and the annotations, and sets statuses and splits: one undo step. Any error before or
   during the write leaves the project as it was, and its message names the file, the record
   and the problem.
"""

from __future__ import annotations

import dataclasses
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from studio.bundle.safe_zip import UnsafeZipError, extract_zip, is_zip
from studio.core import classes as class_edits
from studio.core.annotations import (
    delete_annotations_of_items,
    existing_tags,
    insert_without_repeated_tags,
)
from studio.core.database import Database
from studio.core.edits import Edit, user_edit
from studio.core.enums import AnnotationSource, ItemStatus
from studio.core.errors import LabelImportError
from studio.core.formats.image_matching import (
    FoundImage,
    ProjectIndex,
    annotation_key,
    duplicates_warning,
    find_images,
    kept_duplicates_warning,
    store_copies,
)
from studio.core.formats.import_options import LabelImportOptions
from studio.core.formats.label_checks import EDGE_TOLERANCE, checked_row
from studio.core.formats.model import LabelSet, Progress
from studio.core.formats.reading import Control, collector_paused
from studio.core.formats.registry import LabelFormat, detect_format, get_format
from studio.core.object_store import ObjectStore
from studio.core.schema import item_table as items
from studio.core.schema import label_class_table as classes
from studio.core.settings import get_setting, set_setting

CLASS_IDS_SETTING = "format_class_ids"
# Statuses an import may move on (to done or done_empty); later ones are the user's call.
STATUSES_AN_IMPORT_ADVANCES = (ItemStatus.NEW.value, ItemStatus.IN_PROGRESS.value)
# item.meta key: the other names under which a label file listed the item's exact bytes.
DUPLICATE_NAMES = "duplicate_names"


@dataclass
class LabelImportReport:
    """What an import did, or, for a dry run, would do."""

    format: str
    source: Path
    dry_run: bool
    images: int = 0
    items_added: int = 0
    items_matched: int = 0
    annotations_added: int = 0
    per_class: Counter = field(default_factory=Counter)
    file_classes: list[str] = field(default_factory=list)
    new_classes: list[str] = field(default_factory=list)
    duplicates_skipped: int = 0
    missing_images: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    added_item_ids: list[int] = field(default_factory=list)
    # The items whose annotations the import added or (with `replace`) dropped, ascending.
    annotated_item_ids: list[int] = field(default_factory=list)

    def summary(self) -> str:
        verb = "would import" if self.dry_run else "imported"
        text = (
            f"{verb} {self.annotations_added:,} annotations on {self.images:,} images "
            f"({self.items_added:,} new, {self.items_matched:,} already in the project)"
        )
        if self.new_classes:
            text += f"; new classes: {', '.join(self.new_classes)}"
        if self.duplicates_skipped:
            text += f"; {self.duplicates_skipped:,} annotations already present were skipped"
        if self.missing_images:
            text += f"; {len(self.missing_images):,} images not found were skipped"
        return text


# Runs code a format contributed: `guard(label_format, "read")` wraps its `read`. The API passes
# its plugins' guard, which turns a plugin's crash into a PluginError (and disables the plugin).
FormatGuard = Callable[[LabelFormat, str], AbstractContextManager[object]]


def unguarded(label_format: LabelFormat, what: str) -> AbstractContextManager[object]:
    """No guard: a format's errors pass through as they are."""
    return nullcontext()


@dataclass(frozen=True)
class ImportDestination:
    """The project a label import writes into: its database, the folder item paths are
    relative to, its store (for copied images), the author of the undo step, and the guard
    the format's code runs under."""

    database: Database
    project_root: Path
    store_dir: Path
    author: str = ""
    guard: FormatGuard = unguarded


@dataclass(frozen=True)
class _ImportRun:
    """One import under way: where it writes, what it reads, and how it reports."""

    destination: ImportDestination
    source: Path  # the file or folder read (inside the extracted zip for an archive)
    shown: Path  # what messages and the undo step name (the zip itself for an archive)
    dry_run: bool
    control: Control


def import_labels(
    destination: ImportDestination,
    source: Path,
    options: LabelImportOptions,
    dry_run: bool = False,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> LabelImportReport:
    """Import a label file or folder (or a zip of one); see the module docstring."""
    source = Path(source)
    if not source.exists():
        raise LabelImportError(source, "no such file or folder")
    control = Control(progress, cancel)
    with _dataset_root(source) as (root, archived), collector_paused():
        if archived:
            options = dataclasses.replace(options, copy_images=True)
        return _import(_ImportRun(destination, root, source, dry_run, control), options)


def detect(source: Path) -> LabelFormat:
    """The format of a label file, folder or zip (whose contents are looked at)."""
    with _dataset_root(Path(source)) as (root, _):
        return detect_format(root)


@contextmanager
def _dataset_root(source: Path) -> Iterator[tuple[Path, bool]]:
    """The folder or file to read, and whether it came out of an archive.

    A zip is extracted by the guarded extractor into a temporary folder that lives as long
    as the import; its images are then copied into the project, since the folder goes.
    """
    if not _is_archive(source):
        yield source, False
        return
    with tempfile.TemporaryDirectory(prefix="studio-import-") as folder:
        try:
            root = extract_zip(source, Path(folder))
        except UnsafeZipError as error:
            raise LabelImportError(error.archive, error.problem, error.entry) from None
        yield root, True


def _is_archive(source: Path) -> bool:
    """A zip, or a file named .zip (which the extractor then reports as unreadable)."""
    return source.is_file() and (source.suffix.lower() == ".zip" or is_zip(source))


def _import(run: _ImportRun, options: LabelImportOptions) -> LabelImportReport:
    destination, control = run.destination, run.control
    label_format = get_format(options.format) if options.format else detect_format(run.source)
    with destination.guard(label_format, "read"):
        label_set = label_format.read(run.source, control)
    report = LabelImportReport(
        label_format.name, run.shown, run.dry_run, warnings=list(label_set.warnings)
    )
    mapping = _class_mapping(label_set, options.class_map)
    report.file_classes = list(mapping)
    with destination.database.read() as connection:
        project = ProjectIndex(connection, destination.project_root)
        images, report.missing_images = find_images(label_set, project, options, control)
        existing = set() if options.replace else project.annotation_keys(images)
    merged = (
        kept_duplicates_warning(images, project)
        if options.keep_duplicates
        else duplicates_warning(images)
    )
    if merged:
        report.warnings.append(merged)
    _build_rows(images, mapping, existing, report, control)
    report.new_classes = [
        name
        for name in _classes_in_order(label_set, mapping, images)
        if name not in project.class_ids
    ]
    report.images = len(images)
    report.items_added = sum(1 for image in images if image.item_id is None)
    report.items_matched = len(images) - report.items_added
    if run.dry_run:
        return report
    store = ObjectStore(destination.store_dir / "objects")
    store_copies(images, store, destination.project_root)
    description = f"import labels from {run.shown.name}"
    try:
        with user_edit(destination.database, description, destination.author) as edit:
            report.added_item_ids = _write(
                edit, label_set, images, mapping, options.replace, report.new_classes
            )
        report.annotated_item_ids = sorted(
            image.item_id
            for image in images
            if image.rows or (options.replace and image.new_row is None)
        )
    except IntegrityError as error:
        raise LabelImportError(
            run.shown, f"the project changed during the import; nothing was written ({error.orig})"
        ) from None
    return report


# -- classes ---------------------------------------------------------------------------------


def _class_mapping(label_set: LabelSet, class_map: Mapping[str, str]) -> dict[str, str]:
    """File label → project class name (the file's names unless the user maps them)."""
    used = {record.label for image in label_set.images for record in image.labels}
    unknown = set(class_map) - set(label_set.classes) - used
    if unknown:
        raise LabelImportError(
            label_set.source,
            f"the class mapping names classes the file does not have: {sorted(unknown)}",
        )
    mapping = {}
    for name in [*label_set.classes, *sorted(used)]:
        target = str(class_map.get(name, name)).strip()
        if not target:
            raise LabelImportError(label_set.source, f"class {name!r} maps to an empty name")
        mapping[name] = target
    return mapping


def _classes_in_order(
    label_set: LabelSet, mapping: Mapping[str, str], images: list[FoundImage]
) -> list[str]:
    """The project classes the import needs: the file's class list, then any label used."""
    used = {
        mapping[record.label]
        for image in images
        for entry in image.entries
        for record in entry.labels
    }
    declared = [mapping[name] for name in label_set.classes]
    return list(dict.fromkeys([*declared, *sorted(used - set(declared))]))


# -- checking the labels -----------------------------------------------------------------------


def _build_rows(
    images: list[FoundImage],
    mapping: Mapping[str, str],
    existing: set[tuple],
    report: LabelImportReport,
    control: Control,
) -> None:
    """Check every label against its image; keep the rows to insert on each image."""
    seen = set(existing)
    clamped = 0
    total = len(images)
    for done, image in enumerate(images, start=1):
        control.step(done, total)
        for entry in image.entries:
            file = entry.source_file or report.source
            for record in entry.labels:
                row, was_clamped = checked_row(record, image, mapping[record.label], file)
                clamped += was_clamped
                key = annotation_key(
                    image.item_id or -done, row["label"], row["kind"], row["geometry"]
                )
                if key in seen:
                    report.duplicates_skipped += 1
                    continue
                seen.add(key)
                image.rows.append(row)
                report.per_class[row["label"]] += 1
    report.annotations_added = sum(report.per_class.values())
    if clamped:
        report.warnings.append(
            f"{clamped:,} shapes reaching up to {EDGE_TOLERANCE:g} pixel past the image "
            "edge were clamped to it"
        )


# -- writing ---------------------------------------------------------------------------------


def _write(
    edit: Edit,
    label_set: LabelSet,
    images: list[FoundImage],
    mapping: Mapping[str, str],
    replace: bool,
    new_classes: list[str],
) -> list[int]:
    class_meta = {mapping[name]: meta for name, meta in label_set.class_meta.items()}
    class_edits.add_classes(
        edit, [{"name": name, "meta": class_meta.get(name, {})} for name in new_classes]
    )
    _complete_class_meta(edit, class_meta)
    class_ids = dict(edit.connection.execute(select(classes.c.name, classes.c.id)).all())
    new_images = [image for image in images if image.new_row is not None]
    for image in new_images:
        image.new_row["status"] = _new_status(image)
        image.new_row["split"] = image.labels.split
        if image.duplicates:
            image.new_row["meta"][DUPLICATE_NAMES] = image.duplicate_names
    new_ids = edit.insert_many(items, [image.new_row for image in new_images])
    for image, item_id in zip(new_images, new_ids, strict=True):
        image.item_id = item_id
    matched = [image for image in images if image.new_row is None]
    if replace:
        delete_annotations_of_items(edit, [image.item_id for image in matched])
    rows = []
    for image in images:
        for row in image.rows:
            label = row.pop("label")
            rows.append(
                {
                    "item_id": image.item_id,
                    "class_id": class_ids[label],
                    **row,
                    "author": "",
                    "created_at": edit.now,
                    "updated_at": edit.now,
                }
            )
    tags = existing_tags(edit.connection, [image.item_id for image in images])
    insert_without_repeated_tags(edit, rows, tags)
    _update_items(edit, matched)
    _remember_class_ids(edit, label_set, mapping)
    return new_ids


def _complete_class_meta(edit: Edit, class_meta: Mapping[str, dict]) -> None:
    """Give the project's classes the keypoint names and skeleton the file has for them,
    where they have none yet (what a class already says is the user's)."""
    if not class_meta:
        return
    rows = edit.connection.execute(
        select(classes.c.id, classes.c.name, classes.c.meta).where(
            classes.c.name.in_(list(class_meta))
        )
    ).all()
    for row in rows:
        meta = dict(row.meta or {})
        missing = {key: value for key, value in class_meta[row.name].items() if key not in meta}
        if missing:
            edit.update(classes, row.id, {"meta": {**meta, **missing}})


def _new_status(image: FoundImage) -> str:
    human = any(row["source"] == AnnotationSource.HUMAN.value for row in image.rows)
    if image.status not in STATUSES_AN_IMPORT_ADVANCES:
        return image.status
    if human or (image.status == ItemStatus.IN_PROGRESS.value and image.rows):
        return ItemStatus.DONE.value
    if image.labeled and image.status == ItemStatus.NEW.value and not image.has_labels:
        return ItemStatus.DONE_EMPTY.value
    return image.status


def _update_items(edit: Edit, images: list[FoundImage]) -> None:
    """Statuses (labeled images become done) and splits of the items already in the project."""
    changes = {}
    metas = _item_metas(edit, [image.item_id for image in images if image.duplicates])
    for image in images:
        values: dict = {}
        if image.duplicates:
            meta = metas[image.item_id]
            names = [*meta.get(DUPLICATE_NAMES, []), *image.duplicate_names]
            values["meta"] = {**meta, DUPLICATE_NAMES: list(dict.fromkeys(names))}
        status = _new_status(image)
        if status != image.status:
            values["status"] = status
        split = image.labels.split
        if split is not None and split != image.current_split:
            values["split"] = split
        if values:
            changes[image.item_id] = {**values, "updated_at": edit.now}
    edit.update_many(items, changes)


def _item_metas(edit: Edit, item_ids: list[int]) -> dict[int, dict]:
    if not item_ids:
        return {}
    query = select(items.c.id, items.c.meta).where(items.c.id.in_(item_ids))
    return {row.id: dict(row.meta or {}) for row in edit.connection.execute(query)}


def _remember_class_ids(edit: Edit, label_set: LabelSet, mapping: Mapping[str, str]) -> None:
    """Keep the file's class numbers so exporting to the same format gives them back."""
    if not label_set.class_ids:
        return
    known = dict(get_setting(edit.connection, CLASS_IDS_SETTING, {}) or {})
    numbers = dict(known.get(label_set.format, {}))
    taken = set(numbers.values())
    for name, number in label_set.class_ids.items():
        target = mapping[name]
        if target not in numbers and number not in taken:
            numbers[target] = number
            taken.add(number)
    known[label_set.format] = numbers
    set_setting(edit.connection, CLASS_IDS_SETTING, known)
