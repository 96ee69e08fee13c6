"""The models service: the project's model registry and deployment bundles.

    version = project.register_model("resnet18-1", name="digits")      # digits:1
    project.set_alias("digits", 1, "production")
    project.model("digits:production").metrics["accuracy"]
    project.lineage("digits:production")["dataset_version"]["content_hash"]
    exported = project.export_model("digits:production", "bundles/digits", zip=True)
    exported["parity"]["passed"]

A registered model version points at one checkpoint of one finished run (its sha256 is kept,
so the file cannot be swapped silently). Exports run in a worker process
(`python -m studio.jobs.worker export ...`), the same one the GUI and the CLI start; this
module imports no torch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from studio.api.context import ProjectContext
from studio.api.events import ProjectEvents
from studio.api.experiments import EventCallback, Run
from studio.core import model_registry
from studio.core.errors import ExportError
from studio.core.export_options import ExportOptions
from studio.core.model_registry import ModelVersionRecord
from studio.jobs.export_job import export_command, resolve_source
from studio.jobs.launcher import WorkerJob

ExportSource = str | int | Run | ModelVersionRecord


def source_text(source: ExportSource) -> str:
    """The worker's SOURCE argument: a run id, a run name or a model reference."""
    if isinstance(source, ModelVersionRecord):
        return source.ref
    if isinstance(source, Run):
        return str(source.id)
    return str(source)


def run_export_worker(
    project_path: Path, argv: list[str], on_event: EventCallback | None
) -> dict[str, Any]:
    """Start an export worker, pass its events on, wait; its `exported` event.

    Ctrl-C here stops the worker (nothing is left at OUT). Raises ExportError with the
    worker's message when the export failed or was cancelled.
    """
    outcome = WorkerJob.start(project_path, argv).follow(on_event)
    exported = outcome.last.get("exported")
    if outcome.code == 0 and exported is not None:
        return exported
    if outcome.failure:
        raise ExportError(outcome.failure)
    raise ExportError(f"the export worker stopped without a bundle: {outcome.detail()}")


class ModelsService:
    """Registered model versions, aliases, lineage and exports; `Project` delegates to it."""

    def __init__(self, context: ProjectContext, events: ProjectEvents) -> None:
        self._context = context
        self._events = events

    # -- the registry ----------------------------------------------------------------------

    def register_model(
        self,
        run: int | str | Run,
        name: str | None = None,
        checkpoint: str = "best.pt",
        notes: str = "",
    ) -> ModelVersionRecord:
        """Register a checkpoint of a finished run as the next version of model `name`
        (default: "<task>-<model>"), with the run's test metrics."""
        context = self._context
        record = model_registry.register_model(
            context.database,
            run.id if isinstance(run, Run) else run,
            name=name,
            checkpoint=checkpoint,
            notes=notes,
            author=context.author,
            store_dir=context.store_dir,
        )
        self._events.model_registered(record)
        return record

    def __call__(self, name: str | None = None) -> list[ModelVersionRecord]:
        """`project.models()`: every registered model version (of one model when named), by
        name and version. (`project.models` is this service, so the flat call still works.)"""
        with self._context.database.read() as connection:
            return model_registry.list_model_versions(connection, name)

    def model_names(self) -> list[str]:
        with self._context.database.read() as connection:
            return model_registry.model_names(connection)

    def model(self, ref: str) -> ModelVersionRecord:
        """A model version by reference: "NAME" (latest), "NAME:3", "NAME:v3", "NAME:ALIAS"."""
        with self._context.database.read() as connection:
            return model_registry.resolve_model(connection, ref)

    def set_alias(self, name: str, version: int, alias: str) -> ModelVersionRecord:
        """Point `alias` ("production", "staging", ...) at a version, moving it if needed."""
        return model_registry.set_alias(self._context.database, name, int(version), alias)

    def remove_alias(self, name: str, alias: str) -> None:
        model_registry.remove_alias(self._context.database, name, alias)

    def delete_model_version(self, name: str, version: int) -> None:
        """Forget a registered version and its aliases (the run and its files stay)."""
        model_registry.delete_model_version(self._context.database, name, int(version))

    def lineage(self, ref: str) -> dict[str, Any]:
        """Where a model version comes from: its run (config, seed, environment), the
        dataset version (content hash, counts, classes) and the item ids of each split."""
        with self._context.database.read() as connection:
            return model_registry.lineage(connection, ref)

    # -- exports ---------------------------------------------------------------------------

    def export_command(
        self,
        source: ExportSource,
        out: str | Path,
        options: ExportOptions | None = None,
        **settings: Any,
    ) -> list[str]:
        """The argv of the export worker (the GUI runs it in a QProcess). `settings` are
        `ExportOptions` fields (zip=True, nms="manifest", target="torchscript"…) changed
        from `options` (default: Studio's ONNX bundle)."""
        chosen = (options or ExportOptions()).changed(**settings)
        return export_command(self._context.path, source_text(source), Path(out).resolve(), chosen)

    def export_model(
        self,
        source: ExportSource,
        out: str | Path,
        options: ExportOptions | None = None,
        *,
        on_event: EventCallback | None = None,
        **settings: Any,
    ) -> dict[str, Any]:
        """Export a run (id, name, `Run`) or a model version ("NAME", "NAME:3",
        "NAME:production", a record) as a deployment bundle at `out` (and `out`.zip), or
        with another export target (`target="..."`); `settings` as in `export_command`.

        Runs in a worker process; returns its `exported` event: "folder", "zip", "parity"
        (the gate's report), "quantization", "source". Raises ExportError when the parity
        gate or anything else failed, in which case nothing is written at `out`.
        """
        text = source_text(source)
        with self._context.database.read() as connection:
            resolve_source(connection, text)  # an unknown source fails here, with its name
        argv = self.export_command(text, out, options, **settings)
        return run_export_worker(self._context.path, argv, on_event)
