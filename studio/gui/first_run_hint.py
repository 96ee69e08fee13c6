"""The first-run hint: the three keys that matter, shown once per user over the window.

The first time a project is open in the window, a small note at the bottom of the central
area (the gallery and the canvas) names the box tool's key, the key that marks an image done
and opens the next, and the key that lists every key, each read from the shortcut registry
(so a user's own keys show). It is remembered in QSettings (`hints/first_run`) as soon as
it is shown; "Got it" closes it.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSettings, Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from studio.gui.workspace.shortcuts import ShortcutRegistry

SHOWN_KEY = "hints/first_run"
KEYS_THAT_MATTER = ("tool_box", "mark_done_next", "help")  # draw, finish and move on, find keys
MARGIN = 12  # px from the bottom of the area it floats over
WIDEST = 820  # px: it wraps in a narrower area


class FirstRunHint(QFrame):
    """Floats at the bottom centre of `host`, following its size."""

    def __init__(self, registry: ShortcutRegistry, settings: QSettings, host: QWidget) -> None:
        super().__init__(host)
        self.setObjectName("firstRunHint")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.registry = registry
        self.settings = settings
        self.text = QLabel()
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setWordWrap(True)
        self.dismiss_button = QPushButton("Got it")
        self.dismiss_button.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.dismiss_button)
        self.hide()
        host.installEventFilter(self)

    @property
    def seen(self) -> bool:
        return self.settings.value(SHOWN_KEY, False, type=bool)

    def show_once(self) -> bool:
        """Show the hint unless this user has seen it; True when it is shown now."""
        if self.seen:
            return False
        self.settings.setValue(SHOWN_KEY, True)
        self.text.setText(self.describe())
        self._place()
        self.show()
        self.raise_()
        return True

    def describe(self) -> str:
        """ "New here? <b>B</b> Box · <b>Space</b> Mark done and go to the next image · …"."""
        parts = []
        for name in KEYS_THAT_MATTER:
            keys = self.registry.display_keys(name)
            if keys:
                parts.append(f"<b>{keys}</b>&nbsp;{self.registry.spec(name).title}")
        return "New here? Three keys to start: " + " &nbsp;·&nbsp; ".join(parts)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.parent() and event.type() == QEvent.Type.Resize:
            self._place()
        return False

    def _place(self) -> None:
        host = self.parentWidget()
        width = max(1, min(WIDEST, host.width() - 2 * MARGIN))
        height = self.heightForWidth(width)
        self.resize(width, height if height > 0 else self.sizeHint().height())
        self.move((host.width() - self.width()) // 2, host.height() - self.height() - MARGIN)
