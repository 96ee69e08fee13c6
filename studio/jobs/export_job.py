"""Exporting a finished run, or a registered model version, as a deployment bundle.

    python -m studio.jobs.worker export PROJECT SOURCE OUT [--zip] [--int8] [--nms manifest]

SOURCE is a run (id or name) or a registered model: `NAME` (its latest version), `NAME:3`,
`NAME:v3` or `NAME:production` (an alias). The bundle is built beside OUT and renamed into
place only when the parity gate passed, so a failed export leaves nothing at OUT.

This module imports no torch at load time (the API and the GUI build the worker's command line
with `export_command`); the exporter is imported when an export runs.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.core import model_registry, runs, versions
from studio.core.database import Database
from studio.core.errors import ExportError, RunError
from studio.core.export_options import ExportOptions
from studio.core.model_registry import ModelVersionRecord
from studio.core.object_store import file_sha256
from studio.core.project_file import open_project_file, store_dir_of
from studio.core.runs import ArtifactRecord, RunRecord
from studio.core.versions import VersionItem
from studio.jobs import events
from studio.jobs.launcher import WORKER_MODULE
from studio.jobs.run_context import Emit, checkpoint_name
from studio.plugins.manager import plugins

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from studio.ml.export.source import ExportSource
    from studio.ml.export.targets import ExportReport

Source = RunRecord | ModelVersionRecord

PARITY_SPLITS = ("test", "val", "train")
DEFAULT_CHECKPOINTS = ("best.pt", "last.pt")


def export_command(
    project_path: Path, source: str, out: Path, options: ExportOptions = ExportOptions()
) -> list[str]:
    """The full argv of an export worker (`python -m studio.jobs.worker export ...`)."""
    positional = [str(Path(project_path)), str(source), str(Path(out))]
    return [sys.executable, "-m", WORKER_MODULE, "export", *positional, *options.to_argv()]


def _is_run_id(source: str) -> bool:
    return source.isdigit()


def _find_run(connection: Connection, source: str) -> RunRecord | None:
    try:
        return runs.get_run(connection, int(source) if _is_run_id(source) else source)
    except RunError:
        return None


def resolve_source(connection: Connection, source: str) -> Source:
    """The run or model version SOURCE names.

    `NAME:SUFFIX` is always a model reference and digits are always a run id. A bare name is
    the run of that name or the latest version of the registered model of that name; a name
    that is both is refused rather than guessed.
    """
    text = source.strip()
    if not text:
        raise ExportError("nothing to export: name a run (id or name) or a model (NAME[:VERSION])")
    if ":" in text:
        return model_registry.resolve_model(connection, text)
    run = _find_run(connection, text)
    if _is_run_id(text):
        if run is None:
            raise RunError(f"no run with id {text}")
        return run
    is_model = text in model_registry.model_names(connection)
    if run is not None and is_model:
        raise ExportError(
            f"{text!r} is both a run and a registered model; write run id {run.id} for the run "
            f"or {text}:VERSION (or an alias) for the model"
        )
    if is_model:
        return model_registry.resolve_model(connection, text)
    if run is not None:
        return run
    raise ExportError(f"{text!r} is neither a run (id or name) nor a registered model")


def describe_source(source: Source) -> dict[str, Any]:
    """What an export event says about its source."""
    if isinstance(source, ModelVersionRecord):
        return {"kind": "model", "ref": source.ref, "run_id": source.run_id, "run": source.run_name}
    return {"kind": "run", "ref": source.name, "run_id": source.id, "run": source.name}


# -- loading the source as values ------------------------------------------------------------


def _checkpoint_artifact(
    connection: Connection, run: RunRecord, model: ModelVersionRecord | None, requested: str | None
) -> ArtifactRecord:
    """The checkpoint to export: the one asked for, the model version's, else best or last."""
    if requested:
        name = checkpoint_name(requested)
    elif model is not None:
        name = model.checkpoint
    else:
        names = {artifact.name for artifact in runs.artifacts_of(connection, run.id)}
        found = [name for name in DEFAULT_CHECKPOINTS if name in names]
        if not found:
            raise ExportError(
                f"run {run.name} has no checkpoint to export (it has not trained an epoch)"
            )
        name = found[0]
    try:
        return runs.get_artifact(connection, run.id, name)
    except RunError as error:
        raise ExportError(str(error)) from None


