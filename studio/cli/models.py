"""The model registry, deployment bundles and predictions on the command line.

studio models birds.studio [--json]                      (= studio models list birds.studio)
studio models register birds.studio resnet18-1 [--name birds] [--checkpoint best.pt]
studio models alias birds.studio birds 3 production
studio models unalias birds.studio birds production
studio models lineage birds.studio birds:production [--json]
studio export-model birds.studio birds:production bundles/birds [--zip] [--int8] [--json]
studio predict bundles/birds photo.jpg more/ [--json]    (no project needed; a .zip works too)
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from studio.api import ModelVersionRecord
from studio.cli.common import (
    ProjectArgument,
    app,
    describe_os_error,
    fail,
    number,
    opened_project,
    table_console,
    user_errors,
)
from studio.core.export_options import NMS_MODES, ONNX_BUNDLE_TARGET, ExportOptions

EXIT_CANCELLED = 3
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
HEADLINE_METRICS = ("accuracy", "map", "macro_f1", "map_50")


class ListByDefault(TyperGroup):
    """`studio models PROJECT ...` means `studio models list PROJECT ...`: a first argument
    that is neither a sub-command nor an option is taken as the project."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["list", *args]
        return super().parse_args(ctx, args)


models_app = typer.Typer(
    cls=ListByDefault,
    help="Registered model versions and their aliases: `studio models PROJECT` lists them.",
    no_args_is_help=True,
)
app.add_typer(models_app, name="models")


def model_json(record: ModelVersionRecord) -> dict[str, Any]:
    values = asdict(record)
    values["ref"] = record.ref
    return json.loads(json.dumps(values, default=str))


def _headline(metrics: Mapping[str, Any]) -> str:
    for name in HEADLINE_METRICS:
        if isinstance(metrics.get(name), (int, float)):
            return f"{name} {number(metrics[name])}"
    return ""


# -- the registry ----------------------------------------------------------------------------


@models_app.command("list")
def list_models(
    project: ProjectArgument,
    name: Annotated[str | None, typer.Option("--name", help="Only this model.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the versions as JSON.")] = False,
) -> None:
    """List the registered model versions with their aliases and test figures."""
    with opened_project(project) as opened, user_errors(opened.path):
        found = opened.models(name)
    if as_json:
        typer.echo(json.dumps([model_json(record) for record in found], indent=2))
        return
    if not found:
        typer.echo("no registered models yet; register a run with `studio models register`")
        return
    table = Table(show_edge=False)
    for heading in ("model", "aliases", "run", "checkpoint", "task", "architecture", "data"):
        table.add_column(heading)
    table.add_column("test")
    table.add_column("registered")
    for record in found:
        table.add_row(
            record.ref,
            ", ".join(record.aliases),
            record.run_name,
            record.checkpoint,
            record.task,
            record.architecture,
            record.dataset_version_name,
            _headline(record.metrics),
            time.strftime("%Y-%m-%d %H:%M", time.localtime(record.created_at)),
        )
    table_console().print(table)


