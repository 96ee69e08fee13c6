"""`studio prelabel` and `studio suggestions`: a model's predictions as pending suggestions,
and accepting those a model is sure of (see docs/prelabels.md).

    studio prelabel digits.studio digits:production [--status new] [--split S] [--label L]
                    [--item ID ...] [--threshold 0.25] [--map seven=7 ...] [--include-labeled]
    studio prelabel digits.studio exports/digits.zip       # an exported bundle
    studio prelabel digits.studio                           # the newest finished run
    studio prelabel digits.studio assistant:darkest-box     # a plugin's pre-labeler
    studio suggestions accept digits.studio --above 0.9 [--class 7 ...] [--source model]

The model runs in a worker with a progress bar; Ctrl-C stops it (exit 3), keeping the
batches done. Without `--include-labeled` only items without labels are pre-labeled.
"""

from __future__ import annotations

from typing import Annotated

import typer

from studio.cli.common import ProjectArgument, app, opened_project, user_errors
from studio.cli.sam import (
    EXIT_CANCELLED,
    LabelOption,
    SplitOption,
    StatusOption,
    worker_display,
)
from studio.core.errors import StudioError
from studio.core.prelabels import DEFAULT_THRESHOLD, LATEST_RUN, PrelabelOptions, parse_mapping
from studio.core.queries import ItemQuery

suggestions_app = typer.Typer(
    help="Review the suggestions models and SAM made, many at once.", no_args_is_help=True
)
app.add_typer(suggestions_app, name="suggestions")


@app.command()
def prelabel(
    project: ProjectArgument,
    model: Annotated[
        str,
        typer.Argument(
            help="A run (id, name or 'latest'), a model NAME[:VERSION|:ALIAS], a bundle "
            "folder or zip, or assistant:NAME for a plugin's pre-labeler."
        ),
    ] = LATEST_RUN,
    item: Annotated[
        list[int] | None, typer.Option("--item", help="Only this item id (repeat).")
    ] = None,
    status: StatusOption = None,
    split: SplitOption = None,
    label: LabelOption = None,
    threshold: Annotated[
        float,
        typer.Option("--threshold", help="Suggest only predictions scoring at least this."),
    ] = DEFAULT_THRESHOLD,
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="MODEL_CLASS=PROJECT_CLASS for a model class the project lacks "
            "(MODEL_CLASS= drops it); repeat.",
        ),
    ] = None,
    include_labeled: Annotated[
        bool, typer.Option("--include-labeled", help="Pre-label items that have labels too.")
    ] = False,
    device: Annotated[str, typer.Option("--device", help="auto, cpu, cuda or mps.")] = "auto",
) -> None:
    """Store a model's predictions as pending suggestions (accept with Y in the window, or
    `studio suggestions accept`)."""
    filters = {key: value for key, value in (("status", status), ("split", split)) if value}
    if label:
        filters["label"] = label
    with opened_project(project) as opened, user_errors(opened.path):
        try:
            options = PrelabelOptions(
                source=model,
                item_ids=tuple(item) if item else None,
                filter=ItemQuery(**filters) if filters else None,
                threshold=threshold,
                class_mapping=parse_mapping(mapping or []),
                include_labeled=include_labeled,
                device=device,
            )
        except ValueError as error:
            raise StudioError(f"{opened.path}: {error}") from None
        with worker_display(opened, "pre-labeling") as show:
            outcome = opened.prelabel(options, show)
    if outcome.cancelled:
        typer.echo("cancelled; the batches done keep their suggestions", err=True)
        raise typer.Exit(EXIT_CANCELLED)
    if outcome.items == 0:
        typer.echo(f"{opened.path}: no item to pre-label (only unlabeled items, unless asked)")
        return
    skipped = f", {outcome.skipped} skipped" if outcome.skipped else ""
    typer.echo(
        f"{opened.path}: {outcome.model} suggested {outcome.suggestions} shapes on "
        f"{outcome.items} items{skipped}"
    )


@suggestions_app.command("accept")
def accept(
    project: ProjectArgument,
    above: Annotated[
        float, typer.Option("--above", help="Accept those scoring at least this (0 to 1).")
    ],
    class_name: Annotated[
        list[str] | None, typer.Option("--class", help="Only this class (repeat).")
    ] = None,
    source: Annotated[
        list[str] | None, typer.Option("--source", help="Only this source: model or sam.")
    ] = None,
) -> None:
    """Accept every pending suggestion scoring at least --above, as one undo step."""
    with opened_project(project) as opened, user_errors(opened.path):
        ids = opened.accept_suggestions_above(above, class_name or (), source or ())
    if not ids:
        typer.echo(f"{opened.path}: no pending suggestion scores at least {above}")
        return
    typer.echo(f"{opened.path}: accepted {len(ids)} suggestions (one undo step)")
