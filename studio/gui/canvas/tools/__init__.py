"""The canvas tools and what the workspace needs to offer them (titles, keys, icons)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from studio.gui.canvas.tools.base import Pointer, Tool
from studio.gui.canvas.tools.box_tool import BoxTool
from studio.gui.canvas.tools.brush_tool import BrushTool, EraserTool
from studio.gui.canvas.tools.keypoints_tool import KeypointsTool
from studio.gui.canvas.tools.polygon_tool import PolygonTool
from studio.gui.canvas.tools.select_tool import SelectTool

if TYPE_CHECKING:
    from studio.gui.canvas.view import Canvas


@dataclass(frozen=True)
class ToolInfo:
    """A tool as a toolbar shows it: `icon` names `resources/icons/<icon>.svg`."""

    name: str
    title: str
    shortcut: str
    icon: str
    tip: str


TOOLS: tuple[ToolInfo, ...] = (
    ToolInfo("select", "Select", "V", "tool-select", "Select, move and resize shapes"),
    ToolInfo("box", "Box", "B", "tool-box", "Drag a box"),
    ToolInfo(
        "polygon",
        "Polygon",
        "P",
        "tool-polygon",
        "Click vertices; close on the first vertex, Enter or double-click",
    ),
    ToolInfo("brush", "Brush", "M", "tool-brush", "Paint a mask ([ and ] change the size)"),
    ToolInfo("eraser", "Eraser", "E", "tool-eraser", "Erase from the selected mask"),
    ToolInfo("keypoints", "Keypoints", "K", "tool-keypoints", "Click points; Enter finishes"),
)
TOOL_NAMES: tuple[str, ...] = tuple(tool.name for tool in TOOLS)

_CLASSES: dict[str, type[Tool]] = {
    tool.name: tool
    for tool in (SelectTool, BoxTool, PolygonTool, BrushTool, EraserTool, KeypointsTool)
}

__all__ = ["TOOLS", "TOOL_NAMES", "Pointer", "Tool", "ToolInfo", "make_tools"]


def make_tools(canvas: Canvas) -> dict[str, Tool]:
    return {name: _CLASSES[name](canvas) for name in TOOL_NAMES}
