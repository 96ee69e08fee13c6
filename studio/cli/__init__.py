"""The `studio` command line: one sub-command per user task.

    studio new birds.studio
    studio import birds.studio photos/ "more/*.jpg" [--copy]
    studio info birds.studio [--json]
    studio relink birds.studio /mnt/new-place
    studio duplicates birds.studio [--threshold 4] [--json]
    studio health birds.studio [--json]
    studio demo [DIR] [--kind photos|digits]
    studio plugins list [birds.studio]
    studio script run relabel.py birds.studio [-- ARGS]
    studio --no-plugins …             (Studio's own plugins only; workers inherit it)
    studio open birds.studio          (or bare `studio`: the GUI)

A user error (missing file, file from a newer Studio, unreadable folder, ...) ends the
command with exit status 1 and one line on stderr naming the file and the problem; tracebacks
are kept for Studio's own bugs. Progress bars go to stderr, results to stdout.
"""

from __future__ import annotations

import json
import os
import sys
from enum import Enum
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from studio.api import ImportReport, Project, ProjectStats, RelinkReport
from studio.cli.common import (
    MISSING_PREVIEW,
    ProjectArgument,
    app,
    fail,
    opened_project,
    progress_bar,
    project_path,
    report_plugin_messages,
    user_errors,
    with_suffix,
)
from studio.plugins.manager import NO_PLUGINS_ENV, TRACE_ENV, use_plugins

# -- commands --------------------------------------------------------------------------------


