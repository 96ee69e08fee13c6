"""The context menu of the selected shapes (a right click in the Select tool).

Class ▸ lists every class with its digit key; Copy, Delete, Bring to front and Send to back
are the window's own actions (so the menu shows their shortcuts and does what the keys do);
Accept and Reject appear when a suggestion is among the selected shapes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtGui import QAction
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
        action.setCheckable(True)
        action.setChecked(common == {label_class.id})
        action.triggered.connect(_relabel(controller, label_class.id))
    menu.addSeparator()
    menu.addActions([actions["copy_shapes"], actions["delete_shapes"]])
    menu.addSeparator()
    menu.addActions([actions["bring_to_front"], actions["send_to_back"]])
    if any(shape.review is not None for shape in shapes):
        menu.addSeparator()
        menu.addActions([actions["accept_suggestions"], actions["reject_suggestions"]])
    return menu


def _relabel(controller: LabelingController, class_id: int) -> Callable[[], None]:
    return lambda: controller.relabel_selected(class_id)
