"""`studio queue`: the active-learning queue from the command line (see docs/queue.md).

    studio queue birds.studio [--model REF] [--strategy margin|entropy] [--limit N]
                              [--no-diversity] [--json]

Prints the unlabeled items, the ones the model is least sure of first, with their
uncertainty. Images the score cache lacks are predicted first in a worker (a progress bar on
stderr; Ctrl-C cancels it, exit 3, keeping what was scored).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from studio.api.queue import ActiveQueue
from studio.cli.common import ProjectArgument, app, opened_project, stderr_progress, user_errors
from studio.core.active_queue import QueueOptions
from studio.core.uncertainty import Strategy

EXIT_CANCELLED = 3


@app.command("queue")
def queue(
    project: ProjectArgument,
    model: Annotated[
        str | None,
        typer.Option("--model", help="A run (id or name) or NAME[:VERSION|:ALIAS]; the latest."),
    ] = None,
    strategy: Annotated[
        Strategy, typer.Option("--strategy", help="How uncertainty is measured.")
    ] = Strategy.MARGIN,
    limit: Annotated[int | None, typer.Option("--limit", help="At most N items.", min=1)] = None,
    diversity: Annotated[
        bool,
        typer.Option(
            "--diversity/--no-diversity", help="Spread the top of the queue over the features."
        ),
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the queue as JSON.")] = False,
) -> None:
    """The unlabeled items, the ones the latest model is least sure of first."""
    options = QueueOptions(model=model, strategy=strategy, limit=limit, diversity=diversity)
    with opened_project(project) as opened:
        try:
            with user_errors(opened.path), stderr_progress() as (_console, progress):
                task = progress.add_task("scoring", total=None)

                def show(event: dict[str, Any]) -> None:
                    if event.get("event") == "progress":
                        progress.update(task, completed=event["done"], total=event["total"])

                ordered = opened.queue(options, show)
        except KeyboardInterrupt:
            typer.echo("scoring cancelled; the images scored are kept in the cache", err=True)
            raise typer.Exit(EXIT_CANCELLED) from None
    if as_json:
        typer.echo(json.dumps(_as_json(ordered), indent=2))
        return
    typer.echo(
        f"{len(ordered.entries)} of {ordered.unlabeled} unlabeled items by {strategy.value} "
        f"uncertainty ({ordered.model.description})"
    )
    for rank, entry in enumerate(ordered.entries, start=1):
        typer.echo(f"{rank:>5}  {entry.uncertainty:.4f}  {entry.item_id:>7}  {entry.path}")


def _as_json(ordered: ActiveQueue) -> dict[str, Any]:
    return {
        "model": ordered.model.ref,
        "description": ordered.model.description,
        "strategy": ordered.options.strategy.value,
        "diversity": ordered.options.diversity,
        "unlabeled": ordered.unlabeled,
        "scored": ordered.scored,
        "items": [
            {"rank": rank, "item_id": e.item_id, "path": e.path, "uncertainty": e.uncertainty}
            for rank, e in enumerate(ordered.entries, start=1)
        ],
    }
