"""The stable scripting API of Studio: what plugin scripts, notebooks, plugins, the CLI and
tests use. Everything a script or plugin needs is importable from here.

    from studio.api import Project

    with Project.create("birds.studio") as project:
        project.add_classes(["sparrow", "crow"])
        report = project.import_media(["photos/"])
        item = project.items(status="new", limit=1)[0]
        project.annotate(item.id, "crow", box=[10, 20, 100, 80])
        project.undo()

`Project` (in `studio.api.project`) holds one `ProjectContext` and the services that do the
work: `labels`, `experiments`, `models`, `analysis`, `assistance`, `sam`, `data_health` (one
module each here).
"""

from __future__ import annotations

from studio.api.context import ProjectContext
from studio.api.data_health import DuplicatesAcrossSplitsWarning
from studio.api.data_map import DataMap, MapOptions, MapPoint
from studio.api.experiments import Run, SettingAdjustedWarning
from studio.api.prelabel import PrelabelOutcome
from studio.api.project import Project
from studio.api.sam import SamCheckpointChoice
from studio.core.attributes import ATTRIBUTE_TYPES, AttributeSpec, attribute_schema, checked_value
from studio.core.classes import KeypointSchema, keypoint_schema
from studio.core.duplicates import DuplicateGroup, DuplicateOptions, DuplicateReport
from studio.core.enums import (
    AnnotationKind,
    AnnotationSource,
    ItemStatus,
    ReviewState,
    RunStatus,
    Split,
    Task,
)
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
from studio.core.export_options import ExportOptions
from studio.core.formats import LabelFormat
from studio.core.formats.exporter import LabelExportReport
from studio.core.formats.import_options import LabelImportOptions
from studio.core.formats.importer import LabelImportReport
from studio.core.history import HistoryStep
from studio.core.map_colours import ColouringSpec
from studio.core.media import ImportReport, RelinkReport
from studio.core.model_registry import ModelVersionRecord
from studio.core.prelabels import ClassMappingError, PrelabelOptions
from studio.core.prompts import Point, PromptError, Prompts
from studio.core.records import AnnotationRecord, ItemRecord, LabelClassRecord
from studio.core.runs import ArtifactRecord, EvaluationRecord, PredictionRecord, RunRecord
from studio.core.settings import LABELING_MODE, LABELING_MODES
from studio.core.stats import DatasetHealth, ProjectStats
from studio.core.versions import SplitPlan, SplitRatios, VersionItem, VersionRecord
from studio.plugins.manager import PluginError, PluginInfo
from studio.plugins.markers import PLUGIN_API_VERSION, hookimpl
from studio.plugins.specs import AssistantSpec, PanelSpec, ToolSpec

__all__ = [
    "ATTRIBUTE_TYPES",
    "LABELING_MODE",
    "LABELING_MODES",
    "PLUGIN_API_VERSION",
    "AnnotationKind",
    "AnnotationRecord",
    "AnnotationSource",
    "ArtifactRecord",
    "AssistantSpec",
    "AttributeSpec",
    "CheckpointError",
    "ClassMappingError",
    "ColouringSpec",
    "DamagedProjectError",
    "DataMap",
    "DatasetHealth",
    "DuplicateGroup",
    "DuplicateOptions",
    "DuplicateReport",
    "DuplicatesAcrossSplitsWarning",
    "EvaluationRecord",
    "ExportError",
    "ExportOptions",
    "HistoryConflictError",
    "HistoryStep",
    "ImportReport",
    "InvalidEditError",
    "ItemRecord",
    "ItemStatus",
    "KeypointSchema",
    "LabelClassRecord",
    "LabelExportError",
    "LabelExportReport",
    "LabelFormat",
    "LabelImportError",
    "LabelImportOptions",
    "LabelImportReport",
    "MapOptions",
    "MapPoint",
    "ModelRegistryError",
    "ModelVersionRecord",
    "NewerProjectError",
    "NotAProjectError",
    "NothingToUndoError",
    "OperationCancelledError",
    "PanelSpec",
    "PluginError",
    "PluginInfo",
    "Point",
    "PredictionRecord",
    "PrelabelOptions",
    "PrelabelOutcome",
    "Project",
    "ProjectContext",
    "ProjectFileError",
    "ProjectStats",
    "PromptError",
    "Prompts",
    "ReadOnlyProjectError",
    "RelinkReport",
    "ReviewState",
    "Run",
    "RunError",
    "RunRecord",
    "RunStatus",
    "SamCheckpointChoice",
    "SettingAdjustedWarning",
    "Split",
    "SplitPlan",
    "SplitRatios",
    "StudioError",
    "Task",
    "ToolSpec",
    "TrainingConfigError",
    "VersionError",
    "VersionItem",
    "VersionRecord",
    "attribute_schema",
    "checked_value",
    "hookimpl",
    "keypoint_schema",
]
