"""`studio script run`: a Python file run with a project opened through `studio.api`.

studio script run relabel.py birds.studio -- --from crow --to raven

The script sees the globals `project` (the open `studio.api.Project`) and `args` (the words
after `--`, also in `sys.argv[1:]`), with `__name__ == "__main__"`. A script that defines
`main(project, args)` instead is run and then has `main` called, so the same file can be
imported in a notebook and `main` called there. The project is closed afterwards, whatever
happened. See docs/scripting.md.
"""

from __future__ import annotations

import runpy
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from studio.api import Project
from studio.cli.common import ProjectArgument, app, fail, opened_project

script_app = typer.Typer(help="Run Python scripts against a project.", no_args_is_help=True)
app.add_typer(script_app, name="script")


@dataclass(frozen=True)
class ScriptFailure:
    """Where and how a script failed: `summary` is one line, `details` the traceback."""

    summary: str
    details: str


@contextmanager
def _as_main_program(script: Path, args: list[str]) -> Iterator[None]:
    """`sys.argv` and `sys.path[0]` as `python SCRIPT ARGS…` would set them, restored after."""
    saved_argv, saved_path = sys.argv, list(sys.path)
    sys.argv = [str(script), *args]
    sys.path.insert(0, str(script.parent))
    try:
        yield
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path


def _failure(script: Path, error: BaseException) -> ScriptFailure:
    """The script's own line that failed (the innermost frame in the file), else the file."""
    line = error.lineno if isinstance(error, SyntaxError) else None
    for frame, frame_line in traceback.walk_tb(error.__traceback__):
        if Path(frame.f_code.co_filename) == script:
            line = frame_line
    where = f"{script}:{line}" if line is not None else str(script)
    message = str(error).splitlines()[0] if str(error) else ""
    summary = f"{where}: {type(error).__name__}" + (f": {message}" if message else "")
    details = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return ScriptFailure(summary, details)


def run_script(script: Path, project: Project, args: list[str]) -> ScriptFailure | None:
    """Run `script` with `project` and `args`; how it failed, or None when it did not."""
    try:
        with _as_main_program(script, args):
            namespace = runpy.run_path(
                str(script), init_globals={"project": project, "args": args}, run_name="__main__"
            )
            main = namespace.get("main")
            if callable(main):
                main(project, args)
    except Exception as error:  # the script's own errors: reported, never Studio's crash
        return _failure(script, error)
    return None


@script_app.command("run")
def run(
    script: Annotated[Path, typer.Argument(help="The Python file to run.", show_default=False)],
    project: ProjectArgument,
    args: Annotated[
        list[str] | None,
        typer.Argument(help="Arguments for the script, after `--`.", show_default=False),
    ] = None,
    show_traceback: Annotated[
        bool, typer.Option("--traceback", help="On an error, print the full traceback.")
    ] = False,
) -> None:
    """Run a Python script with the project open as `project` (see docs/scripting.md)."""
    file = script.resolve()
    if not file.is_file():
        fail(f"{script}: no such file")
    with opened_project(project) as opened:
        failure = run_script(file, opened, list(args or []))
    if failure is not None:
        if show_traceback:
            typer.echo(failure.details.rstrip(), err=True)
        fail(failure.summary)
