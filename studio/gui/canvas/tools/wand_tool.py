"""Magic wand: click for the region of similar colour, or drag a box around an object.

A click starts a new region; Shift+click adds the region under the pointer, a right click
(or Alt+click, Ctrl+click) cuts it out; a box uses the clicks as seeds
(`studio.core.magic_wand`). [ and ] change the colour tolerance. The region shows as a filled
outline; Enter stores it as a polygon (holes as inner rings), Shift+Enter as a mask, with the
active class and source "human": the wand draws what the person chose, as a brush does. Esc
drops it.

The wand's work runs on `TaskRunner` threads, so the window stays responsive on large
photographs: converting the image to CIELAB (once per image) starts as soon as the wand is
chosen or the pointer moves over a new image, ahead of the first click; a flood fill and an
outline per prompt follow, and a newer prompt drops the answer to an older one.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QKeyEvent
from PySide6.QtWidgets import QGraphicsPathItem

from studio.core.geometry import encode_mask, mask_to_polygons
from studio.core.magic_wand import (
    DEFAULT_TOLERANCE,
    WandImage,
    clamp_tolerance,
    region_from_prompts,
)
from studio.core.prompts import Point, Prompts
from studio.gui.canvas.shapes.polygon_item import rings_path
from studio.gui.canvas.tools.base import LIVE_Z, Pointer
from studio.gui.canvas.tools.live_items import cosmetic_pen
from studio.gui.canvas.tools.prompt_tool import PromptTool
from studio.gui.task_runner import Progress, TaskRunner

if TYPE_CHECKING:
    from studio.gui.canvas.view import Canvas

ACCEPT_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
TOLERANCE_KEYS = {Qt.Key.Key_BracketRight: 1.25, Qt.Key.Key_BracketLeft: 1 / 1.25}
OUTLINE_TOLERANCE = 1.0  # pixels the stored polygon may stray from the region's edge
_SUBTRACT = Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.ControlModifier


def _warm_up_scikit_image() -> None:
    """Outline the region of a click on a tiny image: the first flood fill and outline of a
    process import parts of scikit-image (most of a second), paid here ahead of a real click."""
    tiny = WandImage(np.zeros((4, 4, 3), dtype=np.uint8))
    mask_to_polygons(region_from_prompts(tiny, Prompts((Point(1, 1),))))


@dataclass(frozen=True)
class WandRegion:
    """The wand's answer to one set of prompts: the mask and its outline."""

    mask: np.ndarray
    rings: list[list[float]]


