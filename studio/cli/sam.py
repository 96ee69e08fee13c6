"""`studio sam`: Segment Anything from the command line (see docs/sam.md).

    studio sam set birds.studio sam_vit_b_01ec64.pth
    studio sam info birds.studio
    studio sam precompute birds.studio [--status new] [--split S] [--label L] [--limit N]
    studio sam segment birds.studio 12 --point 120,80 [--negative 90,40] [--box 10,20,200,150]
                                       [--class bird] [--mask] [--accept] [--json]
    studio sam everything birds.studio --class bird [filters] [--limit N] [--points-per-side N]
                                       [--min-iou X] [--min-stability X]

The encoder and the automatic mask generator run in worker processes with a progress bar;
Ctrl-C cancels them (exit 3), keeping what was done. Shapes SAM makes are pending suggestions
until accepted (`--accept`, or Y in the window).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from studio.api import Project
from studio.api.sam import no_checkpoint_message
from studio.cli.common import (
    ProjectArgument,
    app,
    fail,
    opened_project,
    stderr_progress,
    user_errors,
)
from studio.jobs.launcher import JobOutcome
from studio.jobs.sam_everything_job import (
    DEFAULT_MIN_IOU,
    DEFAULT_MIN_STABILITY,
    DEFAULT_POINTS_PER_SIDE,
    EverythingOptions,
)

EXIT_CANCELLED = 3

sam_app = typer.Typer(
    help="Segment Anything: choose a checkpoint, encode images, segment from prompts.",
    no_args_is_help=True,
)
app.add_typer(sam_app, name="sam")

StatusOption = Annotated[str | None, typer.Option("--status", help="Only items with this status.")]
SplitOption = Annotated[str | None, typer.Option("--split", help="Only items of this split.")]
LabelOption = Annotated[
    str | None, typer.Option("--label", help="Only items with a shape of this class.")
]
LimitOption = Annotated[int | None, typer.Option("--limit", help="At most N items.", min=1)]
ClassOption = Annotated[
    str | None,
    typer.Option("--class", help="The class SAM's shapes get (needed with several classes)."),
]


@sam_app.command("set")
def set_checkpoint(
    project: ProjectArgument,
    checkpoint: Annotated[str, typer.Argument(help="A Segment Anything checkpoint (.pth).")],
) -> None:
    """Choose the project's SAM checkpoint; its sha256 and type are recorded."""
    with opened_project(project) as opened, user_errors(opened.path):
        choice = opened.set_sam_checkpoint(checkpoint)
    typer.echo(
        f"{opened.path}: SAM checkpoint {choice.path} ({choice.model_type}, input "
        f"{choice.input_size} px, sha256 {choice.sha256})"
    )


@sam_app.command()
def info(
    project: ProjectArgument,
    as_json: Annotated[bool, typer.Option("--json", help="Print it as JSON.")] = False,
) -> None:
    """The project's SAM checkpoint and how many of its images have cached embeddings."""
    with opened_project(project) as opened, user_errors(opened.path):
        choice = opened.sam_checkpoint()
        if choice is None:
            fail(no_checkpoint_message(opened.path))
        cached, total = opened.sam.cached_embeddings() if choice.usable else (None, None)
    if as_json:
        fields = {
            "checkpoint": str(choice.path),
            "model_type": choice.model_type,
            "sha256": choice.sha256,
            "input_size": choice.input_size,
            "problem": choice.problem,
            "cached_embeddings": cached,
            "images": total,
        }
        typer.echo(json.dumps(fields, indent=2))
        return
    typer.echo(f"checkpoint  {choice.path}")
    typer.echo(f"type        {choice.model_type} (input {choice.input_size} px)")
    typer.echo(f"sha256      {choice.sha256}")
    if choice.problem:
        fail(choice.problem)
    typer.echo(f"embeddings  {cached} of {total} images cached")


@sam_app.command()
def precompute(
    project: ProjectArgument,
    status: StatusOption = None,
    split: SplitOption = None,
    label: LabelOption = None,
    limit: LimitOption = None,
) -> None:
    """Encode the images (all, or those matching the filters) ahead, into the cache."""
    with opened_project(project) as opened:
        item_ids = _matching(opened, status, split, label, limit)
        with worker_display(opened, "encoding") as display:
            outcome = opened.sam.precompute(item_ids, display)
    summary = _summary(outcome)
    typer.echo(
        f"encoded {summary.get('encoded', 0)}, already cached {summary.get('cached', 0)}, "
        f"skipped {summary.get('skipped', 0)}"
    )
    _exit_if_cancelled(outcome)


