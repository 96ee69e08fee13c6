"""The tool interface: the canvas forwards pointer and key events to the active tool.

A tool works in scene coordinates (image pixels) and measures "near" in screen pixels
(`Canvas.scene_tolerance`), so grabbing a vertex feels the same at every zoom. Tools never
touch the project: they emit through the canvas (`emit_created`, `emit_edited`,
`request_delete`) after putting themselves back to rest, so that the workspace's answer
(`Canvas.set_annotations`) is applied at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QKeyEvent

from studio.gui.canvas.geometry_edit import clamp_point

if TYPE_CHECKING:
    from studio.gui.canvas.view import Canvas

LIVE_Z = 1000.0  # shapes being drawn sit above every annotation
CURSOR_Z = 2000.0


@dataclass(frozen=True)
class Pointer:
    """One pointer event: where in the scene and in the viewport, with which modifiers."""

    scene: QPointF
    view: QPointF
    modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier

    @property
    def x(self) -> float:
        return self.scene.x()

    @property
    def y(self) -> float:
        return self.scene.y()

    def has(self, modifier: Qt.KeyboardModifier) -> bool:
        return bool(self.modifiers & modifier)


def view_distance(a: QPointF, b: QPointF) -> float:
    return math.hypot(a.x() - b.x(), a.y() - b.y())


class Tool:
    name: ClassVar[str] = ""
    cursor: ClassVar[Qt.CursorShape] = Qt.CursorShape.CrossCursor
    crosshair: ClassVar[bool] = True  # draws the crosshair guides, when they are on

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas

    def activate(self) -> None:
        self.canvas.set_tool_cursor(self.cursor)

    def deactivate(self) -> None:
        self.cancel()

    def press(self, pointer: Pointer) -> None:
        """The left button went down."""

    def move(self, pointer: Pointer) -> None:
        """The pointer moved with the left button down."""

    def release(self, pointer: Pointer) -> None:
        """The left button came up."""

    def double_click(self, pointer: Pointer) -> None:
        """A left double-click (after the press and release of its first click)."""

    def right_click(self, pointer: Pointer) -> None:
        """The right button came up (with no left button held). Most tools ignore it; the
        assistant tools take it as a negative prompt, so no modifier key is needed."""

    def hover(self, pointer: Pointer) -> None:
        """The pointer moved with no button down."""

    def leave(self) -> None:
        """The pointer left the canvas."""

    def brush_size_changed(self) -> None:
        """`Canvas.brush_size()` changed."""

    def key_press(self, event: QKeyEvent) -> bool:
        """Handle a key; True when the tool used it. Esc cancels a gesture in progress."""
        if event.key() == Qt.Key.Key_Escape and self.busy():
            self.cancel()
            return True
        return False

    def claims_key(self, key: int) -> bool:
        """True for a key the tool needs now, before window shortcuts may take it."""
        return key == Qt.Key.Key_Escape and self.busy()

    def busy(self) -> bool:
        """True while a gesture or a shape in progress is unfinished."""
        return False

    def cancel(self) -> None:
        """Drop whatever is in progress and restore what it changed on screen."""

    def clamped(self, pointer: Pointer) -> tuple[float, float]:
        """The pointer's image coordinates, clamped inside the image, to 1/100 pixel."""
        width, height = self.canvas.image_size()
        return clamp_point(pointer.x, pointer.y, width, height)