class WandTool(PromptTool):
    name = "wand"

    def __init__(self, canvas: Canvas) -> None:
        super().__init__(canvas)
        self._runner = TaskRunner(canvas)
        self._runner.finished.connect(self._show)
        self._runner.failed.connect(self._failed)
        self._preparer = TaskRunner(canvas)  # its failures show at the click that needs it
        self._prepared_for: Path | None = None
        self._prepared: tuple[Path, WandImage] | None = None  # set on the runners' threads
        self._prepared_lock = threading.Lock()
        self._prompts = Prompts()
        self._tolerance = DEFAULT_TOLERANCE
        self._region: WandRegion | None = None
        self._accept_as: str | None = None  # "polygon" or "mask", once the region is ready

    # -- what the canvas and tests ask -----------------------------------------------------

    def tolerance(self) -> float:
        return self._tolerance

    def region(self) -> WandRegion | None:
        """The region shown now (None while there is none or it is being worked out)."""
        return self._region

    def working(self) -> bool:
        return self._runner.busy

    def busy(self) -> bool:
        prompted = bool(self._prompts.points) or self._prompts.box is not None
        return prompted or self._press is not None

    def claims_key(self, key: int) -> bool:
        return key in TOLERANCE_KEYS or (key in (*ACCEPT_KEYS, Qt.Key.Key_Escape) and self.busy())

    # -- pointer -----------------------------------------------------------------------------

    def activate(self) -> None:
        super().activate()
        self._prepare()

    def hover(self, pointer: Pointer) -> None:
        self._prepare()

    def release(self, pointer: Pointer) -> None:
        start, self._press = self._press, None
        if start is None:
            return
        self._remove_rubber()
        if self._dragged(pointer, start):
            box = self._box_to(pointer, start)
            if box[2] >= 1 and box[3] >= 1:
                kept = self._prompts.points if start.has(Qt.KeyboardModifier.ShiftModifier) else ()
                x, y, width, height = box
                self._ask(Prompts(kept, (x, y, width, height)))
            return
        positive = not (start.modifiers & _SUBTRACT)
        self._click(pointer, positive, add=start.has(Qt.KeyboardModifier.ShiftModifier))

    def right_click(self, pointer: Pointer) -> None:
        """Cut the region under the pointer out, as Alt+click does."""
        self._click(pointer, positive=False, add=True)

    def _click(self, pointer: Pointer, positive: bool, add: bool) -> None:
        """A point prompt: a positive one starts a new region unless `add`; a negative one
        always joins the current prompts."""
        x, y = self.clamped(pointer)
        width, height = self.canvas.image_size()
        point = Point(min(x, width - 0.5), min(y, height - 0.5), positive)
        if not positive or add:
            self._ask(replace(self._prompts, points=(*self._prompts.points, point)))
        else:
            self._ask(Prompts((point,)))

    # -- keys ------------------------------------------------------------------------------

    def key_press(self, event: QKeyEvent) -> bool:
        key = event.key()
        if key in TOLERANCE_KEYS:
            self._set_tolerance(self._tolerance * TOLERANCE_KEYS[key])
            return True
        if key in ACCEPT_KEYS and self.busy():
            shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            self._accept("mask" if shift else "polygon")
            return True
        return super().key_press(event)

    def cancel(self) -> None:
        self._runner.drop()
        self._prompts = Prompts()
        self._region = None
        self._accept_as = None
        self._press = None
        self._remove_rubber()
        self._remove_preview()

    # -- work ------------------------------------------------------------------------------

    def _ask(self, prompts: Prompts) -> None:
        """Work out the region for `prompts` in the background (the last one asked wins)."""
        path = self.canvas.image_path()
        if path is None:
            return
        if prompts.box is None and not prompts.positive:
            self.canvas.show_message("Click the region first; a right click then cuts parts out")
            return
        self._prompts = prompts
        tolerance = self._tolerance

        def work(progress: Progress, cancel: threading.Event) -> WandRegion:
            mask = region_from_prompts(self._image(path), prompts, tolerance)
            return WandRegion(mask, mask_to_polygons(mask, OUTLINE_TOLERANCE))

        self._runner.start(work)

    def _prepare(self) -> None:
        """Start converting the shown image's colours, unless that was started already."""
        path = self.canvas.image_path()
        if path is None or path == self._prepared_for:
            return
        self._prepared_for = path

        def work(progress: Progress, cancel: threading.Event) -> None:
            self._image(path)
            _warm_up_scikit_image()

        self._preparer.start(work)

    def _image(self, path: Path) -> WandImage:
        """The prepared image at `path`, converted once; a click during the conversion waits
        for it rather than converting again. Runs on the runners' threads."""
        with self._prepared_lock:
            if self._prepared is None or self._prepared[0] != path:
                self._prepared = (path, WandImage.open(path))
            return self._prepared[1]

    def _set_tolerance(self, tolerance: float) -> None:
        self._tolerance = round(clamp_tolerance(tolerance), 1)
        self.canvas.show_message(f"Wand tolerance: {self._tolerance:g}")
        if self._prompts.box is None and self._prompts.points:
            self._ask(self._prompts)

    def _show(self, region: WandRegion) -> None:
        self._region = region
        self._remove_preview()
        if not region.rings:
            self.canvas.show_message("The wand found no region there")
        else:
            color = self.canvas.active_color()
            fill = QColor(color)
            fill.setAlphaF(0.3)
            self._preview = QGraphicsPathItem(rings_path(region.rings))
            self._preview.setPen(cosmetic_pen(color, dashed=True))
            self._preview.setBrush(fill)
            self._preview.setZValue(LIVE_Z)
            self.canvas.scene().addItem(self._preview)
        if self._accept_as is not None:
            self._accept(self._accept_as)

    def _failed(self, message: str) -> None:
        self.cancel()
        self.canvas.show_message(message)

    def _accept(self, kind: str) -> None:
        """Store the region as `kind`; if it is still being worked out, once it is ready."""
        if self._region is None or self._runner.busy:
            self._accept_as = kind
            return
        region = self._region
        self.cancel()
        if kind == "mask" and region.mask.any():
            self.canvas.emit_created("mask", encode_mask(region.mask))
        elif kind == "polygon" and region.rings:
            self.canvas.emit_created("polygon", region.rings)

    # -- helpers ---------------------------------------------------------------------------
