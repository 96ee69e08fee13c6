"""`studio map`: the map of the data as numbers a script can use (see docs/data-map.md).

    studio map birds.studio                          # CSV on stdout: item_id,x,y,path,label,…
    studio map birds.studio --model birds:production --out map.csv
    studio map birds.studio --split test --json

Image features come from an `embed-images` worker with a progress bar on stderr (Ctrl-C
cancels, exit 3); features and layouts are cached, so asking again is instant.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from studio.api import OperationCancelledError
from studio.api.data_map import DataMap, MapOptions, MapPoint
from studio.cli.common import (
    ProjectArgument,
    app,
    fail,
    opened_project,
    stderr_progress,
    user_errors,
)
from studio.core.data_map import METHODS

EXIT_CANCELLED = 3
COLUMNS = tuple(MapPoint.__dataclass_fields__)


def _csv_text(found: DataMap) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in found.rows():
        writer.writerow({**row, "split": row["split"] or ""})
    return buffer.getvalue()


def _json_text(found: DataMap) -> str:
    document: dict[str, Any] = {
        "model": found.model,
        "model_sha256": found.model_sha256,
        "method": found.method,
        "skipped": found.skipped,
        "points": found.rows(),
    }
    return json.dumps(document, indent=2)


@app.command("map")
def data_map(
    project: ProjectArgument,
    model: Annotated[
        str,
        typer.Option(
            "--model",
            help="A run (id or name) or a model NAME[:VERSION|:ALIAS]. Default: the latest "
            "finished run, else an ImageNet backbone whose weights are in torch's cache.",
        ),
    ] = "",
    method: Annotated[
        str, typer.Option("--method", help=f"The layout: {', '.join(METHODS)}.")
    ] = "auto",
    status: Annotated[
        str | None, typer.Option("--status", help="Only items with this status.")
    ] = None,
    split: Annotated[str | None, typer.Option("--split", help="Only items of this split.")] = None,
    label: Annotated[
        str | None, typer.Option("--label", help="Only items with a shape of this class.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of CSV.")] = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the CSV (or JSON with --json) to this file.")
    ] = None,
) -> None:
    """Place every image in 2-D by its features (t-SNE, or UMAP when installed): item id, x, y,
    path, class, split and status per line."""
    options = MapOptions(model=model, method=method)
    with opened_project(project) as opened, user_errors(opened.path):
        item_ids: list[int] = []
        if status or split or label:
            item_ids = opened.item_ids(status=status, split=split, label=label)
            if not item_ids:
                fail(f"{opened.path}: no item matches the filters")
        found = _computed(opened, item_ids, options)
    text = _json_text(found) if as_json else _csv_text(found)
    if out is None:
        typer.echo(text, nl=as_json)
    else:
        with user_errors(out):
            out.write_text(text if not as_json else text + "\n", encoding="utf-8")
        typer.echo(
            f"{out}: {len(found.points)} images mapped ({found.model}, {found.method})", err=True
        )
    if found.skipped:
        typer.echo(f"{found.skipped} images could not be read and are left off the map", err=True)


def _computed(opened: Any, item_ids: list[int], options: MapOptions) -> DataMap:
    """The map, with a progress bar fed by the worker's events; Ctrl-C cancels (exit 3)."""
    try:
        with stderr_progress() as (console, progress):
            task = progress.add_task("embedding", total=None)

            def show(event: dict[str, Any]) -> None:
                kind = event.get("event")
                if kind == "progress":
                    progress.update(task, completed=event["done"], total=event["total"])
                elif kind == "skipped":
                    console.print(f"skipped: {event['error']}", highlight=False)
                elif kind == "layout":
                    progress.update(task, description=f"laying out ({event['method']})")

            return opened.data_map(item_ids, options, show)
    except (KeyboardInterrupt, OperationCancelledError):
        typer.echo("map cancelled; the features computed so far stay cached", err=True)
        raise typer.Exit(EXIT_CANCELLED) from None
