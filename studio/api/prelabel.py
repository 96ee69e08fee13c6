"""The pre-label service: a model's predictions over items, stored as pending suggestions.

    outcome = project.prelabel(PrelabelOptions("digits:production"))  # unlabeled items
    project.prelabel(PrelabelOptions("exports/digits.zip", item_ids=(3, 4), threshold=0.5))
    project.prelabel(PrelabelOptions("assistant:darkest-box"))  # a plugin's pre-labeler
    project.accept_suggestions_above(0.9, classes=["cat"])    # one undo step

Runs, model versions and bundles are predicted in a `prelabel` worker (`studio.jobs`), so
this process never imports torch; a plugin's pre-labeler runs here, where the plugin is
loaded, through the same batches and suggestions. The classes are mapped before any worker
starts: a model class the project lacks raises a `ClassMappingError` naming it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.api.assistance import AssistanceService
from studio.api.context import ProjectContext
from studio.api.labels import LabelsService
from studio.bundle.manifest import BundleError, class_names, read_manifest
from studio.bundle.runtime import Bundle
from studio.core import suggestions
from studio.core.classes import find_class
from studio.core.errors import StudioError
from studio.core.prelabels import PrelabelOptions, items_to_prelabel, map_classes
from studio.core.records import ItemRecord
from studio.jobs.launcher import WorkerJob
from studio.jobs.prelabel_job import (
    OnSkipped,
    bundle_model_name,
    bundle_path,
    model_name,
    prelabel_command,
    prelabel_items,
    resolve_model_source,
)
from studio.jobs.worker import EXIT_CANCELLED

EventCallback = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class PrelabelOutcome:
    """How a pre-labeling ended: its counts, whether it was cancelled, the model's name."""

    model: str
    items: int
    suggestions: int
    skipped: int
    cancelled: bool = False
    skipped_errors: tuple[str, ...] = field(default=())


