"""The window's side of the plugins: the process's manager with Studio's GUI defaults in it.

`studio.plugins` imports no Qt, so its `DEFAULT_PLUGINS` cannot name the GUI's own tools and
panels; the GUI registers `studio.gui.builtin_plugin` as a built-in plugin the first time a
window part asks for the manager (docs/adr/0027-gui-default-plugin.md). It is imported then,
not at the top: it imports the canvas tools, and the canvas imports this module.
"""

from __future__ import annotations

import importlib
import logging
from typing import TypeVar

from studio.plugins.manager import StudioPlugins, plugins
from studio.plugins.specs import PanelSpec, ToolSpec

log = logging.getLogger(__name__)

GUI_DEFAULTS = "studio.gui.builtin_plugin"
Spec = TypeVar("Spec", ToolSpec, PanelSpec)


def gui_plugins(manager: StudioPlugins | None = None) -> StudioPlugins:
    """`manager` (default: the process's) with the GUI's default plugin registered once."""
    chosen = manager if manager is not None else plugins()
    if all(info.name != GUI_DEFAULTS for info in chosen.infos()):
        chosen.register(importlib.import_module(GUI_DEFAULTS), GUI_DEFAULTS, source="built-in")
    return chosen


def collect_specs(manager: StudioPlugins, hook: str, kind: type[Spec]) -> list[Spec]:
    """The `kind` entries of a registry hook, Studio's own first, then the plugins' in load
    order (the GUI's defaults register after installed plugins have loaded). A later entry
    whose name is taken, or one that is not a `kind`, is logged and left out."""
    built_in = {info.name for info in manager.infos() if info.source == "built-in"}
    entries = manager.collect(hook)
    entries.sort(key=lambda entry: manager.owner(entry) not in built_in)
    chosen: dict[str, Spec] = {}
    for entry in entries:
        owner = manager.owner(entry)
        if not isinstance(entry, kind):
            log.error("plugin %r returned %r from %s, not a %s; ignored", owner, entry, hook,
                      kind.__name__)  # fmt: skip
        elif entry.name in chosen:
            log.error("plugin %r: %s already has an entry named %r; ignored", owner, hook,
                      entry.name)  # fmt: skip
        else:
            chosen[entry.name] = entry
    return list(chosen.values())
