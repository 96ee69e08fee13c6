"""Image-level tags of the shown image, and the project's labeling mode.

Each class is a row, ticked when the image carries it as a tag. In a single-label project
ticking one replaces the other; in a multi-label project (and in objects mode) each row
toggles on its own. The mode is a project setting, chosen in the combo box at the top.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QComboBox, QLabel, QListView, QVBoxLayout, QWidget

from studio.api import LabelClassRecord
from studio.gui.workspace.class_keys import class_hotkeys
from studio.gui.workspace.controller import TAG_MODES, LabelingController
from studio.gui.workspace.swatch import swatch_icon

AnyIndex = QModelIndex | QPersistentModelIndex
MODE_TITLES = {
    "objects": "Objects: boxes, polygons, masks, keypoints",
    "single_label": "Single label: one tag per image",
    "multi_label": "Multi-label: any tags per image",
}
MODE_HINTS = {
    "objects": "Digit keys choose the class of new shapes.",
    "single_label": "Digit keys tag the image, replacing its tag.",
    "multi_label": "Digit keys add or remove a tag.",
}


class TagListModel(QAbstractListModel):
    ClassIdRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, controller: LabelingController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self._classes: list[LabelClassRecord] = []
        self._keys: dict[int, str] = {}
        self._tagged: set[int] = set()
        controller.classes_changed.connect(self._set_classes)
        controller.annotations_changed.connect(self._set_tags)

    def _set_classes(self, classes: list[LabelClassRecord]) -> None:
        if classes == self._classes:
            return
        self.beginResetModel()
        self._classes = list(classes)
        self._keys = class_hotkeys(self._classes)
        self.endResetModel()

    def _set_tags(self, _annotations: list) -> None:
        tagged = set(self._controller.tag_class_ids)
        if tagged != self._tagged:
            self._tagged = tagged
            if self._classes:
                self.dataChanged.emit(self.index(0), self.index(len(self._classes) - 1))

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._classes)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        enabled = self._controller.item is not None
        flags = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable
        return flags | Qt.ItemFlag.ItemIsEnabled if enabled else flags

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._classes):
            return None
        label_class = self._classes[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            key = self._keys.get(label_class.id)
            if key is None or key == label_class.name:
                return label_class.name
            return f"{label_class.name}  ({key})"
        if role == Qt.ItemDataRole.DecorationRole:
            return swatch_icon(label_class.color)
        if role == Qt.ItemDataRole.CheckStateRole:
            tagged = label_class.id in self._tagged
            return Qt.CheckState.Checked if tagged else Qt.CheckState.Unchecked
        if role == self.ClassIdRole:
            return label_class.id
        return None

    def setData(  # noqa: N802
        self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole
    ) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or not index.isValid():
            return False
        present = Qt.CheckState(value) == Qt.CheckState.Checked
        self._controller.set_tag(self._classes[index.row()].id, present)
        return True


class TagPanel(QWidget):
    def __init__(self, controller: LabelingController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tagPanel")
        self._controller = controller
        self.mode_box = QComboBox()
        self.mode_box.setObjectName("labelingMode")
        for mode, title in MODE_TITLES.items():
            self.mode_box.addItem(title, mode)
        self.mode_box.setToolTip("How this project is labeled (a project setting)")
        self.mode_box.activated.connect(self._mode_chosen)
        self.hint = QLabel()
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        self.model = TagListModel(controller, self)
        self.view = QListView()
        self.view.setObjectName("tagList")
        self.view.setModel(self.model)
        self.view.setUniformItemSizes(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.mode_box)
        layout.addWidget(self.hint)
        layout.addWidget(self.view)
        controller.mode_changed.connect(self._show_mode)
        controller.item_changed.connect(lambda _item: self.view.viewport().update())
        self._show_mode(controller.mode)

    def _mode_chosen(self, position: int) -> None:
        self._controller.set_mode(str(self.mode_box.itemData(position)))
        self._show_mode(self._controller.mode)

    def _show_mode(self, mode: str) -> None:
        position = self.mode_box.findData(mode)
        if position >= 0:
            self.mode_box.setCurrentIndex(position)
        self.hint.setText(MODE_HINTS.get(mode, ""))
        self.view.setProperty("tagMode", mode in TAG_MODES)
