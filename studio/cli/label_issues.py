"""`studio label-issues`: find suspected label errors, list them, fix or keep them.

    studio label-issues birds.studio [--folds 5] [--image-size 16] [--json]   # search, list
    studio label-issues birds.studio --list [--json]       # the stored list, no search
    studio label-issues birds.studio --fix 12 --keep 40    # decide (each one undo step)
    studio label-issues birds.studio --fix 12:345          # item 12's box 345 (several open)

The search runs in a worker with a progress bar; Ctrl-C cancels it (exit 3) and stores
nothing. The list is ranked by label quality, lowest first (see docs/label-errors.md).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from studio.api import Project
from studio.cli.common import (
    ProjectArgument,
    app,
    fail,
    opened_project,
    progress_bar,
    table_console,
    user_errors,
)
from studio.core.label_issues import LabelIssueRecord
from studio.ml.label_quality import DEFAULT_FOLDS, DEFAULT_IMAGE_SIZE, LabelQualityOptions

EXIT_CANCELLED = 3


@app.command("label-issues")
def label_issues(
    project: ProjectArgument,
    folds: Annotated[
        int, typer.Option("--folds", help="K: the quick model is trained K times.", min=2)
    ] = DEFAULT_FOLDS,
    image_size: Annotated[
        int, typer.Option("--image-size", help="Images are scaled to N × N pixels.", min=1)
    ] = DEFAULT_IMAGE_SIZE,
    stored: Annotated[
        bool, typer.Option("--list", help="Print the stored list without searching again.")
    ] = False,
    fix: Annotated[
        list[str] | None,
        typer.Option(
            "--fix",
            help="Give item ITEM's doubted tag or box (:BOX, an annotation id, when the item "
            "has several) its suggested class (repeat).",
            metavar="ITEM[:BOX]",
        ),
    ] = None,
    keep: Annotated[
        list[str] | None,
        typer.Option(
            "--keep", help="Keep item ITEM's (box's) class (repeat).", metavar="ITEM[:BOX]"
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Find class tags and boxes a K-fold quick model and cleanlab doubt, ranked by label
    quality."""
    with opened_project(project) as opened, user_errors(opened.path):
        if fix or keep:
            targets = [_target(opened, value) for value in (*(fix or []), *(keep or []))]
            count = len(fix or [])
            _decide(opened, targets[:count], targets[count:], as_json)
            return
        if stored:
            issues = opened.label_issues()
        else:
            issues = _search(opened, LabelQualityOptions(folds, image_size))
    _print(issues, as_json)


Target = tuple[int, int | None]  # an item id and, for a box, its annotation id


def _target(project: Project, value: str) -> Target:
    """ITEM or ITEM:BOX as ids; a one-line error for anything else."""
    item, _, box = value.partition(":")
    try:
        return int(item), int(box) if box else None
    except ValueError:
        fail(f"{project.path}: {value!r} is not ITEM or ITEM:BOX (numbers)")


def _search(project: Project, options: LabelQualityOptions) -> list[LabelIssueRecord]:
    def on_event(event: dict[str, Any]) -> None:
        if event.get("event") == "progress":
            update(int(event["done"]), int(event["total"]))
        elif event.get("event") == "note":
            typer.echo(str(event["message"]), err=True)

    with progress_bar("finding label errors") as update:
        try:
            return project.find_label_issues(options, on_event)
        except KeyboardInterrupt:
            typer.echo(f"{project.path}: label-error search cancelled; nothing stored", err=True)
            raise typer.Exit(EXIT_CANCELLED) from None


def _decide(project: Project, fix: list[Target], keep: list[Target], as_json: bool) -> None:
    both = sorted(set(fix) & set(keep), key=str)
    if both:
        fail(f"{project.path}: item {both[0][0]} cannot be both fixed and kept")
    decided = [("fixed", project.fix_label_issue(*target)) for target in fix]
    decided += [("kept", project.keep_label(*target)) for target in keep]
    if as_json:
        rows = [{**issue.as_dict(), "decision": decision} for decision, issue in decided]
        typer.echo(json.dumps(rows, indent=2))
        return
    for decision, issue in decided:
        label = issue.suggested_label if decision == "fixed" else issue.given_label
        typer.echo(
            f"item {issue.item_id} ({issue.path}) {issue.describe()}: {decision}, class {label}"
        )


def _print(issues: list[LabelIssueRecord], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps([issue.as_dict() for issue in issues], indent=2))
        return
    if not issues:
        typer.echo("no suspected label errors")
        return
    table = Table(title=f"{len(issues)} suspected label errors (lowest label quality first)")
    for column in ("item", "path", "which", "label", "suggested", "quality"):
        table.add_column(column)
    for issue in issues:
        table.add_row(
            str(issue.item_id),
            issue.path,
            issue.describe(),
            issue.given_label,
            issue.suggested_label,
            f"{issue.score:.4f}",
        )
    table_console().print(table)
