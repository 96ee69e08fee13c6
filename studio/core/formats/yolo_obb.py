"""YOLO-OBB: Ultralytics' oriented bounding boxes, the YOLO layout with a rotated box a line.

Everything but the lines is YOLO's (`studio.core.formats.yolo`): `data.yaml`, the folders,
the splits. A line is `class x1 y1 x2 y2 x3 y3 x4 y4`, the box's four corners in fractions of
the image size. Export writes boxes too, as rotated boxes of angle 0.
"""

from __future__ import annotations

from pathlib import Path

from studio.core.enums import AnnotationKind
from studio.core.formats.yolo import YoloFormat


class YoloObbFormat(YoloFormat):
    name = "yolo_obb"
    title = "YOLO-OBB (rotated boxes)"
    kinds = frozenset({AnnotationKind.BOX, AnnotationKind.ROTATED_BOX})
    oriented = True

    def detect(self, path: Path) -> float:
        """Never guessed: a line of 4 corners reads the same as a 4-point YOLO polygon."""
        return 0.0


FORMAT = YoloObbFormat()
