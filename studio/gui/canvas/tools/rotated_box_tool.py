"""Rotated box tool: drag a box as with the Box tool; it is stored as a rotated box of angle 0.

Turn it afterwards with its rotation handle (Select tool) or with Z and X, which turn the
selected rotated boxes anticlockwise and clockwise by a degree (`turn_selected`). Esc cancels
the drag.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.gui.canvas.geometry_edit import rounded
from studio.gui.canvas.shapes.rotated_box_item import RotatedBoxItem, turned
from studio.gui.canvas.tools.base import Pointer
from studio.gui.canvas.tools.box_tool import BoxTool

if TYPE_CHECKING:
    from studio.gui.canvas.view import Canvas

TURN_STEP_DEGREES = 1.0


class RotatedBoxTool(BoxTool):
    name = "rotated_box"

    def release(self, pointer: Pointer) -> None:
        if self._start is None:
            return
        x, y, w, h = self._box(self.clamped(pointer))
        self.cancel()
        if self._big_enough([x, y, w, h]):
            centre = [rounded(x + w / 2), rounded(y + h / 2)]
            self.canvas.emit_created("rotated_box", [*centre, w, h, 0.0])


def turn_selected(canvas: Canvas, degrees: float) -> None:
    """Turn every selected rotated box by `degrees` (clockwise on screen when positive)."""
    boxes = [item for item in canvas.layer.selected_items() if isinstance(item, RotatedBoxItem)]
    if not boxes:
        canvas.show_message("Select a rotated box to turn it")
        return
    for item in boxes:
        canvas.emit_edited(item.annotation_id, turned(item.geometry(), degrees))
