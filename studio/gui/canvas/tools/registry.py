"""The canvas tool registry: every active plugin's `ToolSpec`, Studio's own first.

The toolbar, the Label menu, the shortcut registry and the help overlay all read this one
list (`canvas_tools`); the canvas builds each tool from its spec (`build_tools`). A plugin
whose factory raises is reported and disabled, and its tool left out; the others still work.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from studio.gui.canvas.tools.base import Tool
from studio.gui.plugin_host import collect_specs
from studio.plugins.manager import PluginError, StudioPlugins
from studio.plugins.specs import ToolSpec

if TYPE_CHECKING:
    from studio.gui.canvas.view import Canvas

HOOK = "studio_canvas_tools"


def canvas_tools(manager: StudioPlugins) -> list[ToolSpec]:
    """The tools of the active plugins, Studio's own first."""
    return collect_specs(manager, HOOK, ToolSpec)


def build_tools(
    canvas: Canvas, specs: Iterable[ToolSpec], manager: StudioPlugins
) -> tuple[dict[str, Tool], list[str]]:
    """Each spec's tool built for `canvas`, by name, and the messages of the plugins whose
    factory raised (those plugins are disabled until restart)."""
    tools: dict[str, Tool] = {}
    problems: list[str] = []
    for spec in specs:
        try:
            with manager.guard(spec, f"{HOOK} ({spec.name} factory)"):
                tools[spec.name] = spec.factory(canvas)
        except PluginError as error:
            problems.append(str(error))
    return tools, problems