class PrelabelService:
    """Model sources, class mapping, pre-labeling and threshold acceptance."""

    def __init__(
        self, context: ProjectContext, labels: LabelsService, assistance: AssistanceService
    ) -> None:
        self._context = context
        self._labels = labels
        self._assistance = assistance

    def model_classes(self, source: str) -> tuple[str, list[str]]:
        """(the model's name, its classes in output order) for a source, without torch."""
        options = PrelabelOptions(source)
        if options.assistant:
            self._assistance_spec(options.assistant)
            return f"assistant {options.assistant}", self._project_classes()
        bundle = bundle_path(source)
        if bundle is not None:
            try:
                manifest = bundle_manifest(bundle)
                return bundle_model_name(manifest, bundle), class_names(manifest, bundle)
            except BundleError as error:
                raise StudioError(str(error)) from None
        from studio.core import runs, versions

        with self._context.database.read() as connection:
            record = resolve_model_source(connection, source)
            run_id = getattr(record, "run_id", None) or record.id
            run = runs.get_run(connection, run_id)
            version = versions.get_version(connection, run.version_id)
        return model_name(record), [entry.name for entry in version.classes]

    def class_mapping(self, options: PrelabelOptions) -> dict[str, str]:
        """Model class → project class for `options`, or a ClassMappingError naming the
        model classes the project lacks (see `studio.core.prelabels.map_classes`)."""
        name, classes = self.model_classes(options.source)
        return map_classes(classes, self._project_classes(), options.class_mapping, name)

    def items_to_prelabel(self, options: PrelabelOptions) -> list[int]:
        """The ids of the items `options` would pre-label now."""
        with self._context.database.read() as connection:
            return items_to_prelabel(connection, options)

    def prelabel(
        self,
        options: PrelabelOptions,
        on_event: EventCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> PrelabelOutcome:
        """Store the model's predictions for the chosen items as pending suggestions, one
        transaction per batch. Ctrl-C (an exception in `on_event`) or setting `cancel`
        stops it between batches; the batches done keep their suggestions."""
        self._context.database.check_writable()
        name, classes = self.model_classes(options.source)
        mapping = map_classes(classes, self._project_classes(), options.class_mapping, name)
        ids = self.items_to_prelabel(options)
        if options.assistant:
            return self._prelabel_here(options, mapping, ids, on_event, cancel)
        if not ids:
            return PrelabelOutcome(name, 0, 0, 0)
        # Every item: the worker chooses them itself, keeping its command line short.
        everything = options.item_ids is None and options.filter is None
        command = prelabel_command(
            self._context.path, options, None if everything else ids, self._context.author
        )
        job = WorkerJob.start(self._context.path, command)
        if cancel is not None:
            job.cancel_when_set(cancel)
        skipped: list[str] = []

        def follow(event: dict[str, Any]) -> None:
            if event.get("event") == "skipped":
                skipped.append(str(event.get("error")))
            if on_event is not None:
                on_event(event)

        outcome = job.follow(follow)
        cancelled = outcome.code == EXIT_CANCELLED or (cancel is not None and cancel.is_set())
        if outcome.code not in (0, EXIT_CANCELLED) and not cancelled:
            raise StudioError(outcome.detail())
        summary = outcome.last.get("finished", {}).get("summary", {})
        return PrelabelOutcome(
            name,
            int(summary.get("items", 0)),
            int(summary.get("suggestions", 0)),
            int(summary.get("skipped", len(skipped))),
            cancelled,
            tuple(skipped),
        )

    def accept_suggestions_above(
        self, threshold: float, classes: Iterable[str | int] = (), sources: Iterable[str] = ()
    ) -> list[int]:
        """Accept every pending suggestion scoring at least `threshold` (of `classes` and
        `sources` when given), as one undo step; returns their ids."""
        if not 0.0 <= threshold <= 1.0:
            raise StudioError(f"the threshold must be between 0 and 1, not {threshold}")
        with self._context.database.read() as connection:
            class_ids = [find_class(connection, label).id for label in classes]
            ids = suggestions.pending_at_least(connection, threshold, class_ids, sources)
        if ids:
            self._labels.accept_suggestions(ids)
        return ids

    # -- helpers -----------------------------------------------------------------------------

    def _project_classes(self) -> list[str]:
        return [record.name for record in self._labels.classes(include_archived=False)]

    def _assistance_spec(self, name: str) -> Any:
        for spec in self._assistance.assistants():
            if spec.name == name and spec.kind == "pre-labeler":
                return spec
        known = [spec.name for spec in self._assistance.assistants() if spec.kind == "pre-labeler"]
        raise StudioError(
            f"no pre-labeler assistant named {name!r}; available: {', '.join(known) or 'none'}"
        )

    def _prelabel_here(
        self,
        options: PrelabelOptions,
        mapping: dict[str, str],
        ids: Sequence[int],
        on_event: EventCallback | None,
        cancel: threading.Event | None,
    ) -> PrelabelOutcome:
        """A plugin's pre-labeler, in this process (where the plugin is loaded)."""
        predictor = AssistantPredictor(self._assistance, options.assistant, self._project_classes())
        skipped: list[str] = []

        def emit(event: dict[str, Any]) -> None:
            if event.get("event") == "skipped":
                skipped.append(str(event.get("error")))
            if on_event is not None:
                on_event(event)

        summary = prelabel_items(
            self._context.database,
            ids,
            predictor,
            mapping,
            options,
            self._context.author,
            emit=emit,
            cancel=cancel,
        )
        return PrelabelOutcome(
            predictor.name,
            summary.items,
            summary.suggestions,
            summary.skipped,
            summary.cancelled,
            tuple(skipped),
        )


def bundle_manifest(bundle: Path) -> dict[str, Any]:
    """A bundle's manifest: read from its folder, or from a zip once unpacked (unverified:
    the worker that runs the bundle checks every file's sha256)."""
    if bundle.is_dir():
        return read_manifest(bundle)
    with Bundle.load(bundle, verify=False) as loaded:
        return loaded.manifest


class AssistantPredictor:
    """A plugin's pre-labeler as a pre-labeling model: its suggestions name project classes
    and carry the scores it gave (none when it gave none)."""

    def __init__(self, assistance: AssistanceService, name: str, classes: list[str]) -> None:
        self._assistance = assistance
        self.assistant = name
        self.classes = classes
        self.name = f"assistant {name}"

    def predict(self, items: Sequence[ItemRecord], skipped: OnSkipped) -> list[dict[str, Any]]:
        predictions = []
        for item in items:
            try:
                predictions += self._assistance.suggest(self.assistant, item.id)
            except OSError as error:
                skipped(item.id, str(error))
        return predictions

    def close(self) -> None:
        """The assistant stays created for the process (see `AssistanceService`)."""
