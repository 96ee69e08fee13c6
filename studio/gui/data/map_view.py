"""The scatter plot of the map of the data: one dot per image, a lasso, hover and click.

pyqtgraph's `ScatterPlotItem` draws the dots (its spots are batched, fast for tens of
thousands). Dragging with the left button draws a freehand lasso; when the button is released
the items whose dots lie inside the closed outline (`QPainterPath.contains`, odd-even rule)
are the selection (`lasso_selected`). The wheel zooms, a right or middle drag pans or scales
as in any pyqtgraph plot. Hovering a dot shows its image's name, class and split (with the
gallery's thumbnail when it is cached); clicking one asks for the image (`item_clicked`).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QPainterPath, QPalette, QPen, QPolygonF
from PySide6.QtWidgets import QApplication, QGraphicsPathItem, QVBoxLayout, QWidget

from studio.api.data_map import DataMap, MapPoint
from studio.gui.training.charts import ThemedPlot

DOT_SIZE = 7
MISSING_COLOUR = "#9e9e9e"


class LassoViewBox(pg.ViewBox):
    """A ViewBox where a left-button drag draws a lasso instead of panning."""

    lasso_finished = Signal(object)  # list[QPointF] in data coordinates

    def __init__(self) -> None:
        super().__init__()
        self.trail: list[QPointF] = []
        self.outline = QGraphicsPathItem()
        pen = QPen(QApplication.palette().color(QPalette.ColorRole.Highlight), 0)
        pen.setStyle(Qt.PenStyle.DashLine)
        self.outline.setPen(pen)
        self.outline.setZValue(10)
        self.addItem(self.outline, ignoreBounds=True)

    def mouseDragEvent(self, ev: object, axis: int | None = None) -> None:  # noqa: N802
        if ev.button() != Qt.MouseButton.LeftButton:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        if ev.isStart():
            self.trail = [self.mapSceneToView(ev.buttonDownScenePos())]
        self.trail.append(self.mapSceneToView(ev.scenePos()))
        path = QPainterPath()
        path.addPolygon(QPolygonF(self.trail))
        self.outline.setPath(path)
        if ev.isFinish():
            trail, self.trail = self.trail, []
            self.outline.setPath(QPainterPath())
            self.lasso_finished.emit(trail)


def inside(outline: Sequence[QPointF], xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Which of the points (xs, ys) lie inside the closed `outline` (a boolean mask)."""
    if len(outline) < 3:
        return np.zeros(len(xs), dtype=bool)
    path = QPainterPath()
    path.addPolygon(QPolygonF(list(outline)))
    path.closeSubpath()
    box = path.boundingRect()
    candidates = (xs >= box.left()) & (xs <= box.right()) & (ys >= box.top()) & (ys <= box.bottom())
    found = np.zeros(len(xs), dtype=bool)
    for index in np.flatnonzero(candidates):
        found[index] = path.contains(QPointF(float(xs[index]), float(ys[index])))
    return found


class MapView(QWidget):
    """The plot: `show_map` places the dots, `set_colours` paints them (one brush each)."""

    lasso_selected = Signal(list)  # item ids inside the lasso
    item_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view_box = LassoViewBox()
        self.plot = ThemedPlot(viewBox=self.view_box)
        self.plot.getPlotItem().hideAxis("left")
        self.plot.getPlotItem().hideAxis("bottom")
        self.plot.setAspectLocked(True)
        self.scatter = pg.ScatterPlotItem(size=DOT_SIZE, pen=None, hoverable=True, tip=None)
        self.plot.addItem(self.scatter)
        self.points: tuple[MapPoint, ...] = ()
        self.xs = np.zeros(0)
        self.ys = np.zeros(0)
        self.thumbnails: dict[int, str] = {}  # item id -> a cached thumbnail's path
        self.view_box.lasso_finished.connect(self._lasso_finished)
        self.scatter.sigClicked.connect(self._clicked)
        self.scatter.sigHovered.connect(self._hovered)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)

    def show_map(self, found: DataMap) -> None:
        self.points = found.points
        self.xs = np.array([point.x for point in found.points], dtype=float)
        self.ys = np.array([point.y for point in found.points], dtype=float)
        ids = [point.item_id for point in found.points]
        self.scatter.setData(x=self.xs, y=self.ys, data=ids, brush=MISSING_COLOUR)
        self.view_box.autoRange(padding=0.05)

    def set_colours(self, colours: Sequence[QColor]) -> None:
        """One colour per point, in the map's order."""
        self.scatter.setBrush([pg.mkBrush(colour) for colour in colours])

    def _lasso_finished(self, outline: list[QPointF]) -> None:
        chosen = inside(outline, self.xs, self.ys)
        self.lasso_selected.emit([self.points[index].item_id for index in np.flatnonzero(chosen)])

    def _clicked(self, _item: object, spots: Sequence[object], _event: object) -> None:
        if len(spots):
            self.item_clicked.emit(int(spots[0].data()))

    def _hovered(self, _item: object, spots: Sequence[object], _event: object) -> None:
        if not len(spots):
            self.plot.setToolTip("")
            return
        point = self.points[int(spots[0].index())]
        text = (
            f"<b>{escape(point.path)}</b><br>{escape(point.label)} · "
            f"{escape(point.split or 'no split')} · {escape(point.status)}"
        )
        thumbnail = self.thumbnails.get(point.item_id)
        if thumbnail:
            text = f'<img src="{escape(thumbnail)}"><br>{text}'
        self.plot.setToolTip(text)
