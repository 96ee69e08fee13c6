"""The help overlay (F1 or ?): every shortcut, grouped, over a dimmed window.

It covers its parent widget and follows its size. While it has focus, keys trigger no
action: Escape, F1 or ? close it, as does a click outside the card; "Change shortcuts…"
opens the editor.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QHideEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from studio.gui.workspace.shortcuts import CLASS_SLOTS, NATIVE, ShortcutRegistry

MAX_COLUMNS = 4
CARD_PADDING = 72  # the card's margins and the scroll bar
BACKDROP = QColor(0, 0, 0, 140)
CLOSING_KEYS = (Qt.Key.Key_Escape, Qt.Key.Key_F1, Qt.Key.Key_Question)
CLASS_SLOT_NAMES = {f"class_{slot}" for slot in CLASS_SLOTS}
CLASS_SLOTS_TITLE = "Class (tag modes: tag) by key"


def _rows(registry: ShortcutRegistry, group: str) -> list[tuple[str, str]]:
    """(title, keys) of a group; the ten class keys fold into one row."""
    rows: list[tuple[str, str]] = []
    class_keys = []
    for spec in registry.specs():
        if spec.group != group:
            continue
        if spec.name in CLASS_SLOT_NAMES:
            if not class_keys:
                rows.append((CLASS_SLOTS_TITLE, ""))
            class_keys.append(registry.display_keys(spec.name) or "–")
            continue
        rows.append((spec.title, registry.display_keys(spec.name)))
    return [(t, " ".join(class_keys) if t == CLASS_SLOTS_TITLE else k) for t, k in rows]


def action_rows(actions: Iterable[QAction]) -> list[tuple[str, str]]:
    """(title, keys) of actions made elsewhere (the gallery's), those that have keys."""
    return [
        (action.text().replace("&", ""), ", ".join(k.toString(NATIVE) for k in keys))
        for action in actions
        if (keys := action.shortcuts())
    ]


def group_table(group: str, rows: Iterable[tuple[str, str]]) -> str:
    """One group's shortcuts as a small HTML table (title, then keys)."""
    cells = "".join(
        f"<tr><td>{escape(title)}</td><td>&nbsp;&nbsp;<b>{escape(keys)}</b></td></tr>"
        for title, keys in rows
    )
    return f"<h3>{escape(group)}</h3><table cellspacing='3'>{cells}</table>"


class HelpOverlay(QWidget):
    customize_requested = Signal()

    def __init__(self, registry: ShortcutRegistry, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("helpOverlay")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._registry = registry
        self.card = QFrame(self)
        self.card.setObjectName("helpCard")
        title = QLabel("Keyboard shortcuts")
        title.setObjectName("helpTitle")
        customize = QPushButton("Change shortcuts…")
        customize.clicked.connect(self.customize_requested)
        close = QPushButton("Close")
        close.clicked.connect(self.hide)
        header = QHBoxLayout()
        header.addWidget(title)
        header.addStretch()
        header.addWidget(customize)
        header.addWidget(close)
        self.body = QWidget()
        self.grid = QGridLayout(self.body)
        self.grid.setHorizontalSpacing(28)
        scroll = QScrollArea()
        scroll.setObjectName("helpScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.body)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self.card)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addLayout(header)
        layout.addWidget(scroll)
        self.labels: list[QLabel] = []
        self._external: dict[str, list[QAction]] = {}
        self._focus_before: QWidget | None = None
        parent.installEventFilter(self)
        self.hide()

    def add_action_group(self, group: str, actions: Iterable[QAction]) -> None:
        """Also list actions that are not in the registry (the gallery's own shortcuts)."""
        self._external[group] = list(actions)

    def toggle(self) -> None:
        if self.isVisible():
            self.hide()
        else:
            self.open()

    def open(self) -> None:
        focus = QApplication.focusWidget()
        self._focus_before = focus if focus is not None and focus is not self else None
        self._fill()
        self._fit_parent()
        self.show()
        self.raise_()
        self.setFocus(Qt.FocusReason.OtherFocusReason)

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802
        """Give the keyboard back to the widget that had it before the overlay opened."""
        super().hideEvent(event)
        previous, self._focus_before = self._focus_before, None
        if previous is not None and previous.isVisible():
            previous.setFocus(Qt.FocusReason.OtherFocusReason)

    def text(self) -> str:
        """Everything the overlay lists, as plain text (what a reader sees)."""
        document = QTextDocument()
        parts = []
        for label in self.labels:
            document.setHtml(label.text())
            parts.append(document.toPlainText())
        return "\n".join(parts)

    def _fill(self) -> None:
        for label in self.labels:  # out of sight now: deleted only when the event loop runs
            self.grid.removeWidget(label)
            label.hide()
            label.deleteLater()
        self.labels = []
        groups = list(dict.fromkeys(spec.group for spec in self._registry.specs()))
        tables = [group_table(group, _rows(self._registry, group)) for group in groups]
        tables += [group_table(g, action_rows(actions)) for g, actions in self._external.items()]
        for table in tables:
            label = QLabel(table)
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            self.labels.append(label)

    def _arrange(self, width: int) -> None:
        """As many columns of groups as fit side by side in `width` pixels."""
        for label in self.labels:
            self.grid.removeWidget(label)
        widths = [label.sizeHint().width() for label in self.labels]
        spacing = self.grid.horizontalSpacing()
        columns = 1
        for candidate in range(MAX_COLUMNS, 1, -1):
            needed = sum(max(widths[c::candidate], default=0) for c in range(candidate))
            if needed + spacing * (candidate - 1) <= width:
                columns = candidate
                break
        for position, label in enumerate(self.labels):
            self.grid.addWidget(label, position // columns, position % columns)
        for row in range(self.grid.rowCount()):
            self.grid.setRowStretch(row, 0)
        self.grid.setRowStretch((len(self.labels) - 1) // columns + 1, 1)

    def _fit_parent(self) -> None:
        parent = self.parentWidget()
        self.setGeometry(parent.rect())
        margin_x, margin_y = max(24, self.width() // 12), max(24, self.height() // 12)
        self.card.setGeometry(self.rect().adjusted(margin_x, margin_y, -margin_x, -margin_y))
        self._arrange(self.card.width() - CARD_PADDING)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        resized = watched is self.parentWidget() and event.type() == QEvent.Type.Resize
        if resized and self.isVisible():
            self._fit_parent()
        return False

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), BACKDROP)
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if not self.card.geometry().contains(event.position().toPoint()):
            self.hide()

    def event(self, event: QEvent) -> bool:
        """Keys pressed while the overlay has focus close it and trigger no action."""
        if event.type() == QEvent.Type.ShortcutOverride:
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() in CLOSING_KEYS:
            self.hide()
            return
        super().keyPressEvent(event)
