"""Exporting a finished run, or a registered model version, as a deployment bundle.

    python -m studio.jobs.worker export PROJECT SOURCE OUT [--zip] [--int8] [--nms manifest]

SOURCE is a run (id or name) or a registered model: `NAME` (its latest version), `NAME:3`,
`NAME:v3` or `NAME:production` (an alias). The bundle is built beside OUT and renamed into
place only when the parity gate passed, so a failed export leaves nothing at OUT.

This module imports no torch at load time (the API and the GUI build the worker's command line
with `export_command`); the exporter is imported when an export runs.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.core import model_registry, runs
from studio.core.errors import ExportError, RunError
from studio.core.model_registry import ModelVersionRecord
from studio.core.project_file import open_project_file, store_dir_of
from studio.core.runs import RunRecord
from studio.jobs import events
from studio.jobs.launcher import WORKER_MODULE
from studio.jobs.run_context import Emit, checkpoint_name

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

NMS_MODES = ("graph", "manifest")

Source = RunRecord | ModelVersionRecord


def check_nms(nms: str) -> None:
    """Refuse an NMS mode other than "graph" and "manifest"."""
    if nms not in NMS_MODES:
        raise ExportError(f"unknown NMS mode {nms!r}; expected one of: {', '.join(NMS_MODES)}")


def export_command(
    project_path: Path,
    source: str,
    out: Path,
    *,
    checkpoint: str | None = None,
    zip: bool = False,
    int8: bool = False,
    nms: str = "graph",
    dynamic_batch: bool = True,
    overwrite: bool = False,
) -> list[str]:
    """The full argv of an export worker (`python -m studio.jobs.worker export ...`)."""
    check_nms(nms)
    argv = [sys.executable, "-m", WORKER_MODULE, "export"]
    argv += [str(Path(project_path)), str(source), str(Path(out))]
    if checkpoint is not None:
        argv += ["--checkpoint", checkpoint]
    flags = {"--zip": zip, "--int8": int8, "--static-batch": not dynamic_batch}
    argv += [flag for flag, wanted in flags.items() if wanted]
    argv += ["--nms", nms]
    if overwrite:
        argv.append("--overwrite")
    return argv


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


def exported_event(report: Any, source: Source) -> dict[str, Any]:
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
        "seconds": report.seconds,
    }


def export_source(
    project_path: Path,
    source: str,
    out: Path,
    *,
    checkpoint: str | None = None,
    zip: bool = False,
    int8: bool = False,
    nms: str = "graph",
    dynamic_batch: bool = True,
    overwrite: bool = False,
    emit: Emit = events.emit,
) -> dict[str, Any]:
    """Open the project, export SOURCE to OUT (and OUT.zip); the `exported` event, emitted."""
    from studio.ml.export.pipeline import export_bundle

    check_nms(nms)
    project_path = Path(project_path).resolve()
    out = Path(out).resolve()
    database = open_project_file(project_path)
    try:
        with database.read() as connection:
            record = resolve_source(connection, source)
        emit({"event": "export", **describe_source(record), "out": str(out)})
        out.parent.mkdir(parents=True, exist_ok=True)  # like `mkdir -p`; OUT itself stays new
        report = export_bundle(
            database,
            store_dir_of(project_path),
            project_path,
            record,
            out,
            checkpoint=checkpoint_name(checkpoint) if checkpoint else None,
            zip=zip,
            int8=int8,
            nms=nms,
            dynamic_batch=dynamic_batch,
            overwrite=overwrite,
            emit=emit,
        )
    finally:
        database.close()
    event = exported_event(report, record)
    emit(event)
    return event
