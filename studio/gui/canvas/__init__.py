"""The labeling canvas: `Canvas` (a QGraphicsView) and its tools.

canvas = Canvas()
canvas.shape_created.connect(...)   # the workspace turns signals into API calls
canvas.set_image(path, item.width, item.height)
canvas.set_annotations(project.annotations(item.id), project.classes())
canvas.set_tool("polygon")
"""

from __future__ import annotations

from studio.gui.canvas.keys import CANVAS_KEYS
from studio.gui.canvas.view import (
    IMAGE_FULL,
    IMAGE_MISSING,
    IMAGE_PREVIEW,
    IMAGE_UNREADABLE,
    Canvas,
)

__all__ = [
    "CANVAS_KEYS",
    "IMAGE_FULL",
    "IMAGE_MISSING",
    "IMAGE_PREVIEW",
    "IMAGE_UNREADABLE",
    "Canvas",
]
