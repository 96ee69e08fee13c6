"""Studio's hook specifications: every place a plugin can add to or follow Studio.

A plugin implements any of these by defining a function of the same name marked
`@studio.plugins.hookimpl`; it may take fewer arguments than the specification names. Three
kinds:

- Registry hooks return a list of entries (formats, architectures, tools…). Studio calls them
  when it first needs the registry and again after a plugin is enabled or disabled.
- Event hooks tell a plugin that something happened. They run after the change is committed,
  so a failing plugin cannot undo it; their return value is ignored.
- `studio_training_callbacks` returns objects the training loop calls inside the worker.

Each docstring says when the hook is called, in which process, and what to return. Every hook
is listed with an example in docs/plugins.md; `tests/plugins/test_hookspecs.py` fails when one
is not.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.plugins.markers import hookspec

if TYPE_CHECKING:
    from studio.api import Project
    from studio.core.formats import LabelFormat
    from studio.core.map_colours import ColouringSpec
    from studio.core.model_registry import ModelVersionRecord
    from studio.core.runs import RunRecord
    from studio.core.versions import VersionRecord
    from studio.ml.architectures import ArchitectureSpec
    from studio.ml.augment import AugmentationSpec
    from studio.ml.callbacks import TrainingCallback
    from studio.ml.export.targets import ExportTargetSpec
    from studio.ml.metrics import MetricSpec
    from studio.plugins.specs import AssistantSpec, PanelSpec, ToolSpec


# -- registries ----------------------------------------------------------------------------


@hookspec
def studio_label_formats() -> list[LabelFormat]:
    """Label formats to import and export (`LabelFormat` subclasses' instances).

    Called in any process that imports or exports labels or lists formats (the window, the
    CLI, scripts). Return a list; the names must not clash with another plugin's.
    """


@hookspec
def studio_model_architectures() -> list[ArchitectureSpec]:
    """Trainable model architectures, each with the tasks it serves, how to build it and how
    it exports to ONNX.

    Called in the process that lists architectures (window, CLI) and in training, evaluation
    and export workers. Return a list of `ArchitectureSpec`; import torch inside your builder,
    not at module level, so listing stays fast.
    """


@hookspec
def studio_export_targets() -> list[ExportTargetSpec]:
    """Ways to export a trained model besides Studio's ONNX bundle (for example TensorRT).

    Called in the export worker and by the export dialog and CLI to list the choices. Return a
    list of `ExportTargetSpec`.
    """


@hookspec
def studio_assistants() -> list[AssistantSpec]:
    """Labeling assistants: pre-labelers that suggest annotations for whole images, and
    interactive assistants that answer clicks and boxes (as Segment Anything does).

    Called in the process that lists or uses assistants (the window, the CLI, scripts). Return
    a list of `AssistantSpec`.
    """


@hookspec
def studio_metrics() -> list[MetricSpec]:
    """Extra evaluation metrics, computed beside Studio's own on every evaluation.

    Called in the evaluation worker. Return a list of `MetricSpec`; the values are stored with
    the evaluation and shown in the Evaluation view.
    """


@hookspec
def studio_augmentations() -> list[AugmentationSpec]:
    """Training augmentations a user can pick by name in the training settings.

    Called in the process that checks training settings and in the training worker. Return a
    list of `AugmentationSpec`.
    """


@hookspec
def studio_canvas_tools() -> list[ToolSpec]:
    """Canvas tools for the labeling workspace: a toolbar button, a key and a help line each.

    Called in the window process only, when the workspace is built. Return a list of
    `ToolSpec`; the factory builds the tool from the canvas view.
    """


@hookspec
def studio_window_panels() -> list[PanelSpec]:
    """Window panels (docks), listed in the View menu.

    Called in the window process only, when the window is built or a plugin is enabled.
    Return a list of `PanelSpec`; the factory builds the widget from the window's panel
    context.
    """


@hookspec
def studio_map_colourings() -> list[ColouringSpec]:
    """Ways to colour the points of the map of the data ("Colour by" in its window, and
    `Project.map_colours`).

    Called in the process that shows or exports the map (the window, a script). Return a list
    of `ColouringSpec`; its `values(connection, item_ids)` reads the project and returns a
    category or a score per item.
    """


# -- events --------------------------------------------------------------------------------


@hookspec
def studio_project_opened(project: Project) -> None:
    """A project was opened (window, CLI, script), after its plugins folder was loaded.

    Called in the process that opened it. Do not keep `project` past `studio_project_closing`.
    """


@hookspec
def studio_project_closing(project: Project) -> None:
    """A project is about to close; it is still open and usable during the call.

    Called in the process that opened it.
    """


@hookspec
def studio_annotations_committed(project: Project, item_ids: list[int], description: str) -> None:
    """An edit that changed annotations was committed (one undo step).

    Called in the process that made the edit, after the commit: `item_ids` are the items whose
    annotations changed, `description` the undo step's name ("add box crow").
    """


@hookspec
def studio_version_created(project: Project, version: VersionRecord) -> None:
    """A dataset version was frozen. Called in the process that created it, after the commit."""


@hookspec
def studio_run_started(project_path: Path, run: RunRecord, version: VersionRecord) -> None:
    """A training run started (or resumed) in its worker process, before the first epoch.

    `run.config` holds the full training settings; `version` is the dataset version it trains on.
    """


@hookspec
def studio_epoch_ended(
    project_path: Path, run: RunRecord, epoch: int, metrics: Mapping[str, float]
) -> None:
    """A training epoch ended and its metrics were stored. Called in the training worker."""


@hookspec
def studio_run_finished(
    project_path: Path, run: RunRecord, status: str, artifacts: Mapping[str, Path]
) -> None:
    """A training run ended: `status` is "finished", "failed" or "cancelled"; `artifacts`
    maps artifact names ("best.pt", "last.pt") to their files. Called in the training worker.
    """


@hookspec
def studio_model_registered(project: Project, model: ModelVersionRecord) -> None:
    """A trained model version was added to the project's model registry.

    Called in the process that registered it, after the commit.
    """


@hookspec
def studio_model_exported(project_path: Path, bundle: Path, manifest: Mapping[str, Any]) -> None:
    """A deployment bundle was written and recorded. `manifest` is the bundle's manifest.json
    (with the run id, model name and version, and test metrics). Called in the export worker.
    """


# -- inside training -----------------------------------------------------------------------


@hookspec
def studio_training_callbacks(run: RunRecord) -> list[TrainingCallback]:
    """Objects the training loop calls at its steps (see `studio.ml.callbacks`), for example
    to log to a tracker or stop early. Called once per run, in the training worker.
    """
