"""Studio's own canvas tools and window panels, registered through the same hooks as any
plugin's (`gui_plugins()` registers this module as a built-in plugin).

The labeling panels and the Train, Runs and Models views are built by the workspace and the
training docks, which wire them together; their factories hand those widgets to the window.
Their View-menu keys are declared in `studio.gui.workspace.shortcuts` (`panel_<name>`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.gui.canvas.tools.box_tool import BoxTool
from studio.gui.canvas.tools.brush_tool import BrushTool, EraserTool
from studio.gui.canvas.tools.keypoints_tool import KeypointsTool
from studio.gui.canvas.tools.polygon_tool import PolygonTool
from studio.gui.canvas.tools.polyline_tool import PolylineTool
from studio.gui.canvas.tools.rotated_box_tool import RotatedBoxTool
from studio.gui.canvas.tools.sam_tool import SamTool
from studio.gui.canvas.tools.select_tool import SelectTool
from studio.gui.canvas.tools.wand_tool import WandTool
from studio.plugins.markers import hookimpl
from studio.plugins.specs import PanelSpec, ToolSpec

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from studio.gui.panels import PanelContext

POLYGON_TIP = "Click vertices; close on the first vertex, Enter or double-click"
POLYLINE_TIP = "Click points; Enter or double-click ends the line, Backspace removes a point"
ROTATED_BOX_TIP = "Drag a box; turn it with its handle, or with Z and X"
WAND_TIP = (
    "Click a region of similar colour or drag a box around an object; Shift+click adds, "
    "right-click (or Alt+click) cuts out, [ and ] change the tolerance, Enter stores a polygon, "
    "Shift+Enter a mask"
)

SAM_TIP = (
    "Segment Anything: click the object, right-click (or Shift+click) what is not part of it, "
    "drag a box; "
    "M cycles the masks, Backspace undoes a click, [ ] simplify the outline less or more, "
    "Enter stores a polygon suggestion, Shift+Enter a mask, Esc cancels"
)


@hookimpl
def studio_canvas_tools() -> list[ToolSpec]:
    return [
        ToolSpec("select", "Select and edit", "V", "tool-select", SelectTool,
                 "Select, move and resize shapes"),
        ToolSpec("box", "Box", "B", "tool-box", BoxTool, "Drag a box"),
        ToolSpec("polygon", "Polygon", "P", "tool-polygon", PolygonTool, POLYGON_TIP),
        ToolSpec("polyline", "Polyline", "L", "tool-polyline", PolylineTool, POLYLINE_TIP),
        ToolSpec("rotated_box", "Rotated box", "O", "tool-rotated-box", RotatedBoxTool,
                 ROTATED_BOX_TIP),
        ToolSpec("brush", "Brush (mask)", "R", "tool-brush", BrushTool,
                 "Paint a mask ([ and ] change the size)"),
        ToolSpec("eraser", "Eraser (mask)", "E", "tool-eraser", EraserTool,
                 "Erase from the selected mask"),
        ToolSpec("keypoints", "Keypoints", "K", "tool-keypoints", KeypointsTool,
                 "Click points; Enter finishes"),
        ToolSpec("sam", "Segment Anything", "S", "tool-sam", SamTool, SAM_TIP),
        ToolSpec("wand", "Magic wand", "W", "tool-wand", WandTool, WAND_TIP),
    ]  # fmt: skip


def _classes(context: PanelContext) -> QWidget:
    return context.workspace.class_panel


def _tags(context: PanelContext) -> QWidget:
    return context.workspace.tag_panel


def _shapes(context: PanelContext) -> QWidget:
    return context.workspace.shape_panel


def _train(context: PanelContext) -> QWidget:
    return context.training.panel


def _runs(context: PanelContext) -> QWidget:
    return context.training.runs_view


def _models(context: PanelContext) -> QWidget:
    return context.training.models_view


@hookimpl
def studio_window_panels() -> list[PanelSpec]:
    return [
        PanelSpec("classes", "Classes", _classes, "right"),
        PanelSpec("tags", "Image tags", _tags, "right"),
        PanelSpec("shapes", "Shapes", _shapes, "right"),
        PanelSpec("train", "Train", _train, "bottom"),
        PanelSpec("runs", "Runs", _runs, "bottom"),
        PanelSpec("models", "Models", _models, "bottom"),
    ]
