"""`Project`: an open project file, one `ProjectContext`, and its services.

    from studio.api import Project

    with Project.create("birds.studio") as project:
        project.add_classes(["sparrow", "crow"])
        report = project.import_media(["photos/"])
        item = project.items(status="new", limit=1)[0]
        project.annotate(item.id, "crow", box=[10, 20, 100, 80])
        project.undo()

The work is done by services over the project's context: `project.labels` (classes, media,
items, annotations, label files, settings, history), `project.experiments` (versions, runs),
`project.models` (the model registry and exports), `project.analysis` (error analysis),
`project.assistance` (labeling assistants), `project.sam` (Segment Anything),
`project.prelabels` (pre-labels), `project.active_learning` (the active-learning queue),
`project.label_errors` (the label-error finder), `project.data_health` (duplicates, leaks
across splits, health figures) and `project.maps` (the map of the data). The flat
methods (`project.annotate(...)`) are one-line delegations to them, documented there, so
scripts can use either.

Every method that changes the project is one short transaction (one undo step); several
processes may use the same project at once. Opening a project runs none of its code: its
`NAME.studio.d/plugins/` folder loads only once the user trusts it (`trust_plugins`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from studio.api.analysis import AnalysisService
from studio.api.assistance import AnswerShape, AssistanceService, PointPrompt
from studio.api.context import ProjectContext, current_user
from studio.api.data_health import DataHealthService
from studio.api.data_map import DataMap, DataMapService, MapOptions
from studio.api.events import ProjectEvents
from studio.api.experiments import EventCallback, ExperimentsService, Ratios, Run
from studio.api.label_issues import LabelIssuesService
from studio.api.labels import LabelsService, ProgressCallback
from studio.api.models import ExportSource, ModelsService
from studio.api.prelabel import PrelabelOutcome, PrelabelService
from studio.api.queue import ActiveQueue, QueueService
from studio.api.sam import SamCheckpointChoice, SamService
from studio.core import error_analysis
from studio.core.active_queue import QueueOptions
from studio.core.attributes import AttributeSpec
from studio.core.database import Database
from studio.core.duplicates import DuplicateGroup, DuplicateOptions, DuplicateReport, SplitLeak
from studio.core.enums import AnnotationSource, ItemStatus, Split
from studio.core.errors import StudioError
from studio.core.export_options import ExportOptions
from studio.core.formats import LabelFormat
from studio.core.formats.exporter import LabelExportReport
from studio.core.formats.import_options import LabelImportOptions
from studio.core.formats.importer import LabelImportReport
from studio.core.history import HistoryStep
from studio.core.label_issues import LabelIssueRecord
from studio.core.media import ImportReport, RelinkReport
from studio.core.model_registry import ModelVersionRecord
from studio.core.prelabels import PrelabelOptions
from studio.core.project_file import create_project_file, open_project_file
from studio.core.records import AnnotationRecord, ItemRecord, LabelClassRecord
from studio.core.runs import RunRecord
from studio.core.stats import DatasetHealth, ProjectStats
from studio.core.versions import SplitPlan, VersionItem, VersionRecord
from studio.ml.label_quality import LabelQualityOptions
from studio.plugins.manager import PluginInfo, StudioPlugins, plugins
from studio.plugins.specs import AssistantSpec
from studio.plugins.trust import TrustStore

if TYPE_CHECKING:
    from studio.ml.config import PresetBasis

PluginFolderStatus = Literal["none", "untrusted", "disabled", "loaded"]


class Project:
    """An open Studio project file. Use `Project.create` or `Project.open`, then `close()`.

    `context` is what the project is; `labels`, `experiments`, `models`, `analysis`,
    `assistance`, `sam`, `prelabels`, `active_learning`, `label_errors`, `data_health` and
    `maps` do the work. The flat methods below the plugin ones are one-line delegations to
    those services, where each is documented.
    """

    def __init__(
        self,
        database: Database,
        author: str | None = None,
        studio_plugins: StudioPlugins | None = None,
    ) -> None:
        self.context = ProjectContext(
            database,
            database.path.resolve(),
            current_user() if author is None else author,
            studio_plugins or plugins(),
        )
        events = ProjectEvents(self.context.plugins, self)
        self._events = events
        self.labels = LabelsService(self.context, events)
        self.experiments = ExperimentsService(self.context, events)
        self.models = ModelsService(self.context, events)
        self.analysis = AnalysisService(self.context)
        self.assistance = AssistanceService(self.context, self.labels)
        self.sam = SamService(self.context, self.labels)
        self.data_health = DataHealthService(self.context)
        self.prelabels = PrelabelService(self.context, self.labels, self.assistance)
        self.maps = DataMapService(self.context)
        self.label_errors = LabelIssuesService(self.context, events)
        self.active_learning = QueueService(self.context)
        self._loaded_plugin_folder = False
        self._closed = False
        if self._folder_trusted() and self.context.plugins.settings.third_party:
            self._load_plugin_folder()
        events.opened()

    # -- opening and closing ---------------------------------------------------------------

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
        """Tell plugins, unload the project's own plugins, checkpoint and close: afterwards
        the project is one self-contained file."""
        if self._closed:
            return
        self._closed = True
        try:
            self._events.closing()
        finally:
            if self._loaded_plugin_folder:
                self.context.plugins.unload_project_plugins()
                self._loaded_plugin_folder = False
            self.context.database.close()

    def __enter__(self) -> Project:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- what the project is ---------------------------------------------------------------

    @property
    def path(self) -> Path:
        """The project file, resolved."""
        return self.context.path

    @property
    def author(self) -> str:
        """Recorded with every edit, version, run and registered model."""
        return self.context.author

    @property
    def root(self) -> Path:
        """The folder holding the project file; item paths are relative to it."""
        return self.context.root

    @property
    def store_dir(self) -> Path:
        """`NAME.studio.d`: copied media, checkpoints and caches that belong to the project."""
        return self.context.store_dir

    @property
    def read_only(self) -> bool:
        """Whether the project was opened read-only; `read_only_reason` says why."""
        return self.context.read_only

    @property
    def read_only_reason(self) -> str | None:
        """ "the file is read-only" or "cannot write FOLDER"; None for a writable project."""
        return self.context.database.read_only_reason

    # -- the project's own plugins ---------------------------------------------------------

    @property
    def plugin_folder(self) -> Path:
        """`NAME.studio.d/plugins/`: plugins that travel with the project."""
        return self.context.plugin_folder

    def plugin_folder_status(self) -> PluginFolderStatus:
        """Whether the project's plugins run: "none" (no plugin folder), "loaded", "disabled"
        (trusted, but third-party plugins are off: `--no-plugins`), or "untrusted": not
        running, because this user has not trusted the folder with exactly these files
        (`trust_plugins` asks for that and loads them)."""
        if not self.plugin_folder.is_dir():
            return "none"
        trusted = self._folder_trusted()
        if trusted and self._loaded_plugin_folder:
            return "loaded"
        if trusted and not self.context.plugins.settings.third_party:
            return "disabled"
        return "untrusted"

    def trust_plugins(self) -> list[PluginInfo]:
        """Trust the plugin folder as it is now (for this user) and load it; what loaded.

        A folder loaded before and changed since is unloaded and loaded afresh. With
        third-party plugins off (`--no-plugins`) the trust is remembered and nothing loads.
        """
        folder = self.plugin_folder
        if not folder.is_dir():
            raise StudioError(f"{folder}: there is no plugin folder to trust")
        try:
            self._trust_store().trust(folder)
        except OSError as error:
            raise StudioError(f"{folder}: cannot read the plugin folder ({error})") from None
        if self._loaded_plugin_folder:
            self.context.plugins.unload_project_plugins()
            self._loaded_plugin_folder = False
        if not self.context.plugins.settings.third_party:
            return []
        return self._load_plugin_folder()

    def _load_plugin_folder(self) -> list[PluginInfo]:
        loaded = self.context.plugins.load_project_folder(self.plugin_folder)
        self._loaded_plugin_folder = True
        return loaded

    def _trust_store(self) -> TrustStore:
        return TrustStore(self.context.plugins.settings.config_dir)

    def _folder_trusted(self) -> bool:
        """Whether the plugin folder exists and is trusted as it is; a folder whose files
        cannot be read cannot be checked, so it is not."""
        folder = self.plugin_folder
        try:
            return folder.is_dir() and self._trust_store().is_trusted(folder)
        except OSError:
            return False

    # -- assistance ------------------------------------------------------------------------

    def assistants(self) -> list[AssistantSpec]:
        return self.assistance.assistants()

    def suggest(self, assistant: str, item_id: int) -> list[dict[str, Any]]:
        return self.assistance.suggest(assistant, item_id)

    def prelabel(
        self,
        options: PrelabelOptions,
        on_event: EventCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> PrelabelOutcome:
        return self.prelabels.prelabel(options, on_event, cancel)

    def accept_suggestions_above(
        self, threshold: float, classes: Iterable[str | int] = (), sources: Iterable[str] = ()
    ) -> list[int]:
        return self.prelabels.accept_suggestions_above(threshold, classes, sources)

    def answer(
        self,
        assistant: str,
        item_id: int,
        *,
        points: Iterable[PointPrompt] = (),
        box: Sequence[float] | None = None,
        shape: AnswerShape = "mask",
        polygon_tolerance: float = 1.0,
    ) -> list[dict[str, Any]]:
        return self.assistance.answer(
            assistant,
            item_id,
            points=points,
            box=box,
            shape=shape,
            polygon_tolerance=polygon_tolerance,
        )

    # -- label errors ----------------------------------------------------------------------

    def find_label_issues(
        self,
        options: LabelQualityOptions | None = None,
        on_event: EventCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> list[LabelIssueRecord]:
        return self.label_errors.find_label_issues(options, on_event, cancel)

    def label_issues(self) -> list[LabelIssueRecord]:
        return self.label_errors.label_issues()

    def fix_label_issue(self, item_id: int, annotation_id: int | None = None) -> LabelIssueRecord:
        return self.label_errors.fix_label_issue(item_id, annotation_id)

    def keep_label(self, item_id: int, annotation_id: int | None = None) -> LabelIssueRecord:
        return self.label_errors.keep_label(item_id, annotation_id)

    # -- Segment Anything ------------------------------------------------------------------

    def set_sam_checkpoint(self, path: str | Path) -> SamCheckpointChoice:
        return self.sam.set_sam_checkpoint(path)

    def sam_checkpoint(self) -> SamCheckpointChoice | None:
        return self.sam.sam_checkpoint()

    def segment(
        self,
        item_id: int,
        points: Iterable[PointPrompt] = (),
        box: Sequence[float] | None = None,
        *,
        label: str | int | None = None,
        shape: AnswerShape = "polygon",
        multimask_index: int | None = None,
        polygon_tolerance: float = 1.0,
    ) -> list[int]:
        return self.sam.segment(
            item_id,
            points,
            box,
            label=label,
            shape=shape,
            multimask_index=multimask_index,
            polygon_tolerance=polygon_tolerance,
        )

    # -- the map of the data ----------------------------------------------------------------

    def data_map(
        self,
        item_ids: Sequence[int] = (),
        options: MapOptions = MapOptions(),
        on_event: EventCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> DataMap:
        return self.maps.data_map(item_ids, options, on_event, cancel)

    def map_colours(self, name: str, item_ids: Sequence[int]) -> dict[int, str | float | None]:
        return self.maps.map_colours(name, item_ids)

    # -- active-learning queue -------------------------------------------------------------

    def queue(
        self,
        options: QueueOptions = QueueOptions(),
        on_event: EventCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> ActiveQueue:
        return self.active_learning.queue(options, on_event, cancel)

    # -- labels ----------------------------------------------------------------------------

    def add_classes(self, classes: Iterable[str | Mapping[str, Any]]) -> list[LabelClassRecord]:
        return self.labels.add_classes(classes)

    def classes(self, include_archived: bool = True) -> list[LabelClassRecord]:
        return self.labels.classes(include_archived)

    def update_class(self, label: str | int, **values: Any) -> LabelClassRecord:
        return self.labels.update_class(label, **values)

    def set_class_schema(
        self,
        label: str | int,
        *,
        attributes: Iterable[Mapping[str, Any] | AttributeSpec] | None = None,
        keypoints: Sequence[str] | None = None,
        skeleton: Iterable[Sequence[int]] = (),
    ) -> LabelClassRecord:
        return self.labels.set_class_schema(
            label, attributes=attributes, keypoints=keypoints, skeleton=skeleton
        )

    def import_media(
        self,
        paths: str | Path | Iterable[str | Path],
        copy: bool = False,
        progress: ProgressCallback | None = None,
    ) -> ImportReport:
        return self.labels.import_media(paths, copy, progress)

    def relink(
        self,
        search_paths: str | Path | Iterable[str | Path],
        progress: ProgressCallback | None = None,
    ) -> RelinkReport:
        return self.labels.relink(search_paths, progress)

    def media_path(self, item: ItemRecord | int) -> Path:
        return self.labels.media_path(item)

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
        return self.labels.import_labels(
            source, options, dry_run=dry_run, progress=progress, cancel=cancel, **choices
        )

    def export_totals(
        self,
        split: str | None = None,
        item_ids: Iterable[int] | None = None,
        include_pending: bool = False,
        **filters: Any,
    ) -> tuple[int, int]:
        return self.labels.export_totals(split, item_ids, include_pending, **filters)

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
        return self.labels.export_labels(
            destination,
            format,
            split,
            item_ids,
            images,
            overwrite,
            progress,
            cancel,
            include_pending=include_pending,
            **filters,
        )

    @staticmethod
    def label_formats() -> list[LabelFormat]:
        return LabelsService.label_formats()

    @staticmethod
    def detect_label_format(source: str | Path) -> str:
        return LabelsService.detect_label_format(source)

    def items(self, limit: int | None = None, offset: int = 0, **filters: Any) -> list[ItemRecord]:
        return self.labels.items(limit, offset, **filters)

    def item_ids(self, **filters: Any) -> list[int]:
        return self.labels.item_ids(**filters)

    def count_items(self, **filters: Any) -> int:
        return self.labels.count_items(**filters)

    def items_by_ids(self, item_ids: Sequence[int]) -> list[ItemRecord]:
        return self.labels.items_by_ids(item_ids)

    def item_badges(self, item_ids: Sequence[int]) -> dict[int, tuple[int, list[int]]]:
        return self.labels.item_badges(item_ids)

    def item(self, item_id: int) -> ItemRecord:
        return self.labels.item(item_id)

    def set_status(
        self,
        item_ids: int | Iterable[int],
        status: str | ItemStatus,
        reason: str | None = None,
    ) -> None:
        return self.labels.set_status(item_ids, status, reason)

    def set_split(self, item_ids: int | Iterable[int], split: str | Split | None) -> None:
        return self.labels.set_split(item_ids, split)

    def tag_items(
        self,
        item_ids: int | Iterable[int],
        add: str | Iterable[str] = (),
        remove: str | Iterable[str] = (),
    ) -> None:
        return self.labels.tag_items(item_ids, add, remove)

    def remove_items(self, item_ids: int | Iterable[int]) -> None:
        return self.labels.remove_items(item_ids)

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
        return self.labels.annotate(
            item_id,
            label,
            box=box,
            polygon=polygon,
            mask=mask,
            keypoints=keypoints,
            polyline=polyline,
            rotated_box=rotated_box,
            source=source,
            score=score,
        )

    def add_annotations(self, annotations: Iterable[Mapping[str, Any]]) -> list[int]:
        return self.labels.add_annotations(annotations)

    def suggest_annotations(self, annotations: Iterable[Mapping[str, Any]]) -> list[int]:
        return self.labels.suggest_annotations(annotations)

    def accept_suggestions(self, annotation_ids: Iterable[int]) -> None:
        return self.labels.accept_suggestions(annotation_ids)

    def reject_suggestions(self, annotation_ids: Iterable[int]) -> None:
        return self.labels.reject_suggestions(annotation_ids)

    def update_annotation(
        self,
        annotation_id: int,
        *,
        geometry: Any = None,
        label: str | int | None = None,
        score: float | None = None,
    ) -> None:
        return self.labels.update_annotation(
            annotation_id, geometry=geometry, label=label, score=score
        )

    def set_annotation_attributes(self, annotation_id: int, values: Mapping[str, Any]) -> None:
        return self.labels.set_annotation_attributes(annotation_id, values)

    def delete_annotation(self, annotation_id: int) -> None:
        return self.labels.delete_annotation(annotation_id)

    def delete_annotations(self, annotation_ids: Iterable[int]) -> None:
        return self.labels.delete_annotations(annotation_ids)

    def clear_annotations(self, item_ids: int | Iterable[int]) -> int:
        return self.labels.clear_annotations(item_ids)

    def annotations(
        self, item_id: int, *, include_rejected: bool = False
    ) -> list[AnnotationRecord]:
        return self.labels.annotations(item_id, include_rejected=include_rejected)

    def set_image_tags(self, item_id: int, labels: Iterable[str | int]) -> list[int]:
        return self.labels.set_image_tags(item_id, labels)

    def copy_annotations(self, from_item: int, to_item: int) -> list[int]:
        return self.labels.copy_annotations(from_item, to_item)

    def set_class_of_shapes(self, annotation_ids: Iterable[int], label: str | int) -> int:
        return self.labels.set_class_of_shapes(annotation_ids, label)

    def paste_shapes(self, item_id: int, shapes: Iterable[AnnotationRecord]) -> list[int]:
        return self.labels.paste_shapes(item_id, shapes)

    def restack_shapes(self, annotation_ids: Iterable[int], *, to_front: bool) -> int:
        return self.labels.restack_shapes(annotation_ids, to_front=to_front)

    def settings(self) -> dict[str, Any]:
        return self.labels.settings()

    def setting(self, key: str, default: Any = None) -> Any:
        return self.labels.setting(key, default)

    def set_setting(self, key: str, value: Any) -> None:
        return self.labels.set_setting(key, value)

    def undo(self) -> HistoryStep:
        return self.labels.undo()

    def redo(self) -> HistoryStep:
        return self.labels.redo()

    def can_undo(self) -> bool:
        return self.labels.can_undo()

    def can_redo(self) -> bool:
        return self.labels.can_redo()

    def stats(self) -> ProjectStats:
        return self.labels.stats()

    def poll_changes(self) -> bool:
        return self.labels.poll_changes()

    def labels_revision(self) -> tuple[Any, ...]:
        return self.labels.labels_revision()

    # -- experiments -----------------------------------------------------------------------

    def preview_split(
        self, ratios: Ratios = None, seed: int = 0, keep_test: bool = True
    ) -> SplitPlan:
        return self.experiments.preview_split(ratios, seed, keep_test)

    def create_version(
        self,
        name: str | None = None,
        ratios: Ratios = None,
        seed: int = 0,
        keep_test: bool = True,
        note: str = "",
    ) -> VersionRecord:
        return self.experiments.create_version(name, ratios, seed, keep_test, note)

    def versions(self) -> list[VersionRecord]:
        return self.experiments.versions()

    def version(self, version: int | str) -> VersionRecord:
        return self.experiments.version(version)

    def latest_version(self) -> VersionRecord | None:
        return self.experiments.latest_version()

    def version_items(self, version: int | str, split: str | None = None) -> list[VersionItem]:
        return self.experiments.version_items(version, split)

    def delete_version(self, version: int | str) -> None:
        return self.experiments.delete_version(version)

    def new_run(
        self,
        version: int | str | None = None,
        task: str = "classification",
        model: str | None = None,
        preset: str = "balanced",
        name: str | None = None,
        **settings: Any,
    ) -> Run:
        return self.experiments.new_run(version, task, model, preset, name, **settings)

    def preset_basis(self, version: int | str | None = None, device: str = "auto") -> PresetBasis:
        return self.experiments.preset_basis(version, device)

    def train(
        self,
        version: int | str | None = None,
        task: str = "classification",
        model: str | None = None,
        preset: str = "balanced",
        on_event: EventCallback | None = None,
        name: str | None = None,
        **settings: Any,
    ) -> Run:
        return self.experiments.train(version, task, model, preset, on_event, name, **settings)

    def runs(self, version: int | str | None = None) -> list[Run]:
        return self.experiments.runs(version)

    def run(self, run: int | str) -> Run:
        return self.experiments.run(run)

    def run_records(self) -> list[RunRecord]:
        return self.experiments.run_records()

    def delete_run(self, run: int | str) -> None:
        return self.experiments.delete_run(run)

    # -- models ----------------------------------------------------------------------------

    def register_model(
        self,
        run: int | str | Run,
        name: str | None = None,
        checkpoint: str = "best.pt",
        notes: str = "",
    ) -> ModelVersionRecord:
        return self.models.register_model(run, name, checkpoint, notes)

    def model_names(self) -> list[str]:
        return self.models.model_names()

    def model(self, ref: str) -> ModelVersionRecord:
        return self.models.model(ref)

    def set_alias(self, name: str, version: int, alias: str) -> ModelVersionRecord:
        return self.models.set_alias(name, version, alias)

    def remove_alias(self, name: str, alias: str) -> None:
        return self.models.remove_alias(name, alias)

    def delete_model_version(self, name: str, version: int) -> None:
        return self.models.delete_model_version(name, version)

    def lineage(self, ref: str) -> dict[str, Any]:
        return self.models.lineage(ref)

    def export_command(
        self,
        source: ExportSource,
        out: str | Path,
        options: ExportOptions | None = None,
        **settings: Any,
    ) -> list[str]:
        return self.models.export_command(source, out, options, **settings)

    def export_model(
        self,
        source: ExportSource,
        out: str | Path,
        options: ExportOptions | None = None,
        *,
        on_event: EventCallback | None = None,
        **settings: Any,
    ) -> dict[str, Any]:
        return self.models.export_model(source, out, options, on_event=on_event, **settings)

    # -- analysis --------------------------------------------------------------------------

    def confusion_cells(
        self,
        evaluation_id: int,
        score_threshold: float = error_analysis.DEFAULT_SCORE_THRESHOLD,
        iou_threshold: float = error_analysis.DEFAULT_IOU_THRESHOLD,
    ) -> dict[str, Any]:
        return self.analysis.confusion_cells(evaluation_id, score_threshold, iou_threshold)

    def precision_recall_curves(self, evaluation_id: int) -> dict[str, dict[str, Any]]:
        return self.analysis.precision_recall_curves(evaluation_id)

    def detection_errors(
        self,
        evaluation_id: int,
        score_threshold: float = error_analysis.DEFAULT_SCORE_THRESHOLD,
        iou_threshold: float = error_analysis.DEFAULT_IOU_THRESHOLD,
        poor_iou: float = error_analysis.DEFAULT_POOR_IOU,
    ) -> list[dict[str, Any]]:
        return self.analysis.detection_errors(
            evaluation_id, score_threshold, iou_threshold, poor_iou
        )

    def evaluation_items(self, evaluation_id: int) -> list[VersionItem]:
        return self.analysis.evaluation_items(evaluation_id)

    def version_item_path(self, item: VersionItem) -> Path:
        return self.analysis.version_item_path(item)

    # -- data health -----------------------------------------------------------------------

    def find_duplicates(self, options: DuplicateOptions | None = None) -> DuplicateReport:
        return self.data_health.find_duplicates(options)

    def dismiss_duplicates(self, group: DuplicateGroup) -> None:
        self.data_health.dismiss_duplicates(group)

    def duplicate_leaks(
        self, version: int | str, options: DuplicateOptions | None = None
    ) -> list[SplitLeak]:
        return self.data_health.duplicate_leaks(version, options)

    def health(self) -> DatasetHealth:
        return self.data_health.health()
