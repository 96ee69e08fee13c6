"""Keypoints tool: click to add points (Shift+click: a hidden point, v = 1), Enter finishes,
Backspace removes the last point, Esc drops them all."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent

from studio.gui.canvas.tools.base import Pointer, Tool
from studio.gui.canvas.tools.live_items import LivePoints

if TYPE_CHECKING:
    from studio.gui.canvas.view import Canvas

VISIBLE, HIDDEN = 2, 1
FINISH_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class KeypointsTool(Tool):
    name = "keypoints"

    def __init__(self, canvas: Canvas) -> None:
        super().__init__(canvas)
        self._points: list[list[float]] = []
        self._live: LivePoints | None = None

    def busy(self) -> bool:
        return bool(self._points)

    def points(self) -> list[list[float]]:
        return [list(point) for point in self._points]

    def press(self, pointer: Pointer) -> None:
        x, y = self.clamped(pointer)
        visibility = HIDDEN if pointer.has(Qt.KeyboardModifier.ShiftModifier) else VISIBLE
        self._points.append([x, y, visibility])
        self._refresh()

    def key_press(self, event: QKeyEvent) -> bool:
        if not self.busy():
            return False
        key = event.key()
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
        return self.busy() and key in (*FINISH_KEYS, Qt.Key.Key_Backspace, Qt.Key.Key_Escape)

    def finish(self) -> None:
        points = self.points()
        self.cancel()
        self.canvas.emit_created("keypoints", points)

    def cancel(self) -> None:
        if self._live is not None:
            self.canvas.scene().removeItem(self._live)
        self._live = None
        self._points = []

    def _refresh(self) -> None:
        if self._live is None:
            self._live = LivePoints(self.canvas.active_color(), joined=False)
            self.canvas.scene().addItem(self._live)
        shown = [(x, y) for x, y, _ in self._points]
        self._live.set_state(shown, None, view_scale=self.canvas.zoom())
