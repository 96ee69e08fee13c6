"""The context menu of the selected shapes (a right click in the Select tool).

Class ▸ lists every class with its digit key (the shapes' current class in bold); Copy, Delete,
Bring to front and Send to back trigger the window's own actions (so they do what their keys
do, and show those keys); Accept and Reject appear when a suggestion is among the selected
shapes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from studio.gui.workspace.class_keys import class_hotkeys
from studio.gui.workspace.controller import LabelingController
from studio.gui.workspace.swatch import swatch_icon


def shape_menu(
    controller: LabelingController, actions: Mapping[str, QAction], parent: QWidget
) -> QMenu:
    """A new menu for `controller`'s selected shapes (the caller pops it up)."""
    menu = QMenu(parent)
    menu.setObjectName("shapeMenu")
    shapes = controller.selected_shapes()
    class_menu = menu.addMenu("&Class")
    class_menu.setObjectName("shapeClassMenu")
    keys = class_hotkeys(controller.classes)
    common = {shape.class_id for shape in shapes}
    for label_class in controller.classes:
        key = keys.get(label_class.id)
        # Text after a tab is only displayed in the shortcut column; the window's digit
        # actions keep the key itself.
        text = f"{label_class.name}\t{key}" if key else label_class.name
        action = class_menu.addAction(swatch_icon(label_class.color), text)
        if common == {label_class.id}:  # the class the shapes have now
            font = action.font()
            font.setBold(True)
            action.setFont(font)
        action.triggered.connect(_relabel(controller, label_class.id))
    menu.addSeparator()
    _add_entries(menu, actions, (("&Copy", "copy_shapes"), ("&Delete", "delete_shapes")))
    menu.addSeparator()
    _add_entries(
        menu, actions, (("Bring to &front", "bring_to_front"), ("Send to &back", "send_to_back"))
    )
    if any(shape.review is not None for shape in shapes):
        menu.addSeparator()
        review = (("&Accept", "accept_suggestions"), ("&Reject", "reject_suggestions"))
        _add_entries(menu, actions, review)
    return menu


def _add_entries(
    menu: QMenu, actions: Mapping[str, QAction], entries: tuple[tuple[str, str], ...]
) -> None:
    """Short entries ("Copy") that trigger the window's action of that name and show its
    current key (after a tab: displayed, not bound a second time)."""
    for text, name in entries:
        action = actions[name]
        key = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        entry = menu.addAction(f"{text}\t{key}" if key else text)
        entry.setObjectName(name)
        entry.triggered.connect(action.trigger)


def _relabel(controller: LabelingController, class_id: int) -> Callable[[], None]:
    return lambda: controller.relabel_selected(class_id)
