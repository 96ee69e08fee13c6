"""The stable scripting API of Studio: what plugin scripts, notebooks, the CLI and tests use.

    from studio.api import Project

    with Project.create("birds.studio") as project:
        project.add_classes(["sparrow", "crow"])
        report = project.import_media(["photos/"])
        item = project.items(status="new", limit=1)[0]
        project.annotate(item.id, "crow", box=[10, 20, 100, 80])
        project.undo()

Every method that changes the project is one short transaction (one undo step); several
processes may use the same project at once.
"""

from __future__ import annotations

import dataclasses
import getpass
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from studio.analysis_api import AnalysisMixin
from studio.core import annotations as annotation_edits
from studio.core import classes as class_edits
from studio.core import history, media, queries
from studio.core import items as item_edits
from studio.core import settings as project_settings
from studio.core.database import Database
from studio.core.edits import user_edit
from studio.core.enums import AnnotationKind, AnnotationSource, ItemStatus, RunStatus, Split, Task
from studio.core.errors import (
    CheckpointError,
    DamagedProjectError,
    ExportError,
    HistoryConflictError,
    InvalidEditError,
    LabelExportError,
    LabelImportError,
    ModelRegistryError,
    NewerProjectError,
    NotAProjectError,
    NothingToUndoError,
    OperationCancelledError,
    ProjectFileError,
    ReadOnlyProjectError,
    RunError,
    StudioError,
    TrainingConfigError,
    VersionError,
)
from studio.core.formats import LabelFormat, all_formats
from studio.core.formats import exporter as label_exporter
from studio.core.formats import importer as label_importer
from studio.core.formats.exporter import LabelExportReport
from studio.core.formats.import_options import LabelImportOptions
from studio.core.formats.importer import LabelImportReport
from studio.core.history import HistoryStep
from studio.core.media import ImportReport, RelinkReport
from studio.core.model_registry import ModelVersionRecord
from studio.core.project_file import create_project_file, open_project_file, store_dir_of
from studio.core.records import AnnotationRecord, ItemRecord, LabelClassRecord
from studio.core.runs import ArtifactRecord, EvaluationRecord, PredictionRecord, RunRecord
from studio.core.settings import LABELING_MODE, LABELING_MODES
from studio.core.stats import ProjectStats, project_stats
from studio.core.versions import SplitPlan, SplitRatios, VersionItem, VersionRecord
from studio.experiments import ExperimentsMixin, Run, SettingAdjustedWarning
from studio.models_api import ModelsMixin

__all__ = [
    "LABELING_MODE",
    "LABELING_MODES",
    "AnnotationKind",
    "AnnotationRecord",
    "AnnotationSource",
    "ArtifactRecord",
    "CheckpointError",
    "DamagedProjectError",
    "EvaluationRecord",
    "ExportError",
    "HistoryConflictError",
    "HistoryStep",
    "ImportReport",
    "InvalidEditError",
    "ItemRecord",
    "ItemStatus",
    "LabelClassRecord",
    "LabelExportError",
    "LabelExportReport",
    "LabelFormat",
    "LabelImportError",
    "LabelImportOptions",
    "LabelImportReport",
    "ModelRegistryError",
    "ModelVersionRecord",
    "NewerProjectError",
    "NotAProjectError",
    "NothingToUndoError",
    "OperationCancelledError",
    "PredictionRecord",
    "Project",
    "ProjectFileError",
    "ProjectStats",
    "ReadOnlyProjectError",
    "RelinkReport",
    "Run",
    "RunError",
    "RunRecord",
    "RunStatus",
    "SettingAdjustedWarning",
    "Split",
    "SplitPlan",
    "SplitRatios",
    "StudioError",
    "Task",
    "TrainingConfigError",
    "VersionError",
    "VersionItem",
    "VersionRecord",
]

ProgressCallback = Callable[[int, int], None]


