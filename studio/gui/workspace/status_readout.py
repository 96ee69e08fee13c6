"""The status bar's readout of the workspace: cursor, zoom, image size, position in the list."""

from __future__ import annotations

import math

from PySide6.QtWidgets import QLabel, QStatusBar

from studio.api import ItemRecord
from studio.gui.workspace.workspace import LabelingWorkspace


class StatusReadout:
    """Permanent status-bar labels that follow the canvas, the shown item and the gallery."""

    def __init__(self, status_bar: QStatusBar, workspace: LabelingWorkspace) -> None:
        self.cursor = self._label("cursor", "Cursor position in image pixels")
        self.zoom = self._label("zoom", "Zoom (100% = one image pixel per screen pixel)")
        self.image_size = self._label("imageSize", "Image size")
        self.position = self._label("position", "Position of the image in the gallery")
        for label in (self.cursor, self.zoom, self.image_size, self.position):
            status_bar.addPermanentWidget(label)
        workspace.canvas.cursor_moved.connect(self.show_cursor)
        workspace.canvas.zoom_changed.connect(self.show_zoom)
        workspace.controller.item_changed.connect(self.show_item)
        workspace.navigator.position_changed.connect(self.show_position)

    @staticmethod
    def _label(name: str, tip: str) -> QLabel:
        label = QLabel()
        label.setObjectName(name)
        label.setToolTip(tip)
        return label

    def show_cursor(self, x: float, y: float) -> None:
        """The pixel under the pointer: (20, 30) covers 20 ≤ x < 21, 30 ≤ y < 31."""
        self.cursor.setText(f"{math.floor(x)}, {math.floor(y)} px")

    def show_zoom(self, zoom: float) -> None:
        self.zoom.setText(f"{zoom * 100:.0f}%")

    def show_item(self, item: ItemRecord | None) -> None:
        self.image_size.setText(f"{item.width:,}×{item.height:,}" if item is not None else "")
        if item is None:
            self.cursor.clear()
            self.zoom.clear()

    def show_position(self, row: int, rows: int) -> None:
        self.position.setText(f"{row + 1:,} / {rows:,}" if row >= 0 else "")
