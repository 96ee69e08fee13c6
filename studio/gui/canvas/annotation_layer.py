"""The annotations shown on the canvas: one shape item per annotation, their selection,
per-class visibility and opacity, and hit tests.

`set_annotations` keeps the item of every annotation whose record did not change (a mask's
RLE is decoded once, not at every refresh) and replaces the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGraphicsScene

from studio.core.classes import KeypointSchema
from studio.core.records import AnnotationRecord, LabelClassRecord
from studio.gui.canvas.geometry_edit import VertexRef
from studio.gui.canvas.shapes import ShapeItem, ShapeStyle, make_shape, style_for
from studio.gui.canvas.shapes.base import DEFAULT_OPACITY, NO_KEYPOINTS
from studio.gui.canvas.shapes.keypoints_item import class_keypoints

UNKNOWN_CLASS_COLOR = "#9aa3b1"
MASK_Z = 10.0
OUTLINE_Z = 20.0  # boxes, polygons and keypoints draw above masks
Z_STEP = 1e-4


def _stacking(record: AnnotationRecord) -> tuple[int, int]:
    """Bottom to top: by the `z_order` flag (Bring to front, CVAT's z_order; 0 when unset),
    then by id (later shapes above)."""
    z_order = record.attributes.get("z_order", 0)
    return (z_order if isinstance(z_order, int) else 0), record.id


class AnnotationLayer:
    def __init__(self, scene: QGraphicsScene) -> None:
        self._scene = scene
        self._items: dict[int, ShapeItem] = {}
        self._colors: dict[int, QColor] = {}
        self._keypoints: dict[int, KeypointSchema] = {}
        self._hidden: set[int] = set()
        self._opacity: dict[int, float] = {}
        self._selected: list[int] = []
        self._view_scale = 1.0
        self._hover: tuple[ShapeItem, VertexRef] | None = None

    # -- content -------------------------------------------------------------------------

    def set_annotations(
        self, annotations: Sequence[AnnotationRecord], classes: Sequence[LabelClassRecord]
    ) -> None:
        self._colors = {label.id: QColor(label.color) for label in classes}
        self._keypoints = {label.id: class_keypoints(label) for label in classes}
        self.set_hover(None)
        wanted = {record.id: record for record in annotations if record.kind != "tag"}
        for annotation_id in list(self._items):
            item = self._items[annotation_id]
            if wanted.get(annotation_id) != item.record:
                self._scene.removeItem(item)
                del self._items[annotation_id]
        for order, record in enumerate(sorted(wanted.values(), key=_stacking)):
            item = self._items.get(record.id)
            if item is None:
                item = self._add(record)
            else:
                item.restore()
                item.set_style(self._style(record))
            base = MASK_Z if record.kind == "mask" else OUTLINE_Z
            item.setZValue(base + order * Z_STEP + (0.5 if item.is_selected() else 0.0))
        self._selected = [i for i in self._selected if i in self._items]

    def _add(self, record: AnnotationRecord) -> ShapeItem:
        item = make_shape(record, self._style(record))
        assert item is not None  # tags were filtered out
        item.set_view_scale(self._view_scale)
        item.setVisible(record.class_id not in self._hidden)
        item.set_selected(record.id in self._selected)
        self._scene.addItem(item)
        self._items[record.id] = item
        return item

    def _style(self, record: AnnotationRecord) -> ShapeStyle:
        color = self._colors.get(record.class_id, QColor(UNKNOWN_CLASS_COLOR))
        opacity = self._opacity.get(record.class_id, DEFAULT_OPACITY)
        keypoints = self._keypoints.get(record.class_id, NO_KEYPOINTS)
        return style_for(record, color, opacity, keypoints)

    def items(self) -> list[ShapeItem]:
        """Every shape, bottom to top."""
        return sorted(self._items.values(), key=lambda item: item.zValue())

    def item(self, annotation_id: int) -> ShapeItem | None:
        return self._items.get(annotation_id)

    def class_color(self, class_id: int | None) -> QColor:
        if class_id is None:
            return QColor(UNKNOWN_CLASS_COLOR)
        return QColor(self._colors.get(class_id, QColor(UNKNOWN_CLASS_COLOR)))

    # -- selection -----------------------------------------------------------------------

    def selected_ids(self) -> list[int]:
        return list(self._selected)

    def selected_items(self) -> list[ShapeItem]:
        return [self._items[i] for i in self._selected if i in self._items]

    def set_selection(self, ids: Iterable[int]) -> bool:
        """Select exactly `ids` (unknown ids are ignored); True if the selection changed."""
        chosen = list(dict.fromkeys(i for i in ids if i in self._items))
        if chosen == self._selected:
            return False
        for annotation_id, item in self._items.items():
            item.set_selected(annotation_id in chosen)
        self._selected = chosen
        return True

    # -- classes -------------------------------------------------------------------------

    def set_class_visible(self, class_id: int, visible: bool) -> None:
        if visible:
            self._hidden.discard(class_id)
        else:
            self._hidden.add(class_id)
        for item in self._items.values():
            if item.record.class_id == class_id:
                item.setVisible(visible)

    def is_class_visible(self, class_id: int) -> bool:
        return class_id not in self._hidden

    def set_class_opacity(self, class_id: int, opacity: float) -> None:
        self._opacity[class_id] = min(1.0, max(0.0, float(opacity)))
        for item in self._items.values():
            if item.record.class_id == class_id:
                item.set_style(self._style(item.record))

    def class_opacity(self, class_id: int) -> float:
        return self._opacity.get(class_id, DEFAULT_OPACITY)

    # -- zoom, hover and hit tests -------------------------------------------------------

    def set_view_scale(self, scale: float) -> None:
        self._view_scale = scale
        for item in self._items.values():
            item.set_view_scale(scale)

    def set_hover(self, hover: tuple[ShapeItem, VertexRef] | None) -> None:
        if self._hover is not None and (hover is None or hover[0] is not self._hover[0]):
            self._hover[0].set_hover_vertex(None)
        self._hover = hover
        if hover is not None:
            hover[0].set_hover_vertex(hover[1])

    def hover(self) -> tuple[ShapeItem, VertexRef] | None:
        return self._hover

    def visible_items(self) -> list[ShapeItem]:
        """Visible shapes in hit-test order: selected first, then top to bottom."""
        shown = [item for item in self.items() if item.isVisible()]
        shown.reverse()
        return sorted(shown, key=lambda item: not item.is_selected())

    def shape_at(self, x: float, y: float, tolerance: float) -> ShapeItem | None:
        for item in self.visible_items():
            if item.hit(x, y, tolerance):
                return item
        return None

    def vertex_at(self, x: float, y: float, tolerance: float) -> tuple[ShapeItem, VertexRef] | None:
        for item in self.visible_items():
            vertex = item.vertex_at(x, y, tolerance)
            if vertex is not None:
                return item, vertex
        return None

    def shapes_in(self, rect: QRectF) -> list[ShapeItem]:
        return [item for item in self.items() if item.isVisible() and item.intersects(rect)]