def _current_user() -> str:
    """The login name recorded as the author of edits ("" where the system has none)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return ""


def _ids(item_ids: int | Iterable[int]) -> list[int]:
    return [item_ids] if isinstance(item_ids, int) else list(item_ids)


def _paths(paths: str | Path | Iterable[str | Path]) -> list[str | Path]:
    """One path (a file, folder or glob) or several; a string is never split into letters."""
    return [paths] if isinstance(paths, (str, Path)) else list(paths)


class Project(ExperimentsMixin, ModelsMixin, AnalysisMixin):
    """An open Studio project file. Use `Project.create` or `Project.open`, then `close()`."""

    def __init__(self, database: Database, author: str | None = None) -> None:
        self._db = database
        self.path: Path = database.path.resolve()
        self.author = author if author is not None else _current_user()

    # -- opening and closing -------------------------------------------------------------

    @classmethod
    def create(cls, path: str | Path, author: str | None = None) -> Project:
        """Create a new, empty project file (refuses to overwrite an existing file)."""
        return cls(create_project_file(Path(path)), author)

    @classmethod
    def open(cls, path: str | Path, author: str | None = None) -> Project:
        """Open a project; an older file is backed up and upgraded, a newer one refused.

        A project this process cannot write (read-only file or folder) opens read-only:
        everything can be read, and every change raises `ReadOnlyProjectError`.
        """
        return cls(open_project_file(Path(path)), author)

    def close(self) -> None:
        """Checkpoint and close: afterwards the project is one self-contained file."""
        self._db.close()

    def __enter__(self) -> Project:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def read_only(self) -> bool:
        """Whether the project was opened read-only; `read_only_reason` says why."""
        return self._db.read_only

    @property
    def read_only_reason(self) -> str | None:
        """ "the file is read-only" or "cannot write FOLDER"; None for a writable project."""
        return self._db.read_only_reason

    @property
    def root(self) -> Path:
        """The folder holding the project file; item paths are relative to it."""
        return self.path.parent

    @property
    def store_dir(self) -> Path:
        """`NAME.studio.d`: copied media, checkpoints and caches that belong to the project."""
        return store_dir_of(self.path)

    # -- label classes -------------------------------------------------------------------

    def add_classes(self, classes: Iterable[str | Mapping[str, Any]]) -> list[LabelClassRecord]:
        """Create classes by name (or dicts with name, color, hotkey); existing ones are kept."""
        specs = list(classes)
        with user_edit(self._db, f"add {len(specs)} classes", self.author) as edit:
            return class_edits.add_classes(edit, specs)

    def classes(self, include_archived: bool = True) -> list[LabelClassRecord]:
        with self._db.read() as connection:
            return class_edits.all_classes(connection, include_archived)

    def update_class(self, label: str | int, **values: Any) -> LabelClassRecord:
        """Change a class's name, color, hotkey, position or archived flag."""
        with user_edit(self._db, f"change class {label}", self.author) as edit:
            return class_edits.update_class(edit, label, **values)

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
        return media.import_media(
            self._db,
            self.root,
            self.store_dir,
            _paths(paths),
            copy=copy,
            progress=progress,
            author=self.author,
        )

    def relink(
        self,
        search_paths: str | Path | Iterable[str | Path],
        progress: ProgressCallback | None = None,
    ) -> RelinkReport:
        """Re-point items whose files moved, finding them under `search_paths` by sha256."""
        return media.relink(self._db, self.root, _paths(search_paths), progress=progress)

    def media_path(self, item: ItemRecord | int) -> Path:
        """The absolute path of an item's image file."""
        record = item if isinstance(item, ItemRecord) else self.item(item)
        return media.resolve(self.root, record.path)

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
        class folders, CSV; detected unless a format is named) as one undo step.

        The choices are a `LabelImportOptions`, or its fields as keywords (`format`,
        `class_map`, `copy_images`, `replace`, `skip_missing_images`, `keep_duplicates`),
        which override those of `options`. Images are matched to the project's items (path,
        content or unique file name) or added; `class_map` renames the file's classes onto
        the project's; `replace` drops the matched items' annotations first (otherwise
        identical ones are not doubled); `keep_duplicates` makes byte-identical images under
        different names separate items; `dry_run` only reports. Any error raises
        LabelImportError and changes nothing.
        """
        options = dataclasses.replace(options or LabelImportOptions(), **choices)
        return label_importer.import_labels(
            self._db,
            self.root,
            self.store_dir,
            Path(source),
            options,
            dry_run=dry_run,
            progress=progress,
            cancel=cancel,
            author=self.author,
        )

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
        **filters: Any,
    ) -> LabelExportReport:
        """Write labels in `format` to the folder `destination`, atomically.

        Exports the items matching `split` and the `items()` filters (or `item_ids`), except
        rejected and not-yet-labeled ones; `images` is "copy", "link" or "none".
        """
        return label_exporter.export_labels(
            self._db,
            self.root,
            Path(destination),
            format,
            split=split,
            filters=filters,
            item_ids_to_export=None if item_ids is None else list(item_ids),
            images=images,
            overwrite=overwrite,
            progress=progress,
            cancel=cancel,
        )

    @staticmethod
    def label_formats() -> list[LabelFormat]:
        """The label formats Studio reads and writes (plugins may add more)."""
        return all_formats()

    @staticmethod
    def detect_label_format(source: str | Path) -> str:
        """The name of the format a label file, folder or zip looks like."""
        return label_importer.detect(Path(source)).name

    # -- items ---------------------------------------------------------------------------

    def items(self, limit: int | None = None, offset: int = 0, **filters: Any) -> list[ItemRecord]:
        """Items matching the filters: status, split, label, source, score_min, score_max,
        text (in the file's path; ASCII letters in any case), tag; sorted by `sort` (name,
        date, status, score), `descending` to reverse."""
        query = queries.ItemQuery(**filters)
        with self._db.read() as connection:
            return queries.find_items(connection, query, limit=limit, offset=offset)

    def item_ids(self, **filters: Any) -> list[int]:
        """The ids of all matching items, in order (same filters as `items`)."""
        with self._db.read() as connection:
            return queries.item_ids(connection, queries.ItemQuery(**filters))

    def count_items(self, **filters: Any) -> int:
        with self._db.read() as connection:
            return queries.count_items(connection, queries.ItemQuery(**filters))

    def items_by_ids(self, item_ids: Sequence[int]) -> list[ItemRecord]:
        with self._db.read() as connection:
            return queries.items_by_ids(connection, item_ids)

    def item_badges(self, item_ids: Sequence[int]) -> dict[int, tuple[int, list[int]]]:
        """What a thumbnail shows: item id → (number of annotations, ids of the classes
        present, ascending). Every asked id is in the answer ((0, []) when it has none)."""
        with self._db.read() as connection:
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
        ids = _ids(item_ids)
        with user_edit(self._db, f"set status of {len(ids)} items", self.author) as edit:
            item_edits.set_status(edit, ids, status, reason)

    def set_split(self, item_ids: int | Iterable[int], split: str | Split | None) -> None:
        ids = _ids(item_ids)
        with user_edit(self._db, f"set split of {len(ids)} items", self.author) as edit:
            item_edits.set_split(edit, ids, split)

    def tag_items(
        self,
        item_ids: int | Iterable[int],
        add: str | Iterable[str] = (),
        remove: str | Iterable[str] = (),
    ) -> None:
        """Add and remove tags (a tag or a list of tags) on items, as one edit."""
        ids = _ids(item_ids)
        with user_edit(self._db, f"tag {len(ids)} items", self.author) as edit:
            item_edits.change_tags(edit, ids, add=add, remove=remove)

    def remove_items(self, item_ids: int | Iterable[int]) -> None:
        """Remove items and their annotations from the project (files are left alone)."""
        ids = _ids(item_ids)
        with user_edit(self._db, f"remove {len(ids)} items", self.author) as edit:
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
        source: str | AnnotationSource = AnnotationSource.HUMAN,
        score: float | None = None,
    ) -> int:
        """Add an annotation and return its id; with no geometry it is an image-level tag.

        box: [x, y, w, h] · polygon: [(x, y), ...] or rings · mask: 2-D bool array or COCO
        RLE · keypoints: [(x, y, v), ...]. Coordinates are pixels of the (EXIF-rotated) image.
        """
        geometry = {"box": box, "polygon": polygon, "mask": mask, "keypoints": keypoints}
        kind = annotation_edits.kind_of(geometry)
        source_value = getattr(source, "value", source)
        with user_edit(self._db, f"add {kind.value} {label}", self.author) as edit:
            return annotation_edits.add_annotation(
                edit,
                item_id,
                label,
                kind,
                geometry.get(kind.value),
                source_value,
                score,
                self.author,
            )

    def add_annotations(self, annotations: Iterable[Mapping[str, Any]]) -> list[int]:
        """Add many annotations as one edit (one transaction, one undo step); returns their ids.

        Each is a mapping: `item_id`, `label`, at most one of `box` / `polygon` / `mask` /
        `keypoints`, and optionally `source`, `score`, `attributes`. Nothing is written if any
        is invalid.
        """
        specs = list(annotations)
        with user_edit(self._db, f"add {len(specs)} annotations", self.author) as edit:
            return annotation_edits.add_annotations(edit, specs, self.author)

    def update_annotation(
        self,
        annotation_id: int,
        *,
        geometry: Any = None,
        label: str | int | None = None,
        score: float | None = None,
    ) -> None:
        with user_edit(self._db, f"change annotation {annotation_id}", self.author) as edit:
            annotation_edits.update_annotation(edit, annotation_id, geometry, label, score)

    def delete_annotation(self, annotation_id: int) -> None:
        with user_edit(self._db, f"delete annotation {annotation_id}", self.author) as edit:
            annotation_edits.delete_annotation(edit, annotation_id)

    def delete_annotations(self, annotation_ids: Iterable[int]) -> None:
        """Delete several annotations as one undo step (an unknown id refuses them all)."""
        ids = list(annotation_ids)
        with user_edit(self._db, f"delete {len(ids)} annotations", self.author) as edit:
            annotation_edits.delete_annotations(edit, ids)

    def clear_annotations(self, item_ids: int | Iterable[int]) -> int:
        """Delete every annotation of the items as one undo step; returns how many.

        Statuses stay as they are; an unknown item id refuses the whole edit.
        """
        ids = _ids(item_ids)
        with user_edit(self._db, f"clear annotations of {len(ids)} items", self.author) as edit:
            return annotation_edits.delete_annotations_of_items(edit, ids)

    def annotations(self, item_id: int) -> list[AnnotationRecord]:
        with self._db.read() as connection:
            return annotation_edits.annotations_of(connection, item_id)

    def set_image_tags(self, item_id: int, labels: Iterable[str | int]) -> list[int]:
        """Make the item's image-level tags exactly the classes `labels` (one undo step).

        Tags it keeps keep their ids; returns the tag ids in the order of `labels`.
        """
        labels = list(labels)
        with user_edit(self._db, f"set tags of item {item_id}", self.author) as edit:
            return annotation_edits.set_item_tags(edit, item_id, labels, self.author)

    def copy_annotations(self, from_item: int, to_item: int) -> list[int]:
        """Copy every annotation of one item onto another (one undo step); the new ids.

        Shapes are clamped to the target image; one left with no area there is skipped.
        """
        description = f"copy annotations of item {from_item} to item {to_item}"
        with user_edit(self._db, description, self.author) as edit:
            return annotation_edits.copy_annotations(edit, from_item, to_item, self.author)

    # -- settings ------------------------------------------------------------------------

    def settings(self) -> dict[str, Any]:
        """Every project setting, with the defaults of known keys (for example
        `labeling_mode`: one of LABELING_MODES)."""
        with self._db.read() as connection:
            return project_settings.all_settings(connection)

    def setting(self, key: str, default: Any = None) -> Any:
        with self._db.read() as connection:
            return project_settings.get_setting(connection, key, default)

    def set_setting(self, key: str, value: Any) -> None:
        """Store a JSON value under `key` (None removes it). Settings are configuration,
        not labels: changing one is not an undo step."""
        with self._db.write() as connection:
            project_settings.set_setting(connection, key, value)

    # -- history -------------------------------------------------------------------------

    def undo(self) -> HistoryStep:
        """Revert the latest edit (raises NothingToUndoError when there is none)."""
        with self._db.write() as connection:
            return history.undo(connection)

    def redo(self) -> HistoryStep:
        with self._db.write() as connection:
            return history.redo(connection)

    def can_undo(self) -> bool:
        with self._db.read() as connection:
            return history.can_undo(connection)

    def can_redo(self) -> bool:
        with self._db.read() as connection:
            return history.can_redo(connection)

    # -- overview ------------------------------------------------------------------------

    def stats(self) -> ProjectStats:
        """Counts per status, split and class."""
        with self._db.read() as connection:
            return project_stats(connection)

    def poll_changes(self) -> bool:
        """True if anyone (another process included) committed since the previous poll."""
        return self._db.changed_since_last_check()

    def labels_revision(self) -> tuple[Any, ...]:
        """Changes whenever classes, items or annotations change (not on training progress)."""
        with self._db.read() as connection:
            return history.labels_revision(connection)
