"""Segment Anything on the canvas: click the object, and SAM outlines it.

A click is a positive prompt, a right click (or Shift+click, Alt+click) a negative one: what
is not part of the object. A drag is a box prompt, and clicks after a box refine it. After the
first click the mask follows the pointer: each move decodes the kept prompts plus the hovering
point. M cycles through SAM's three ambiguity masks (whole, part, sub-part), Backspace drops
the last prompt, Enter stores the mask as a polygon (Shift+Enter: as a mask), Esc cancels;
[ and ] make the polygon follow the mask more or less closely (its simplification tolerance,
0.25-8 px; 1 px at first). What is stored is a pending suggestion with source "sam" and the
prompts in its attributes (one undo step); Y accepts it.

Decoding runs on one background thread. The tool keeps the list of prompt operations on the
GUI thread; every request carries all of them and the background thread applies the ones its
`PromptSession` has not seen, so a request dropped because the pointer moved on loses nothing,
and only the newest answer is shown. The embedding comes from the cache (`SamAssistant`);
until the encoder worker has stored it the status bar says "encoding…" and the last click
waits for it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QKeyEvent
from PySide6.QtWidgets import QGraphicsPathItem

from studio.core.geometry import encode_mask, mask_to_polygons
from studio.gui.canvas.shapes.polygon_item import rings_path
from studio.gui.canvas.tools.base import LIVE_Z, Pointer
from studio.gui.canvas.tools.live_items import cosmetic_pen
from studio.gui.canvas.tools.prompt_tool import PromptTool
from studio.gui.task_runner import Progress, TaskRunner

if TYPE_CHECKING:
    from studio.api import ItemRecord
    from studio.gui.canvas.view import Canvas
    from studio.gui.sam.assistant import SamAssistant

ACCEPT_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
CYCLE_KEY = Qt.Key.Key_M
UNDO_KEY = Qt.Key.Key_Backspace
OUTLINE_TOLERANCE = 1.0  # pixels the stored polygon may stray from the mask's edge, at first
TOLERANCE_KEYS = {Qt.Key.Key_BracketRight: 1.5, Qt.Key.Key_BracketLeft: 1 / 1.5}
TOLERANCE_RANGE = (0.25, 8.0)  # the outline's tolerance [ and ] choose from, in pixels
ENCODING_MESSAGE = "SAM: encoding… (the click answers once the image is encoded)"
_NEGATIVE = Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.AltModifier

# Prompt operations, applied in order to the background thread's PromptSession.
Operation = tuple[Any, ...]  # ("point", x, y, positive) | ("box", x0, y0, x1, y1) | ("undo",)


@dataclass(frozen=True)
class SamAnswer:
    """A decoded mask to show, with its outline, or `empty` when no prompt is left."""

    mask: np.ndarray | None
    rings: list[list[float]]
    masks_offered: int = 0
    prompts: dict | None = None
    waiting: bool = False  # the image's embedding is not in the cache yet

    @property
    def empty(self) -> bool:
        return self.mask is None


class _SessionState:
    """The background thread's PromptSession and how many of the operations it has applied."""

    def __init__(self, generation: int, session: Any) -> None:
        self.generation = generation
        self.session = session
        self.applied = 0
        self.last: Any = None  # the last DecodedMasks of the kept prompts


