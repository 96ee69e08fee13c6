"""Where the main window's panels go, and how big the window opens.

- The default arrangement: the side panels in their column, the bottom panels (Train, Runs,
  Models) hidden and tabbed together, the gallery shown; the gallery and the side column take
  a share of the window's width (at most `GALLERY_WIDTH` and `SIDE_PANEL_WIDTH`), so the canvas
  keeps most of it on a small screen too. View ▸ Reset layout comes back to it.
- The user's layout (which panels are open, where, how big; the gallery's width) is saved in
  the user's settings when the window closes and restored when one opens. Saved states carry
  `LAYOUT_VERSION`: raise it when the default arrangement changes, and older saved states are
  ignored instead of putting panels in places that no longer make sense. A panel that is new
  since the state was saved (a new Studio panel, a plugin's) keeps its default place, and one
  docked after the state was restored (a project's plugin) goes where the state had it.
- While no project is open (the welcome page) the panels and the tool bar are put away, as
  they would be empty; the layout comes back as it was when a project opens.
- The window opens at `DEFAULT_SIZE`, never larger than the screen's available area.
- The tool bar names its tools under their icons only in a window at least
  `TOOL_NAMES_MIN_WIDTH` wide: their names made it 143 px wide, which a 1024 px window cannot
  spare from the canvas (the names stay in the tooltips, with the keys).
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QEvent, QObject, QSettings, QSize, Qt, Signal
from PySide6.QtGui import QGuiApplication, QResizeEvent
from PySide6.QtWidgets import QDockWidget, QMainWindow, QSplitter, QStyle, QToolBar, QWidget

from studio.gui.panels import SIDE_PANEL_WIDTH

LAYOUT_VERSION = 1  # 0: the states saved before layouts were versioned
DEFAULT_SIZE = QSize(1400, 860)
GALLERY_WIDTH = 380  # at most; `GALLERY_SHARE` of a narrower window
GALLERY_SHARE = 0.27
SIDE_SHARE = 0.22  # of the window's width, for the side column (at most SIDE_PANEL_WIDTH)
TOOL_NAMES_MIN_WIDTH = 1600
FRAME_BORDER = 4  # a window manager's border, set aside before the window has a frame
GEOMETRY_KEY = "window_geometry"
STATE_KEY = "window_state"
SPLITTER_KEY = "window_splitter"
AREAS = {
    "left": Qt.DockWidgetArea.LeftDockWidgetArea,
    "right": Qt.DockWidgetArea.RightDockWidgetArea,
    "bottom": Qt.DockWidgetArea.BottomDockWidgetArea,
}


def screen_fitted(size: QSize, window: QWidget) -> QSize:
    """`size` bounded by the available area of the window's screen, less the window's frame
    (before the window is first shown it has none yet: a title bar's height is set aside)."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        return size
    frame = window.frameGeometry().size() - window.geometry().size()
    if frame.isEmpty():
        title_bar = window.style().pixelMetric(QStyle.PixelMetric.PM_TitleBarHeight)
        frame = QSize(2 * FRAME_BORDER, title_bar + 2 * FRAME_BORDER)
    return size.boundedTo(screen.availableGeometry().size() - frame)


class WindowLayout(QObject):
    """The docks of `window`, each with the area it opens in, and the user's saved layout.

    When the window is resized, the side columns change width in proportion, as the gallery
    does (its stretch factor): left alone, Qt gives the whole change to the canvas, which a
    1400 px window narrowed to 1024 px leaves about 100 px wide.
    """

    panels_shown = Signal()  # panels were put away or brought back without their own signals

    def __init__(
        self, window: QMainWindow, settings: QSettings, splitter: QSplitter, gallery: QWidget
    ) -> None:
        super().__init__(window)
        self.window = window
        self.settings = settings
        self.splitter = splitter
        self.gallery = gallery
        self._areas: dict[QDockWidget, str] = {}
        self._restored = False  # a saved state was restored: later docks follow it
        self._sized = False  # the default sizes were given for the width the window shows at
        self._tool_bar: QToolBar | None = None
        self._put_away: QByteArray | None = None  # the layout while the panels are put away
        splitter.setStretchFactor(0, 1)  # the gallery: a quarter of a change in width
        splitter.setStretchFactor(1, 3)
        window.installEventFilter(self)

    def add(self, dock: QDockWidget, area: str) -> None:
        """Dock `dock` in its default place (or, when it comes after a restored state, where
        that state had it)."""
        bottom = [d for d, a in self._areas.items() if a == "bottom"]
        self._areas[dock] = area
        self._place(dock, area, bottom[-1] if bottom else None)
        if self._restored:
            self.window.restoreDockWidget(dock)

    def fit_tool_bar(self, tool_bar: QToolBar) -> None:
        """Show the tools' names in `tool_bar` while the window is wide enough for them."""
        self._tool_bar = tool_bar
        self._fit_tool_bar(self.window.width())

    def _fit_tool_bar(self, width: int) -> None:
        if self._tool_bar is not None:
            wide = width >= TOOL_NAMES_MIN_WIDTH
            self._tool_bar.setToolButtonStyle(
                Qt.ToolButtonStyle.ToolButtonTextUnderIcon
                if wide
                else Qt.ToolButtonStyle.ToolButtonIconOnly
            )

    def remove(self, dock: QDockWidget) -> None:
        self._areas.pop(dock, None)
        self.window.removeDockWidget(dock)

    def _place(self, dock: QDockWidget, area: str, tab_with: QDockWidget | None) -> None:
        self.window.addDockWidget(AREAS[area], dock)  # moves it when it was docked already
        dock.setFloating(False)
        if area == "bottom":  # shown on demand, tabbed together
            dock.hide()
            if tab_with is not None:
                self.window.tabifyDockWidget(tab_with, dock)
        else:
            dock.show()

    def reset(self) -> None:
        """The default arrangement, sized for the window's present width."""
        for dock in self._areas:  # undocked first, so the bottom ones tab again in order
            self.window.removeDockWidget(dock)
        bottom: QDockWidget | None = None
        for dock, area in self._areas.items():
            self._place(dock, area, bottom)
            bottom = dock if area == "bottom" else bottom
        self.gallery.show()
        self.apply_default_sizes()

    def apply_default_sizes(self) -> None:
        """The gallery and the side column take their share of the width; the canvas the rest.

        The splitter scales the sizes it is given to its own width, which before the window
        is laid out is not yet its final one: the gallery's size is given against the width
        the splitter will have (the window's less the side columns and the tool bar).
        """
        width = self.window.width()
        gallery = min(GALLERY_WIDTH, int(width * GALLERY_SHARE))
        side = min(SIDE_PANEL_WIDTH, int(width * SIDE_SHARE))
        room = width
        for area in ("left", "right"):
            docks = [d for d, a in self._areas.items() if a == area and not d.isHidden()]
            self.window.resizeDocks(docks, [side] * len(docks), Qt.Orientation.Horizontal)
            room -= side if docks else 0
        if self._tool_bar is not None and not self._tool_bar.isHidden():
            room -= self._tool_bar.sizeHint().width()
        self.splitter.setSizes([gallery, max(room - gallery, 1)])

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.window and event.type() == QEvent.Type.Show and not self._sized:
            self._sized = True  # sized for the width it was given before it was shown
            self.apply_default_sizes()
        if watched is self.window and event.type() == QEvent.Type.Resize:
            assert isinstance(event, QResizeEvent)
            old, new = event.oldSize().width(), event.size().width()
            self._fit_tool_bar(new)
            if self.window.isVisible() and old > 0 and new != old:
                self._scale_side_columns(new / old)
        return False

    def _scale_side_columns(self, factor: float) -> None:
        for area in ("left", "right"):
            docks = [
                d for d, a in self._areas.items()
                if a == area and not d.isHidden() and not d.isFloating()
            ]  # fmt: skip
            widths = [max(round(d.width() * factor), 1) for d in docks]
            self.window.resizeDocks(docks, widths, Qt.Orientation.Horizontal)

    # -- the user's layout ---------------------------------------------------------------

    def restore(self) -> bool:
        """The saved geometry, docks and gallery width; False (defaults kept) when there is
        no saved layout or it was saved for another `LAYOUT_VERSION`."""
        geometry = self.settings.value(GEOMETRY_KEY)  # Qt fits a restored one to the screen
        if not (isinstance(geometry, QByteArray) and self.window.restoreGeometry(geometry)):
            self.window.resize(screen_fitted(DEFAULT_SIZE, self.window))
        state = self.settings.value(STATE_KEY)
        self._restored = isinstance(state, QByteArray) and self.window.restoreState(
            state, LAYOUT_VERSION
        )
        self._sized = self._restored  # else the default sizes come when the window shows
        if not self._restored:
            return False
        splitter = self.settings.value(SPLITTER_KEY)
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)
        return True

    def show_panels(self, shown: bool) -> None:
        """Put the panels and tool bar away (`shown` False), or bring back their layout."""
        if not shown and self._put_away is None:
            self._put_away = self.window.saveState(LAYOUT_VERSION)
            for dock in self._areas:
                dock.hide()
            if self._tool_bar is not None:
                self._tool_bar.hide()
        elif shown and self._put_away is not None:
            self.window.restoreState(self._put_away, LAYOUT_VERSION)
            self._put_away = None
        else:
            return
        self.panels_shown.emit()

    def save(self) -> None:
        self.settings.setValue(GEOMETRY_KEY, self.window.saveGeometry())
        state = (
            self._put_away if self._put_away is not None else self.window.saveState(LAYOUT_VERSION)
        )
        self.settings.setValue(STATE_KEY, state)
        if self.gallery.isVisible():  # a hidden gallery's width is 0: keep the last one
            self.settings.setValue(SPLITTER_KEY, self.splitter.saveState())
