"""What the workspace offers for each tool: unique names and keys, and an icon that loads."""

from __future__ import annotations

from PySide6.QtCore import QSize
from pytestqt.qtbot import QtBot

from studio.gui.canvas import TOOL_NAMES, TOOLS, Canvas
from studio.gui.resources import icon


def test_every_tool_has_a_unique_key_and_a_loadable_icon(qtbot: QtBot) -> None:
    assert TOOL_NAMES == ("select", "box", "polygon", "brush", "eraser", "keypoints")
    assert len({tool.shortcut for tool in TOOLS}) == len(TOOLS)
    for tool in TOOLS:
        pixmap = icon(tool.icon).pixmap(QSize(32, 32))
        assert not pixmap.isNull(), tool.icon
        assert pixmap.toImage().pixelColor(16, 16).alpha() > 0 or tool.name == "keypoints"


def test_every_tool_can_be_chosen(qtbot: QtBot) -> None:
    canvas = Canvas()
    qtbot.addWidget(canvas)
    for name in TOOL_NAMES:
        canvas.set_tool(name)
        assert canvas.tool() == name
        assert canvas.current_tool().name == name
    canvas.shutdown()