def _check_checkpoint(
    path: Path, artifact: ArtifactRecord, run: RunRecord, model: ModelVersionRecord | None
) -> str:
    """The checkpoint's sha256; ExportError when the file is missing or changed since it was
    recorded (or since the model version was registered)."""
    if not path.is_file():
        raise ExportError(f"run {run.name}: checkpoint {artifact.name} is missing ({path})")
    actual = file_sha256(path)
    if model is not None and model.checkpoint_sha256 and actual != model.checkpoint_sha256:
        raise ExportError(
            f"model {model.ref}: checkpoint {path} changed since it was registered "
            f"(sha256 {actual[:12]}…, registered {model.checkpoint_sha256[:12]}…)"
        )
    if artifact.sha256 and actual != artifact.sha256:
        raise ExportError(
            f"run {run.name}: checkpoint {path} does not match its record "
            f"(sha256 {actual[:12]}…, recorded {artifact.sha256[:12]}…)"
        )
    return actual


def _test_metrics(run: RunRecord, model: ModelVersionRecord | None) -> dict[str, Any]:
    if model is not None and model.metrics:
        return dict(model.metrics)
    figures = dict(run.summary.get("test") or {})
    if figures:
        figures.setdefault("split", run.summary.get("test_split", "test"))
    return figures


def _parity_items(
    connection: Connection, run: RunRecord, class_index: Any, count: int
) -> tuple[list[VersionItem], list[str]]:
    """Up to `count` usable items, held-out first: test, then val, then train."""
    from studio.ml.data import usable_items

    chosen: list[VersionItem] = []
    splits: list[str] = []
    for split in PARITY_SPLITS:
        if len(chosen) >= count:
            break
        items = versions.version_items(connection, run.version_id, split)
        usable, _ = usable_items(items, run.task, class_index)
        taken = usable[: count - len(chosen)]
        chosen += taken
        splits += [split] * len(taken)
    return chosen, splits


def load_export_source(
    database: Database, project_path: Path, record: Source, options: ExportOptions
) -> ExportSource:
    """What the exporter needs of a run or model version, read from the project as values."""
    from studio.ml.data import ClassIndex
    from studio.ml.export.manifest_builder import preprocess_steps
    from studio.ml.export.source import ExportSource

    model = record if isinstance(record, ModelVersionRecord) else None
    with database.read() as connection:
        run = runs.get_run(connection, record.run_id if model is not None else record.id)
        version = versions.get_version(connection, run.version_id)
        artifact = _checkpoint_artifact(connection, run, model, options.checkpoint)
        class_index = ClassIndex.of(version)
        items, splits = _parity_items(connection, run, class_index, options.parity_images)
    path = store_dir_of(project_path) / artifact.path
    sha256 = _check_checkpoint(path, artifact, run, model)
    input_size = int(run.config.get("input_size", 224))
    lineage = {
        "project": Path(project_path).name,
        "run": {
            "id": run.id,
            "name": run.name,
            "model": run.model,
            "seed": run.seed,
            "config": dict(run.config),
            "pretrained": run.pretrained,
        },
        "dataset_version": {
            "id": version.id,
            "name": version.name,
            "content_hash": version.content_hash,
        },
        "model_version": None if model is None else {"name": model.name, "version": model.version},
        "checkpoint": artifact.name,
        "checkpoint_sha256": artifact.sha256 or sha256,
        "checkpoint_epoch": artifact.epoch,
    }
    return ExportSource(
        task=run.task,
        architecture=run.model,
        input_size=input_size,
        class_index=class_index,
        checkpoint_name=artifact.name,
        checkpoint_path=path,
        checkpoint_epoch=artifact.epoch,
        description=f"model {model.ref}" if model is not None else f"run {run.name}",
        preprocess=preprocess_steps(run.task, input_size),
        image_root=Path(project_path).parent,
        parity_items=tuple(items),
        parity_splits=tuple(splits),
        metrics=_test_metrics(run, model),
        lineage=lineage,
    )


# -- recording and reporting -------------------------------------------------------------------


