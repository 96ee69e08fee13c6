"""X11's auto-repeats as Qt 6.12 reports them (plain release and press pairs with one
timestamp) reach the window's widgets flagged as repeats, and fire no window shortcut."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent, QWindow
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from studio.gui.main_window import MainWindow
from tests.gui.conftest import HELD_REPEATS

REPEAT_INTERVAL_MS = 40  # X11's default: 25 repeats a second
FIRST_NEW_ROW = 10  # rows 0–7 are done, 8–9 in progress (tests/gui/conftest.py)


def send_key(window: QWindow, kind: QEvent.Type, key: Qt.Key, timestamp: int) -> QKeyEvent:
    """A plain (not auto-repeat) key event, sent where the platform sends it: the QWindow."""
    event = QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, "", False)
    event.setTimestamp(timestamp)
    if kind == QEvent.Type.ShortcutOverride:
        event.ignore()
    QApplication.sendEvent(window, event)
    return event


def hold_as_x11_reports_it(window: QWindow, key: Qt.Key) -> list[bool]:
    """A press, HELD_REPEATS release and press pairs with one timestamp each, the last release;
    before each press the ShortcutOverride Qt sends. Returns which overrides were taken."""
    taken = []
    timestamp = 1_000
    for repeat in range(HELD_REPEATS + 1):
        if repeat:
            send_key(window, QEvent.Type.KeyRelease, key, timestamp)
        override = send_key(window, QEvent.Type.ShortcutOverride, key, timestamp)
        taken.append(override.isAccepted())
        send_key(window, QEvent.Type.KeyPress, key, timestamp)
        timestamp += REPEAT_INTERVAL_MS
    send_key(window, QEvent.Type.KeyRelease, key, timestamp)
    return taken


def test_a_space_held_in_an_x11_window_marks_one_image_done(
    qtbot: QtBot, window: MainWindow
) -> None:
    ids = window.project.item_ids()
    window.workspace.navigator.open_row(FIRST_NEW_ROW)
    assert QApplication.focusWidget() is window.workspace.canvas

    hold_as_x11_reports_it(window.windowHandle(), Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.project.item(ids[FIRST_NEW_ROW]).status == "done")

    assert window.workspace.controller.item.id == ids[FIRST_NEW_ROW + 1]
    assert window.project.item(ids[FIRST_NEW_ROW + 1]).status == "new"


def test_x11_repeats_of_a_key_held_on_the_gallery_fire_no_window_shortcut(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.gallery.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.gallery)

    taken = hold_as_x11_reports_it(window.windowHandle(), Qt.Key.Key_D)

    assert taken == [False] + [True] * HELD_REPEATS  # the first press may reach its action
