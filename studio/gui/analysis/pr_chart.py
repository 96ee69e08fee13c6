"""Precision-recall curves, one per class in the class's colour, the AP in the legend."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyqtgraph as pg
from PySide6.QtWidgets import QVBoxLayout, QWidget

from studio.gui.training.charts import make_plot, set_titles

NORMAL_WIDTH = 2
HIGHLIGHT_WIDTH = 4
DIMMED_ALPHA = 110


def step_points(recall: list[float], precision: list[float]) -> tuple[list[float], list[float]]:
    """The curve as steps: precision p_i holds over the recall interval (r_i-1, r_i], so
    the area under the drawing is the step-wise AP."""
    xs, ys = [recall[0]], [precision[0]]
    for index in range(1, len(recall)):
        xs += [recall[index - 1], recall[index]]
        ys += [precision[index], precision[index]]
    return xs, ys


def legend_name(name: str, ap: float | None) -> str:
    return f"{name} (AP {ap:.3f})" if ap is not None else f"{name} (no examples)"


class PrecisionRecallChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.plot = make_plot("Precision–recall", "precision")
        item = self.plot.getPlotItem()
        set_titles(self.plot, "Precision–recall", "precision", "recall")
        item.setXRange(0, 1, padding=0.02)
        item.setYRange(0, 1.02, padding=0.02)
        item.setMouseEnabled(x=False, y=False)
        layout.addWidget(self.plot)
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.colors: dict[str, str] = {}
        self.highlighted: str | None = None

    def set_curves(
        self, curves: Mapping[str, Mapping[str, Any]], colors: Mapping[str, str]
    ) -> None:
        for curve in self.curves.values():
            self.plot.removeItem(curve)
        self.curves = {}
        self.colors = dict(colors)
        legend = self.plot.getPlotItem().legend
        if legend is not None:
            legend.clear()
        for name, curve in curves.items():
            if curve.get("ap") is None:
                continue  # nothing of that class in the split: no curve to draw
            drawn = self.plot.plot(
                *step_points(list(curve["recall"]), list(curve["precision"])),
                pen=pg.mkPen(self.colors.get(name, "#888888"), width=NORMAL_WIDTH),
                name=legend_name(name, curve["ap"]),
            )
            drawn.setToolTip(legend_name(name, curve["ap"]))
            self.curves[name] = drawn
        self.highlighted = None

    def highlight(self, name: str | None) -> None:
        """Draw one class's curve thick and the others faint (None: all as usual)."""
        self.highlighted = name if name in self.curves else None
        for curve_name, curve in self.curves.items():
            color = pg.mkColor(self.colors.get(curve_name, "#888888"))
            width = NORMAL_WIDTH
            if self.highlighted is not None:
                if curve_name == self.highlighted:
                    width = HIGHLIGHT_WIDTH
                else:
                    color.setAlpha(DIMMED_ALPHA)
            curve.setPen(pg.mkPen(color, width=width))
            curve.setZValue(1 if curve_name == self.highlighted else 0)
