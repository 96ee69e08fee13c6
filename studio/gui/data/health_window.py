"""Data ▸ Dataset health: charts of the project's labels, refreshed when they change.

Class balance per split (splits of the latest dataset version, "none" for items outside it),
images by number of objects, box sizes (width against height) and aspect ratios, with the
count of shapes outside their image and of items no reviewer has passed on. The figures are
`Project.health()` (studio.core.stats), read on the window's `TaskRunner`; the charts are
pyqtgraph.
"""

from __future__ import annotations

import threading

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from studio.api import DatasetHealth, Project
from studio.core.stats import HEALTH_SPLITS
from studio.core.wording import counted
from studio.gui.task_runner import Progress, TaskRunner
from studio.gui.tool_window import TOOL_WINDOW, add_close_keys
from studio.gui.training.charts import ThemedPlot

SPLIT_COLOURS = {"train": "#4c72b0", "val": "#dd8452", "test": "#55a868", "none": "#8c8c8c"}
RATIO_BINS = 30


class HealthWindow(QWidget):
    """Four charts and a line of counts; `refresh()` re-reads the figures."""

    def __init__(self, project: Project, parent: QWidget | None = None) -> None:
        super().__init__(parent, TOOL_WINDOW)
        self.setObjectName("healthWindow")
        self.setWindowTitle("Dataset health")
        add_close_keys(self)
        self.project = project
        self.health: DatasetHealth | None = None
        self.runner = TaskRunner(self)
        self.runner.finished.connect(self._show)
        self.runner.failed.connect(lambda message: self.summary.setText(message))
        self.summary = QLabel("Reading the labels…")
        self.summary.setWordWrap(True)
        self.balance = ThemedPlot(title="Annotations per class and split", legend=True)
        self.objects = ThemedPlot(title="Images by number of objects")
        self.sizes = ThemedPlot(title="Box width and height (pixels)")
        self.ratios = ThemedPlot(title="Box aspect ratio (width ÷ height)")
        grid = QGridLayout()
        for position, plot in enumerate((self.balance, self.objects, self.sizes, self.ratios)):
            grid.addWidget(plot, position // 2, position % 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(grid, 1)
        self.resize(900, 640)

    def refresh(self) -> None:
        project = self.project

        def work(_progress: Progress, _cancel: threading.Event) -> DatasetHealth:
            return project.health()

        self.runner.start(work)

    def _show(self, health: DatasetHealth) -> None:
        self.health = health
        source = f"version {health.version}" if health.version else "no dataset version yet"
        self.summary.setText(
            f"{counted(health.items, 'image')} (splits from {source}); "
            f"{counted(len(health.outside), 'shape')} outside their image; "
            f"{counted(len(health.never_reviewed), 'image')} never reviewed"
        )
        self._draw_balance(health)
        self._draw_objects(health)
        self._draw_boxes(health)

    def _draw_balance(self, health: DatasetHealth) -> None:
        self.balance.clear()
        names = list(health.class_balance)
        width = 0.8 / len(HEALTH_SPLITS)
        for offset, split in enumerate(HEALTH_SPLITS):
            heights = [health.class_balance[name][split] for name in names]
            xs = np.arange(len(names)) + (offset - 1.5) * width
            bars = pg.BarGraphItem(
                x=xs, height=heights, width=width, brush=SPLIT_COLOURS[split], name=split
            )
            self.balance.addItem(bars)
        self.balance.getAxis("bottom").setTicks([list(enumerate(names))])

    def _draw_objects(self, health: DatasetHealth) -> None:
        self.objects.clear()
        counts = health.objects_per_image
        self.objects.addItem(
            pg.BarGraphItem(x=list(counts), height=list(counts.values()), width=0.8)
        )

    def _draw_boxes(self, health: DatasetHealth) -> None:
        self.sizes.clear()
        self.ratios.clear()
        if not health.box_sizes:
            return
        sizes = np.array(health.box_sizes, dtype=float)
        self.sizes.plot(sizes[:, 0], sizes[:, 1], pen=None, symbol="o", symbolSize=5)
        counts, edges = np.histogram(health.aspect_ratios, bins=RATIO_BINS)
        self.ratios.plot(edges, counts, stepMode="center", fillLevel=0, brush="#4c72b080")

    def closeEvent(self, event: object) -> None:  # noqa: N802 (Qt's name)
        self.runner.shutdown()
        super().closeEvent(event)  # type: ignore[arg-type]
