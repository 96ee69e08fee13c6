"""The first-run hint: the three keys that matter, from the shortcut registry, shown once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from studio.gui.first_run_hint import FirstRunHint
from studio.gui.workspace.shortcuts import ShortcutRegistry, ShortcutSpec


@pytest.fixture
def hosts() -> Iterator[list[QWidget]]:
    """Keeps the hosts of a test's hints alive until its end."""
    kept: list[QWidget] = []
    yield kept
    for host in kept:
        host.close()


def hint_over(qtbot: QtBot, settings: QSettings, hosts: list[QWidget]) -> FirstRunHint:
    """A hint over a shown host, with the box tool joined as the window joins it."""
    host = QWidget()
    hosts.append(host)
    qtbot.addWidget(host)
    host.resize(900, 600)
    host.show()
    registry = ShortcutRegistry(settings, parent=host)
    registry.add(ShortcutSpec("tool_box", "Box", "Tools", ("B",)))
    return FirstRunHint(registry, settings, host)


def test_the_hint_names_the_box_key_space_and_the_help_key(
    qtbot: QtBot, settings: QSettings, hosts: list[QWidget]
) -> None:
    hint = hint_over(qtbot, settings, hosts)

    assert hint.show_once()

    assert hint.isVisible()
    text = hint.text.text()
    for shown in ("<b>B</b>", "<b>Space</b>", "<b>F1, ?</b>", "Mark done and go to the next image"):
        assert shown in text
    assert hint.geometry().bottom() < hint.parentWidget().height()
    assert hint.width() <= hint.parentWidget().width()


def test_the_hint_shows_the_users_own_keys(
    qtbot: QtBot, settings: QSettings, hosts: list[QWidget]
) -> None:
    hint = hint_over(qtbot, settings, hosts)
    hint.registry.set_keys("tool_box", ["Ctrl+Alt+B"])

    hint.show_once()

    assert "<b>Ctrl+Alt+B</b>" in hint.text.text()


def test_the_hint_is_shown_once_per_user_and_got_it_closes_it(
    qtbot: QtBot, settings: QSettings, hosts: list[QWidget]
) -> None:
    first = hint_over(qtbot, settings, hosts)
    first.show_once()

    qtbot.mouseClick(first.dismiss_button, Qt.MouseButton.LeftButton)

    assert not first.isVisible()
    second = hint_over(qtbot, settings, hosts)
    assert not second.show_once()
    assert not second.isVisible()
