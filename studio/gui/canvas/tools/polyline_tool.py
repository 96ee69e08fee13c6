"""Polyline tool: click points; Enter or a double-click ends the line (2 points or more).

Backspace removes the last point, Esc drops the line (see `PointChainTool`).
"""

from __future__ import annotations

from studio.gui.canvas.tools.point_chain import PointChainTool


class PolylineTool(PointChainTool):
    name = "polyline"
    kind = "polyline"
    min_points = 2
