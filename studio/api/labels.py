"""The labels service: classes, media, items, annotations, label files, settings, history.

Every method that changes the project is one short transaction (one undo step, except
settings); an edit that changed annotations is announced to plugins
(`studio_annotations_committed`) after it committed.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from studio.api.context import ProjectContext
from studio.api.events import ProjectEvents
from studio.core import annotations as annotation_edits
from studio.core import classes as class_edits
from studio.core import history, media, queries, shape_edits, suggestions, wording
from studio.core import items as item_edits
from studio.core import settings as project_settings
from studio.core.attributes import AttributeSpec
from studio.core.classes import KeypointSchema
from studio.core.edits import Edit, user_edit
from studio.core.enums import AnnotationSource, ItemStatus, ReviewState, Split
from studio.core.errors import InvalidEditError
from studio.core.formats import LabelFormat, all_formats, get_format
from studio.core.formats import exporter as label_exporter
from studio.core.formats import importer as label_importer
from studio.core.formats.exporter import LabelExportReport
from studio.core.formats.import_options import LabelImportOptions
from studio.core.formats.importer import ImportDestination, LabelImportReport
from studio.core.history import BulkInsert, HistoryStep
from studio.core.media import ImportReport, RelinkReport
from studio.core.records import AnnotationRecord, ItemRecord, LabelClassRecord
from studio.core.schema import annotation_table, history_table
from studio.core.stats import ProjectStats, project_stats
from studio.plugins.manager import plugins

ProgressCallback = Callable[[int, int], None]
# An edit's description, or how to make it from the rows the edit is about (read in the
# edit's own transaction, before the edit changes them).
Description = str | Callable[[Connection], str]
ANNOTATION_TABLE = annotation_table.name


def item_id_list(item_ids: int | Iterable[int]) -> list[int]:
    """One item id or several, as a list."""
    return [item_ids] if isinstance(item_ids, int) else list(item_ids)


def path_list(paths: str | Path | Iterable[str | Path]) -> list[str | Path]:
    """One path (a file, folder or glob) or several; a string is never split into letters."""
    return [paths] if isinstance(paths, (str, Path)) else list(paths)


def _annotated_items(edit: Edit) -> set[int]:
    """The items whose annotations `edit` changed so far (read inside its transaction)."""
    touched: set[int] = set()
    for change in edit.changes.changes:
        if change.table != ANNOTATION_TABLE:
            continue
        if isinstance(change, BulkInsert):
            query = select(annotation_table.c.item_id).where(
                annotation_table.c.id.between(change.first_id, change.last_id)
            )
            touched.update(edit.connection.execute(query).scalars())
        else:
            touched.update(state["item_id"] for state in (change.before, change.after) if state)
    return touched


class LabelsService:
    """Everything about labeling a project's images; `Project` delegates to it."""

    def __init__(self, context: ProjectContext, events: ProjectEvents) -> None:
        self._context = context
        self._events = events

    @contextmanager
    def _edit(self, description: Description) -> Iterator[Edit]:
        """One user edit; once committed, plugins hear of the annotations it changed."""
        context = self._context
        with user_edit(context.database, "", context.author) as edit:
            edit.changes.description = (
                description(edit.connection) if callable(description) else description
            )
            yield edit
            changed = _annotated_items(edit)
        if changed:
            self._events.annotations_committed(changed, edit.changes.description)

    # -- label classes -------------------------------------------------------------------

    def add_classes(self, classes: Iterable[str | Mapping[str, Any]]) -> list[LabelClassRecord]:
        """Create classes by name (or dicts with name, color, hotkey); existing ones are kept."""
        specs = list(classes)
        names = [spec if isinstance(spec, str) else spec.get("name", "") for spec in specs]
        what = f"class {names[0]}" if len(names) == 1 else wording.counted(len(names), "class")
        with self._edit(f"Add {what}") as edit:
            return class_edits.add_classes(edit, specs)

    def classes(self, include_archived: bool = True) -> list[LabelClassRecord]:
        with self._context.database.read() as connection:
            return class_edits.all_classes(connection, include_archived)

    def update_class(self, label: str | int, **values: Any) -> LabelClassRecord:
        """Change a class's name, color, hotkey, position or archived flag."""
        with self._edit(lambda c: f"Change class {wording.class_name(c, label)}") as edit:
            return class_edits.update_class(edit, label, **values)

    def set_class_schema(
        self,
        label: str | int,
        *,
        attributes: Iterable[Mapping[str, Any] | AttributeSpec] | None = None,
        keypoints: Sequence[str] | None = None,
        skeleton: Iterable[Sequence[int]] = (),
    ) -> LabelClassRecord:
        """Set a class's attributes and/or named keypoints with their skeleton (one undo step).

        attributes: `AttributeSpec`s or mappings {"name", "type": text | number | choice |
        checkbox, "default", "min", "max", "values"}; an empty list removes them. keypoints:
        the point names in placing order (an empty list removes them and the skeleton);
        skeleton: edges as pairs of 1-based point numbers. None leaves that part as it is.
        """
        schema = None if keypoints is None else KeypointSchema(tuple(keypoints), tuple(skeleton))
        with self._context.database.read() as connection:
            name = class_edits.find_class(connection, label).name
        with self._edit(f"Change the attributes and keypoints of {name}") as edit:
            return class_edits.set_class_schema(edit, label, attributes, schema)

    # -- media ---------------------------------------------------------------------------

    def import_media(
        self,
        paths: str | Path | Iterable[str | Path],
        copy: bool = False,
        progress: ProgressCallback | None = None,
    ) -> ImportReport:
        """Add images from files, folders (recursive) and glob patterns.

        Returns a report with `added`, `duplicates` and `failed` [(path, reason)].
        """
        context = self._context
        return media.import_media(
            context.database,
            context.root,
            context.store_dir,
            path_list(paths),
            copy=copy,
            progress=progress,
            author=context.author,
        )

    def relink(
        self,
        search_paths: str | Path | Iterable[str | Path],
        progress: ProgressCallback | None = None,
    ) -> RelinkReport:
        """Re-point items whose files moved, finding them under `search_paths` by sha256."""
        context = self._context
        return media.relink(
            context.database, context.root, path_list(search_paths), progress=progress
        )

    def media_path(self, item: ItemRecord | int) -> Path:
        """The absolute path of an item's image file."""
        record = item if isinstance(item, ItemRecord) else self.item(item)
        return media.resolve(self._context.root, record.path)

    # -- label files (interchange formats) -------------------------------------------------

    def import_labels(
        self,
        source: str | Path,
        options: LabelImportOptions | None = None,
        *,
        dry_run: bool = False,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        **choices: Any,
    ) -> LabelImportReport:
        """Import a label file, folder or zip (COCO, YOLO, VOC, labelme, Label Studio, CVAT,
        class folders, CSV, or a plugin's format; detected unless a format is named) as one
        undo step.

        The choices are a `LabelImportOptions`, or its fields as keywords (`format`,
        `class_map`, `copy_images`, `replace`, `skip_missing_images`, `keep_duplicates`),
        which override those of `options`. Images are matched to the project's items (path,
        content or unique file name) or added; `class_map` renames the file's classes onto
        the project's; `replace` drops the matched items' annotations first (otherwise
        identical ones are not doubled); `keep_duplicates` makes byte-identical images under
        different names separate items; `dry_run` only reports. Any error raises
        LabelImportError (a plugin format's crash: PluginError) and changes nothing.
        """
        context = self._context
        options = dataclasses.replace(options or LabelImportOptions(), **choices)
        destination = ImportDestination(
            context.database,
            context.root,
            context.store_dir,
            context.author,
            guard=context.plugins.guard,
        )
        report = label_importer.import_labels(
            destination, Path(source), options, dry_run=dry_run, progress=progress, cancel=cancel
        )
        if report.annotated_item_ids:
            description = f"import labels from {Path(source).name}"
            self._events.annotations_committed(report.annotated_item_ids, description)
        return report

    def export_labels(
        self,
        destination: str | Path,
        format: str,
        split: str | None = None,
        item_ids: Iterable[int] | None = None,
        images: str = "copy",
        overwrite: bool = False,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        include_pending: bool = False,
        **filters: Any,
    ) -> LabelExportReport:
        """Write labels in `format` to the folder `destination`, atomically.

        Exports the items matching `split` and the `items()` filters (or `item_ids`), except
        rejected and not-yet-labeled ones; `images` is "copy", "link" or "none". Pending
        suggestions go out only with `include_pending`. A plugin format that crashes raises
        PluginError and leaves nothing at `destination`.
        """
        with self._context.plugins.guard(get_format(format), "write"):
            return label_exporter.export_labels(
                self._context.database,
                self._context.root,
                Path(destination),
                format,
                split=split,
                filters=filters,
                item_ids_to_export=None if item_ids is None else list(item_ids),
                images=images,
                overwrite=overwrite,
                progress=progress,
                cancel=cancel,
                include_pending=include_pending,
            )

    def export_totals(
        self,
        split: str | None = None,
        item_ids: Iterable[int] | None = None,
        include_pending: bool = False,
        **filters: Any,
    ) -> tuple[int, int]:
        """(images, annotations) that `export_labels` with these choices would write, before
        what the format cannot hold; nothing is written."""
        return label_exporter.export_totals(
            self._context.database,
            self._context.root,
            split=split,
            filters=filters,
            item_ids_to_export=None if item_ids is None else list(item_ids),
            include_pending=include_pending,
        )

    @staticmethod
    def label_formats() -> list[LabelFormat]:
        """The label formats Studio reads and writes, plugins' included (the process's
        plugins load here if nothing loaded them yet)."""
        plugins()
        return all_formats()

    @staticmethod
    def detect_label_format(source: str | Path) -> str:
        """The name of the format a label file, folder or zip looks like."""
        plugins()
        return label_importer.detect(Path(source)).name

    # -- items ---------------------------------------------------------------------------

    def items(self, limit: int | None = None, offset: int = 0, **filters: Any) -> list[ItemRecord]:
        """Items matching the filters: status, split, label, source, score_min, score_max,
        text (in the file's path; ASCII letters in any case), tag; sorted by `sort` (name,
        date, status, score), `descending` to reverse."""
        query = queries.ItemQuery(**filters)
        with self._context.database.read() as connection:
            return queries.find_items(connection, query, limit=limit, offset=offset)

    def item_ids(self, **filters: Any) -> list[int]:
        """The ids of all matching items, in order (same filters as `items`)."""
        with self._context.database.read() as connection:
            return queries.item_ids(connection, queries.ItemQuery(**filters))

    def count_items(self, **filters: Any) -> int:
        with self._context.database.read() as connection:
            return queries.count_items(connection, queries.ItemQuery(**filters))

    def items_by_ids(self, item_ids: Sequence[int]) -> list[ItemRecord]:
        with self._context.database.read() as connection:
            return queries.items_by_ids(connection, item_ids)

    def item_badges(self, item_ids: Sequence[int]) -> dict[int, tuple[int, list[int]]]:
        """What a thumbnail shows: item id → (number of annotations, ids of the classes
        present, ascending). Every asked id is in the answer ((0, []) when it has none)."""
        with self._context.database.read() as connection:
            return queries.item_badges(connection, list(item_ids))

    def item(self, item_id: int) -> ItemRecord:
        found = self.items_by_ids([item_id])
        if not found:
            raise InvalidEditError(f"unknown item id {item_id}")
        return found[0]

    def set_status(
        self,
        item_ids: int | Iterable[int],
        status: str | ItemStatus,
        reason: str | None = None,
    ) -> None:
        """Set the workflow status of items. A rejection may give a `reason`, kept in
        `meta["reject_reason"]` until the item leaves "rejected" (one undo step in all)."""
        ids = item_id_list(item_ids)
        value = wording.status_words(str(getattr(status, "value", status)))
        with self._edit(lambda c: f"Mark {wording.images_phrase(c, ids)} {value}") as edit:
            item_edits.set_status(edit, ids, status, reason)

    def set_split(self, item_ids: int | Iterable[int], split: str | Split | None) -> None:
        ids = item_id_list(item_ids)
        value = getattr(split, "value", split)
        where = f"in {value}" if value not in (None, "", "none") else "out of every split"
        with self._edit(lambda c: f"Put {wording.images_phrase(c, ids)} {where}") as edit:
            item_edits.set_split(edit, ids, split)

    def tag_items(
        self,
        item_ids: int | Iterable[int],
        add: str | Iterable[str] = (),
        remove: str | Iterable[str] = (),
    ) -> None:
        """Add and remove tags (a tag or a list of tags) on items, as one edit."""
        ids = item_id_list(item_ids)
        with self._edit(lambda c: f"Change the tags of {wording.images_phrase(c, ids)}") as edit:
            item_edits.change_tags(edit, ids, add=add, remove=remove)

    def remove_items(self, item_ids: int | Iterable[int]) -> None:
        """Remove items and their annotations from the project (files are left alone)."""
        ids = item_id_list(item_ids)
        with self._edit(lambda c: f"Remove {wording.images_phrase(c, ids)}") as edit:
            item_edits.remove_items(edit, ids)

    # -- annotations ---------------------------------------------------------------------

    def annotate(
        self,
        item_id: int,
        label: str | int,
        *,
        box: Sequence[float] | None = None,
        polygon: Any = None,
        mask: Any = None,
        keypoints: Any = None,
        polyline: Any = None,
        rotated_box: Sequence[float] | None = None,
        source: str | AnnotationSource = AnnotationSource.HUMAN,
        score: float | None = None,
    ) -> int:
        """Add an annotation and return its id; with no geometry it is an image-level tag.

        box: [x, y, w, h] · polygon: [(x, y), ...] or rings · mask: 2-D bool array or COCO
        RLE · keypoints: [(x, y, v), ...] · polyline: [(x, y), ...] (open, ≥ 2 points) ·
        rotated_box: [cx, cy, w, h, angle°] (clockwise on screen). Coordinates are pixels of
        the (EXIF-rotated) image.
        """
        geometry = {
            "box": box,
            "polygon": polygon,
            "mask": mask,
            "keypoints": keypoints,
            "polyline": polyline,
            "rotated_box": rotated_box,
        }
        kind = annotation_edits.kind_of(geometry)
        source_value = getattr(source, "value", source)
        author = self._context.author
        describe = partial(wording.new_shape, item_id=item_id, label=label, kind=kind.value)
        with self._edit(describe) as edit:
            return annotation_edits.add_annotation(
                edit,
                item_id,
                label,
                kind,
                geometry.get(kind.value),
                source_value,
                score,
                author,
            )

    def add_annotations(self, annotations: Iterable[Mapping[str, Any]]) -> list[int]:
        """Add many annotations as one edit (one transaction, one undo step); returns their ids.

        Each is a mapping: `item_id`, `label`, at most one of `box` / `polygon` / `mask` /
        `keypoints`, and optionally `source`, `score`, `attributes`, `review` (a SAM or model
        shape given no review state is a pending suggestion). Nothing is written if any is
        invalid.
        """
        specs = list(annotations)
        with self._edit(partial(wording.added_shapes, verb="Add", specs=specs)) as edit:
            return annotation_edits.add_annotations(edit, specs, self._context.author)

    # -- suggestions ---------------------------------------------------------------------

    def suggest_annotations(self, annotations: Iterable[Mapping[str, Any]]) -> list[int]:
        """Add pending suggestions as one edit (one undo step); returns their ids.

        Each is a mapping as for `add_annotations`, with the machine `source` that made it
        ("sam" or "model") and no `review`. Suggestions are drawn dashed and stay out of
        dataset versions and label exports until accepted.
        """
        specs = list(annotations)
        with self._edit(partial(wording.added_shapes, verb="Suggest", specs=specs)) as edit:
            return suggestions.suggest_annotations(edit, specs, self._context.author)

    def accept_suggestions(self, annotation_ids: Iterable[int]) -> None:
        """Accept suggestions as one undo step: they keep their source, score and attributes
        (the prompts that made them) and count like a person's shapes from now on. An
        unknown id or an ordinary shape refuses them all."""
        ids = list(annotation_ids)
        with self._edit(f"Accept {wording.counted(len(ids), 'suggestion')}") as edit:
            suggestions.review_suggestions(edit, ids, ReviewState.ACCEPTED)

    def reject_suggestions(self, annotation_ids: Iterable[int]) -> None:
        """Reject suggestions as one undo step: hidden from the canvas, the gallery, versions
        and exports, but kept in the file (`annotations(..., include_rejected=True)`)."""
        ids = list(annotation_ids)
        with self._edit(f"Reject {wording.counted(len(ids), 'suggestion')}") as edit:
            suggestions.review_suggestions(edit, ids, ReviewState.REJECTED)

    def update_annotation(
        self,
        annotation_id: int,
        *,
        geometry: Any = None,
        label: str | int | None = None,
        score: float | None = None,
    ) -> None:
        describe = partial(wording.shapes, verb="Change", annotation_ids=[annotation_id])
        with self._edit(describe) as edit:
            annotation_edits.update_annotation(edit, annotation_id, geometry, label, score)

    def set_annotation_attributes(self, annotation_id: int, values: Mapping[str, Any]) -> None:
        """Set user attributes of one annotation (one undo step); the ones its class declares
        are checked against their type (a bad value refuses the edit, naming it)."""
        changes = dict(values)
        noun = "attribute" if len(changes) == 1 else "attributes"
        verb = f"Set {noun} {', '.join(changes)} of"
        describe = partial(wording.shapes, verb=verb, annotation_ids=[annotation_id])
        with self._edit(describe) as edit:
            annotation_edits.set_user_attributes(edit, annotation_id, changes)

    def delete_annotation(self, annotation_id: int) -> None:
        describe = partial(wording.shapes, verb="Delete", annotation_ids=[annotation_id])
        with self._edit(describe) as edit:
            annotation_edits.delete_annotation(edit, annotation_id)

    def delete_annotations(self, annotation_ids: Iterable[int]) -> None:
        """Delete several annotations as one undo step (an unknown id refuses them all)."""
        ids = list(annotation_ids)
        with self._edit(partial(wording.shapes, verb="Delete", annotation_ids=ids)) as edit:
            annotation_edits.delete_annotations(edit, ids)

    def clear_annotations(self, item_ids: int | Iterable[int]) -> int:
        """Delete every annotation of the items as one undo step; returns how many.

        Statuses stay as they are; an unknown item id refuses the whole edit.
        """
        ids = item_id_list(item_ids)
        with self._edit(lambda c: f"Clear the labels of {wording.images_phrase(c, ids)}") as edit:
            return annotation_edits.delete_annotations_of_items(edit, ids)

    def annotations(
        self, item_id: int, *, include_rejected: bool = False
    ) -> list[AnnotationRecord]:
        """The item's annotations in id order; rejected suggestions only when asked for."""
        reviews = (
            annotation_edits.ALL_REVIEWS if include_rejected else annotation_edits.SHOWN_REVIEWS
        )
        with self._context.database.read() as connection:
            return annotation_edits.annotations_of(connection, item_id, reviews)

    def set_image_tags(self, item_id: int, labels: Iterable[str | int]) -> list[int]:
        """Make the item's image-level tags exactly the classes `labels` (one undo step).

        Tags it keeps keep their ids; returns the tag ids in the order of `labels`.
        """
        labels = list(labels)
        with self._edit(lambda c: f"Set the tags of {wording.item_name(c, item_id)}") as edit:
            return annotation_edits.set_item_tags(edit, item_id, labels, self._context.author)

    def copy_annotations(self, from_item: int, to_item: int) -> list[int]:
        """Copy every annotation of one item onto another (one undo step); the new ids.

        Shapes are clamped to the target image; one left with no area there is skipped.
        """

        def describe(connection: Connection) -> str:
            source = wording.item_name(connection, from_item)
            return f"Copy the labels of {source} to {wording.item_name(connection, to_item)}"

        with self._edit(describe) as edit:
            return annotation_edits.copy_annotations(edit, from_item, to_item, self._context.author)

    def set_class_of_shapes(self, annotation_ids: Iterable[int], label: str | int) -> int:
        """Give shapes another class as one undo step; returns how many changed. Suggestions
        among them are accepted; an unknown id or an image tag refuses them all."""
        ids = list(annotation_ids)
        name = self._class_name(label)

        def describe(connection: Connection) -> str:
            return f"{wording.shapes(connection, 'Relabel', ids)} as {name}"

        with self._edit(describe) as edit:
            return shape_edits.set_class_of_shapes(edit, ids, label)

    def paste_shapes(self, item_id: int, shapes: Iterable[AnnotationRecord]) -> list[int]:
        """Add copies of shapes (from any item) to an item as one undo step; the new ids.

        Shapes are clipped to the item's image (one with nothing left inside is skipped) and
        stacked above its own; suggestions are pasted accepted.
        """
        records = list(shapes)

        def describe(connection: Connection) -> str:
            where = wording.item_name(connection, item_id)
            return f"Paste {wording.counted(len(records), 'shape')} on {where}"

        with self._edit(describe) as edit:
            return shape_edits.paste_shapes(edit, item_id, records, self._context.author)

    def restack_shapes(self, annotation_ids: Iterable[int], *, to_front: bool) -> int:
        """Bring shapes of one image to the front (or send them to the back) as one undo
        step, through their `z_order` flag; returns how many changed."""
        ids = list(annotation_ids)
        where = "to the front" if to_front else "to the back"
        verb = "Bring" if to_front else "Send"

        def describe(connection: Connection) -> str:
            return f"{wording.shapes(connection, verb, ids)} {where}"

        with self._edit(describe) as edit:
            return shape_edits.restack_shapes(edit, ids, to_front)

    def _class_name(self, label: str | int) -> str:
        """The name of a class given by name or id (for an edit's description)."""
        if isinstance(label, str):
            return label
        with self._context.database.read() as connection:
            return class_edits.find_class(connection, label).name

    # -- settings ------------------------------------------------------------------------

    def settings(self) -> dict[str, Any]:
        """Every project setting, with the defaults of known keys (for example
        `labeling_mode`: one of LABELING_MODES)."""
        with self._context.database.read() as connection:
            return project_settings.all_settings(connection)

    def setting(self, key: str, default: Any = None) -> Any:
        with self._context.database.read() as connection:
            return project_settings.get_setting(connection, key, default)

    def set_setting(self, key: str, value: Any) -> None:
        """Store a JSON value under `key` (None removes it). Settings are configuration,
        not labels: changing one is not an undo step."""
        with self._context.database.write() as connection:
            project_settings.set_setting(connection, key, value)

    # -- history -------------------------------------------------------------------------

    def undo(self) -> HistoryStep:
        """Revert the latest edit (raises NothingToUndoError when there is none)."""
        return self._replay(history.undo, "undo")

    def redo(self) -> HistoryStep:
        return self._replay(history.redo, "redo")

    def _replay(self, step_through: Callable[[Connection], HistoryStep], name: str) -> HistoryStep:
        """Undo or redo (`step_through`: `history.undo` or `history.redo`) in one
        transaction; once committed, plugins hear of it if its entry changed annotations."""
        with self._context.database.write() as connection:
            step = step_through(connection)
            entry = select(history_table.c.changes).where(history_table.c.id == step.entry_id)
            changes = connection.execute(entry).scalar_one()
        if any(change["table"] == ANNOTATION_TABLE for change in changes):
            self._events.annotations_committed(step.item_ids, f"{name} {step.description}")
        return step

    def can_undo(self) -> bool:
        with self._context.database.read() as connection:
            return history.can_undo(connection)

    def can_redo(self) -> bool:
        with self._context.database.read() as connection:
            return history.can_redo(connection)

    # -- overview ------------------------------------------------------------------------

    def stats(self) -> ProjectStats:
        """Counts per status, split and class."""
        with self._context.database.read() as connection:
            return project_stats(connection)

    def poll_changes(self) -> bool:
        """True if anyone (another process included) committed since the previous poll."""
        return self._context.database.changed_since_last_check()

    def labels_revision(self) -> tuple[Any, ...]:
        """Changes whenever classes, items or annotations change (not on training progress)."""
        with self._context.database.read() as connection:
            return history.labels_revision(connection)
