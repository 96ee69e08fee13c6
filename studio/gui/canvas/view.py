"""The labeling canvas: an image with its annotations, navigation and drawing tools.

Scene coordinates are image pixels of the EXIF-rotated image, so geometry goes to and from
the project unchanged. The canvas never writes to the project: it emits `shape_created`,
`shape_edited` (once, when a drag ends) and `delete_requested`; the workspace calls the API
and hands the project's state back through `set_annotations`, which is also what puts a
shape back if the project refused the edit. Signals report what the user did: the methods
the workspace calls (`select_annotations`, `set_tool`, ...) do not echo them back.

Navigation: the wheel zooms about the pointer, the middle button or Space+drag pans, F or
Ctrl+0 fits the image, Ctrl+1 shows it 1:1, + and - zoom about the centre, [ and ] change the
brush size. The scene extends well beyond the image, so the point under the pointer stays
put while zooming even near the image's edges. A right click goes to the tool
(`Tool.right_click`): the SAM tool and the magic wand take it as a negative prompt, the Select
tool asks for a shape's context menu (`context_menu_requested`; the workspace builds it), the
other tools ignore it.

Crosshair guides (`set_crosshair`): thin lines across the whole image through the pointer,
drawn over the image while a drawing tool is active (every tool but Select), as in labelme
and CVAT, to line a box's corner up with an object's edge.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QLineF, QPoint, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPen,
    QResizeEvent,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import QFrame, QGraphicsScene, QGraphicsView, QWidget

from studio.core.records import AnnotationRecord, LabelClassRecord
from studio.gui.canvas import keys
from studio.gui.canvas.annotation_layer import UNKNOWN_CLASS_COLOR, AnnotationLayer
from studio.gui.canvas.image_item import ImageItem, PlaceholderItem
from studio.gui.canvas.image_loader import (
    MAX_DISPLAY_SIDE,
    PREVIEW_SIDE,
    DisplayImage,
    ImageLoader,
)
from studio.gui.canvas.shapes.handles import GRAB_PIXELS
from studio.gui.canvas.tools import Pointer, Tool
from studio.gui.canvas.tools.registry import build_tools, canvas_tools
from studio.gui.plugin_host import gui_plugins
from studio.gui.refcount_guard import protect_singletons
from studio.plugins.manager import StudioPlugins

# Every paint() and event override hands None back to C++, and PySide6 6.12 on CPython 3.11
# loses a reference to None each time (see refcount_guard): guard before the first paint.
protect_singletons()

IMAGE_PREVIEW, IMAGE_FULL = "preview", "full"
IMAGE_MISSING, IMAGE_UNREADABLE = "missing", "unreadable"
MAX_ZOOM = 64.0
MIN_ZOOM_OF_FIT = 1 / 8  # how far past "fit" the view zooms out
WHEEL_NOTCH = 120
WHEEL_STEP = 1.25  # zoom factor per wheel notch
KEY_ZOOM_STEP = 1.25
FIT_MARGIN_PIXELS = 8
SCENE_MARGIN = 4.0  # the scene reaches this many image sizes beyond each image edge
BRUSH_STEP = 1.25
MIN_BRUSH, MAX_BRUSH, DEFAULT_BRUSH = 1, 1000, 24
BACKGROUND = QColor(58, 61, 66)
# The crosshair: a light 1-pixel line on a faint dark halo, visible on bright and dark images.
CROSSHAIR_LINE = QColor(255, 255, 255, 220)
CROSSHAIR_HALO = QColor(0, 0, 0, 90)


class Canvas(QGraphicsView):
    shape_created = Signal(str, object)  # kind ("box", "polygon", "mask", "keypoints"), geometry
    shape_edited = Signal(int, object)  # annotation id, new geometry: once, when a drag ends
    selection_changed = Signal(list)  # selected annotation ids
    delete_requested = Signal(list)  # annotation ids (Delete/Backspace on a selection)
    cursor_moved = Signal(float, float)  # image pixel coordinates under the mouse
    zoom_changed = Signal(float)  # scale factor (1.0 = 1:1)
    image_shown = Signal(str)  # "preview" then "full"; or "missing" / "unreadable"
    tool_changed = Signal(str)
    brush_size_changed = Signal(int)
    message = Signal(str)  # a hint for the status bar ("Select a mask to erase from")
    sam_checkpoint_wanted = Signal()  # the SAM tool needs a checkpoint the project lacks
    context_menu_requested = Signal(QPoint)  # global position: a right click on a shape

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        preview_side: int = PREVIEW_SIDE,
        max_display_side: int = MAX_DISPLAY_SIDE,
        plugins: StudioPlugins | None = None,
    ) -> None:
        """`plugins`: whose canvas tools to offer (default: the process's); a plugin whose
        tool factory raises is disabled and its tool left out (`tool_problems` says so)."""
        super().__init__(parent)
        self._configure_view()
        scene = QGraphicsScene(self)
        scene.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        self.setScene(scene)
        self.image_item = ImageItem()
        scene.addItem(self.image_item)
        self.placeholder = PlaceholderItem()
        self.placeholder.setZValue(3000)
        self.placeholder.setVisible(False)
        scene.addItem(self.placeholder)
        self.layer = AnnotationLayer(scene)
        self._loader = ImageLoader(self, preview_side, max_display_side)
        self._loader.preview_ready.connect(self._show_preview)
        self._loader.full_ready.connect(self._show_full)
        self._loader.failed.connect(self._show_failure)
        self._image_path: Path | None = None
        self._image_size = (0, 0)
        self._image_state = ""
        self._generation = 0
        self._classes: dict[int, LabelClassRecord] = {}
        self._active_class: LabelClassRecord | None = None
        self._brush_size = DEFAULT_BRUSH
        self._pending: tuple[list[AnnotationRecord], list[LabelClassRecord]] | None = None
        self._fitted = True
        self._pan_from: QPointF | None = None
        self._anchor: tuple[QPointF, QPointF, tuple[float, int, int]] | None = None
        self._space_held = False
        self._sam_assistant: Any = None
        self._crosshair = False
        self._pointer_scene: QPointF | None = None  # where the crosshair crosses
        manager = gui_plugins(plugins)
        specs = canvas_tools(manager)
        self._tools, self.tool_problems = build_tools(self, specs, manager)
        self.tool_specs = [spec for spec in specs if spec.name in self._tools]
        self._tool_name = "select" if "select" in self._tools else next(iter(self._tools))
        self._tool: Tool = self._tools[self._tool_name]
        self._tool.activate()

    def _configure_view(self) -> None:
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setBackgroundBrush(BACKGROUND)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.viewport().setMouseTracking(True)

    # -- the image -----------------------------------------------------------------------

    def set_image(self, path: Path | None, width: int, height: int) -> None:
        """Show the image at `path` (`width`×`height` once EXIF-rotated), decoded in a worker:
        a preview first, then the full picture. None or a missing file shows a placeholder.

        Showing the same file again (same path and size, loaded or loading) does nothing;
        `reload` forces a new decode, e.g. after the file was relinked.
        """
        path = Path(path) if path is not None else None
        if (
            path == self._image_path
            and (width, height) == self._image_size
            and self._image_state in ("loading", IMAGE_PREVIEW, IMAGE_FULL)
        ):
            return
        self._tool.cancel()
        self._image_path, self._image_size = path, (max(0, width), max(0, height))
        self.reload()

    def reload(self) -> None:
        """Decode the current image again (placeholders included)."""
        path = self._image_path
        width, height = self._image_size
        self.image_item.reset(width, height)
        self.placeholder.setVisible(False)
        self._update_scene_rect()
        self.fit()
        if path is None:
            self._generation = self._loader.cancel()
            self._image_state = ""
            self._show_placeholder("No image")
        elif not path.is_file():
            self._generation = self._loader.cancel()
            self._image_state = IMAGE_MISSING
            self._show_placeholder(f"Image file missing: {path}")
            self.image_shown.emit(IMAGE_MISSING)
        else:
            self._image_state = "loading"
            self._generation = self._loader.load(path)

    def image_path(self) -> Path | None:
        return self._image_path

    def image_size(self) -> tuple[int, int]:
        return self._image_size

    def image_state(self) -> str:
        """ "" (no image), "loading", "preview", "full", "missing" or "unreadable"."""
        return self._image_state

    def placeholder_text(self) -> str:
        return self.placeholder.text()

    def _show_preview(self, generation: int, picture: DisplayImage) -> None:
        if generation != self._generation:
            return
        self.image_item.add_level(picture)
        if self._image_state == "loading":  # a preview that lost the race stays a level
            self._image_state = IMAGE_PREVIEW
            self.image_shown.emit(IMAGE_PREVIEW)

    def _show_full(self, generation: int, levels: list[DisplayImage]) -> None:
        if generation != self._generation:
            return
        if self._image_size == (0, 0):
            self._adopt_size(levels[-1])
        for level in levels:
            self.image_item.add_level(level)
        self._image_state = IMAGE_FULL
        self.image_shown.emit(IMAGE_FULL)

    def _show_failure(self, generation: int, message: str) -> None:
        if generation != self._generation:
            return
        self._image_state = IMAGE_UNREADABLE
        self._show_placeholder(message)
        self.image_shown.emit(IMAGE_UNREADABLE)

    def _adopt_size(self, picture: DisplayImage) -> None:
        """Without a size from the project, take the decoded one (never scaled down then)."""
        self._image_size = (picture.width, picture.height)
        self.image_item.reset(*self._image_size)
        self._update_scene_rect()
        self.fit()

    def _show_placeholder(self, text: str) -> None:
        width, height = self._image_size
        self.placeholder.show_text(text, QPointF(width / 2, height / 2))

    def _update_scene_rect(self) -> None:
        width, height = self._image_size
        margin = SCENE_MARGIN * max(width, height, 1)
        self.setSceneRect(QRectF(-margin, -margin, width + 2 * margin, height + 2 * margin))

    # -- annotations ---------------------------------------------------------------------

    def set_annotations(
        self, annotations: Sequence[AnnotationRecord], classes: Sequence[LabelClassRecord]
    ) -> None:
        """Show these annotations (tags are not drawn). During a drag the call waits for the
        drag to end, so a refresh never yanks a shape from under the pointer."""
        if self._tool.busy():
            self._pending = (list(annotations), list(classes))
            return
        self._pending = None
        self._classes = {label.id: label for label in classes}
        if self._active_class is not None:
            self._active_class = self._classes.get(self._active_class.id, self._active_class)
        self.layer.set_annotations(annotations, classes)

    def _apply_pending(self) -> None:
        if self._pending is not None and not self._tool.busy():
            self.set_annotations(*self._pending)

    def select_annotations(self, ids: list[int]) -> None:
        self.layer.set_selection(ids)

    def selected_annotations(self) -> list[int]:
        return self.layer.selected_ids()

    def set_class_visible(self, class_id: int, visible: bool) -> None:
        self.layer.set_class_visible(class_id, visible)

    def set_class_opacity(self, class_id: int, opacity: float) -> None:
        self.layer.set_class_opacity(class_id, opacity)

    def set_active_class(self, label_class: LabelClassRecord | None) -> None:
        self._active_class = label_class

    def active_class(self) -> LabelClassRecord | None:
        return self._active_class

    def active_color(self) -> QColor:
        if self._active_class is None:
            return QColor(UNKNOWN_CLASS_COLOR)
        return QColor(self._active_class.color)

    # -- tools ---------------------------------------------------------------------------

    def set_tool(self, tool: str) -> None:
        if tool not in self._tools:
            raise ValueError(f"unknown tool {tool!r}; expected one of: {', '.join(self._tools)}")
        if self._tools[tool] is self._tool:
            return
        self._tool.deactivate()
        self.layer.set_hover(None)
        self._tool, self._tool_name = self._tools[tool], tool
        self._tool.activate()
        self._apply_pending()
        self.viewport().update()  # the crosshair shows with some tools only
        self.tool_changed.emit(tool)

    def tool(self) -> str:
        return self._tool_name

    def tool_names(self) -> list[str]:
        """The tools this canvas offers, in the registry's order."""
        return list(self._tools)

    def current_tool(self) -> Tool:
        return self._tool

    def set_brush_size(self, pixels: int) -> None:
        size = max(MIN_BRUSH, min(MAX_BRUSH, int(pixels)))
        if size != self._brush_size:
            self._brush_size = size
            for tool in self._tools.values():
                tool.brush_size_changed()
            self.brush_size_changed.emit(size)

    def brush_size(self) -> int:
        return self._brush_size

    def set_tool_cursor(self, shape: Qt.CursorShape) -> None:
        if self._pan_from is None and not self._space_held:
            self.viewport().setCursor(shape)

    # -- what tools call -----------------------------------------------------------------

    def emit_created(self, kind: str, geometry: Any) -> None:
        self.shape_created.emit(kind, geometry)

    def emit_edited(self, annotation_id: int, geometry: Any) -> None:
        self.shape_edited.emit(annotation_id, geometry)

    def request_delete(self, ids: list[int]) -> None:
        self.delete_requested.emit(list(ids))

    def user_select(self, ids: list[int]) -> None:
        """Select as the user did: emits selection_changed when the selection changes."""
        if self.layer.set_selection(ids):
            self.selection_changed.emit(self.layer.selected_ids())

    def show_message(self, text: str) -> None:
        self.message.emit(text)

    def request_context_menu(self, view_point: QPointF) -> None:
        """Ask for the context menu of the selected shapes, at a viewport position."""
        self.context_menu_requested.emit(self.viewport().mapToGlobal(view_point.toPoint()))

    def set_sam_assistant(self, assistant: Any) -> None:
        """The workspace's `SamAssistant` (the open project's checkpoint and embeddings)."""
        self._sam_assistant = assistant

    def sam_assistant(self) -> Any:
        """The SAM tool's link to the project: None on a canvas outside a workspace."""
        return self._sam_assistant

    def ask_for_sam_checkpoint(self) -> None:
        self.sam_checkpoint_wanted.emit()

    def scene_tolerance(self, pixels: float = GRAB_PIXELS) -> float:
        """`pixels` screen pixels in image pixels at the current zoom."""
        return pixels / max(self.zoom(), 1e-6)

    def view_point(self, scene_point: QPointF) -> QPointF:
        """Where a scene point is in the viewport, without rounding to whole pixels."""
        return self.viewportTransform().map(scene_point)

    def scene_point(self, view_point: QPointF) -> QPointF:
        inverse, _ = self.viewportTransform().inverted()
        return inverse.map(view_point)

    # -- crosshair -----------------------------------------------------------------------

    def set_crosshair(self, shown: bool) -> None:
        """Show or hide the crosshair guides (drawn in drawing tools only)."""
        self._crosshair = bool(shown)
        self.viewport().update()

    def crosshair(self) -> bool:
        return self._crosshair

    def crosshair_point(self) -> QPointF | None:
        """Where the guides cross now (image pixels), or None when none are drawn."""
        point = self._pointer_scene
        width, height = self._image_size
        if not (self._crosshair and self._tool.crosshair and point is not None):
            return None
        if not (0 <= point.x() <= width and 0 <= point.y() <= height):
            return None
        return point

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802
        point = self.crosshair_point()
        if point is None:
            return
        width, height = self._image_size
        lines = [QLineF(0, point.y(), width, point.y()), QLineF(point.x(), 0, point.x(), height)]
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        for color, pixels in ((CROSSHAIR_HALO, 3.0), (CROSSHAIR_LINE, 1.0)):
            pen = QPen(color, pixels)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.drawLines(lines)
        painter.restore()

    # -- zoom ----------------------------------------------------------------------------

    def zoom(self) -> float:
        return self.transform().m11()

    def fit(self) -> None:
        """Show the whole image, centred."""
        width, height = self._image_size
        if not width or not height:
            return
        room = self.viewport().size()
        zoom = min(
            max(room.width() - 2 * FIT_MARGIN_PIXELS, 1) / width,
            max(room.height() - 2 * FIT_MARGIN_PIXELS, 1) / height,
        )
        self._set_transform(min(zoom, MAX_ZOOM))
        self.centerOn(QPointF(width / 2, height / 2))
        self._fitted = True

    def actual_size(self) -> None:
        """1:1: one image pixel per screen pixel, about the centre of the view."""
        self._zoom_about(1.0, self._view_center())

    def zoom_by(self, factor: float) -> None:
        self._zoom_about(self.zoom() * factor, self._view_center())

    def zoom_at(self, factor: float, view_point: QPointF) -> None:
        """Zoom by `factor` keeping the scene point under `view_point` where it is."""
        self._zoom_about(self.zoom() * factor, view_point)

    def _view_center(self) -> QPointF:
        return QPointF(self.viewport().width() / 2, self.viewport().height() / 2)

    def _min_zoom(self) -> float:
        width, height = self._image_size
        if not width or not height:
            return 1 / MAX_ZOOM
        room = self.viewport().size()
        fit = min(room.width() / width, room.height() / height)
        return max(min(fit, 1.0) * MIN_ZOOM_OF_FIT, 1e-3)

    def _zoom_about(self, zoom: float, view_point: QPointF) -> None:
        anchor = self._anchor_for(view_point)
        self._set_transform(max(self._min_zoom(), min(MAX_ZOOM, zoom)))
        drift = self.view_point(anchor) - view_point
        self._scroll_by(round(drift.x()), round(drift.y()))
        self._fitted = False
        self._anchor = (QPointF(view_point), anchor, self._view_state())

    def _anchor_for(self, view_point: QPointF) -> QPointF:
        """The scene point to keep under `view_point`.

        Scrolling moves by whole screen pixels, so each zoom step may leave the point up to
        half a pixel off. Successive steps at the same pointer position (wheel notches) reuse
        the first step's scene point, so these errors do not add up.
        """
        if self._anchor is not None:
            where, anchor, state = self._anchor
            if where == view_point and state == self._view_state():
                return anchor
        return self.scene_point(view_point)

    def _view_state(self) -> tuple[float, int, int]:
        return self.zoom(), self.horizontalScrollBar().value(), self.verticalScrollBar().value()

    def _scroll_by(self, dx: int, dy: int) -> None:
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + dx)
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + dy)

    def _set_transform(self, zoom: float) -> None:
        if zoom == self.zoom():
            return
        self.setTransform(QTransform.fromScale(zoom, zoom))
        self.layer.set_view_scale(zoom)
        self.zoom_changed.emit(zoom)

    # -- events --------------------------------------------------------------------------

    def _pointer(self, event: QMouseEvent) -> Pointer:
        return Pointer(self.scene_point(event.position()), event.position(), event.modifiers())

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        button = event.button()
        if button == Qt.MouseButton.MiddleButton or (
            button == Qt.MouseButton.LeftButton and self._space_held
        ):
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
        elif button == Qt.MouseButton.LeftButton:
            self._tool.press(self._pointer(event))
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pointer = self._pointer(event)
        self.cursor_moved.emit(pointer.x, pointer.y)
        self._pointer_scene = pointer.scene
        if self._crosshair:
            self.viewport().update()
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self._scroll_by(-round(delta.x()), -round(delta.y()))
            self._fitted = False
        elif event.buttons() & Qt.MouseButton.LeftButton:
            self._tool.move(pointer)
        else:
            self._tool.hover(pointer)
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._pan_from is not None and event.button() in (
            Qt.MouseButton.MiddleButton,
            Qt.MouseButton.LeftButton,
        ):
            self._pan_from = None
            self._restore_cursor()
        elif event.button() == Qt.MouseButton.LeftButton:
            self._tool.release(self._pointer(event))
            self._apply_pending()
        elif event.button() == Qt.MouseButton.RightButton and not (
            event.buttons() & Qt.MouseButton.LeftButton
        ):
            self._tool.right_click(self._pointer(event))
            self._apply_pending()
        event.accept()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and not self._space_held:
            self._tool.double_click(self._pointer(event))
            self._apply_pending()
        event.accept()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        steps = event.angleDelta().y() / WHEEL_NOTCH
        if steps:
            self.zoom_at(WHEEL_STEP**steps, event.position())
        event.accept()

    def leaveEvent(self, event: QEvent) -> None:  # noqa: N802
        self._tool.leave()
        self._pointer_scene = None
        if self._crosshair:
            self.viewport().update()
        super().leaveEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self._fitted:
            QTimer.singleShot(0, self._refit)

    def _refit(self) -> None:
        if self._fitted:
            self.fit()

    def event(self, event: QEvent) -> bool:
        """Claim the keys the canvas needs now before window shortcuts can take them."""
        override = event.type() == QEvent.Type.ShortcutOverride
        if override and isinstance(event, QKeyEvent):
            selected = bool(self.layer.selected_ids())
            if keys.claims(event.key(), event.modifiers(), self._tool.claims_key, selected):
                event.accept()
                return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        """The canvas's keys. A held key repeats only view commands (zoom, brush size): the
        repeats of Enter, Delete or Backspace would finish, delete or remove again."""
        if event.key() == Qt.Key.Key_Space:
            if not event.isAutoRepeat():
                self._space_held = True
                self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            return
        command = keys.navigation_command(event.key(), event.modifiers())
        if event.isAutoRepeat() and command is None:
            event.accept()
            return
        if self._tool.key_press(event):
            self._apply_pending()
            return
        if command is not None:
            self._navigate(command)
            return
        ids = self.layer.selected_ids()
        if event.key() in keys.DELETE_KEYS and ids and not self._tool.busy():
            self.request_delete(ids)
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_held = False
            self._restore_cursor()
            return
        super().keyReleaseEvent(event)

    def _navigate(self, command: str) -> None:
        size = self._brush_size
        actions = {
            "fit": self.fit,
            "actual_size": self.actual_size,
            "zoom_in": lambda: self.zoom_by(KEY_ZOOM_STEP),
            "zoom_out": lambda: self.zoom_by(1 / KEY_ZOOM_STEP),
            "brush_bigger": lambda: self.set_brush_size(max(size + 1, round(size * BRUSH_STEP))),
            "brush_smaller": lambda: self.set_brush_size(min(size - 1, round(size / BRUSH_STEP))),
        }
        actions[command]()

    def _restore_cursor(self) -> None:
        if self._space_held:
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
        else:
            self.viewport().setCursor(self._tool.cursor)

    # -- lifetime ------------------------------------------------------------------------

    def wait_for_loads(self, msecs: int = -1) -> bool:
        """Block until decoding workers are idle (tests and shutdown)."""
        return self._loader.wait(msecs)

    def shutdown(self) -> None:
        """Stop decoding; call before the application quits."""
        self._loader.shutdown()
