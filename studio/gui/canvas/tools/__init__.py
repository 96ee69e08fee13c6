"""The canvas tools. Which tools the canvas offers, with their titles, keys and icons, comes
from the tool registry (`registry.canvas_tools`), filled by the `studio_canvas_tools` hook;
Studio's own register in `studio.gui.builtin_plugin`."""

from __future__ import annotations

from studio.gui.canvas.tools.base import Pointer, Tool

__all__ = ["Pointer", "Tool"]