@sam_app.command()
def everything(
    project: ProjectArgument,
    class_name: ClassOption = None,
    status: StatusOption = None,
    split: SplitOption = None,
    label: LabelOption = None,
    limit: LimitOption = None,
    points_per_side: Annotated[
        int, typer.Option("--points-per-side", help="The prompt grid's side.", min=1)
    ] = DEFAULT_POINTS_PER_SIDE,
    min_iou: Annotated[
        float, typer.Option("--min-iou", help="Keep masks whose predicted IoU reaches this.")
    ] = DEFAULT_MIN_IOU,
    min_stability: Annotated[
        float, typer.Option("--min-stability", help="And whose stability reaches this.")
    ] = DEFAULT_MIN_STABILITY,
) -> None:
    """Segment everything in the images: pending suggestions to review (score: SAM's IoU)."""
    with opened_project(project) as opened:
        item_ids = _matching(opened, status, split, label, limit)
        with worker_display(opened, "segmenting") as display:
            options = EverythingOptions(class_name or "", points_per_side, min_iou, min_stability)
            outcome = opened.sam.segment_everything(item_ids, options, display)
    summary = _summary(outcome)
    typer.echo(
        f"{summary.get('suggestions', 0)} pending suggestions on "
        f"{summary.get('images', 0)} images (skipped {summary.get('skipped', 0)})"
    )
    _exit_if_cancelled(outcome)


@sam_app.command()
def segment(
    project: ProjectArgument,
    item: Annotated[int, typer.Argument(help="The item id.")],
    point: Annotated[
        list[str] | None, typer.Option("--point", help="X,Y inside the object (repeat).")
    ] = None,
    negative: Annotated[
        list[str] | None, typer.Option("--negative", help="X,Y outside the object (repeat).")
    ] = None,
    box: Annotated[str | None, typer.Option("--box", help="X,Y,W,H around the object.")] = None,
    class_name: ClassOption = None,
    mask: Annotated[bool, typer.Option("--mask", help="Store a mask, not a polygon.")] = False,
    tolerance: Annotated[
        float,
        typer.Option(
            "--tolerance", min=0.0, help="Pixels the polygon may stray from the mask's edge."
        ),
    ] = 1.0,
    accept: Annotated[bool, typer.Option("--accept", help="Accept the suggestion.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the shape as JSON.")] = False,
) -> None:
    """SAM's shape for clicks and a box on one image, stored as a pending suggestion."""
    points = [(*_numbers(text, 2, "--point"), 1) for text in point or []]
    points += [(*_numbers(text, 2, "--negative"), 0) for text in negative or []]
    prompt_box = None if box is None else _numbers(box, 4, "--box")
    with opened_project(project) as opened, user_errors(opened.path):
        ids = opened.segment(
            item,
            points,
            prompt_box,
            label=class_name,
            shape="mask" if mask else "polygon",
            polygon_tolerance=tolerance,
        )
        if accept:
            opened.accept_suggestions(ids)
        records = [record for record in opened.annotations(item) if record.id in ids]
    if as_json:
        typer.echo(json.dumps([_annotation_json(record) for record in records], indent=2))
        return
    for record in records:
        typer.echo(
            f"item {item}: annotation {record.id}, {record.kind} {record.label}, "
            f"SAM score {record.score:.3f}, {record.review}"
        )


def _numbers(text: str, count: int, option: str) -> tuple[float, ...]:
    parts = text.split(",")
    try:
        values = tuple(float(part) for part in parts)
    except ValueError:
        values = ()
    if len(values) != count:
        shape = "X,Y" if count == 2 else "X,Y,W,H"
        fail(f"{option} {text!r}: expected {shape} (numbers in image pixels)")
    return values


def _matching(
    project: Project, status: str | None, split: str | None, label: str | None, limit: int | None
) -> list[int]:
    """The ids of the items matching the filters; exits when none match."""
    with user_errors(project.path):
        project.sam.require_checkpoint()
        items = project.items(limit=limit, status=status, split=split, label=label)
    if not items:
        fail(f"{project.path}: no item matches the filters")
    return [record.id for record in items]


@contextmanager
def worker_display(
    project: Project, description: str
) -> Iterator[Callable[[Mapping[str, Any]], None]]:
    """A progress bar fed by a worker's events (SAM, pre-labels); Ctrl-C cancels the worker
    (exit 3)."""
    try:
        with user_errors(project.path), stderr_progress() as (console, progress):
            task = progress.add_task(description, total=None)

            def show(event: Mapping[str, Any]) -> None:
                if event.get("event") == "progress":
                    progress.update(task, completed=event["done"], total=event["total"])
                elif event.get("event") == "skipped":
                    console.print(f"skipped: {event['error']}", highlight=False)

            yield show
    except KeyboardInterrupt:
        typer.echo(f"{description} cancelled; what was done is kept", err=True)
        raise typer.Exit(EXIT_CANCELLED) from None


def _summary(outcome: JobOutcome) -> Mapping[str, Any]:
    return outcome.last.get("finished", {}).get("summary", {})


def _exit_if_cancelled(outcome: JobOutcome) -> None:
    if outcome.code == EXIT_CANCELLED:
        typer.echo("cancelled; what was done is kept", err=True)
        raise typer.Exit(EXIT_CANCELLED)


def _annotation_json(record: Any) -> dict[str, Any]:
    fields = ("id", "item_id", "label", "kind", "geometry", "source", "score", "review")
    return {name: getattr(record, name) for name in (*fields, "attributes")}
