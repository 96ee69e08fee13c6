"""The scene items that draw annotations, one class per kind."""

from __future__ import annotations

from studio.core.records import AnnotationRecord
from studio.gui.canvas.shapes.base import ShapeItem, ShapeStyle, style_for
from studio.gui.canvas.shapes.box_item import BoxItem
from studio.gui.canvas.shapes.keypoints_item import KeypointsItem
from studio.gui.canvas.shapes.mask_item import MaskItem
from studio.gui.canvas.shapes.polygon_item import PolygonItem
from studio.gui.canvas.shapes.polyline_item import PolylineItem
from studio.gui.canvas.shapes.rotated_box_item import RotatedBoxItem

ITEM_CLASSES: dict[str, type[ShapeItem]] = {
    "box": BoxItem,
    "polygon": PolygonItem,
    "mask": MaskItem,
    "keypoints": KeypointsItem,
    "polyline": PolylineItem,
    "rotated_box": RotatedBoxItem,
}

__all__ = [
    "BoxItem",
    "KeypointsItem",
    "MaskItem",
    "PolygonItem",
    "PolylineItem",
    "RotatedBoxItem",
    "ShapeItem",
    "ShapeStyle",
    "make_shape",
    "style_for",
]


def make_shape(record: AnnotationRecord, style: ShapeStyle) -> ShapeItem | None:
    """The item that draws `record`; None for a tag (it has no geometry to draw)."""
    item_class = ITEM_CLASSES.get(record.kind)
    return None if item_class is None else item_class(record, style)
