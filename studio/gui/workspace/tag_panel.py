"""Image-level tags of the shown image, and the project's labeling mode.

Each class is a row, ticked when the image carries it as a tag. In a single-label project
ticking one replaces the other; in a multi-label project (and in objects mode) each row
toggles on its own. A tag a model suggested and no person has accepted yet is half-ticked,
in italics, with its score: ticking it (or Y) accepts it. The mode is a project setting,
chosen in the combo box at the top.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QComboBox, QLabel, QListView, QVBoxLayout, QWidget

from studio.api import AnnotationRecord, LabelClassRecord
from studio.gui.workspace.class_keys import class_hotkeys
from studio.gui.workspace.controller import TAG_MODES, LabelingController
from studio.gui.workspace.swatch import swatch_icon

AnyIndex = QModelIndex | QPersistentModelIndex
MODE_TITLES = {
    "objects": "Objects: boxes, polygons, masks, keypoints",
    "single_label": "Single label: one tag per image",
    "multi_label": "Multi-label: any tags per image",
}
MODE_HINTS = {  # what a digit key does (selected shapes are relabelled in every mode)
    "objects": "Digit keys relabel the selected shapes, else choose the class of new shapes.",
    "single_label": "Digit keys relabel the selected shapes, else tag the image (Select tool).",
    "multi_label": "Digit keys relabel the selected shapes, else add or remove a tag.",
}


class TagListModel(QAbstractListModel):
    ClassIdRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, controller: LabelingController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self._classes: list[LabelClassRecord] = []
        self._keys: dict[int, str] = {}
        self._tagged: set[int] = set()
        self._suggested: dict[int, AnnotationRecord] = {}  # class id → pending tag
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
        suggested = {tag.class_id: tag for tag in self._controller.suggested_tags}
        if (tagged, suggested) != (self._tagged, self._suggested):
            self._tagged, self._suggested = tagged, suggested
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
        suggestion = self._suggested.get(label_class.id)
        if role == Qt.ItemDataRole.DisplayRole:
            key = self._keys.get(label_class.id)
            name = (
                label_class.name
                if key in (None, label_class.name)
                else (f"{label_class.name}  ({key})")
            )
            return name if suggestion is None else f"{name}  · {_suggested_text(suggestion)}"
        if role == Qt.ItemDataRole.ToolTipRole and suggestion is not None:
            source = suggestion.attributes.get("model") or suggestion.source
            return f"Suggested by {source}: tick it or press Y to accept, Ctrl+Delete rejects"
        if role == Qt.ItemDataRole.FontRole and suggestion is not None:
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.DecorationRole:
            return swatch_icon(label_class.color)
        if role == Qt.ItemDataRole.CheckStateRole:
            if label_class.id in self._tagged:
                return Qt.CheckState.Checked
            if suggestion is not None:
                return Qt.CheckState.PartiallyChecked
            return Qt.CheckState.Unchecked
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


def _suggested_text(suggestion: AnnotationRecord) -> str:
    """ "suggested 0.87", or "suggested" for a suggestion without a score."""
    return "suggested" if suggestion.score is None else f"suggested {suggestion.score:.2f}"


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
        # the longest title would hold the side column at 300 px: it is elided instead
        self.mode_box.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.mode_box.setMinimumContentsLength(12)
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
        controller.annotations_changed.connect(self._show_first_tag)
        self._show_mode(controller.mode)

    def _show_first_tag(self, _annotations: list) -> None:
        """Scroll the image's first tag or suggested tag into view: the list shows a few rows
        of many classes, and a suggestion out of sight would go unnoticed."""
        model = self.model
        for row in range(model.rowCount()):
            index = model.index(row)
            if index.data(Qt.ItemDataRole.CheckStateRole) != Qt.CheckState.Unchecked:
                self.view.scrollTo(index)
                return

    def _mode_chosen(self, position: int) -> None:
        self._controller.set_mode(str(self.mode_box.itemData(position)))
        self._show_mode(self._controller.mode)

    def _show_mode(self, mode: str) -> None:
        position = self.mode_box.findData(mode)
        if position >= 0:
            self.mode_box.setCurrentIndex(position)
        self.hint.setText(MODE_HINTS.get(mode, ""))
        self.view.setProperty("tagMode", mode in TAG_MODES)
