"""`studio plugins`: see, enable, disable and trust plugins.

studio plugins list [birds.studio] [--json]
studio plugins disable studio_mlflow
studio plugins enable studio_mlflow
studio plugins trust birds.studio [--yes]

Choices are remembered per user (Studio's config folder, `$STUDIO_CONFIG_DIR`); a project's own
plugin folder runs only once this user trusted it with exactly the files it holds now.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from studio.cli.common import (
    ProjectArgument,
    app,
    fail,
    opened_project,
    table_console,
    user_errors,
)
from studio.plugins.manager import PluginInfo
from studio.plugins.manager import plugins as process_plugins
from studio.plugins.trust import folder_fingerprint, plugin_files

plugins_app = typer.Typer(
    help="See, enable, disable and trust plugins (see docs/plugins.md).", no_args_is_help=True
)
app.add_typer(plugins_app, name="plugins")

# What `list` says about a project's plugin folder (`Project.plugin_folder_status()`).
FOLDER_STATES = {
    "none": "no plugin folder",
    "loaded": "trusted and loaded",
    "disabled": "trusted, but plugins are off (--no-plugins)",
    "untrusted": "not loaded: not trusted with these files; see `studio plugins trust`",
}


def _state(info: PluginInfo) -> str:
    if not info.enabled:
        return "disabled"
    if info.failed:
        return "refused" if info.errors and info.errors[0].startswith("refused") else "failed"
    return "enabled"


def _reasons(info: PluginInfo) -> list[str]:
    """The plugin's errors as a state column shows them (the state already says "refused")."""
    return [error.removeprefix("refused: ") for error in info.errors]


def _as_dict(info: PluginInfo) -> dict[str, Any]:
    return {
        "name": info.name,
        "source": info.source,
        "version": info.version,
        "location": info.location,
        "hooks": list(info.hooks),
        "state": _state(info),
        "errors": list(info.errors),
    }


@plugins_app.command("list")
def list_plugins(
    project: Annotated[
        Path | None,
        typer.Argument(
            help="A project file: also its own plugin folder (loaded only if trusted).",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plugins as JSON.")] = False,
) -> None:
    """Show every plugin: where it came from, its version, its hooks, its state and errors."""
    folder: dict[str, str] | None = None
    if project is None:
        infos = process_plugins().infos()
    else:
        with opened_project(project) as opened:
            infos = process_plugins().infos()  # before closing unloads the project's own
            status = opened.plugin_folder_status()
            folder = {"folder": str(opened.plugin_folder), "status": status}
    if as_json:
        document: dict[str, Any] = {"plugins": [_as_dict(info) for info in infos]}
        if folder is not None:
            document["project_plugins"] = folder
        typer.echo(json.dumps(document, indent=2))
        return
    _print_plugins(infos)
    if folder is not None:
        typer.echo(f"\nproject plugins in {folder['folder']}: {FOLDER_STATES[folder['status']]}")


def _print_plugins(infos: list[PluginInfo]) -> None:
    table = Table(show_edge=False)
    for heading in ("name", "source", "version", "hooks", "state"):
        table.add_column(heading, overflow="fold")
    for info in infos:
        hooks = ", ".join(hook.removeprefix("studio_") for hook in info.hooks) or "-"
        state = "; ".join([_state(info), *_reasons(info)])
        table.add_row(info.name, info.source, info.version or "-", hooks, state)
    table_console().print(table)


@plugins_app.command("enable")
def enable(name: Annotated[str, typer.Argument(help="The plugin's name (see `list`).")]) -> None:
    """Turn a plugin on again (remembered for this user)."""
    with user_errors():
        info = process_plugins().set_enabled(name, True)
    typer.echo(f"{info.name}: {_state(info)}")


@plugins_app.command("disable")
def disable(name: Annotated[str, typer.Argument(help="The plugin's name (see `list`).")]) -> None:
    """Turn a plugin off (remembered for this user); Studio's own cannot be turned off."""
    with user_errors():
        info = process_plugins().set_enabled(name, False)
    typer.echo(f"{info.name}: {_state(info)}")


@plugins_app.command("trust")
def trust(
    project: ProjectArgument,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Trust without asking.")] = False,
) -> None:
    """Trust a project's own plugin folder as it is now, after showing its files.

    Its code runs whenever this user opens the project, until a file in the folder changes.
    """
    with opened_project(project) as opened:
        folder = opened.plugin_folder
        if not folder.is_dir():
            fail(f"{folder}: no plugin folder; nothing to trust")
        with user_errors(folder):
            files = plugin_files(folder)
            fingerprint = folder_fingerprint(folder)
        typer.echo(f"{folder} holds {len(files)} files:")
        for path in files:
            typer.echo(f"  {path.relative_to(folder).as_posix()}")
        typer.echo(f"fingerprint {fingerprint}")
        question = "Run this code whenever you open the project, until a file changes?"
        if not yes and not typer.confirm(question, default=False):
            fail(f"{folder}: not trusted")
        with user_errors(folder):
            loaded = opened.trust_plugins()
    typer.echo(f"trusted {folder}")
    for info in loaded:
        typer.echo(f"  {info.name}: {'; '.join([_state(info), *_reasons(info)])}")
