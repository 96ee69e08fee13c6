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

from studio.api import LabelExportReport, LabelImportReport, Project
from studio.core.errors import LabelImportError
from studio.gui.task_runner import Progress


@dataclass(frozen=True)
class ImportRequest:
    """Everything an import needs; `format` None means "detect it"."""

    source: Path
    format: str | None = None
    class_map: dict[str, str] = field(default_factory=dict)
    copy_images: bool = False
    replace: bool = False
    skip_missing_images: bool = False


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


def preview(
    project: Project, request: ImportRequest, progress: Progress, cancel: threading.Event
) -> PreviewResult:
    """Detect the format if needed, then dry-run the import."""
    detected = request.format is None
    if detected:
        request = replace(request, format=Project.detect_label_format(request.source))
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
        request.source,
        format=request.format,
        class_map=request.class_map or None,
        copy_images=request.copy_images,
        replace=request.replace,
        skip_missing_images=request.skip_missing_images,
        dry_run=dry_run,
        progress=progress,
        cancel=cancel,
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
    )
