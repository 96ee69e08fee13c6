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
        self.plot.setLabel("left", "annotations")
        self.bars = pg.BarGraphItem(x=[], height=[], width=BAR_WIDTH)
        self.plot.addItem(self.bars)
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
        self.bars.setOpts(x=list(range(len(names))), height=list(self.counts.values()))
        self.plot.getAxis("bottom").setTicks([list(enumerate(names))])
        total = sum(self.counts.values())
        if project is None:
            self.summary.setText("No project open")
        else:
            self.summary.setText(f"{total:,} annotations in {len(names):,} classes")


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
