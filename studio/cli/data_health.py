"""`studio duplicates` and `studio health`: duplicate images and the dataset health figures.

studio duplicates birds.studio [--threshold 4] [--hash phash|dhash] [--json]
studio health birds.studio [--json]
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from studio.api import DatasetHealth, DuplicateGroup, DuplicateOptions, DuplicateReport, Project
from studio.cli.common import (
    ProjectArgument,
    app,
    opened_project,
    progress_bar,
    table_console,
    user_errors,
)
from studio.core.duplicates import DEFAULT_THRESHOLD, HASH_KINDS
from studio.core.stats import value_summary
from studio.core.wording import counted

SHOWN_PATHS = 4  # paths a group's row names; the rest are counted


@app.command()
def duplicates(
    project: ProjectArgument,
    threshold: Annotated[
        int,
        typer.Option(
            "--threshold",
            help="Most differing bits of the 64-bit perceptual hash for a near duplicate "
            "(0: same picture only).",
        ),
    ] = DEFAULT_THRESHOLD,
    hash_kind: Annotated[
        str, typer.Option("--hash", help=f"Perceptual hash: {', '.join(HASH_KINDS)}.")
    ] = "phash",
    as_json: Annotated[bool, typer.Option("--json", help="Print the groups as JSON.")] = False,
) -> None:
    """List groups of identical and near-identical images (hashes are cached)."""
    with opened_project(project) as opened:
        with user_errors(opened.path):
            options = DuplicateOptions(threshold=threshold, hash_kind=hash_kind)
        with user_errors(opened.path), progress_bar("hashing") as progress:
            report = opened.data_health.find_duplicates(options, progress)
        if as_json:
            typer.echo(json.dumps(_report_json(opened, report), indent=2))
            return
        _print_report(opened, report)


def _report_json(project: Project, report: DuplicateReport) -> dict[str, object]:
    found = report.as_dict()
    found["groups"] = [
        {**group.as_dict(), "paths": _paths(project, group)} for group in report.groups
    ]
    return found


def _paths(project: Project, group: DuplicateGroup) -> list[str]:
    """The project-relative paths of a group's items, in its item order."""
    return [item.path for item in project.items_by_ids(list(group.item_ids))]


def _print_report(project: Project, report: DuplicateReport) -> None:
    console = table_console()
    for problem in report.unreadable:
        typer.echo(f"studio: skipped {problem}", err=True)
    dismissed = f", {report.dismissed} marked not duplicates" if report.dismissed else ""
    summary = (
        f"{counted(len(report.groups), 'group')} of duplicates among "
        f"{counted(report.images, 'image')} "
        f"({report.options.hash_kind}, at most {report.options.threshold} bits apart{dismissed})"
    )
    console.print(summary, highlight=False)
    if not report.groups:
        return
    table = Table(show_edge=False)
    for heading in ("group", "kind", "images", "bits apart", "item ids", "files"):
        table.add_column(heading)
    for number, group in enumerate(report.groups, start=1):
        paths = _paths(project, group)
        more = f" … and {len(paths) - SHOWN_PATHS} more" if len(paths) > SHOWN_PATHS else ""
        table.add_row(
            str(number),
            "identical" if group.exact else "near",
            str(len(group.item_ids)),
            str(group.distance),
            ", ".join(str(item_id) for item_id in group.item_ids),
            ", ".join(paths[:SHOWN_PATHS]) + more,
        )
    console.print(table)


@app.command()
def health(
    project: ProjectArgument,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Class balance per split, objects per image, box sizes, shapes outside the image and
    items never reviewed."""
    with opened_project(project) as opened:
        figures = opened.health()
    if as_json:
        typer.echo(json.dumps(figures.as_dict(), indent=2))
        return
    _print_health(figures)


def _print_health(figures: DatasetHealth) -> None:
    console = table_console()
    source = f"version {figures.version}" if figures.version else "no version yet"
    console.print(f"{figures.items:,} images; splits from {source}", highlight=False)
    if figures.class_balance:
        _print_balance(figures)
    per_image = ", ".join(
        f"{objects}: {images:,}" for objects, images in figures.objects_per_image.items()
    )
    console.print(f"images by number of objects: {per_image}", highlight=False)
    widths = [width for width, _ in figures.box_sizes]
    heights = [height for _, height in figures.box_sizes]
    for title, values in (
        ("box width", widths),
        ("box height", heights),
        ("aspect ratio", figures.aspect_ratios),
    ):
        summary = value_summary(values)
        if summary is not None:
            shown = ", ".join(f"{name} {value:g}" for name, value in summary.items())
            console.print(f"{title}: {shown}", highlight=False)
    console.print(f"shapes outside their image: {len(figures.outside):,}", highlight=False)
    for shape in figures.outside:
        console.print(
            f"  annotation {shape.annotation_id} on item {shape.item_id}: box "
            f"{[round(value, 1) for value in shape.box]} in a "
            f"{shape.image_size[0]}×{shape.image_size[1]} image",
            highlight=False,
        )
    console.print(f"items never reviewed: {len(figures.never_reviewed):,}", highlight=False)


def _print_balance(figures: DatasetHealth) -> None:
    balance = Table(title="annotations per class and split", show_edge=False)
    balance.add_column("class")
    splits = next(iter(figures.class_balance.values()))
    for split in splits:
        balance.add_column(split, justify="right")
    for name, counts in figures.class_balance.items():
        balance.add_row(name, *(f"{count:,}" for count in counts.values()))
    table_console().print(balance)
