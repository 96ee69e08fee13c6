"""Polyline tool: click points; Enter or a double-click ends the line (2 points or more).

Backspace removes the last point, Esc drops the line. A click on (or next to) the last point
adds nothing, so the second click of a double-click does not double the final point.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QKeyEvent

from studio.gui.canvas.tools.base import Pointer, Tool, view_distance
from studio.gui.canvas.tools.live_items import LivePoints
from studio.gui.canvas.tools.polygon_tool import FINISH_KEYS, SAME_POINT_PIXELS

if TYPE_CHECKING:
    from studio.gui.canvas.view import Canvas

MIN_POINTS = 2


class PolylineTool(Tool):
    name = "polyline"

    def __init__(self, canvas: Canvas) -> None:
        super().__init__(canvas)
        self._points: list[tuple[float, float]] = []
        self._cursor: tuple[float, float] | None = None
        self._live: LivePoints | None = None

    def busy(self) -> bool:
        return bool(self._points)

    def points(self) -> list[tuple[float, float]]:
        return list(self._points)

    def press(self, pointer: Pointer) -> None:
        if self._points:
            last = self.canvas.view_point(QPointF(*self._points[-1]))
            if view_distance(last, pointer.view) <= SAME_POINT_PIXELS:
                return
        self._points.append(self.clamped(pointer))
        self._cursor = self.clamped(pointer)
        self._refresh()

    def move(self, pointer: Pointer) -> None:
        self.hover(pointer)

    def hover(self, pointer: Pointer) -> None:
        if self._points:
            self._cursor = self.clamped(pointer)
            self._refresh()

    def double_click(self, pointer: Pointer) -> None:
        if len(self._points) >= MIN_POINTS:
            self.finish()

    def key_press(self, event: QKeyEvent) -> bool:
        if not self.busy():
            return False
        key = event.key()
        if key in FINISH_KEYS:
            if len(self._points) >= MIN_POINTS:
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
        self.canvas.emit_created("polyline", chain)

    def cancel(self) -> None:
        if self._live is not None:
            self.canvas.scene().removeItem(self._live)
        self._live = None
        self._points = []
        self._cursor = None

    def _refresh(self) -> None:
        if self._live is None:
            self._live = LivePoints(self.canvas.active_color(), joined=True)
            self.canvas.scene().addItem(self._live)
        self._live.set_state(self._points, self._cursor, False, self.canvas.zoom())
