"""Keypoints tool: click to add points (Shift+click: a hidden point, v = 1), Enter finishes,
Backspace removes the last point, Esc drops them all.

When the active class names its keypoints, the tool places them in that order and the status
bar names the next one ("click: left_eye (2 of 17); N skips; Enter ends"). N skips a point
the image does not show (COCO's v = 0); Enter ends early, skipping the rest; the shape is
made once the last point is placed. The class's skeleton is drawn as the points come.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QKeyEvent, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem

from studio.gui.canvas.shapes.base import NO_KEYPOINTS
from studio.gui.canvas.shapes.keypoints_item import (
    SKELETON_PIXELS,
    class_keypoints,
    skeleton_lines,
)
from studio.gui.canvas.tools.base import LIVE_Z, Pointer, Tool
from studio.gui.canvas.tools.live_items import LivePoints
from studio.gui.canvas.tools.point_chain import FINISH_KEYS

if TYPE_CHECKING:
    from studio.gui.canvas.view import Canvas

VISIBLE, HIDDEN, ABSENT = 2, 1, 0
SKIP_KEY = Qt.Key.Key_N


class KeypointsTool(Tool):
    name = "keypoints"

    def __init__(self, canvas: Canvas) -> None:
        super().__init__(canvas)
        self._points: list[list[float]] = []
        self._schema = NO_KEYPOINTS  # the active class's, fixed while points are placed
        self._live: LivePoints | None = None
        self._edges: QGraphicsPathItem | None = None
        self._hint = ""

    def busy(self) -> bool:
        return bool(self._points)

    def points(self) -> list[list[float]]:
        return [list(point) for point in self._points]

    def activate(self) -> None:
        self._show_hint()

    def hover(self, pointer: Pointer) -> None:
        self._show_hint()  # the active class (and so its point names) may have changed

    def press(self, pointer: Pointer) -> None:
        x, y = self.clamped(pointer)
        visibility = HIDDEN if pointer.has(Qt.KeyboardModifier.ShiftModifier) else VISIBLE
        self._add([x, y, visibility])

    def _add(self, point: list[float]) -> None:
        if not self._points:
            self._schema = class_keypoints(self.canvas.active_class())
        self._points.append(point)
        if self._schema.names and len(self._points) >= len(self._schema.names):
            self.finish()
            return
        self._refresh()

    def key_press(self, event: QKeyEvent) -> bool:
        key = event.key()
        if key == SKIP_KEY and self._names_now():
            if not self._points:
                self._schema = class_keypoints(self.canvas.active_class())
            self._add([0.0, 0.0, ABSENT])
            return True
        if not self.busy():
            return False
        if key in FINISH_KEYS:
            self.finish()
        elif key == Qt.Key.Key_Backspace:
            self._points.pop()
            self._refresh() if self._points else self.cancel()
        elif key == Qt.Key.Key_Escape:
            self.cancel()
        else:
            return False
        return True

    def claims_key(self, key: int) -> bool:
        if key == SKIP_KEY:
            return self._names_now()
        return self.busy() and key in (*FINISH_KEYS, Qt.Key.Key_Backspace, Qt.Key.Key_Escape)

    def _names_now(self) -> tuple[str, ...]:
        """The point names being placed (those of the active class before the first one)."""
        schema = self._schema if self._points else class_keypoints(self.canvas.active_class())
        return schema.names

    def finish(self) -> None:
        points = self.points()
        missing = len(self._schema.names) - len(points)
        points += [[0.0, 0.0, ABSENT]] * max(0, missing)
        self.cancel()
        if any(point[2] > ABSENT for point in points):
            self.canvas.emit_created("keypoints", points)
        else:
            self.canvas.show_message("No keypoint placed: every point was skipped")

    def cancel(self) -> None:
        for item in (self._live, self._edges):
            if item is not None:
                self.canvas.scene().removeItem(item)
        self._live = None
        self._edges = None
        self._points = []
        self._show_hint()

    def _show_hint(self) -> None:
        """Name the next point in the status bar (only when the class names its points)."""
        names = self._names_now()
        if not names:
            self._hint = ""
            return
        done = len(self._points)
        hint = f"click: {names[done]} ({done + 1} of {len(names)}); N skips; Enter ends"
        if hint != self._hint:
            self._hint = hint
            self.canvas.show_message(hint)

    def _refresh(self) -> None:
        color = self.canvas.active_color()
        if self._live is None:
            self._live = LivePoints(color, joined=False)
            self.canvas.scene().addItem(self._live)
            self._edges = QGraphicsPathItem()
            self._edges.setZValue(LIVE_Z)
            pen = QPen(QColor(color), SKELETON_PIXELS)
            pen.setCosmetic(True)
            self._edges.setPen(pen)
            self.canvas.scene().addItem(self._edges)
        shown = [(x, y) for x, y, v in self._points if v > ABSENT]
        self._live.set_state(shown, None, view_scale=self.canvas.zoom())
        path = QPainterPath()
        for line in skeleton_lines(self._points, self._schema):
            path.moveTo(line.p1())
            path.lineTo(line.p2())
        assert self._edges is not None
        self._edges.setPath(path)
        self._show_hint()
