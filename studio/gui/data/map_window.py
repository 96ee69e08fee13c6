"""Data ▸ Map of the data: every image as a dot, placed by what a model sees in it.

The window computes the map when it opens (through the API's `data_map`: an `embed-images`
worker, then the layout) on the window's one background mechanism, `TaskRunner`, with its
progress and a Cancel button (`studio.gui.status_job`); Esc or Ctrl+W closes the window, and a
computation still running stops after its batch. Features and layouts are cached, so it opens
at once the second time. "Colour by" lists the registry of colourings
(`studio_map_colourings`: class, split, status, and any a plugin adds); a lasso's items become
the gallery's selection and a clicked dot opens its image, through the main window's
`select_items` and `open_item`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from html import escape
from typing import Any, Protocol

import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QCloseEvent, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from studio.api import Project
from studio.api.data_map import DataMap, MapOptions
from studio.core.data_map import METHODS
from studio.core.map_colours import NO_CLASS, NO_SPLIT, SEVERAL_CLASSES, ColourValue
from studio.core.thumbnails import ThumbnailCache
from studio.core.wording import counted
from studio.gui.data.map_view import MISSING_COLOUR, MapView
from studio.gui.status_job import JobText, StatusJob
from studio.gui.task_runner import Progress, TaskRunner
from studio.gui.tool_window import TOOL_WINDOW, add_close_keys

LEGEND_ENTRIES = 20  # categories listed in the legend; the rest are counted
SCORE_RAMP = "viridis"
JOB_TEXT = JobText(
    "Map",
    starting="starting the model…",
    uncounted="laying out…",
    counts="features",
    cancel_tip="Stop after the batch in progress (the features made so far stay cached)",
)


# Values that say "none" or "mixed" are greys, never a hue a class could have.
PLACEHOLDER_COLOURS = {
    NO_CLASS: MISSING_COLOUR,
    NO_SPLIT: MISSING_COLOUR,
    SEVERAL_CLASSES: "#616161",
}


def category_colours(
    values: Sequence[ColourValue], known: Mapping[str, str]
) -> tuple[list[QColor], dict[str, QColor]]:
    """A colour per value and the legend: a value with a colour in `known` (a class name: the
    colour the gallery and the canvas give the class) takes it, a placeholder such as
    "(no class)" a grey, any other its own hue; None is grey."""
    names = sorted({str(value) for value in values if value is not None})
    others = [name for name in names if name not in known and name not in PLACEHOLDER_COLOURS]
    hues = {name: pg.intColor(index, hues=max(len(others), 1)) for index, name in enumerate(others)}
    fixed = {**PLACEHOLDER_COLOURS, **known}
    legend = {name: QColor(fixed[name]) if name in fixed else hues[name] for name in names}
    missing = QColor(MISSING_COLOUR)
    return [missing if value is None else legend[str(value)] for value in values], legend


def score_colours(values: Sequence[ColourValue]) -> list[QColor]:
    """A colour per value on a ramp from the lowest score to the highest (grey for None)."""
    numbers = [float(value) for value in values if isinstance(value, (int, float))]
    low, high = (min(numbers), max(numbers)) if numbers else (0.0, 1.0)
    span = high - low or 1.0
    ramp = pg.colormap.get(SCORE_RAMP)
    return [
        ramp.map((float(value) - low) / span, mode="qcolor")
        if isinstance(value, (int, float))
        else QColor(MISSING_COLOUR)
        for value in values
    ]


class DataMapWindow(QWidget):
    """The map's window for one project; `selection_made(ids)` and `item_opened(id)` go to
    the main window."""

    def __init__(
        self,
        project: Project,
        select_items: Callable[[list], None],
        open_item: Callable[[int], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, TOOL_WINDOW)
        self.setWindowTitle(f"Map of the data — {project.path.name}")
        self.project = project
        self._select_items = select_items
        self._open_item = open_item
        self.found: DataMap | None = None
        self.model_edit = QLineEdit()
        self.model_edit.setPlaceholderText("latest run (or a cached ImageNet backbone)")
        self.model_edit.setToolTip(
            "A run (id or name) or a registered model: NAME[:VERSION|:ALIAS]"
        )
        self.method_combo = QComboBox()
        self.method_combo.addItems(list(METHODS))
        self.colour_combo = QComboBox()
        self.colourings = {spec.name: spec for spec in project.maps.map_colourings()}
        for spec in self.colourings.values():
            self.colour_combo.addItem(spec.title, spec.name)
        self.colour_combo.currentIndexChanged.connect(self.recolour)
        self.compute_button = QPushButton("Compute")
        self.compute_button.clicked.connect(self.compute)
        self.view = MapView()
        self.view.lasso_selected.connect(self._lasso_selected)
        self.view.item_clicked.connect(self._open_item)
        self.legend = QLabel()
        self.legend.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.status = QLabel("Drag with the left button to lasso images; click a dot to open it")
        self.runner = TaskRunner(self)
        self.job = StatusJob(self.runner, JOB_TEXT, self.cancel)
        self.runner.finished.connect(self.show_map)
        self.runner.failed.connect(self._failed)
        self.runner.cancelled.connect(lambda: self._ended("Map cancelled"))
        self._layout_widgets()
        add_close_keys(self)
        self.resize(900, 640)

    def _layout_widgets(self) -> None:
        controls = QHBoxLayout()
        for label, widget in (
            ("Model", self.model_edit),
            ("Layout", self.method_combo),
            ("Colour by", self.colour_combo),
        ):
            controls.addWidget(QLabel(label))
            controls.addWidget(widget, 2 if widget is self.model_edit else 0)
        controls.addWidget(self.compute_button)
        body = QSplitter()
        body.addWidget(self.view)
        body.addWidget(self.legend)
        body.setStretchFactor(0, 1)
        status_row = QHBoxLayout()  # the window's status bar: a line, then the running job
        status_row.addWidget(self.status, 1)
        status_row.addWidget(self.job)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(body, 1)
        layout.addLayout(status_row)

    # -- computing --------------------------------------------------------------------------

    def options(self) -> MapOptions:
        return MapOptions(
            model=self.model_edit.text().strip(), method=self.method_combo.currentText()
        )

    def compute(self) -> None:
        """Compute the map in the background (a running computation is cancelled first)."""
        project, options = self.project, self.options()

        def work(progress: Progress, cancel: threading.Event) -> DataMap:
            def on_event(event: Mapping[str, Any]) -> None:
                if event.get("event") == "progress":
                    progress(int(event["done"]), int(event["total"]))
                elif event.get("event") == "layout":
                    progress(0, 0)  # busy: the layout reports no steps

            return project.data_map((), options, on_event, cancel)

        self.runner.start(work)
        self.compute_button.setEnabled(False)
        self.status.setText("Computing the map…")

    def cancel(self) -> None:
        if self.runner.busy:
            self.runner.cancel()
            self.status.setText("Stopping after the batch in progress…")

    def _ended(self, message: str) -> None:
        self.compute_button.setEnabled(True)
        self.status.setText(message)

    def _failed(self, message: str) -> None:
        self._ended(f"The map could not be made: {message}")

    def show_map(self, found: DataMap) -> None:
        """Draw `found` and colour it by the chosen colouring."""
        self.found = found
        thumbnails = ThumbnailCache()
        self.view.thumbnails = {
            point.item_id: str(path)
            for point in found.points
            if (path := thumbnails.cached(point.sha256)) is not None
        }
        self.view.show_map(found)
        self.recolour()
        skipped = (
            f"; {counted(found.skipped, 'unreadable image')} left off" if found.skipped else ""
        )
        self._ended(
            f"{counted(len(found.points), 'image')} by {found.model}, laid out with {found.method}"
            f"{skipped}. Drag to lasso; click a dot to open its image"
        )

    # -- colouring and selecting -------------------------------------------------------------

    def recolour(self) -> None:
        if self.found is None:
            return
        name = self.colour_combo.currentData()
        ids = [point.item_id for point in self.found.points]
        found = self.project.map_colours(name, ids)
        values = [found.get(item_id) for item_id in ids]
        if self.colourings[name].kind == "score":
            self.view.set_colours(score_colours(values))
            self.legend.setText(f"<b>{escape(self.colourings[name].title)}</b><br>low → high")
            return
        class_colours = {label.name: label.color for label in self.project.classes()}
        colours, legend = category_colours(values, class_colours)
        self.view.set_colours(colours)
        rows = [
            f'<span style="color:{colour.name()}">●</span> {escape(label)}'
            for label, colour in list(legend.items())[:LEGEND_ENTRIES]
        ]
        if len(legend) > LEGEND_ENTRIES:
            rows.append(f"… and {len(legend) - LEGEND_ENTRIES} more")
        self.legend.setText("<br>".join([f"<b>{escape(self.colourings[name].title)}</b>", *rows]))

    def _lasso_selected(self, item_ids: list) -> None:
        self._select_items(item_ids)
        self.status.setText(
            f"{counted(len(item_ids), 'image')} lassoed and selected in the gallery"
        )

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self.runner.busy:
            self.runner.drop()  # the worker stops by itself after its batch
            self._ended("Map cancelled when its window closed")
        super().closeEvent(event)


class MapHost(Protocol):
    """What the map needs of the main window."""

    @property
    def project(self) -> Project | None: ...

    def select_items(self, item_ids: list) -> None: ...

    def open_item(self, item_id: int) -> None: ...


class DataMapAction(QObject):
    """Opens the map of the open project (one window per project, computed when opened)."""

    def __init__(self, host: MapHost, parent: QWidget) -> None:
        super().__init__(parent)
        self.host = host
        self._parent = parent
        self.window: DataMapWindow | None = None

    def open(self) -> None:
        project = self.host.project
        if project is None:
            return
        if self.window is None or self.window.project is not project:
            if self.window is not None:
                self.window.close()
            self.window = DataMapWindow(
                project, self.host.select_items, self.host.open_item, self._parent
            )
        if self.window.found is None and not self.window.runner.busy:
            self.window.compute()  # new, or closed before its map was made
        self.window.show()
        self.window.raise_()
        self.window.activateWindow()


AddAction = Callable[[str, Callable[[], object]], QAction]


def add_map_action(
    menu: QMenu, add_action: AddAction, host: MapHost, parent: QWidget
) -> DataMapAction:
    """Put "Map of the data" (Ctrl+Alt+J by default) in the Data menu."""
    opener = DataMapAction(host, parent)
    menu.addAction(add_action("data_map", opener.open))
    return opener