@app.command()
def new(
    path: Annotated[
        Path, typer.Argument(help="Where to create it; `.studio` is added if missing.")
    ],
) -> None:
    """Create a new, empty project file."""
    target = with_suffix(path)
    with user_errors(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        Project.create(target).close()
    typer.echo(f"created {target}")


@app.command("import")
def import_media(
    project: ProjectArgument,
    paths: Annotated[
        list[str], typer.Argument(help="Image files, folders (recursive) or glob patterns.")
    ],
    copy: Annotated[
        bool, typer.Option("--copy", help="Copy the images into the project's own store.")
    ] = False,
) -> None:
    """Add images to a project; broken files are skipped and listed with the reason."""
    with opened_project(project) as opened, progress_bar("importing") as progress:
        report = opened.import_media(paths, copy=copy, progress=progress)
    _print_import_report(report)
    if report.failed and not report.added and not report.duplicates:
        fail(f"{opened.path}: nothing imported ({len(report.failed)} failed)")


def _print_import_report(report: ImportReport) -> None:
    typer.echo(f"added       {len(report.added)}")
    typer.echo(f"duplicates  {len(report.duplicates)}")
    typer.echo(f"failed      {len(report.failed)}")
    for path, reason in report.failed:
        typer.echo(f"  {path}: {reason}")


@app.command()
def info(
    project: ProjectArgument,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
) -> None:
    """Show counts of items per status, split and class."""
    with opened_project(project) as opened:
        stats = opened.stats()
        path = opened.path
        read_only_reason = opened.read_only_reason
    if as_json:
        document = {"project": str(path), "read_only": read_only_reason is not None}
        typer.echo(json.dumps({**document, **stats.as_dict()}, indent=2))
    else:
        _print_stats(path, stats, read_only_reason)


def _count_table(title: str, heading: str, counts: dict[str, int]) -> Table:
    table = Table(title=title, title_justify="left", show_edge=False)
    table.add_column(heading)
    table.add_column("items", justify="right")
    for name, count in counts.items():
        table.add_row(name, f"{count:,}")
    return table


def _print_stats(path: Path, stats: ProjectStats, read_only_reason: str | None) -> None:
    console = Console()
    console.print(f"[bold]{path}[/bold]", highlight=False)
    if read_only_reason is not None:
        notice = f"read-only: {read_only_reason}; changes are refused"
        console.print(notice, highlight=False, soft_wrap=True)
    pending = f" (and {stats.pending_suggestions:,} pending suggestions)"
    console.print(
        f"{stats.items:,} items, {stats.annotations:,} annotations"
        f"{pending if stats.pending_suggestions else ''}, "
        f"{len(stats.items_by_class):,} classes\n",
        highlight=False,
    )
    console.print(_count_table("Status", "status", stats.by_status))
    console.print()
    console.print(_count_table("Split", "split", stats.by_split))
    console.print()
    if stats.items_by_class:
        console.print(_class_table(stats))
    else:
        console.print("no classes yet")


def _class_table(stats: ProjectStats) -> Table:
    table = Table(title="Classes", title_justify="left", show_edge=False)
    for heading in ("class", "items", "annotations"):
        table.add_column(heading, justify="left" if heading == "class" else "right")
    for name, item_count in stats.items_by_class.items():
        annotation_count = stats.annotations_by_class.get(name, 0)
        table.add_row(name, f"{item_count:,}", f"{annotation_count:,}")
    return table


@app.command()
def relink(
    project: ProjectArgument,
    search_dirs: Annotated[
        list[Path], typer.Argument(help="Folders to search for the moved images.")
    ],
) -> None:
    """Re-point items whose image files moved, finding them by content (sha256)."""
    for folder in search_dirs:
        if not folder.is_dir():
            fail(f"{folder}: no such folder")
    with opened_project(project) as opened, progress_bar("searching") as progress:
        report = opened.relink(search_dirs, progress=progress)
        missing = opened.items_by_ids(report.still_missing[:MISSING_PREVIEW])
        path = opened.path
    _print_relink_report(report, [item.path for item in missing])
    if report.still_missing:
        count = len(report.still_missing)
        fail(f"{path}: {count} {'item is' if count == 1 else 'items are'} still missing")


def _print_relink_report(report: RelinkReport, missing_preview: list[str]) -> None:
    typer.echo(f"relinked       {len(report.relinked)}")
    typer.echo(f"still missing  {len(report.still_missing)}")
    for stored_path in missing_preview:
        typer.echo(f"  {stored_path}")
    hidden = len(report.still_missing) - len(missing_preview)
    if hidden > 0:
        typer.echo(f"  … and {hidden} more")


class DemoKind(str, Enum):
    photos = "photos"
    digits = "digits"


@app.command()
def demo(
    folder: Annotated[
        Path, typer.Argument(help="Folder for the demo project and its images.")
    ] = Path("demo-project"),
    kind: Annotated[
        DemoKind | None,
        typer.Option(
            "--kind",
            help="photos: photographs with hand-drawn boxes and polygons, and synthetic scenes "
            "(photos.studio); digits: 1,797 labeled handwritten digits frozen as v1 (demo.studio). "
            "Default: photos, or digits with --train.",
        ),
    ] = None,
    train: Annotated[
        bool,
        typer.Option("--train", help="Also train a digit classifier and print its test accuracy."),
    ] = False,
) -> None:
    """Create a demo project, once: the photographs (default) or the handwritten digits."""
    chosen = kind or (DemoKind.digits if train else DemoKind.photos)
    if train and chosen is not DemoKind.digits:
        fail(f"{folder}: --train trains the digits classifier; use --kind digits --train")
    if chosen is DemoKind.photos:
        _create_photo_demo(folder)
        return
    from studio.core.demo import create_demo_project

    with user_errors(folder), progress_bar("creating the demo") as progress:
        path = create_demo_project(folder, progress=progress)
    with opened_project(path) as opened:
        stats = opened.stats()
    labeled = stats.by_status.get("done", 0)
    typer.echo(
        f"created {path}: {labeled:,} labeled digits in {len(stats.items_by_class)} classes, "
        f"{stats.items - labeled:,} unlabeled photos"
    )
    if train:
        training.train_demo_classifier(path)


def _create_photo_demo(folder: Path) -> None:
    from studio.core.photo_demo import create_photo_demo

    with user_errors(folder), progress_bar("creating the demo") as progress:
        path = create_photo_demo(folder, progress=progress)
    with opened_project(path) as opened:
        stats = opened.stats()
    labeled = stats.by_status.get("done", 0)
    class_count = len(stats.items_by_class)
    unlabeled = stats.items - labeled
    typer.echo(
        f"created {path}: {labeled:,} labeled image{'s' if labeled != 1 else ''} with "
        f"{stats.annotations:,} shape{'s' if stats.annotations != 1 else ''} in {class_count} "
        f"class{'es' if class_count != 1 else ''}, {unlabeled} unlabeled photo"
        f"{'s' if unlabeled != 1 else ''}"
    )


@app.command("open")
def open_project(
    project: Annotated[
        Path | None,
        typer.Argument(help="The project file (NAME.studio); none: the start screen."),
    ] = None,
) -> None:
    """Open a project in the Studio window."""
    if project is None:
        _launch_gui(None)
    path = project_path(project)
    with user_errors(path):
        Project.open(path).close()
    _launch_gui(path)


def _missing_display() -> bool:
    """True on Linux without X11 or Wayland, where Qt would abort instead of opening a window
    (unless QT_QPA_PLATFORM names a platform that needs none, such as `offscreen`)."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _launch_gui(project: Path | None) -> NoReturn:
    if _missing_display():
        fail(
            "cannot open a window: no display (DISPLAY and WAYLAND_DISPLAY are unset); "
            "run Studio in a desktop session"
        )
    try:
        from studio.gui.app import run_app
    except ImportError as error:
        fail(f"cannot start the GUI: {error}")
    with user_errors(project):
        code = run_app(project)
    raise typer.Exit(code)


def _print_version(requested: bool) -> None:
    if requested:
        try:
            typer.echo(f"studio {version('studio')}")
        except PackageNotFoundError:
            typer.echo("studio (not installed)")
        raise typer.Exit()


@app.callback()
def _gui_without_command(
    context: typer.Context,
    _version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version."
        ),
    ] = False,
    no_plugins: Annotated[
        bool,
        typer.Option(
            "--no-plugins",
            help="Start without installed and project plugins (Studio's own stay); the "
            "worker processes it starts inherit this.",
        ),
    ] = False,
) -> None:
    """Label images, train and evaluate models, export ONNX bundles.

    With no command, opens the Studio window.
    """
    if no_plugins:
        os.environ[NO_PLUGINS_ENV] = "1"  # in the environment, so workers inherit it
        use_plugins(None)  # load afresh, without them, on first use
    report_plugin_messages(full=os.environ.get(TRACE_ENV, "") not in ("", "0"))
    if context.invoked_subcommand is None:
        _launch_gui(None)


# The sub-commands of other modules register themselves on `app` when imported.
from studio.cli import (  # noqa: E402, F401
    classes,
    data_health,
    data_map,
    label_issues,
    labels,
    models,
    plugins,
    prelabel,
    queue,
    sam,
    scripts,
    training,
)


def main() -> None:
    """The `studio` console script."""
    app()


if __name__ == "__main__":
    main()
