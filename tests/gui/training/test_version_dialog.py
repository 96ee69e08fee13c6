"""The "Freeze version…" dialog on a real project: the live preview and Create."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from studio.api import Project
from studio.gui.training.version_dialog import FreezeVersionDialog, next_version_name

TIMEOUT_MS = 10_000


@pytest.fixture
def dialog(qtbot: QtBot, digits: Project) -> FreezeVersionDialog:
    shown = FreezeVersionDialog(digits)
    qtbot.addWidget(shown)
    shown.show()
    qtbot.waitExposed(shown)
    qtbot.waitUntil(lambda: shown.plan is not None, timeout=TIMEOUT_MS)
    return shown


def set_percent(qtbot: QtBot, dialog: FreezeVersionDialog, split: str, value: int) -> None:
    box = dialog.ratio_boxes[split]
    box.selectAll()
    qtbot.keyClicks(box.lineEdit(), str(value))
    qtbot.keyClick(box, Qt.Key.Key_Tab)


def test_the_preview_counts_follow_the_ratios(qtbot: QtBot, dialog: FreezeVersionDialog) -> None:
    assert dialog.name_edit.text() == "v1"
    assert [dialog.cell_value("Images", s) for s in ("train", "val", "test", "total")] == [
        32,
        4,
        4,
        40,
    ]
    assert dialog.cell_value("0", "total") + dialog.cell_value("1", "total") == 40

    set_percent(qtbot, dialog, "train", 50)
    assert not dialog.create_button.isEnabled()  # 50 + 10 + 10 is not 100
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=TIMEOUT_MS)
    assert "70 %" in dialog.error.text()
    set_percent(qtbot, dialog, "val", 40)

    qtbot.waitUntil(lambda: dialog.cell_value("Images", "train") == 20, timeout=TIMEOUT_MS)
    assert dialog.cell_value("Images", "val") == 16
    assert not dialog.error.isVisible()
    assert dialog.create_button.isEnabled()


def test_create_makes_the_version(
    qtbot: QtBot, dialog: FreezeVersionDialog, digits: Project
) -> None:
    dialog.name_edit.setText("first")
    with qtbot.waitSignal(dialog.created, timeout=TIMEOUT_MS):
        qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)

    (version,) = digits.versions()
    assert version.name == "first"
    assert version.counts["items"] == {"train": 32, "val": 4, "test": 4}


def test_next_version_name_skips_taken_names() -> None:
    assert next_version_name([]) == "v1"
    assert next_version_name(["v1", "v3"]) == "v2"
