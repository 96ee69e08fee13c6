"""Label import, preview and export on a worker thread, with progress and cancel.

Reading a label file, checking every shape against its image and writing an export can
take minutes, so the dialogs never do it on the GUI thread. Each piece of work is a plain
function of the project (`preview`, `import_labels`, `export_labels`) that the dialogs hand
to a `studio.gui.task_runner.TaskRunner`, which runs it on a pool thread with a progress
callback and a cancel event.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

from studio.api import LabelExportReport, LabelImportOptions, LabelImportReport, Project
from studio.core.errors import LabelImportError
from studio.gui.task_runner import Progress


@dataclass(frozen=True)
class ImportRequest:
    """Everything an import needs; `options.format` None means "detect it"."""

    source: Path
    options: LabelImportOptions = field(default_factory=LabelImportOptions)


@dataclass(frozen=True)
class PreviewResult:
    """A dry run: the request with its format filled in, and what the import would do or
    the error that would stop it (the format, once detected, is shown either way)."""

    request: ImportRequest
    report: LabelImportReport | None
    detected: bool
    error: str = ""


@dataclass(frozen=True)
class ExportRequest:
    destination: Path
    format: str
    split: str | None = None
    item_ids: tuple[int, ...] | None = None
    images: str = "copy"
    overwrite: bool = False
    include_pending: bool = False


def preview(
    project: Project, request: ImportRequest, progress: Progress, cancel: threading.Event
) -> PreviewResult:
    """Detect the format if needed, then dry-run the import."""
    detected = request.options.format is None
    if detected:
        detected_format = Project.detect_label_format(request.source)
        request = replace(request, options=replace(request.options, format=detected_format))
    try:
        report = _import(project, request, progress, cancel, dry_run=True)
    except LabelImportError as error:
        return PreviewResult(request, None, detected, str(error))
    return PreviewResult(request, report, detected)


def import_labels(
    project: Project, request: ImportRequest, progress: Progress, cancel: threading.Event
) -> LabelImportReport:
    return _import(project, request, progress, cancel, dry_run=False)


def _import(
    project: Project,
    request: ImportRequest,
    progress: Progress,
    cancel: threading.Event,
    dry_run: bool,
) -> LabelImportReport:
    return project.import_labels(
        request.source, request.options, dry_run=dry_run, progress=progress, cancel=cancel
    )


def export_labels(
    project: Project, request: ExportRequest, progress: Progress, cancel: threading.Event
) -> LabelExportReport:
    return project.export_labels(
        request.destination,
        request.format,
        split=request.split,
        item_ids=request.item_ids,
        images=request.images,
        overwrite=request.overwrite,
        progress=progress,
        cancel=cancel,
        include_pending=request.include_pending,
    )
