"""X11 auto-repeats that Qt reports as fresh key presses, told apart by their timestamps.

While a key is held, the X server sends a release and a press with the same timestamp about
25 times a second. Qt's xcb plugin should mark both `isAutoRepeat()`; in a real X window with
Qt 6.12 it marked none of them, so a held Space looked like a tap every 40 ms and marked one
image done after another, whatever the actions' `autoRepeat` said.

`KeyRepeatFilter` sits on the main window's QWindow, where a key arrives before any shortcut
or widget sees it. It holds a plain key release back for up to RELEASE_GRACE_MS. When a press
of the same key with the same timestamp follows, the pair is an auto-repeat: the release and
the press go on to the focused widget flagged `isAutoRepeat()`, and the press triggers no
window shortcut (Qt's shortcut map cannot be told that a press repeats, so a held key fires a
window action once, even one that may repeat; the canvas's own zoom and brush keys still
repeat). Otherwise the release goes on unchanged. Where Qt flags repeats itself (Windows,
macOS, Wayland, the offscreen tests), nothing changes.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget

# The press of an X11 repeat pair arrives well under a millisecond after its release (measured
# 0.05–0.35 ms); the timer only bounds how late a real release may be delivered.
RELEASE_GRACE_MS = 30


def _copy(event: QKeyEvent, auto_repeat: bool) -> QKeyEvent:
    copy = QKeyEvent(
        event.type(),
        event.key(),
        event.modifiers(),
        event.nativeScanCode(),
        event.nativeVirtualKey(),
        event.nativeModifiers(),
        event.text(),
        auto_repeat,
        event.count(),
    )
    copy.setTimestamp(event.timestamp())
    return copy


class KeyRepeatFilter(QObject):
    """Install on a top-level widget's QWindow (`window.windowHandle().installEventFilter`)."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        self._held_release: QKeyEvent | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(RELEASE_GRACE_MS)
        self._timer.timeout.connect(self._deliver_held_release)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if kind not in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease, QEvent.Type.ShortcutOverride):
            return False
        assert isinstance(event, QKeyEvent)
        if event.isAutoRepeat():
            return False  # Qt told it apart itself
        if kind == QEvent.Type.KeyRelease:
            self._deliver_held_release()
            self._held_release = _copy(event, auto_repeat=False)
            self._timer.start()
            return True
        if not self._repeats_held_release(event):
            self._deliver_held_release()
            return False
        if kind == QEvent.Type.ShortcutOverride:
            event.accept()  # taken: no window shortcut fires for a repeat
            return True
        release, self._held_release = self._held_release, None
        self._timer.stop()
        assert release is not None
        self._deliver(_copy(release, auto_repeat=True))
        self._deliver(_copy(event, auto_repeat=True))
        return True

    def _repeats_held_release(self, event: QKeyEvent) -> bool:
        held = self._held_release
        return (
            held is not None and held.key() == event.key() and held.timestamp() == event.timestamp()
        )

    def _deliver_held_release(self) -> None:
        self._timer.stop()
        release, self._held_release = self._held_release, None
        if release is not None:
            self._deliver(release)

    def _deliver(self, event: QKeyEvent) -> None:
        """To the widget that has the keyboard, as Qt would (it propagates to the parents)."""
        focused = QApplication.focusWidget()
        target = focused if focused is not None and focused.window() is self._window else None
        QApplication.sendEvent(target or self._window, event)
