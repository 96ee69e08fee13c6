"""The canvas's own keys: which it takes from window shortcuts, and what they do.

`navigation_command` maps a key press to a view command; `claims` decides, for a
ShortcutOverride, whether the canvas keeps a key that a window action may also use.
`CANVAS_KEYS` lists them all for a help overlay.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt

_KEYPAD = Qt.KeyboardModifier.KeypadModifier
_CONTROL = Qt.KeyboardModifier.ControlModifier
_SHIFT = Qt.KeyboardModifier.ShiftModifier

DELETE_KEYS = (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)
_PLAIN_KEYS = {Qt.Key.Key_F, Qt.Key.Key_Space}  # without modifiers only
_SHIFTABLE_COMMANDS = {  # with or without Shift (Shift+= types +)
    Qt.Key.Key_Plus: "zoom_in",
    Qt.Key.Key_Equal: "zoom_in",
    Qt.Key.Key_Minus: "zoom_out",
    Qt.Key.Key_BracketRight: "brush_bigger",
    Qt.Key.Key_BracketLeft: "brush_smaller",
}
_CONTROL_COMMANDS = {Qt.Key.Key_0: "fit", Qt.Key.Key_1: "actual_size"}

CANVAS_KEYS: tuple[tuple[str, str], ...] = (
    ("Wheel", "Zoom about the pointer"),
    ("Middle drag, Space+drag", "Pan"),
    ("F, Ctrl+0", "Fit the image"),
    ("Ctrl+1", "Actual size (1:1)"),
    ("+, -", "Zoom in, out"),
    ("[, ]", "Smaller, bigger brush; lower, higher wand tolerance; SAM outline closer, looser"),
    ("Shift+click", "Add to the selection; a hidden keypoint"),
    ("Alt+click a vertex", "Remove the vertex"),
    ("Right-click", "Select: the shape's menu; SAM: a negative point; wand: cut the region out"),
    ("Double-click an edge", "Insert a vertex"),
    ("Delete, Backspace", "Delete the hovered vertex, else the selected shapes"),
    ("Enter, double-click", "Finish a polygon or keypoints"),
    ("Backspace", "Remove the last point while drawing"),
    ("Esc", "Cancel drawing or dragging; clear the selection"),
)


def _plain(modifiers: Qt.KeyboardModifier) -> Qt.KeyboardModifier:
    return modifiers & ~_KEYPAD


def navigation_command(key: int, modifiers: Qt.KeyboardModifier) -> str | None:
    """ "fit", "actual_size", "zoom_in", "zoom_out", "brush_bigger", "brush_smaller"."""
    modifiers = _plain(modifiers)
    if modifiers == _CONTROL:
        return _CONTROL_COMMANDS.get(key)
    if modifiers & ~_SHIFT:
        return None
    if key == Qt.Key.Key_F:
        return None if modifiers else "fit"
    return _SHIFTABLE_COMMANDS.get(key)


def claims(
    key: int,
    modifiers: Qt.KeyboardModifier,
    tool_claims: Callable[[int], bool],
    has_selection: bool,
) -> bool:
    """Navigation keys always; tool keys (Esc, Enter, Backspace...) while the tool needs
    them; Delete and Backspace while shapes are selected."""
    if navigation_command(key, modifiers) is not None:
        return True
    modifiers = _plain(modifiers)
    if modifiers & ~_SHIFT:
        return False
    if key in _PLAIN_KEYS and not modifiers:
        return True
    return tool_claims(key) or (key in DELETE_KEYS and has_selection)