def record_export(
    database: Database, project_path: Path, run_id: int, report: ExportReport, source: ExportSource
) -> None:
    """Record the exported folder as an artifact of its run ("bundle:OUT")."""
    from studio.ml.export.bundle_writer import MANIFEST_NAME, folder_size

    out = report.folder
    try:
        path = out.resolve().relative_to(store_dir_of(project_path).resolve()).as_posix()
    except ValueError:
        path = str(out.resolve())
    manifest = report.manifest
    manifest_file = out / MANIFEST_NAME
    runs.save_artifact(
        database,
        run_id,
        name=f"bundle:{out.name}",
        kind="bundle",
        path=path,
        sha256=file_sha256(manifest_file) if manifest_file.is_file() else "",
        size_bytes=folder_size(out),
        epoch=source.checkpoint_epoch,
        meta={
            "path": str(out.resolve()),
            "zip": str(report.zip_path.resolve()) if report.zip_path else None,
            "target": report.target,
            "checkpoint": source.checkpoint_name,
            "model_version": source.lineage.get("model_version"),
            "nms": (manifest.get("postprocess") or {}).get("nms"),
            "int8": (manifest.get("model") or {}).get("int8", False),
            "parity": {
                key: value
                for key, value in (manifest.get("parity") or {}).items()
                if key != "per_image"
            },
            "quantization": manifest.get("quantization"),
        },
    )


def _plain(value: Any) -> Any:
    """JSON-ready copies of the exporter's reports (dataclasses, paths, mappings)."""
    if is_dataclass(value) and not isinstance(value, type):
        return _plain(asdict(value))
    if isinstance(value, Mapping):
        return {str(key): _plain(inner) for key, inner in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(inner) for inner in value]
    if isinstance(value, Path):
        return str(value)
    return value


def exported_event(report: ExportReport, source: Source) -> dict[str, Any]:
    """The final `exported` event of an export worker, from the exporter's ExportReport."""
    manifest = report.manifest
    return {
        "event": "exported",
        "folder": str(report.folder),
        "zip": str(report.zip_path) if report.zip_path is not None else None,
        "parity": _plain(report.parity),
        "quantization": _plain(report.quantization),
        "task": manifest.get("task"),
        "classes": len(manifest.get("classes", [])),
        "files": len(manifest.get("files", {})),
        "source": describe_source(source),
        "target": report.target,
        "seconds": report.seconds,
    }


class _EventLog(logging.Handler):
    """Passes the exporter's log messages (`studio.export`) on as `log` events."""

    def __init__(self, emit: Emit) -> None:
        super().__init__(logging.INFO)
        self.emit_event = emit

    def emit(self, record: logging.LogRecord) -> None:
        self.emit_event({"event": "log", "message": record.getMessage()})


@contextmanager
def _logged_as_events(emit: Emit) -> Iterator[None]:
    logger = logging.getLogger("studio.export")
    handler, level = _EventLog(emit), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def export_source(
    project_path: Path,
    source: str,
    out: Path,
    options: ExportOptions = ExportOptions(),
    emit: Emit = events.emit,
) -> dict[str, Any]:
    """Open the project and `export_from` it; the `exported` event, emitted."""
    project_path = Path(project_path).resolve()
    database = open_project_file(project_path)
    try:
        report, record = export_from(database, project_path, source, out, options, emit)
    finally:
        database.close()
    event = exported_event(report, record)
    emit(event)
    return event


def export_from(
    database: Database,
    project_path: Path,
    source: str,
    out: Path,
    options: ExportOptions,
    emit: Emit,
) -> tuple[ExportReport, Source]:
    """Export SOURCE to OUT (and OUT.zip) with the target the options name, record it and
    tell the plugins (`studio_model_exported`). A read-only project is refused before
    anything is written."""
    from studio.ml.export.targets import export_to

    database.check_writable()  # the export is recorded as an artifact of its run
    out = Path(out).resolve()
    with database.read() as connection:
        record = resolve_source(connection, source)
    emit({"event": "export", **describe_source(record), "out": str(out)})
    values = load_export_source(database, project_path, record, options)
    out.parent.mkdir(parents=True, exist_ok=True)  # like `mkdir -p`; OUT itself stays new
    with _logged_as_events(emit):
        report = export_to(values, options, out)
    if report.parity is not None:
        emit({"event": "parity", "parity": report.parity.as_dict()})
    run_id = record.run_id if isinstance(record, ModelVersionRecord) else record.id
    record_export(database, project_path, run_id, report, values)
    plugins().notify(
        "studio_model_exported", project_path=project_path, bundle=out, manifest=report.manifest
    )
    return report, record
