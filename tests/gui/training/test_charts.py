"""The charts follow the theme (background, axes, legend), live, and their legend sits below
the plot where it covers no curve."""

from __future__ import annotations

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from studio.gui.theme import apply_theme, theme_colors
from studio.gui.training.charts import TrainingCharts


def shown_charts(qtbot: QtBot) -> TrainingCharts:
    charts = TrainingCharts()
    qtbot.addWidget(charts)
    for epoch in range(1, 4):
        charts.add_epoch(epoch, {"train/loss": 1 / epoch, "val/loss": 1.2 / epoch})
    charts.resize(700, 300)
    charts.show()
    qtbot.waitExposed(charts)
    return charts


def corner_colour(charts: TrainingCharts) -> str:
    """A pixel of the loss plot's grabbed picture, away from axes and curves."""
    picture = charts.loss_plot.grab().toImage()
    return QColor(picture.pixel(picture.width() - 3, 3)).name()


def test_a_chart_on_the_dark_theme_has_a_dark_background(qtbot: QtBot) -> None:
    apply_theme(QApplication.instance(), "dark")
    charts = shown_charts(qtbot)
    assert corner_colour(charts) == theme_colors("dark")["base"]
    assert QColor(corner_colour(charts)).lightness() < 64


def test_switching_the_theme_repaints_a_shown_chart(qtbot: QtBot) -> None:
    apply_theme(QApplication.instance(), "light")
    charts = shown_charts(qtbot)
    assert corner_colour(charts) == theme_colors("light")["base"]

    apply_theme(QApplication.instance(), "dark")

    qtbot.waitUntil(lambda: corner_colour(charts) == theme_colors("dark")["base"])
    axis = charts.loss_plot.getPlotItem().getAxis("left")
    assert axis.textPen().color().name() == theme_colors("dark")["text"]
    legend = charts.loss_plot.getPlotItem().legend
    assert all(label.opts["color"] == theme_colors("dark")["text"] for _, label in legend.items)


def test_the_legend_sits_below_the_plot_area(qtbot: QtBot) -> None:
    charts = shown_charts(qtbot)
    item = charts.loss_plot.getPlotItem()
    names = [label.text for _, label in item.legend.items]
    assert names == ["train loss (batch)", "train/loss", "val/loss"]
    qtbot.waitUntil(  # the plot's layout places the legend once it has its size
        lambda: item.legend.sceneBoundingRect().top() >= item.vb.sceneBoundingRect().bottom()
    )


def test_a_narrow_legend_wraps_into_rows(qtbot: QtBot) -> None:
    charts = shown_charts(qtbot)
    legend = charts.loss_plot.getPlotItem().legend
    charts.resize(1400, 300)
    qtbot.waitUntil(lambda: legend.columnCount == 3)  # wide enough: one row
    charts.loss_plot.resize(160, 200)
    qtbot.waitUntil(lambda: legend.columnCount == 1)
    assert legend.rowCount == 3
