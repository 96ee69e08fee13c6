"""Polygon tool: click vertices; close by clicking the first vertex, Enter or a double-click.

Backspace removes the last vertex, Esc drops the polygon (see `PointChainTool`).
"""

from __future__ import annotations

from studio.gui.canvas.shapes.handles import GRAB_PIXELS
from studio.gui.canvas.tools.base import Pointer
from studio.gui.canvas.tools.point_chain import PointChainTool


class PolygonTool(PointChainTool):
    name = "polygon"
    kind = "polygon"
    min_points = 3

    def geometry(self, chain: list[float]) -> list[list[float]]:
        return [chain]  # one ring

    def press(self, pointer: Pointer) -> None:
        if self._closable(pointer):
            self.finish()
            return
        super().press(pointer)

    def _closable(self, pointer: Pointer) -> bool:
        """Enough vertices, and the pointer on the first one."""
        return len(self._points) >= self.min_points and self._near_point(0, pointer, GRAB_PIXELS)

    def _show(self, pointer: Pointer) -> None:
        self._refresh(self._closable(pointer))
