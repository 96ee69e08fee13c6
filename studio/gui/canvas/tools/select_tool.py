"""Select tool: select, move, resize and reshape shapes.

- Click a shape to select it (Shift+click adds or removes it); drag on empty space for a
  rubber band (Shift adds to the selection); Esc clears the selection.
- Drag a shape to move the selection; drag a handle of a selected box to resize it.
- Drag a polygon or polyline vertex (or keypoint) to move it; double-click a polygon edge or
  a polyline segment to insert a vertex; Alt+click a vertex, or Delete/Backspace while
  hovering it, to remove it.
- Drag a corner of a selected rotated box to resize it, its rotation handle to turn it.
- Right-click a shape for its context menu (class, copy, delete, stacking, review); a shape
  not yet selected becomes the selection first, as in file managers.
Every change shows live while dragging and is emitted once, when the drag ends; Esc during
a drag puts everything back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QKeyEvent
from PySide6.QtWidgets import QGraphicsRectItem

from studio.gui.canvas.geometry_edit import (
    VertexRef,
    clamp_delta,
    insert_vertex,
    nearest_edge,
    rounded,
)
from studio.gui.canvas.shapes import BoxItem, PolygonItem, PolylineItem, ShapeItem
from studio.gui.canvas.shapes.handles import GRAB_PIXELS, HANDLE_CURSORS, resize_box
from studio.gui.canvas.tools.base import LIVE_Z, Pointer, Tool, view_distance
from studio.gui.canvas.tools.live_items import cosmetic_pen

if TYPE_CHECKING:
    from studio.gui.canvas.view import Canvas

DRAG_PIXELS = 3.0  # a press that moves less than this is a click, not a drag
MIN_BOX_SIDE = 1.0  # image pixels
DELETE_KEYS = (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)
SHIFT = Qt.KeyboardModifier.ShiftModifier


class SelectTool(Tool):
    name = "select"
    cursor = Qt.CursorShape.ArrowCursor
    crosshair = False  # guides help to place a point, not to pick a shape

    def __init__(self, canvas: Canvas) -> None:
        super().__init__(canvas)
        self._mode: str | None = None  # pending, move, resize, vertex, band
        self._press: Pointer | None = None
        self._pressed: ShapeItem | None = None
        self._targets: list[ShapeItem] = []
        self._item: ShapeItem | None = None
        self._handle = ""
        self._vertex: VertexRef | None = None
        self._original: Any = None
        self._delta = (0.0, 0.0)
        self._band: QGraphicsRectItem | None = None

    def busy(self) -> bool:
        return self._mode is not None

    # -- pointer -------------------------------------------------------------------------

    def press(self, pointer: Pointer) -> None:
        self.cancel()
        self._press = pointer
        tolerance = self.canvas.scene_tolerance()
        handle = self._handle_at(pointer)
        if handle is not None:
            self._begin_edit("resize", handle[0], handle=handle[1])
            return
        vertex = self.canvas.layer.vertex_at(pointer.x, pointer.y, tolerance)
        if vertex is not None:
            self._press_vertex(pointer, *vertex)
            return
        item = self.canvas.layer.shape_at(pointer.x, pointer.y, tolerance)
        if item is not None:
            self._press_shape(pointer, item)
            return
        if not pointer.has(SHIFT):
            self.canvas.user_select([])
        self._start_band(pointer)

    def move(self, pointer: Pointer) -> None:
        pressed = self._press
        if self._mode == "pending" and pressed and self._dragged(pointer, pressed):
            self._mode = "move"
        if self._mode == "move":
            self._drag_targets(pointer)
        elif self._mode == "resize" and self._item is not None:
            width, height = self.canvas.image_size()
            x, y = self.clamped(pointer)
            self._item.set_geometry(resize_box(self._original, self._handle, x, y, width, height))
        elif self._mode == "vertex" and self._item is not None and self._vertex is not None:
            self._item.set_geometry(
                self._item.with_vertex_moved(self._vertex, *self.clamped(pointer))
            )
        elif self._mode == "band" and self._band is not None:
            self._band.setRect(self._band_rect(pointer))

    @staticmethod
    def _dragged(pointer: Pointer, pressed: Pointer) -> bool:
        return view_distance(pointer.view, pressed.view) >= DRAG_PIXELS

    def release(self, pointer: Pointer) -> None:
        mode = self._mode
        if mode == "pending":
            self._click_without_drag(pointer)
        elif mode == "move":
            self._finish_move()
        elif mode in ("resize", "vertex"):
            self._finish_edit()
        elif mode == "band":
            self._finish_band(pointer)
        self._reset()

    def double_click(self, pointer: Pointer) -> None:
        """Insert a vertex where a polygon edge or a polyline segment was double-clicked."""
        tolerance = self.canvas.scene_tolerance()
        if self.canvas.layer.vertex_at(pointer.x, pointer.y, tolerance) is not None:
            return
        for item in self.canvas.layer.visible_items():
            if isinstance(item, PolylineItem):
                geometry = item.with_point_on_segment(pointer.x, pointer.y, tolerance)
                if geometry is not None:
                    self.canvas.emit_edited(item.annotation_id, geometry)
                    return
            if not isinstance(item, PolygonItem):
                continue
            edge = nearest_edge(item.geometry(), pointer.x, pointer.y, tolerance)
            if edge is not None:
                after, x, y = edge
                geometry = insert_vertex(item.geometry(), after, rounded(x), rounded(y))
                self.canvas.emit_edited(item.annotation_id, geometry)
                return

    def right_click(self, pointer: Pointer) -> None:
        if self.busy():
            return
        item = self.canvas.layer.shape_at(pointer.x, pointer.y, self.canvas.scene_tolerance())
        if item is None:
            return
        if not item.is_selected():
            self.canvas.user_select([item.annotation_id])
        self.canvas.request_context_menu(pointer.view)

    def hover(self, pointer: Pointer) -> None:
        handle = self._handle_at(pointer)
        vertex = None
        if handle is None:
            vertex = self.canvas.layer.vertex_at(
                pointer.x, pointer.y, self.canvas.scene_tolerance()
            )
        self.canvas.layer.set_hover(vertex)
        if handle is not None:
            cursor = HANDLE_CURSORS[handle[1]]
        elif vertex is not None:
            cursor = Qt.CursorShape.PointingHandCursor
        elif self.canvas.layer.shape_at(pointer.x, pointer.y, self.canvas.scene_tolerance()):
            cursor = Qt.CursorShape.SizeAllCursor
        else:
            cursor = self.cursor
        self.canvas.set_tool_cursor(cursor)

    # -- keys ----------------------------------------------------------------------------

    def key_press(self, event: QKeyEvent) -> bool:
        key = event.key()
        if key in DELETE_KEYS and self.canvas.layer.hover() is not None and not self.busy():
            self._remove_vertex(*self.canvas.layer.hover())
            return True
        if key == Qt.Key.Key_Escape:
            if self.busy():
                self.cancel()
                return True
            if self.canvas.layer.selected_ids():
                self.canvas.user_select([])
                return True
        return False

    def claims_key(self, key: int) -> bool:
        if key in DELETE_KEYS:
            return self.canvas.layer.hover() is not None
        if key == Qt.Key.Key_Escape:
            return self.busy() or bool(self.canvas.layer.selected_ids())
        return False

    def cancel(self) -> None:
        """Put back whatever a drag changed."""
        if self._mode == "move":
            for item in self._targets:
                item.setPos(0, 0)
        elif self._mode in ("resize", "vertex") and self._item is not None:
            self._item.set_geometry(self._original)
        self._reset()

    # -- gestures ------------------------------------------------------------------------

    def _reset(self) -> None:
        if self._band is not None:
            self.canvas.scene().removeItem(self._band)
        self._mode, self._press, self._pressed, self._band = None, None, None, None
        self._targets, self._item, self._vertex, self._original = [], None, None, None
        self._delta = (0.0, 0.0)

    def _begin_edit(
        self, mode: str, item: ShapeItem, handle: str = "", vertex: VertexRef | None = None
    ) -> None:
        self._mode, self._item, self._handle, self._vertex = mode, item, handle, vertex
        self._original = item.geometry()

    def _press_vertex(self, pointer: Pointer, item: ShapeItem, vertex: VertexRef) -> None:
        if pointer.has(Qt.KeyboardModifier.AltModifier):
            self._reset()
            self._remove_vertex(item, vertex)
            return
        if not item.is_selected():
            self._select_item(item, pointer.has(SHIFT))
        self._begin_edit("vertex", item, vertex=vertex)

    def _press_shape(self, pointer: Pointer, item: ShapeItem) -> None:
        if pointer.has(SHIFT):
            ids = self.canvas.layer.selected_ids()
            if item.annotation_id in ids:
                ids.remove(item.annotation_id)
            else:
                ids.append(item.annotation_id)
            self.canvas.user_select(ids)
        elif not item.is_selected():
            self._select_item(item, False)
        if not item.is_selected():
            self._reset()
            return
        self._mode, self._pressed = "pending", item
        self._targets = self.canvas.layer.selected_items()

    def _select_item(self, item: ShapeItem, add: bool) -> None:
        ids = self.canvas.layer.selected_ids() if add else []
        self.canvas.user_select([*ids, item.annotation_id])

    def _click_without_drag(self, pointer: Pointer) -> None:
        """A plain click on one of several selected shapes selects just that one."""
        pressed = self._pressed
        if pressed is not None and not pointer.has(SHIFT):
            self.canvas.user_select([pressed.annotation_id])

    def _drag_targets(self, pointer: Pointer) -> None:
        assert self._press is not None
        width, height = self.canvas.image_size()
        bounds = [item.move_bounds() for item in self._targets]
        boxes = [b for b in bounds if b is not None]
        if not boxes:
            return
        union = (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )
        dx, dy = pointer.x - self._press.x, pointer.y - self._press.y
        self._delta = clamp_delta(union, dx, dy, width, height)
        for item in self._targets:
            item.setPos(*self._delta)

    def _finish_move(self) -> None:
        dx, dy = self._delta
        if (dx, dy) == (0.0, 0.0):
            return
        edits = [(item, item.translated(dx, dy)) for item in self._targets]
        self._targets = []
        self._mode = None
        for item, geometry in edits:
            item.setPos(0, 0)
            item.set_geometry(geometry)
        for item, geometry in edits:
            self.canvas.emit_edited(item.annotation_id, geometry)

    def _finish_edit(self) -> None:
        item, original = self._item, self._original
        assert item is not None
        self._mode = None
        if isinstance(item, BoxItem) and min(item.geometry()[2:]) < MIN_BOX_SIDE:
            item.set_geometry(original)  # squashed flat: the project would refuse it
            self.canvas.show_message("A box needs a width and a height")
            return
        if item.geometry() != original:
            self.canvas.emit_edited(item.annotation_id, item.geometry())

    def _remove_vertex(self, item: ShapeItem, vertex: VertexRef) -> None:
        geometry = item.without_vertex(vertex)
        if geometry is None:
            self.canvas.show_message(item.too_few_points)
            return
        self.canvas.layer.set_hover(None)
        self.canvas.emit_edited(item.annotation_id, geometry)

    def _handle_at(self, pointer: Pointer) -> tuple[BoxItem, str] | None:
        for item in self.canvas.layer.selected_items():
            if not isinstance(item, BoxItem) or not item.isVisible():
                continue
            for name, (x, y) in item.handle_points().items():
                if (
                    view_distance(self.canvas.view_point(QPointF(x, y)), pointer.view)
                    <= GRAB_PIXELS
                ):
                    return item, name
        return None

    def _start_band(self, pointer: Pointer) -> None:
        self._mode = "band"
        self._band = QGraphicsRectItem()
        self._band.setZValue(LIVE_Z)
        self._band.setPen(cosmetic_pen(QColor(120, 170, 255), 1.0, dashed=True))
        self._band.setBrush(QColor(120, 170, 255, 40))
        self.canvas.scene().addItem(self._band)
        self._band.setRect(self._band_rect(pointer))

    def _band_rect(self, pointer: Pointer) -> QRectF:
        assert self._press is not None
        return QRectF(self._press.scene, pointer.scene).normalized()

    def _finish_band(self, pointer: Pointer) -> None:
        if self._press is None or view_distance(pointer.view, self._press.view) < DRAG_PIXELS:
            return
        found = [
            item.annotation_id for item in self.canvas.layer.shapes_in(self._band_rect(pointer))
        ]
        if pointer.has(SHIFT):
            found = [*self.canvas.layer.selected_ids(), *found]
        self.canvas.user_select(found)