class SamTool(PromptTool):
    name = "sam"

    def __init__(self, canvas: Canvas) -> None:
        super().__init__(canvas)
        self._runner = TaskRunner(canvas)
        self._runner.finished.connect(self._show)
        self._runner.failed.connect(self._failed)
        self._lock = threading.Lock()
        self._state: _SessionState | None = None  # only touched under _lock
        self._generation = 0
        self._operations: list[Operation] = []
        self._answer: SamAnswer | None = None
        self._store_as: str | None = None  # "polygon" or "mask" once the answer is ready
        self._waiting = False
        self._connected: SamAssistant | None = None
        self._tolerance = OUTLINE_TOLERANCE

    # -- what the canvas and tests ask -----------------------------------------------------

    def answer(self) -> SamAnswer | None:
        """The mask shown now (None before the first answer)."""
        return self._answer

    def working(self) -> bool:
        return self._runner.busy

    def waiting_for_embedding(self) -> bool:
        return self._waiting

    def busy(self) -> bool:
        return bool(self._operations) or self._press is not None

    def outline_tolerance(self) -> float:
        """Pixels the outline may stray from the mask's edge ([ and ] change it)."""
        return self._tolerance

    def claims_key(self, key: int) -> bool:
        if key in TOLERANCE_KEYS:
            return True
        return self.busy() and key in (*ACCEPT_KEYS, CYCLE_KEY, UNDO_KEY, Qt.Key.Key_Escape)

    # -- pointer -----------------------------------------------------------------------------

    def activate(self) -> None:
        super().activate()
        assistant = self._assistant()
        if assistant is None:
            return
        if self._connected is not assistant:
            assistant.embedding_ready.connect(self._embedding_ready)
            self._connected = assistant
        if assistant.checkpoint() is None:
            self.canvas.ask_for_sam_checkpoint()

    def deactivate(self) -> None:
        self.cancel()
        super().deactivate()

    def hover(self, pointer: Pointer) -> None:
        if self._operations and self._answer is not None and not self._waiting:
            x, y = self._inside(pointer)
            self._decode(preview=(x, y, not pointer.has(_NEGATIVE)))

    def release(self, pointer: Pointer) -> None:
        start, self._press = self._press, None
        if start is None:
            return
        self._remove_rubber()
        if self._dragged(pointer, start):
            x, y, width, height = self._box_to(pointer, start)
            if width >= 1 and height >= 1:
                self._prompt(("box", x, y, x + width, y + height))
            return
        x, y = self._inside(pointer)
        self._prompt(("point", x, y, not start.has(_NEGATIVE)))

    def right_click(self, pointer: Pointer) -> None:
        """A negative point, as Shift+click is."""
        x, y = self._inside(pointer)
        self._prompt(("point", x, y, False))

    # -- keys ------------------------------------------------------------------------------

    def key_press(self, event: QKeyEvent) -> bool:
        key = event.key()
        if key in TOLERANCE_KEYS:
            self._set_tolerance(self._tolerance * TOLERANCE_KEYS[key])
            return True
        if not self.busy():
            return super().key_press(event)
        if key in ACCEPT_KEYS:
            shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            self._store("mask" if shift else "polygon")
            return True
        if key == CYCLE_KEY:
            self._prompt(("cycle",))
            return True
        if key == UNDO_KEY:
            self._prompt(("undo",))
            return True
        return super().key_press(event)

    def cancel(self) -> None:
        self._runner.drop()
        self._generation += 1  # the background thread starts a fresh session
        self._operations = []
        self._answer = None
        self._store_as = None
        self._waiting = False
        self._press = None
        self._remove_rubber()
        self._remove_preview()

    def _set_tolerance(self, tolerance: float) -> None:
        low, high = TOLERANCE_RANGE
        self._tolerance = round(min(max(tolerance, low), high), 2)
        self.canvas.show_message(
            f"SAM outline tolerance: {self._tolerance:g} px (Shift+Enter stores the exact mask)"
        )
        if self._operations:
            self._decode()  # outline the kept prompts' mask again

    # -- work ------------------------------------------------------------------------------

    def _prompt(self, operation: Operation) -> None:
        assistant = self._assistant()
        if assistant is None or assistant.item() is None:
            self.canvas.show_message("SAM: open an image of a project first")
            return
        if assistant.checkpoint() is None:
            self.canvas.ask_for_sam_checkpoint()
            return
        if operation[0] in ("undo", "cycle") and not self._operations:
            return
        self._operations.append(operation)
        self._decode()

    def _decode(self, preview: tuple[float, float, bool] | None = None) -> None:
        """Bring the session up to the kept operations and decode, in the background."""
        assistant = self._assistant()
        item = assistant.item() if assistant is not None else None
        if assistant is None or item is None:
            return
        operations, generation = tuple(self._operations), self._generation
        tolerance = self._tolerance

        def work(progress: Progress, cancel: threading.Event) -> SamAnswer | None:
            with self._lock:
                if cancel.is_set() and preview is not None:
                    return None  # a newer request follows; a hover answer is not worth it
                state = self._session(assistant, item, generation)
                if state is None:
                    return SamAnswer(None, [], waiting=True)
                return _apply(state, operations, preview, tolerance)

        self._runner.start(work)

    def _session(
        self, assistant: SamAssistant, item: ItemRecord, generation: int
    ) -> _SessionState | None:
        """The session of this generation, created from the cached embedding (under _lock)."""
        if self._state is None or self._state.generation != generation:
            session = assistant.session_for(item)
            if session is None:
                return None
            self._state = _SessionState(generation, session)
        return self._state

    def _show(self, answer: SamAnswer | None) -> None:
        if answer is None:
            return
        self._waiting = answer.waiting
        if answer.waiting:
            self.canvas.show_message(ENCODING_MESSAGE)
            return
        if answer.empty:  # every prompt was undone: start afresh
            self.cancel()
            return
        self._answer = answer
        self._remove_preview()
        if answer.rings:
            color = self.canvas.active_color()
            fill = QColor(color)
            fill.setAlphaF(0.35)
            self._preview = QGraphicsPathItem(rings_path(answer.rings))
            self._preview.setPen(cosmetic_pen(color, dashed=True))
            self._preview.setBrush(fill)
            self._preview.setZValue(LIVE_Z)
            self.canvas.scene().addItem(self._preview)
        if self._store_as is not None and not self._runner.busy:
            self._store(self._store_as)

    def _embedding_ready(self, item_id: int) -> None:
        assistant = self._assistant()
        item = assistant.item() if assistant is not None else None
        if self._waiting and item is not None and item.id == item_id:
            self.canvas.show_message("SAM: ready")
            self._decode()

    def _failed(self, message: str) -> None:
        self.cancel()
        self.canvas.show_message(message)

    def _store(self, kind: str) -> None:
        """Store the kept prompts' mask as a pending suggestion; once decoded if it is not."""
        assistant = self._assistant()
        if assistant is None:
            return
        if self._answer is None or self._answer.empty or self._runner.busy or self._waiting:
            self._store_as = kind
            self._decode()  # the kept prompts alone: no hovering point
            return
        if self._answer.prompts is None:  # the answer shown is a hover preview
            self._store_as = kind
            self._decode()
            return
        answer, label_class = self._answer, self.canvas.active_class()
        item = assistant.item()
        self.cancel()
        if label_class is None:
            self.canvas.show_message("Add a class first: a shape needs one")
            return
        if item is None or answer.mask is None or not answer.mask.any():
            self.canvas.show_message("SAM found no mask there")
            return
        geometry: dict[str, Any] = (
            {"mask": encode_mask(answer.mask)} if kind == "mask" else {"polygon": answer.rings}
        )
        if kind == "polygon" and not answer.rings:
            self.canvas.show_message("SAM's mask is too small to outline; Shift+Enter keeps it")
            return
        suggestion = {
            "item_id": item.id,
            "label": label_class.name,
            "source": "sam",
            "attributes": {"sam_prompts": answer.prompts},
            **geometry,
        }
        assistant.suggest([suggestion])

    # -- helpers ---------------------------------------------------------------------------

    def _assistant(self) -> SamAssistant | None:
        return self.canvas.sam_assistant()

    def _inside(self, pointer: Pointer) -> tuple[float, float]:
        x, y = self.clamped(pointer)
        width, height = self.canvas.image_size()
        return min(x, width - 0.5), min(y, height - 0.5)


def _apply(
    state: _SessionState,
    operations: tuple[Operation, ...],
    preview: tuple[float, float, bool] | None,
    tolerance: float,
) -> SamAnswer:
    """Apply the operations `state` has not seen, then decode (runs under the tool's lock)."""
    session = state.session
    for operation in operations[state.applied :]:
        kind = operation[0]
        if kind == "point":
            state.last = session.add_point(operation[1], operation[2], positive=operation[3])
        elif kind == "box":
            state.last = session.set_box(operation[1:])
        elif kind == "undo":
            state.last = session.undo()
        elif kind == "cycle" and state.last is not None:
            session.choose((session.chosen + 1) % len(state.last))
    state.applied = len(operations)
    if state.last is None:
        return SamAnswer(None, [])
    if preview is not None:
        shown = session.preview(*preview[:2], positive=preview[2])
        mask = shown.mask(min(session.chosen, len(shown) - 1))
        return SamAnswer(mask, mask_to_polygons(mask, tolerance), len(shown))
    mask = session.result()
    return SamAnswer(mask, mask_to_polygons(mask, tolerance), len(state.last), session.prompts)
