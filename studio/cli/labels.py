"""`studio import-labels` and `studio export-labels`: label files of other tools.

studio import-labels birds.studio coco/annotations/instances_train.json [--dry-run]
studio import-labels birds.studio yolo-dataset/ --format yolo --map "bird=sparrow"
studio import-labels birds.studio roboflow-export/ --keep-duplicates
studio export-labels birds.studio out/ --format yolo --split train
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from studio.api import LabelExportReport, LabelImportOptions, LabelImportReport, Project
from studio.cli.common import ProjectArgument, app, fail, opened_project, progress_bar

FormatOption = Annotated[
    str | None,
    typer.Option(
        "--format",
        "-f",
        help="coco, yolo, yolo_obb, voc, labelme, label_studio, cvat, class_folders, "
        "csv_labels or csv_boxes (see `studio formats`); detected when left out (never "
        "yolo_obb: name it).",
        show_default=False,
    ),
]


def _class_map(pairs: list[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        source, separator, target = pair.partition("=")
        if not separator or not source.strip() or not target.strip():
            fail(f"--map {pair!r}: expected FILE_CLASS=PROJECT_CLASS")
        mapping[source.strip()] = target.strip()
    return mapping


@app.command("import-labels")
def import_labels(
    project: ProjectArgument,
    source: Annotated[
        Path, typer.Argument(help="A label file, a dataset folder or a .zip of one.")
    ],
    label_format: FormatOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only report what would be imported.")
    ] = False,
    class_map: Annotated[
        list[str] | None,
        typer.Option("--map", help="Rename a class on the way in: FILE_CLASS=PROJECT_CLASS."),
    ] = None,
    copy: Annotated[
        bool, typer.Option("--copy", help="Copy new images into the project's store.")
    ] = False,
    replace: Annotated[
        bool,
        typer.Option("--replace", help="Drop the matched images' annotations first."),
    ] = False,
    skip_missing: Annotated[
        bool,
        typer.Option("--skip-missing", help="Skip images that cannot be found (else an error)."),
    ] = False,
    keep_duplicates: Annotated[
        bool,
        typer.Option(
            "--keep-duplicates",
            help="Byte-identical images under different names become separate items, each "
            "with its own labels (else one item that records the other names).",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Import labels (and their images) from another tool's files, all or nothing."""
    options = LabelImportOptions(
        format=label_format,
        class_map=_class_map(class_map or []),
        copy_images=copy,
        replace=replace,
        skip_missing_images=skip_missing,
        keep_duplicates=keep_duplicates,
    )
    with opened_project(project) as opened, progress_bar("importing labels") as progress:
        report = opened.import_labels(source, options, dry_run=dry_run, progress=progress)
    if as_json:
        typer.echo(json.dumps(_import_json(report), indent=2))
    else:
        _print_import(report)


def _import_json(report: LabelImportReport) -> dict:
    return {
        "format": report.format,
        "source": str(report.source),
        "dry_run": report.dry_run,
        "images": report.images,
        "items_added": report.items_added,
        "items_matched": report.items_matched,
        "annotations_added": report.annotations_added,
        "annotations_per_class": dict(report.per_class),
        "new_classes": report.new_classes,
        "duplicates_skipped": report.duplicates_skipped,
        "missing_images": report.missing_images,
        "warnings": report.warnings,
    }


def _print_import(report: LabelImportReport) -> None:
    console = Console()
    console.print(f"format: {report.format}", highlight=False)
    console.print(report.summary(), highlight=False)
    if report.per_class:
        table = Table(show_edge=False)
        table.add_column("class")
        table.add_column("annotations", justify="right")
        table.add_column("", justify="left")
        for name, count in sorted(report.per_class.items()):
            table.add_row(name, f"{count:,}", "new class" if name in report.new_classes else "")
        console.print(table)
    for warning in report.warnings:
        console.print(f"warning: {warning}", highlight=False)
    for name in report.missing_images[:20]:
        console.print(f"  missing: {name}", highlight=False)


@app.command("export-labels")
def export_labels(
    project: ProjectArgument,
    destination: Annotated[Path, typer.Argument(help="The folder to write (created).")],
    label_format: Annotated[
        str, typer.Option("--format", "-f", help="The format to write (see `studio formats`).")
    ],
    split: Annotated[
        str | None, typer.Option("--split", help="Only this split: train, val, test or none.")
    ] = None,
    status: Annotated[
        list[str] | None, typer.Option("--status", help="Only items with this status.")
    ] = None,
    label: Annotated[
        list[str] | None, typer.Option("--label", help="Only items with this class.")
    ] = None,
    images: Annotated[
        str, typer.Option("--images", help="copy, link or none (label files only).")
    ] = "copy",
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace a destination that is not empty.")
    ] = False,
    include_pending: Annotated[
        bool,
        typer.Option("--include-pending", help="Also export suggestions nobody accepted yet."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Export labels (and images) for another tool or trainer, written atomically. Pending
    suggestions (a model's or SAM's shapes not yet accepted) stay out unless asked for."""
    filters = {key: value for key, value in (("status", status), ("label", label)) if value}
    with opened_project(project) as opened, progress_bar("exporting labels") as progress:
        report = opened.export_labels(
            destination,
            label_format,
            split=split,
            images=images,
            overwrite=overwrite,
            progress=progress,
            include_pending=include_pending,
            **filters,
        )
    if as_json:
        typer.echo(json.dumps(_export_json(report), indent=2))
        return
    typer.echo(report.summary())


def _export_json(report: LabelExportReport) -> dict:
    return {
        "format": report.format,
        "destination": str(report.destination),
        "items": report.items,
        "annotations": report.annotations,
        "images_written": report.images_written,
        "skipped": dict(report.skipped),
        "warnings": report.warnings,
    }


@app.command("formats")
def list_formats() -> None:
    """List the label formats Studio imports and exports."""
    table = Table(show_edge=False)
    for heading in ("name", "format", "exports"):
        table.add_column(heading)
    for label_format in Project.label_formats():
        kinds = ", ".join(sorted(kind.value for kind in label_format.kinds))
        table.add_row(label_format.name, label_format.title, kinds)
    Console().print(table)
