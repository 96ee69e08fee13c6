"""Copy and paste of shapes between images (Ctrl+C, Ctrl+V), as in CVAT and labelme.

The clipboard holds the copied shapes' records (geometry, class, attributes), not their ids,
so a shape copied and then deleted (a cut: copy, then Delete) still pastes. It lives as long
as the window and serves every image shown there; the system clipboard is left alone (other
programs have no use for a Studio shape). Copy takes the selected shapes only; the whole
previous image has its own action ("Copy the previous image's annotations").
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from studio.api import AnnotationRecord
from studio.gui.workspace.controller import LabelingController
from studio.gui.workspace.shape_words import counted_shapes


class ShapeClipboard(QObject):
    message = Signal(str)  # what a copy or paste did, for the status bar

    def __init__(self, controller: LabelingController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self._shapes: tuple[AnnotationRecord, ...] = ()

    def shapes(self) -> list[AnnotationRecord]:
        return list(self._shapes)

    def copy(self) -> None:
        """Hold the selected shapes (replacing what was held)."""
        selected = set(self._controller.selection)
        shapes = tuple(s for s in self._controller.shapes if s.id in selected)
        if not shapes:
            self.message.emit("Select the shapes to copy first")
            return
        self._shapes = shapes
        self.message.emit(f"Copied {counted_shapes(s.kind for s in shapes)}")

    def paste(self) -> None:
        """Paste the held shapes into the shown image (one undo step); they become the
        selection. Parts outside a smaller image are cut off."""
        if not self._shapes:
            self.message.emit("Nothing to paste: copy shapes first")
            return
        if self._controller.item is None:
            self.message.emit("Open an image to paste into first")
            return
        pasted = self._controller.paste_shapes(list(self._shapes))
        if pasted is None:
            return  # refused: the controller said why
        held = counted_shapes(s.kind for s in self._shapes)
        if not pasted:
            self.message.emit(f"Nothing pasted: nothing of the copied {held} is inside this image")
        elif len(pasted) < len(self._shapes):
            self.message.emit(f"Pasted {len(pasted)} of {held} (the rest is outside this image)")
        else:
            self.message.emit(f"Pasted {held}")
