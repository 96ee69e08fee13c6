"""A Studio window panel: a bar chart of how many annotations each class has.

Registered through the `studio_window_panels` hook. The window builds the panel with its
`PanelContext`: the open project (`context.project`, None while none is open) and two Qt
signals, `project_changed` (another project was opened or closed) and `annotations_changed`
(an edit, an undo, an import or another process changed annotations); the chart is counted
afresh on either.
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QEvent
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from studio.plugins import hookimpl
from studio.plugins.specs import PanelSpec

STUDIO_PLUGIN_API = 1
__version__ = "1.0.0"

BAR_WIDTH = 0.7


class ClassBalancePanel(QWidget):
    """The chart, with a one-line summary above it ("412 annotations in 5 classes")."""

    def __init__(self, context: Any) -> None:
        super().__init__()
        self.setObjectName("classBalancePanel")
        self.context = context
        self.counts: dict[str, int] = {}
        self.summary = QLabel()
        self.plot = pg.PlotWidget()
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setLabel("bottom", "annotations")
        self.plot.getViewBox().invertY(True)  # the first class on top, as in the class list
        # bars lie down: a narrow side panel has room for class names on the left, not below
        self.bars = pg.BarGraphItem(x0=0, y=[], width=[], height=BAR_WIDTH)
        self.plot.addItem(self.bars)
        self._follow_palette()
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.plot, 1)
        context.project_changed.connect(self.refresh)
        context.annotations_changed.connect(self.refresh)
        self.refresh()

    def refresh(self, *_: Any) -> None:
        """Count the annotations of each class of the open project and redraw."""
        project = self.context.project
        self.counts = {} if project is None else class_counts(project)
        names = list(self.counts)
        self.bars.setOpts(x0=0, y=list(range(len(names))), width=list(self.counts.values()))
        self.plot.getAxis("left").setTicks([list(enumerate(names))])
        total = sum(self.counts.values())
        if project is None:
            self.summary.setText("No project open")
        else:
            self.summary.setText(f"{total:,} annotations in {len(names):,} classes")

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        """Studio's theme switch changes the application palette: the chart follows it."""
        if event.type() == QEvent.Type.PaletteChange:
            self._follow_palette()
        super().changeEvent(event)

    def _follow_palette(self) -> None:
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.Text)
        self.plot.setBackground(palette.color(QPalette.ColorRole.Base))
        for side in ("left", "bottom"):
            axis = self.plot.getAxis(side)
            axis.setPen(text)
            axis.setTextPen(text)
        self.bars.setOpts(brush=palette.color(QPalette.ColorRole.Highlight))


def class_counts(project: Any) -> dict[str, int]:
    """Annotations per class, in the project's class order; classes without any count 0.

    Archived classes are left out unless annotations still use them.
    """
    active = {label.name for label in project.classes(include_archived=False)}
    by_class = project.stats().annotations_by_class
    return {name: count for name, count in by_class.items() if count or name in active}


@hookimpl
def studio_window_panels() -> list[PanelSpec]:
    return [PanelSpec(name="class_balance", title="Class balance", factory=ClassBalancePanel)]
