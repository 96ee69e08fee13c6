"""Live training charts (pyqtgraph): loss per batch and per epoch, validation metrics per epoch,
and overlaid curves of one metric for several runs.

The x axis is in epochs: a batch's loss sits at `epoch - 1 + step / steps`, an epoch's numbers
at `epoch`, so the per-batch line runs into the epoch's point. Plots take the colours of the
current Qt palette, so they read well on the light and the dark theme.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyqtgraph as pg
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QHBoxLayout, QVBoxLayout, QWidget

CURVE_COLORS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
)
BATCH_COLOR = "#9aa5b1"
MAX_BATCH_POINTS = 20_000  # older per-batch points are thinned out beyond this

Points = Sequence[tuple[float, float]]


def curve_color(index: int) -> str:
    return CURVE_COLORS[index % len(CURVE_COLORS)]


def curve_style(color: str) -> dict[str, Any]:
    """`plot()` options of an epoch curve: a line with round markers, in `color`."""
    return {
        "pen": pg.mkPen(color, width=2),
        "symbol": "o",
        "symbolSize": 6,
        "symbolBrush": color,
        "symbolPen": None,
    }


def make_plot(title: str, y_label: str) -> pg.PlotWidget:
    """A plot in the palette's colours, with a grid and a legend."""
    palette = QApplication.palette()
    background = palette.color(QPalette.ColorRole.Base).name()
    foreground = palette.color(QPalette.ColorRole.Text).name()
    plot = pg.PlotWidget(background=background)
    plot.setTitle(title, color=foreground, size="10pt")
    item = plot.getPlotItem()
    item.showGrid(x=True, y=True, alpha=0.25)
    for side in ("left", "bottom"):
        axis = item.getAxis(side)
        axis.setPen(foreground)
        axis.setTextPen(foreground)
        axis.enableAutoSIPrefix(False)
    item.setLabel("bottom", "epoch", color=foreground)
    item.setLabel("left", y_label, color=foreground)
    item.addLegend(offset=(-10, 10), labelTextColor=foreground)
    plot.setMinimumHeight(160)
    return plot


def _xy(points: Points) -> tuple[list[float], list[float]]:
    return [float(x) for x, _ in points], [float(y) for _, y in points]


class TrainingCharts(QWidget):
    """Loss (per batch and per epoch) beside (or above) the validation metrics (per epoch)."""

    def __init__(self, parent: QWidget | None = None, stacked: bool = False) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self) if stacked else QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.loss_plot = make_plot("Loss", "loss")
        self.metrics_plot = make_plot("Validation", "metric")
        layout.addWidget(self.loss_plot, 1)
        layout.addWidget(self.metrics_plot, 1)
        self.batch_points: list[tuple[float, float]] = []
        self.epoch_points: dict[str, list[tuple[float, float]]] = {}
        self._batch_curve = self.loss_plot.plot(
            [], [], pen=pg.mkPen(BATCH_COLOR, width=1), name="train loss (batch)"
        )
        self._curves: dict[str, pg.PlotDataItem] = {}

    def clear(self) -> None:
        self.batch_points.clear()
        self.epoch_points.clear()
        self._batch_curve.setData([], [])
        for name, curve in self._curves.items():
            self._plot_for(name).removeItem(curve)
        self._curves.clear()

    def add_batch(self, epoch: int, step: int, steps: int, loss: float | None) -> None:
        if loss is None:
            return
        position = epoch - 1 + (step / steps if steps else 1.0)
        self.batch_points.append((position, float(loss)))
        if len(self.batch_points) > MAX_BATCH_POINTS:
            self.batch_points = self.batch_points[::2]
        self._batch_curve.setData(*_xy(self.batch_points))

    def add_epoch(self, epoch: int, metrics: Mapping[str, float | None]) -> None:
        for name, value in metrics.items():
            if value is None or not self._charted(name):
                continue
            points = self.epoch_points.setdefault(name, [])
            points[:] = [point for point in points if point[0] != epoch]
            points.append((float(epoch), float(value)))
            points.sort()
            self._curve(name).setData(*_xy(points))

    def set_history(self, metrics: Mapping[str, Sequence[tuple[int, float]]]) -> None:
        """Show a run's stored per-epoch metrics (no per-batch points: those are not kept)."""
        self.clear()
        for name, points in metrics.items():
            for epoch, value in points:
                self.add_epoch(int(epoch), {name: value})

    @staticmethod
    def _charted(name: str) -> bool:
        return name in ("train/loss", "val/loss") or name.startswith("val/")

    def _plot_for(self, name: str) -> pg.PlotWidget:
        return self.loss_plot if name.endswith("/loss") else self.metrics_plot

    def _curve(self, name: str) -> pg.PlotDataItem:
        curve = self._curves.get(name)
        if curve is None:
            plot = self._plot_for(name)
            color = curve_color(len([n for n in self._curves if self._plot_for(n) is plot]))
            curve = plot.plot([], [], name=name, **curve_style(color))
            self._curves[name] = curve
        return curve


class OverlayChart(QWidget):
    """One metric of several runs, one curve per run."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.plot = make_plot("", "")
        layout.addWidget(self.plot)
        self.curves: dict[str, pg.PlotDataItem] = {}

    def set_curves(self, metric: str, curves: Mapping[str, Points]) -> None:
        """`curves`: run name → [(epoch, value)]; a run without the metric has no curve."""
        item = self.plot.getPlotItem()
        for curve in self.curves.values():
            item.removeItem(curve)
        self.curves.clear()
        foreground = QApplication.palette().color(QPalette.ColorRole.Text).name()
        self.plot.setTitle(metric, color=foreground, size="10pt")
        item.setLabel("left", metric, color=foreground)
        for index, (name, points) in enumerate(curves.items()):
            if not points:
                continue
            self.curves[name] = self.plot.plot(
                *_xy(points), name=name, **curve_style(curve_color(index))
            )