@models_app.command("register")
def register(
    project: ProjectArgument,
    run: Annotated[str, typer.Argument(help="The finished run (id or name).")],
    name: Annotated[
        str | None, typer.Option("--name", help="The model's name (default: TASK-MODEL).")
    ] = None,
    checkpoint: Annotated[
        str, typer.Option("--checkpoint", help="best.pt, last.pt or epoch-NNN.pt.")
    ] = "best.pt",
    notes: Annotated[str, typer.Option("--notes", help="Notes kept with the version.")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print the version as JSON.")] = False,
) -> None:
    """Register a checkpoint of a finished run as the next version of a model."""
    with opened_project(project) as opened, user_errors(opened.path):
        record = opened.register_model(_run_key(run), name, checkpoint, notes)
    if as_json:
        typer.echo(json.dumps(model_json(record), indent=2))
        return
    headline = _headline(record.metrics)
    typer.echo(
        f"registered {record.ref} (run {record.run_name}, {record.checkpoint}"
        f"{', test ' + headline if headline else ''})"
    )


def _run_key(run: str) -> int | str:
    return int(run) if run.isdigit() else run


@models_app.command("alias")
def alias(
    project: ProjectArgument,
    name: Annotated[str, typer.Argument(help="The model's name.")],
    version: Annotated[int, typer.Argument(help="The version the alias points at.")],
    alias_name: Annotated[str, typer.Argument(metavar="ALIAS", help="production, staging, …")],
) -> None:
    """Point an alias at a model version (moving it from the version it pointed at)."""
    with opened_project(project) as opened, user_errors(opened.path):
        record = opened.set_alias(name, version, alias_name)
    typer.echo(f"{record.name}:{alias_name} → {record.ref}")


@models_app.command("unalias")
def unalias(
    project: ProjectArgument,
    name: Annotated[str, typer.Argument(help="The model's name.")],
    alias_name: Annotated[str, typer.Argument(metavar="ALIAS")],
) -> None:
    """Remove an alias of a model."""
    with opened_project(project) as opened, user_errors(opened.path):
        opened.remove_alias(name, alias_name)
    typer.echo(f"removed {name}:{alias_name}")


@models_app.command("lineage")
def lineage(
    project: ProjectArgument,
    ref: Annotated[str, typer.Argument(help="NAME, NAME:VERSION or NAME:ALIAS.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print everything as JSON.")] = False,
) -> None:
    """Where a model version comes from: run, settings, dataset version, items per split."""
    with opened_project(project) as opened, user_errors(opened.path):
        found = opened.lineage(ref)
    if as_json:
        typer.echo(json.dumps(found, indent=2, default=str))
        return
    _print_lineage(found)


def _print_lineage(found: Mapping[str, Any]) -> None:
    model = found.get("model_version", {})
    run = found.get("run", {})
    data = found.get("dataset_version", {})
    config = run.get("config", {})
    typer.echo(f"model    {model.get('name')}:{model.get('version')} ({model.get('checkpoint')})")
    typer.echo(
        f"run      {run.get('name')} (id {run.get('id')}, {run.get('status')}): "
        f"{config.get('model')}, epochs {config.get('epochs')}, seed {run.get('seed')}"
    )
    typer.echo(
        f"data     version {data.get('name')} (id {data.get('id')}), "
        f"content {str(data.get('content_hash', ''))[:12]}"
    )
    items = found.get("items", {})
    typer.echo("items    " + ", ".join(f"{split} {len(ids)}" for split, ids in items.items()))


# -- export ----------------------------------------------------------------------------------


def _show_export_event(console: Console, event: Mapping[str, Any]) -> None:
    kind = event.get("event")
    if kind in ("log", "warning"):
        console.print(f"{kind}: {event.get('message')}", highlight=False)
    elif kind == "export":
        console.print(f"exporting {event.get('kind')} {event.get('ref')}", highlight=False)


@app.command("export-model")
def export_model(
    project: ProjectArgument,
    source: Annotated[
        str, typer.Argument(help="A run (id or name) or a model: NAME, NAME:VERSION, NAME:ALIAS.")
    ],
    out: Annotated[Path, typer.Argument(help="The bundle folder to write.")],
    make_zip: Annotated[bool, typer.Option("--zip", help="Also write OUT.zip.")] = False,
    int8: Annotated[
        bool, typer.Option("--int8", help="Quantise to INT8 when the accuracy holds.")
    ] = False,
    nms: Annotated[
        str, typer.Option("--nms", help="Detectors: NMS in the graph or in the bundle's code.")
    ] = "graph",
    target: Annotated[
        str,
        typer.Option("--target", help="An export target: onnx-bundle, or a plugin's."),
    ] = ONNX_BUNDLE_TARGET,
    checkpoint: Annotated[
        str | None, typer.Option("--checkpoint", help="Default: the source's (best.pt).")
    ] = None,
    static_batch: Annotated[
        bool, typer.Option("--static-batch", help="A fixed batch of one image.")
    ] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace a non-empty OUT.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Export a run or a model version as an ONNX deployment bundle, checked against torch."""
    if nms not in NMS_MODES:
        fail(f"--nms {nms!r}: expected {' or '.join(NMS_MODES)}")
    console = Console(stderr=True)
    with opened_project(project) as opened:
        try:
            with user_errors(opened.path):
                options = ExportOptions(
                    target=target,
                    checkpoint=checkpoint,
                    zip=make_zip,
                    int8=int8,
                    nms=nms,
                    dynamic_batch=not static_batch,
                    overwrite=overwrite,
                )
                exported = opened.export_model(
                    source,
                    out,
                    options,
                    on_event=lambda event: _show_export_event(console, event),
                )
        except KeyboardInterrupt:
            typer.echo(f"cancelled; nothing written at {out}", err=True)
            raise typer.Exit(EXIT_CANCELLED) from None
    if as_json:
        typer.echo(json.dumps(exported, indent=2))
        return
    _print_export(exported)


def _print_export(exported: Mapping[str, Any]) -> None:
    typer.echo(f"bundle   {exported.get('folder')}")
    if exported.get("zip"):
        typer.echo(f"zip      {exported['zip']}")
    parity = exported.get("parity") or {}
    typer.echo(f"parity   {parity.get('message', '')}")
    for name, value in (parity.get("details") or {}).items():
        if isinstance(value, float):
            typer.echo(f"  {name:<16} {value:.3g}")
        elif isinstance(value, (int, str)):
            typer.echo(f"  {name:<16} {value}")
    quantization = exported.get("quantization")
    if quantization:
        typer.echo(
            "int8     accuracy "
            f"{number(quantization.get('accuracy_before'))} → "
            f"{number(quantization.get('accuracy_after'))}, size "
            f"{quantization.get('size_before')} → {quantization.get('size_after')} bytes"
        )


# -- predict ---------------------------------------------------------------------------------


def image_files(inputs: Sequence[Path]) -> list[Path]:
    """Files as given, folders as the images in them (recursive, sorted)."""
    found: list[Path] = []
    for entry in inputs:
        if entry.is_dir():
            inside = sorted(
                path
                for path in entry.rglob("*")
                if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES
            )
            if not inside:
                fail(f"{entry}: no images in this folder ({', '.join(IMAGE_SUFFIXES)})")
            found += inside
        elif entry.is_file():
            found.append(entry)
        else:
            fail(f"{entry}: no such image file or folder")
    return found


@app.command()
def predict(
    bundle: Annotated[Path, typer.Argument(help="An exported bundle: its folder or its .zip.")],
    images: Annotated[
        list[Path] | None, typer.Argument(help="Image files or folders.", show_default=False)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
    selftest: Annotated[
        bool, typer.Option("--selftest", help="First check the bundle against its samples.")
    ] = False,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1)] = 16,
) -> None:
    """Run an exported bundle (folder or .zip) on images; no project needed.

    Exit status 1, naming the file, when a bundle file was altered or an image is unreadable.
    """
    from studio.bundle.manifest import BundleError
    from studio.bundle.runtime import Bundle

    if not bundle.exists():
        fail(f"{bundle}: no such bundle folder or zip file")
    paths = image_files(images or [])
    if not paths and not selftest:
        fail("no images given (name image files or folders, or use --selftest)")
    failures: list[str] = []

    def on_error(image: object, error: BundleError) -> None:
        failures.append(str(error))
        typer.echo(f"studio: {error}", err=True)

    try:
        with Bundle.load(bundle) as loaded:
            if selftest:
                _check_selftest(loaded.selftest(), bundle)
            results = loaded.predict_many(
                [str(path) for path in paths], batch_size=batch_size, on_error=on_error
            )
    except BundleError as error:
        fail(str(error))
    except OSError as error:
        fail(describe_os_error(error, bundle))
    if as_json:
        typer.echo(json.dumps(results, indent=2))
    elif results:
        _print_predictions(results)
    if failures:
        fail(f"{len(failures)} of {len(paths)} images could not be read (listed above)")


def _check_selftest(report: Mapping[str, Any], bundle: Path) -> None:
    from studio.bundle.selftest import selftest_failure

    failure = selftest_failure(report)
    if failure is not None:
        fail(f"{bundle}: self-test failed: {failure}")
    for unchecked in report["unchecked"]:
        typer.echo(f"note: the self-test could not check the {unchecked}", err=True)
    typer.echo(f"self-test passed ({len(report['cases'])} cases)", err=True)


def prediction_text(result: Mapping[str, Any]) -> tuple[str, str]:
    """(what was predicted, its score) for the table of `studio predict`."""
    if "label" in result:
        return str(result["label"]), number(float(result["score"]))
    if "labels" in result:
        scores = result.get("scores", {})
        return ", ".join(result["labels"]) or "-", ", ".join(
            f"{scores[name]:.3f}" for name in result["labels"] if name in scores
        )
    detections = result.get("detections", [])
    shown = ", ".join(f"{d['class']} {d['score']:.2f}" for d in detections[:5])
    more = f" … +{len(detections) - 5}" if len(detections) > 5 else ""
    return f"{len(detections)} objects", shown + more


def _print_predictions(results: Sequence[Mapping[str, Any]]) -> None:
    table = Table(show_edge=False)
    for heading in ("image", "prediction", "score"):
        table.add_column(heading)
    for result in results:
        table.add_row(str(result.get("image", "")), *prediction_text(result))
    table_console().print(table)
