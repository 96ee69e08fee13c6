"""What the polygon and polyline tools share: a chain of points placed by clicks.

Enter or a double-click ends the chain (once it has `min_points`), Backspace removes the last
point, Esc drops the chain. A click on (or next to) the last point adds nothing, so the second
click of a double-click does not double the final point.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QKeyEvent

from studio.gui.canvas.tools.base import Pointer, Tool, view_distance
from studio.gui.canvas.tools.live_items import LivePoints

if TYPE_CHECKING:
    from studio.gui.canvas.view import Canvas

SAME_POINT_PIXELS = 3.0
FINISH_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class PointChainTool(Tool):
    """A tool that makes one shape of kind `kind` from at least `min_points` clicked points."""

    kind = ""
    min_points = 2

    def __init__(self, canvas: Canvas) -> None:
        super().__init__(canvas)
        self._points: list[tuple[float, float]] = []
        self._cursor: tuple[float, float] | None = None
        self._live: LivePoints | None = None

    def geometry(self, chain: list[float]) -> Any:
        """The shape's stored geometry from the points, flattened to x1, y1, x2, y2…"""
        return chain

    def busy(self) -> bool:
        return bool(self._points)

    def points(self) -> list[tuple[float, float]]:
        return list(self._points)

    def press(self, pointer: Pointer) -> None:
        if self._near_point(-1, pointer, SAME_POINT_PIXELS):
            return
        self._points.append(self.clamped(pointer))
        self._cursor = self.clamped(pointer)
        self._show(pointer)

    def move(self, pointer: Pointer) -> None:
        self.hover(pointer)

    def hover(self, pointer: Pointer) -> None:
        if self._points:
            self._cursor = self.clamped(pointer)
            self._show(pointer)

    def double_click(self, pointer: Pointer) -> None:
        if len(self._points) >= self.min_points:
            self.finish()

    def key_press(self, event: QKeyEvent) -> bool:
        if not self.busy():
            return False
        key = event.key()
        if key in FINISH_KEYS:
            if len(self._points) >= self.min_points:
                self.finish()
            return True
        if key == Qt.Key.Key_Backspace:
            self._points.pop()
            if self._points:
                self._refresh()
            else:
                self.cancel()
            return True
        if key == Qt.Key.Key_Escape:
            self.cancel()
            return True
        return False

    def claims_key(self, key: int) -> bool:
        return self.busy() and key in (*FINISH_KEYS, Qt.Key.Key_Backspace, Qt.Key.Key_Escape)

    def finish(self) -> None:
        chain = [coordinate for point in self._points for coordinate in point]
        self.cancel()
        self.canvas.emit_created(self.kind, self.geometry(chain))

    def cancel(self) -> None:
        if self._live is not None:
            self.canvas.scene().removeItem(self._live)
        self._live = None
        self._points = []
        self._cursor = None

    def _near_point(self, index: int, pointer: Pointer, pixels: float) -> bool:
        if not self._points:
            return False
        point = self.canvas.view_point(QPointF(*self._points[index]))
        return view_distance(point, pointer.view) <= pixels

    def _show(self, pointer: Pointer) -> None:
        self._refresh()

    def _refresh(self, closable: bool = False) -> None:
        if self._live is None:
            self._live = LivePoints(self.canvas.active_color(), joined=True)
            self.canvas.scene().addItem(self._live)
        self._live.set_state(self._points, self._cursor, closable, self.canvas.zoom())
