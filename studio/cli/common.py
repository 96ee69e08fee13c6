"""What every `studio` sub-command shares: the app, user-error handling, progress bars,
finding the project file the user means."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy.exc import DBAPIError

from studio.api import Project
from studio.core.errors import StudioError
from studio.core.project_file import PROJECT_SUFFIX

app = typer.Typer(
    name="studio",
    invoke_without_command=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

ProjectArgument = Annotated[
    Path, typer.Argument(help="The project file (NAME.studio).", show_default=False)
]
MISSING_PREVIEW = 20


# -- reporting -------------------------------------------------------------------------------


def fail(message: str) -> NoReturn:
    """End the command: one line on stderr, exit status 1."""
    typer.echo(f"studio: {' '.join(message.splitlines())}", err=True)
    raise typer.Exit(1)


def describe_os_error(error: OSError, fallback: Path | None) -> str:
    name = error.filename if error.filename is not None else fallback
    reason = error.strerror or str(error)
    return f"{name}: {reason}" if name is not None else reason


class PluginMessages(logging.Handler):
    """What the plugins' logger says, on stderr: a failure as its first line (naming the
    plugin and the hook), unless `full` (STUDIO_TRACE_PLUGINS) also asks for the traceback
    and every hook call."""

    def __init__(self, full: bool) -> None:
        super().__init__(logging.INFO if full else logging.WARNING)
        self.full = full

    def emit(self, record: logging.LogRecord) -> None:
        lines = record.getMessage().splitlines() or [""]
        if not self.full and len(lines) > 1:
            lines = [f"{lines[0].rstrip(':')} (STUDIO_TRACE_PLUGINS=1 shows the traceback)"]
        typer.echo(f"studio: {chr(10).join(lines)}", err=True)


def report_plugin_messages(full: bool) -> None:
    """Send the plugins' log to stderr as `PluginMessages` (replacing an earlier one)."""
    logger = logging.getLogger("studio.plugins")
    for handler in [h for h in logger.handlers if isinstance(h, PluginMessages)]:
        logger.removeHandler(handler)
    logger.addHandler(PluginMessages(full))
    logger.setLevel(logging.INFO if full else logging.WARNING)


@contextmanager
def user_errors(project: Path | None = None) -> Iterator[None]:
    """Turn the errors a user can cause into `_fail`; Studio's own bugs keep their traceback."""
    try:
        yield
    except StudioError as error:
        fail(str(error))
    except OSError as error:
        fail(describe_os_error(error, project))
    except DBAPIError as error:
        fail(f"{project}: {error.orig}")


@contextmanager
def stderr_progress() -> Iterator[tuple[Console, Progress]]:
    """A rich progress display on stderr (hidden when stderr is not a terminal)."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    console = Console(stderr=True)
    with Progress(
        *columns, console=console, transient=True, disable=not console.is_terminal
    ) as progress:
        yield console, progress


@contextmanager
def progress_bar(description: str) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar on stderr, fed by the API's `progress(done, total)` callbacks."""
    with stderr_progress() as (_console, bar):
        task = bar.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def table_console() -> Console:
    """stdout; when it is a pipe or a file, wide enough that a table never wraps."""
    console = Console()
    return console if console.is_terminal else Console(width=200)


def number(value: Any) -> str:
    """A metric as a table or a line shows it: floats with four decimals."""
    return f"{value:.4f}" if isinstance(value, float) else str(value)


# -- project paths ---------------------------------------------------------------------------


def with_suffix(path: Path) -> Path:
    return (
        path if path.name.endswith(PROJECT_SUFFIX) else path.with_name(path.name + PROJECT_SUFFIX)
    )


def project_path(path: Path) -> Path:
    """The project file the user means: `birds` finds `birds.studio`, and a folder holding
    exactly one project file means that file."""
    if path.is_dir():
        found = sorted(path.glob(f"*{PROJECT_SUFFIX}"))
        if len(found) == 1:
            return found[0]
        names = ", ".join(candidate.name for candidate in found) or "none"
        fail(f"{path}: is a folder; name the {PROJECT_SUFFIX} file in it (found: {names})")
    suffixed = with_suffix(path)
    if not path.exists() and suffixed.is_file():
        return suffixed
    return path


@contextmanager
def opened_project(path: Path) -> Iterator[Project]:
    file = project_path(path)
    with user_errors(file), Project.open(file) as project:
        yield project
