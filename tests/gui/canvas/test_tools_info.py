"""Studio's own canvas tools in the tool registry: unique names and keys, icons that load."""

from __future__ import annotations

from PySide6.QtCore import QSize
from pytestqt.qtbot import QtBot

from studio.gui.canvas import Canvas
from studio.gui.canvas.tools.registry import canvas_tools
from studio.gui.plugin_host import gui_plugins
from studio.gui.resources import icon

BUILT_IN = (
    "select", "box", "polygon", "polyline", "rotated_box", "brush", "eraser", "keypoints", "sam",
    "wand",
)  # fmt: skip


def test_every_built_in_tool_has_a_unique_key_and_a_loadable_icon(qtbot: QtBot) -> None:
    tools = canvas_tools(gui_plugins())
    assert tuple(tool.name for tool in tools) == BUILT_IN
    assert [tool.key for tool in tools] == ["V", "B", "P", "L", "O", "R", "E", "K", "S", "W"]
    for tool in tools:
        pixmap = icon(tool.icon).pixmap(QSize(32, 32))
        assert not pixmap.isNull(), tool.icon
        assert pixmap.toImage().pixelColor(16, 16).alpha() > 0 or tool.name == "keypoints"


def test_every_tool_can_be_chosen(qtbot: QtBot) -> None:
    canvas = Canvas()
    qtbot.addWidget(canvas)
    assert canvas.tool_names() == list(BUILT_IN)
    for name in BUILT_IN:
        canvas.set_tool(name)
        assert canvas.tool() == name
        assert canvas.current_tool().name == name
    canvas.shutdown()


def test_the_sam_and_wand_tips_say_what_a_right_click_does() -> None:
    tips = {tool.name: tool.tip for tool in canvas_tools(gui_plugins())}
    assert "right-click (or Shift+click) what is not part of it" in tips["sam"]
    assert "right-click (or Alt+click) cuts out" in tips["wand"]
