"""Dataset versions, training, runs and evaluation on the command line.

studio version create birds.studio [--train 0.8 --val 0.1 --test 0.1] [--seed 0]
studio version list birds.studio
studio train birds.studio --task classification [--model resnet18] [--epochs 10]
studio train birds.studio --resume resnet18-1
studio runs birds.studio [--json]
studio evaluate birds.studio resnet18-1 [--split test] [--checkpoint best.pt]
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from studio.api import (
    DuplicatesAcrossSplitsWarning,
    Project,
    Run,
    SettingAdjustedWarning,
    VersionRecord,
)
from studio.cli.common import (
    ProjectArgument,
    app,
    fail,
    number,
    opened_project,
    stderr_progress,
    table_console,
    user_errors,
)
from studio.ml.architectures import architectures
from studio.ml.config import TrainConfig, describe_choices
from studio.plugins.manager import plugins

EXIT_CANCELLED = 3
SPLITS = ("train", "val", "test")

version_app = typer.Typer(help="Freeze and list dataset versions.", no_args_is_help=True)
app.add_typer(version_app, name="version")


# -- versions --------------------------------------------------------------------------------


@version_app.command("create")
def version_create(
    project: ProjectArgument,
    name: Annotated[str | None, typer.Option("--name", help="Default: v1, v2, ...")] = None,
    train: Annotated[float, typer.Option("--train", help="Share of items for training.")] = 0.8,
    val: Annotated[float, typer.Option("--val", help="Share for validation.")] = 0.1,
    test: Annotated[float, typer.Option("--test", help="Share for the final test.")] = 0.1,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the split by hash.")] = 0,
    keep_test: Annotated[
        bool,
        typer.Option(
            "--keep-test/--no-keep-test",
            help="Keep items that were in the previous version's test split in test.",
        ),
    ] = True,
    note: Annotated[str, typer.Option("--note", help="A note stored with the version.")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print the version as JSON.")] = False,
) -> None:
    """Freeze the labeled items and their splits as a new dataset version (warning on stderr
    when duplicate images straddle train and val/test)."""
    ratios = {"train": train, "val": val, "test": test}
    with opened_project(project) as opened, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DuplicatesAcrossSplitsWarning)
        version = opened.create_version(name, ratios, seed, keep_test, note)
    for warning in caught:
        if issubclass(warning.category, DuplicatesAcrossSplitsWarning):
            typer.echo(f"studio: warning: {warning.message}", err=True)
    if as_json:
        typer.echo(json.dumps(_as_json(version), indent=2))
        return
    _print_version(version)


def _as_json(record: Any) -> dict[str, Any]:
    """A record (a version, a run, an evaluation) as plain JSON values."""
    return json.loads(json.dumps(asdict(record), default=dict))


def _print_version(version: VersionRecord) -> None:
    console = Console()
    items = version.counts.get("items", {})
    annotations = version.counts.get("annotations", {})
    console.print(
        f"version {version.name} (id {version.id}): {sum(items.values()):,} items, "
        f"seed {version.seed}, content {version.content_hash[:12]}",
        highlight=False,
    )
    table = Table(show_edge=False)
    table.add_column("")
    for split in SPLITS:
        table.add_column(split, justify="right")
    table.add_row("items", *(f"{items.get(split, 0):,}" for split in SPLITS))
    table.add_row("annotations", *(f"{annotations.get(split, 0):,}" for split in SPLITS))
    for class_name, counts in version.counts.get("classes", {}).items():
        table.add_row(class_name, *(f"{counts.get(split, 0):,}" for split in SPLITS))
    console.print(table)


@version_app.command("list")
def version_list(
    project: ProjectArgument,
    as_json: Annotated[bool, typer.Option("--json", help="Print the versions as JSON.")] = False,
) -> None:
    """List the dataset versions, oldest first."""
    with opened_project(project) as opened:
        found = opened.versions()
    if as_json:
        typer.echo(json.dumps([_as_json(version) for version in found], indent=2))
        return
    if not found:
        typer.echo("no versions yet; freeze one with `studio version create`")
        return
    table = Table(show_edge=False)
    for heading in ("id", "name", "created", "train", "val", "test", "classes", "note"):
        table.add_column(heading, justify="right" if heading in SPLITS else "left")
    for version in found:
        items = version.counts.get("items", {})
        table.add_row(
            str(version.id),
            version.name,
            time.strftime("%Y-%m-%d %H:%M", time.localtime(version.created_at)),
            *(f"{items.get(split, 0):,}" for split in SPLITS),
            str(len(version.classes)),
            version.note,
        )
    Console().print(table)


# -- training --------------------------------------------------------------------------------


class EventProgress:
    """Shows a worker's events: a progress bar of the epoch's batches (on a terminal) and one
    line per epoch, warning and error on stderr."""

    def __init__(self, console: Console, progress: Progress) -> None:
        self.console = console
        self.progress = progress
        self.task = progress.add_task("starting", total=None)

    def __call__(self, event: Mapping[str, Any]) -> None:
        kind = event.get("event")
        if kind == "run":
            self.console.print(
                f"run {event.get('name')} on {event.get('device')}; {event.get('pretrained')}",
                highlight=False,
            )
        elif kind == "batch":
            self.progress.update(
                self.task,
                description=f"epoch {event.get('epoch')}",
                completed=event.get("step", 0),
                total=event.get("steps"),
            )
        elif kind == "validating":
            self.progress.update(self.task, description=f"epoch {event.get('epoch')}: validating")
        elif kind == "evaluating":
            description = f"evaluating {event.get('checkpoint')} on {event.get('split')}"
            self.progress.update(self.task, description=description, completed=0, total=None)
        elif kind == "epoch":
            self.console.print(_epoch_line(event), highlight=False)
        elif kind in ("warning", "failed"):
            self.console.print(f"{kind}: {event.get('message') or event.get('error')}")


def _epoch_line(event: Mapping[str, Any]) -> str:
    metrics = event.get("metrics", {})
    shown = ", ".join(
        f"{name} {value:.4g}"
        for name, value in metrics.items()
        if isinstance(value, (int, float)) and (name.startswith(("train/", "val/")))
    )
    best = " (best)" if event.get("best") else ""
    return f"epoch {event.get('epoch')}/{event.get('epochs')}: {shown}{best}"


@contextmanager
def event_display() -> Iterator[Callable[[Mapping[str, Any]], None]]:
    with stderr_progress() as (console, progress):
        yield EventProgress(console, progress)


def _settings(**values: Any) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


@app.command()
def train(
    project: ProjectArgument,
    task: Annotated[
        str | None,
        typer.Option(
            "--task",
            help="classification, multilabel, detection or segmentation.",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        str | None, typer.Option("--version", help="Dataset version (default: the latest).")
    ] = None,
    model: Annotated[
        str | None,
        typer.Option("--model", help="Default: the preset's; `studio architectures` lists them."),
    ] = None,
    preset: Annotated[
        str, typer.Option("--preset", help="fast, balanced or accurate.")
    ] = "balanced",
    epochs: Annotated[
        int | None, typer.Option("--epochs", help="Default: fitted to the data and device.")
    ] = None,
    warmup_epochs: Annotated[
        int | None,
        typer.Option("--warmup-epochs", help="Shortened to end before the last epoch."),
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option("--batch-size", help="Default: fitted to the data and device.")
    ] = None,
    learning_rate: Annotated[float | None, typer.Option("--lr", help="Learning rate.")] = None,
    input_size: Annotated[
        int | None, typer.Option("--input-size", help="Default: near the median image side.")
    ] = None,
    device: Annotated[
        str | None, typer.Option("--device", help="auto, cpu, cuda, cuda:N, mps.")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed")] = None,
    workers: Annotated[int | None, typer.Option("--workers", help="DataLoader workers.")] = None,
    pretrained: Annotated[
        str | None, typer.Option("--pretrained", help="auto, download or never.")
    ] = None,
    resume: Annotated[
        str | None, typer.Option("--resume", help="Continue this run (id or name) instead.")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="The run's name.")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the finished run as JSON.")
    ] = False,
) -> None:
    """Train a model on a dataset version in a worker process (or resume a run)."""
    settings = _settings(
        epochs=epochs,
        warmup_epochs=warmup_epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        input_size=input_size,
        device=device,
        seed=seed,
        workers=workers,
        pretrained=pretrained,
    )
    with opened_project(project) as opened:
        if resume is not None:
            with user_errors(opened.path):
                run = opened.run(resume)
        else:
            if task is None:
                fail("--task is required (classification, multilabel, detection, segmentation)")
            with user_errors(opened.path), warnings.catch_warnings(record=True) as adjusted:
                warnings.simplefilter("always", SettingAdjustedWarning)
                run = opened.new_run(version, task, model, preset, name, **settings)
            notes = [w for w in adjusted if issubclass(w.category, SettingAdjustedWarning)]
            _print_choices(run, [str(warning.message) for warning in notes])
        _run_in_worker(opened, run, resume is not None)
        _print_run_result(run, as_json)


def _print_choices(run: Run, adjustments: list[str]) -> None:
    """The settings the preset picked and why (stderr, like the run's progress)."""
    console = Console(stderr=True)
    console.print(describe_choices(TrainConfig.from_dict(run.config)), highlight=False)
    for adjustment in adjustments:
        console.print(f"warning: {adjustment}", highlight=False)


def _run_in_worker(project: Project, run: Run, resume: bool) -> None:
    try:
        with user_errors(project.path), event_display() as display:
            run.start(resume=resume, on_event=display)
    except KeyboardInterrupt:
        typer.echo(
            f"cancelled; continue with: studio train {project.path} --resume {run.name}", err=True
        )
        raise typer.Exit(EXIT_CANCELLED) from None


def _print_run_result(run: Run, as_json: bool) -> None:
    record = run.record
    if as_json:
        typer.echo(json.dumps(_as_json(record), indent=2))
        return
    typer.echo(f"run {record.name}: {record.status}")
    summary = record.summary
    if summary.get("best_epoch") is not None:
        typer.echo(
            f"best epoch {summary['best_epoch']}: {summary.get('monitor')} "
            f"{number(summary.get('best_value'))}"
        )
    for metric, value in summary.get("test", {}).items():
        typer.echo(f"{summary.get('test_split', 'test')} {metric:<10} {number(value)}")
    if record.status != "finished":
        raise typer.Exit(EXIT_CANCELLED if record.status == "cancelled" else 1)


# -- runs and evaluation ---------------------------------------------------------------------


@app.command("architectures")
def list_architectures(
    task: Annotated[str | None, typer.Option(help="Only those able to do this task.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print them as JSON.")] = False,
) -> None:
    """List the model architectures `studio train --model` accepts, with the plugin of each."""
    rows = [
        {
            "name": spec.name,
            "tasks": sorted(spec.tasks),
            "description": spec.description,
            "plugin": plugins().owner(spec) or "",
        }
        for spec in architectures().values()
        if task is None or task in spec.tasks
    ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(show_edge=False)
    for heading in ("name", "tasks", "description", "plugin"):
        table.add_column(heading)
    for row in rows:
        table.add_row(row["name"], ", ".join(row["tasks"]), row["description"], row["plugin"])
    Console().print(table)


@app.command("runs")
def list_runs(
    project: ProjectArgument,
    as_json: Annotated[bool, typer.Option("--json", help="Print the runs as JSON.")] = False,
) -> None:
    """List the training runs with their status and final figures."""
    with opened_project(project) as opened:
        records = opened.run_records()
    if as_json:
        typer.echo(json.dumps([_as_json(record) for record in records], indent=2))
        return
    if not records:
        typer.echo("no runs yet; start one with `studio train`")
        return
    table = Table(show_edge=False)
    for heading in ("id", "name", "status", "task", "model", "version", "epochs", "best", "test"):
        table.add_column(heading)
    for record in records:
        table.add_row(
            str(record.id),
            record.name,
            record.status,
            record.task,
            record.model,
            record.version_name,
            f"{record.epochs_done}/{record.epochs}",
            _best_text(record.summary),
            _test_text(record.summary),
        )
    table_console().print(table)


def _best_text(summary: Mapping[str, Any]) -> str:
    if summary.get("best_value") is None:
        return ""
    return f"{summary.get('monitor')} {number(summary['best_value'])} @{summary.get('best_epoch')}"


def _test_text(summary: Mapping[str, Any]) -> str:
    test = summary.get("test", {})
    for metric in ("accuracy", "map", "macro_f1"):
        if metric in test:
            return f"{metric} {number(test[metric])}"
    return ""


@app.command()
def evaluate(
    project: ProjectArgument,
    run: Annotated[str, typer.Argument(help="The run (id or name).")],
    split: Annotated[str, typer.Option("--split", help="train, val or test.")] = "test",
    checkpoint: Annotated[
        str, typer.Option("--checkpoint", help="best.pt, last.pt or epoch-NNN.pt.")
    ] = "best.pt",
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON.")] = False,
) -> None:
    """Evaluate a checkpoint of a run on a split; stores the metrics and every prediction."""
    if split not in SPLITS:
        fail(f"--split {split!r}: expected one of {', '.join(SPLITS)}")
    with opened_project(project) as opened:
        with user_errors(opened.path):
            handle = opened.run(run)
        with user_errors(opened.path), event_display() as display:
            evaluation = handle.evaluate(split, checkpoint, on_event=display)
        run_name = handle.name
    if as_json:
        typer.echo(json.dumps(_as_json(evaluation), indent=2))
        return
    typer.echo(f"run {run_name}, {evaluation.checkpoint} (epoch {evaluation.epoch}) on {split}:")
    for metric, value in evaluation.metrics.items():
        if isinstance(value, (int, float)):
            typer.echo(f"  {metric:<10} {number(value)}")
    for confusion in evaluation.metrics.get("top_confusions", [])[:5]:
        typer.echo(
            f"  {confusion['true']} → {confusion['predicted']}: {confusion['count']} "
            f"(items {', '.join(str(item) for item in confusion['item_ids'][:8])})"
        )


DEMO_SETTINGS = {
    "model": "resnet18",
    "epochs": 5,
    "input_size": 32,
    "batch_size": 32,
    "learning_rate": 2e-3,
    "augmentations": [],
    "pretrained": "never",
}


def train_demo_classifier(project_path: Path) -> None:
    """`studio demo --train`: a small digit classifier on version v1, then its test accuracy."""
    with opened_project(project_path) as opened:
        run = opened.new_run("v1", "classification", name="demo-digits", **DEMO_SETTINGS)
        _run_in_worker(opened, run, resume=False)
        summary, name = run.summary, run.name
    accuracy = summary.get("test", {}).get("accuracy")
    if accuracy is None:
        fail(f"{project_path}: the demo run {name} has no test accuracy")
    typer.echo(f"trained {name}: test accuracy {accuracy:.3f}")
