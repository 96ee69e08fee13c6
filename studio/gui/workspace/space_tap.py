"""A tap of Space on the canvas runs the window's Space action; a held Space still pans.

The canvas keeps Space for itself (hold it and drag to pan), so while the canvas has the
keyboard the window never sees the key. Labelers also press Space to finish an image. This
filter tells the two apart: a Space press and release with no mouse button pressed in
between is a tap, and triggers whichever registry action has the key Space.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QWidget

from studio.gui.workspace.shortcuts import ShortcutRegistry

SPACE = "Space"


class SpaceTapFilter(QObject):
    def __init__(self, canvas: QWidget, registry: ShortcutRegistry) -> None:
        super().__init__(canvas)
        self._registry = registry
        self._held = False
        self._dragged = False
        canvas.installEventFilter(self)
        if hasattr(canvas, "viewport"):
            canvas.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress and self._held:
            self._dragged = True
        elif kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            assert isinstance(event, QKeyEvent)
            if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
                self._space(kind == QEvent.Type.KeyPress, event.modifiers())
        return False

    def _space(self, pressed: bool, modifiers: Qt.KeyboardModifier) -> None:
        if pressed:
            self._held, self._dragged = True, False
            return
        tapped = self._held and not self._dragged
        self._held = False
        if tapped and modifiers == Qt.KeyboardModifier.NoModifier:
            self._trigger()

    def _trigger(self) -> None:
        name = self._registry.owner_of(SPACE)
        if name is not None:
            action = self._registry.action(name)
            if action.isEnabled():
                action.trigger()
