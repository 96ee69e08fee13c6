"""`studio label-issues`: find suspected label errors, list them, fix or keep them.

    studio label-issues birds.studio [--folds 5] [--image-size 16] [--json]   # search, list
    studio label-issues birds.studio --list [--json]       # the stored list, no search
    studio label-issues birds.studio --fix 12 --keep 40    # decide (each one undo step)

The search runs in a worker with a progress bar; Ctrl-C cancels it (exit 3) and stores
nothing. The list is ranked by label quality, lowest first (see docs/label-errors.md).
"""

from __future__ import annotations

import json
from typing import Annotated

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
        list[int] | None,
        typer.Option("--fix", help="Give item ITEM its suggested class (repeat).", metavar="ITEM"),
    ] = None,
    keep: Annotated[
        list[int] | None,
        typer.Option("--keep", help="Keep item ITEM's class (repeat).", metavar="ITEM"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Find labels a K-fold quick model and cleanlab doubt, ranked by label quality."""
    with opened_project(project) as opened, user_errors(opened.path):
        if fix or keep:
            _decide(opened, fix or [], keep or [], as_json)
            return
        if stored:
            issues = opened.label_issues()
        else:
            issues = _search(opened, LabelQualityOptions(folds, image_size))
    _print(issues, as_json)


def _search(project: Project, options: LabelQualityOptions) -> list[LabelIssueRecord]:
    with progress_bar("finding label errors") as update:
        try:
            return project.find_label_issues(
                options,
                lambda event: (
                    update(int(event["done"]), int(event["total"]))
                    if event.get("event") == "progress"
                    else None
                ),
            )
        except KeyboardInterrupt:
            typer.echo(f"{project.path}: label-error search cancelled; nothing stored", err=True)
            raise typer.Exit(EXIT_CANCELLED) from None


def _decide(project: Project, fix: list[int], keep: list[int], as_json: bool) -> None:
    both = sorted(set(fix) & set(keep))
    if both:
        fail(f"{project.path}: item {both[0]} cannot be both fixed and kept")
    decided = [("fixed", project.fix_label_issue(item_id)) for item_id in fix]
    decided += [("kept", project.keep_label(item_id)) for item_id in keep]
    if as_json:
        rows = [{**issue.as_dict(), "decision": decision} for decision, issue in decided]
        typer.echo(json.dumps(rows, indent=2))
        return
    for decision, issue in decided:
        label = issue.suggested_label if decision == "fixed" else issue.given_label
        typer.echo(f"item {issue.item_id} ({issue.path}): {decision}, class {label}")


def _print(issues: list[LabelIssueRecord], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps([issue.as_dict() for issue in issues], indent=2))
        return
    if not issues:
        typer.echo("no suspected label errors")
        return
    table = Table(title=f"{len(issues)} suspected label errors (lowest label quality first)")
    for column in ("item", "path", "label", "suggested", "quality"):
        table.add_column(column)
    for issue in issues:
        table.add_row(
            str(issue.item_id),
            issue.path,
            issue.given_label,
            issue.suggested_label,
            f"{issue.score:.4f}",
        )
    table_console().print(table)
