"""Live training charts (pyqtgraph): loss per batch and per epoch, validation metrics per epoch,
and overlaid curves of one metric for several runs.

The x axis is in epochs: a batch's loss sits at `epoch - 1 + step / steps`, an epoch's numbers
at `epoch`, so the per-batch line runs into the epoch's point.

Every chart of the window is a `ThemedPlot`: it takes the colours of the Qt palette (the
background, the axes, their text, the grid, the title and the legend) and takes them again
when the theme changes, so charts read well on the light and the dark theme. Legends sit
below the plot, in rows, where they never cover a curve.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QEvent
from PySide6.QtGui import QPalette, QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

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
LEGEND_SPACING = 24  # px between two entries of a legend row
LEGEND_ROW = 4  # PlotItem's layout: 0 title, 1 top axis, 2 plot, 3 bottom axis, 4 free
AXES = ("left", "bottom", "right", "top")
THEME_EVENTS = (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange)

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


class RowLegend(pg.LegendItem):
    """A legend laid out in rows below the plot, as many entries a row as its width holds."""

    def __init__(self) -> None:
        super().__init__(frame=False)
        self.width_available = 0.0

    def addItem(self, item: Any, name: str) -> None:  # noqa: N802
        super().addItem(item, name)
        self.fit(self.width_available)

    def fit(self, width: float) -> None:
        """Lay the entries out in the most columns that fit in `width` pixels."""
        self.width_available = width
        if not self.items or width <= 0:
            return
        widest = max(
            sample.boundingRect().width() + label.item.boundingRect().width()
            for sample, label in self.items
        )
        columns = max(1, min(len(self.items), int(width // (widest + LEGEND_SPACING))))
        if columns != self.columnCount:
            self.setColumnCount(columns)
        self.updateGeometry()  # the plot's layout places it again (pyqtgraph moved it to 0, 0)


class ThemedPlot(pg.PlotWidget):
    """A PlotWidget in the palette's colours, which follows the theme when it changes.

    Keyword arguments go to `pg.PlotWidget` (a `viewBox`, a `title`…); `legend` adds a
    legend below the plot, where it covers nothing, whose entries are the curves plotted
    with a `name`.
    """

    def __init__(self, *, legend: bool = False, **options: Any) -> None:
        super().__init__(**options)
        item = self.getPlotItem()
        if legend:
            item.legend = RowLegend()
            item.layout.addItem(item.legend, LEGEND_ROW, 1)
            item.legend.setParentItem(item)
        self.follow_theme()

    def colors(self) -> tuple[str, str]:
        """(background, foreground) of the current palette."""
        palette = self.palette()
        background = palette.color(QPalette.ColorRole.Base).name()
        return background, palette.color(QPalette.ColorRole.Text).name()

    def follow_theme(self) -> None:
        """Paint the background, axes, grid, title and legend in the palette's colours."""
        background, foreground = self.colors()
        self.setBackground(background)
        item = self.getPlotItem()
        if item.titleLabel.text:
            item.titleLabel.setText(item.titleLabel.text, color=foreground)
        for side in AXES:
            axis = item.getAxis(side)
            axis.setPen(foreground)  # the grid is drawn with the axis's pen, fainter
            axis.setTextPen(foreground)
            if axis.labelText or axis.labelUnits:
                label_axis(axis, axis.labelText, foreground)
        if item.legend is not None:
            item.legend.setLabelTextColor(foreground)  # for entries added from now on
            for _sample, label in item.legend.items:
                label.setText(label.text, color=foreground)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        item = getattr(self, "plotItem", None)  # Qt sends one in __init__
        legend = item.legend if item is not None else None
        if isinstance(legend, RowLegend):
            legend.fit(event.size().width())

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        constructed = getattr(self, "plotItem", None) is not None  # Qt sends some in __init__
        if event.type() in THEME_EVENTS and constructed:
            self.follow_theme()


def label_axis(axis: pg.AxisItem, text: str, color: str) -> None:
    """Give `axis` the label `text` in `color`. An axis whose automatic SI prefix is off
    keeps its numbers unscaled (pyqtgraph would show 0.9 as 900 once the label is shown)."""
    ranges = None if axis.autoSIPrefix else ()
    axis.setLabel(text, axis.labelUnits, siPrefixEnableRanges=ranges, color=color)


def make_plot(title: str, y_label: str) -> ThemedPlot:
    """A themed plot over epochs, with a grid and a legend below it."""
    plot = ThemedPlot(legend=True)
    item = plot.getPlotItem()
    item.showGrid(x=True, y=True, alpha=0.25)
    for side in ("left", "bottom"):
        item.getAxis(side).enableAutoSIPrefix(False)
    set_titles(plot, title, y_label, "epoch")
    plot.setMinimumHeight(160)
    return plot


def set_titles(plot: ThemedPlot, title: str, y_label: str, x_label: str | None = None) -> None:
    """The plot's title and axis labels, in the theme's text colour."""
    foreground = plot.colors()[1]
    item = plot.getPlotItem()
    plot.setTitle(title, color=foreground, size="10pt")
    label_axis(item.getAxis("left"), y_label, foreground)
    if x_label is not None:
        label_axis(item.getAxis("bottom"), x_label, foreground)


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
        set_titles(self.plot, metric, metric)
        for index, (name, points) in enumerate(curves.items()):
            if not points:
                continue
            self.curves[name] = self.plot.plot(
                *_xy(points), name=name, **curve_style(curve_color(index))
            )
