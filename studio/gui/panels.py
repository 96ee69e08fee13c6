"""Window panels from the `studio_window_panels` hook, and what their factories receive.

A `PanelSpec`'s factory is called once, with the window's `PanelContext`, and returns the
widget the window puts in a dock listed in the View menu. A factory that raises is reported
and its plugin disabled; the window goes on without that panel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QMetaMethod, QObject, QSize, Signal
from PySide6.QtWidgets import QDockWidget, QFrame, QScrollArea, QWidget

from studio.api import Project
from studio.gui.plugin_host import collect_specs
from studio.plugins.manager import PluginError, StudioPlugins
from studio.plugins.specs import PanelSpec

if TYPE_CHECKING:
    from studio.gui.training.window_docks import TrainingDocks
    from studio.gui.workspace.workspace import LabelingWorkspace

HOOK = "studio_window_panels"


class PanelContext(QObject):
    """What a panel may use: the open project and the window's signals.

    `project` is the open `studio.api.Project` (None while none is open); read it when a
    signal fires rather than keeping it, since the window closes it when another opens.
    `workspace` and `training` are Studio's own labeling workspace and training docks, which
    its built-in panels come from; plugins should keep to the project and the signals.
    """

    project_changed = Signal(object)  # Project | None: another project is open (or none)
    selection_changed = Signal(list)  # the item ids selected in the gallery, in its order
    current_item_changed = Signal(object)  # ItemRecord | None: shown in the labeling canvas
    annotations_changed = (
        Signal()
    )  # labels may have changed: an edit, undo, import, another process
    message_requested = Signal(str)  # `show_message`: a short note for the status bar

    def __init__(
        self,
        workspace: LabelingWorkspace,
        training: TrainingDocks,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.training = training
        self._project: Project | None = None

    @property
    def project(self) -> Project | None:
        return self._project

    def set_project(self, project: Project | None) -> None:
        self._project = project
        self.project_changed.emit(project)

    def report_selection(self, selected_ids: Callable[[], list[int]]) -> None:
        """The gallery's selection changed: emit `selection_changed` when a panel listens
        (reading a selection of 100,000 thumbnails costs more than a frame)."""
        if self.isSignalConnected(QMetaMethod.fromSignal(self.selection_changed)):
            self.selection_changed.emit(selected_ids())

    def labels_changed(self) -> None:
        """The window calls this after it caught up with a change to the labels."""
        self.annotations_changed.emit()

    def show_message(self, text: str) -> None:
        self.message_requested.emit(text)


def window_panels(manager: StudioPlugins) -> list[PanelSpec]:
    """The panels of the active plugins, Studio's own first."""
    return collect_specs(manager, HOOK, PanelSpec)


SIDE_PANEL_WIDTH = 340
BOTTOM_PANEL_HEIGHT = 260


def panel_shortcut(name: str) -> str:
    """The shortcut-registry name of the action that shows or hides the panel `name`
    (declared in `shortcuts.py` for Studio's own panels, added at run time for a plugin's)."""
    return f"panel_{name}"


class PanelFrame(QScrollArea):
    """Holds a panel in its dock, scrolling it when the dock is smaller than the panel's
    own minimum, so that no panel holds the window taller or wider than the screen (a
    1024×700 window stays 1024×700 with the Train panel open).

    Its size hint is capped: a side column takes the widest hint among its panels, and one
    panel asking for a chart's 640 px (pyqtgraph's default) would squeeze the canvas to a
    sliver; a bottom panel asks for a few rows, not for all of its charts. The user can
    still widen the column or raise the dock.
    """

    def __init__(self, panel: QWidget, side: bool) -> None:
        super().__init__()
        self.setObjectName("panelFrame")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidget(panel)
        self.panel = panel
        self.side = side

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        hint = self.panel.sizeHint()
        if self.side:
            return QSize(min(hint.width(), SIDE_PANEL_WIDTH), hint.height())
        return QSize(hint.width(), min(hint.height(), BOTTOM_PANEL_HEIGHT))


def toggle_dock(dock: QDockWidget) -> None:
    """A panel's View-menu action: a closed panel opens in front, an open one behind another
    panel's tab comes to the front, and one in front closes."""
    if dock.isHidden():
        dock.show()
        dock.raise_()
    elif dock.window().isVisible() and dock.visibleRegion().isEmpty():  # behind another tab
        dock.raise_()
    else:
        dock.close()


def build_panel(
    spec: PanelSpec, context: PanelContext, manager: StudioPlugins
) -> QWidget | PluginError:
    """The panel's widget, or the error of a plugin whose factory raised or returned
    something that is not a widget (that plugin is disabled until restart)."""
    try:
        with manager.guard(spec, f"{HOOK} ({spec.name} factory)"):
            widget: Any = spec.factory(context)
            if not isinstance(widget, QWidget):
                raise TypeError(f"the factory returned {type(widget).__name__}, not a QWidget")
    except PluginError as error:
        return error
    return widget
