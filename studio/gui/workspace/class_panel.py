"""The class panel: each class with its colour, digit key, visibility and opacity.

Clicking a class makes it the drawing class (new shapes get it; the bold row): it never
relabels selected shapes (class keys, the class picker and the shape menu do) nor tags the
image (the Image tags panel does). The tick shows or hides the class's shapes on the canvas;
the slider sets the drawing class's opacity. Adding, renaming, recolouring and editing its
attributes and keypoints (`ClassSchemaDialog`, also in the list's context menu) go through
the controller, so each is one undo step.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QAction, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QColorDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QSlider,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from studio.api import LabelClassRecord
from studio.gui.flow_layout import FlowLayout
from studio.gui.workspace.class_keys import class_hotkeys
from studio.gui.workspace.class_schema_dialog import ClassSchemaDialog
from studio.gui.workspace.controller import LabelingController
from studio.gui.workspace.swatch import swatch_icon

AnyIndex = QModelIndex | QPersistentModelIndex
NAME_COLUMN, KEY_COLUMN = 0, 1


class ClassTableModel(QAbstractTableModel):
    """Rows: the classes one can label with; columns: name (ticked when visible), key."""

    ClassIdRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, controller: LabelingController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self._classes: list[LabelClassRecord] = []
        self._keys: dict[int, str] = {}
        controller.classes_changed.connect(self._set_classes)
        controller.active_class_changed.connect(self._active_changed)
        controller.class_view_changed.connect(self._class_view_changed)

    def _set_classes(self, classes: list[LabelClassRecord]) -> None:
        if classes == self._classes:
            return
        self.beginResetModel()
        self._classes = list(classes)
        self._keys = class_hotkeys(self._classes)
        self.endResetModel()

    def class_at(self, row: int) -> LabelClassRecord:
        return self._classes[row]

    def row_of(self, class_id: int | None) -> int | None:
        return next((r for r, c in enumerate(self._classes) if c.id == class_id), None)

    def _active_changed(self, _active: object) -> None:
        if self._classes:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._classes) - 1, 1))

    def _class_view_changed(self, class_id: int) -> None:
        row = self.row_of(class_id)
        if row is not None:
            self.dataChanged.emit(self.index(row, 0), self.index(row, 0))

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._classes)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else 2

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return ("Class", "Key")[section]
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == NAME_COLUMN:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._classes):
            return None
        label_class = self._classes[index.row()]
        if role == self.ClassIdRole:
            return label_class.id
        if role == Qt.ItemDataRole.FontRole and label_class == self._controller.active_class:
            font = QFont()
            font.setBold(True)
            return font
        if index.column() == KEY_COLUMN:
            return (
                self._keys.get(label_class.id, "") if role == Qt.ItemDataRole.DisplayRole else None
            )
        return self._name_data(label_class, role)

    def _name_data(self, label_class: LabelClassRecord, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return label_class.name
        if role == Qt.ItemDataRole.DecorationRole:
            return swatch_icon(label_class.color)
        if role == Qt.ItemDataRole.CheckStateRole:
            visible = self._controller.is_class_visible(label_class.id)
            return Qt.CheckState.Checked if visible else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.ToolTipRole:
            opacity = round(self._controller.class_opacity(label_class.id) * 100)
            return f"{label_class.name} · {label_class.color} · opacity {opacity}%"
        return None

    def setData(  # noqa: N802
        self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole
    ) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or index.column() != NAME_COLUMN:
            return False
        visible = Qt.CheckState(value) == Qt.CheckState.Checked
        self._controller.set_class_visible(self._classes[index.row()].id, visible)
        return True


class ClassPanel(QWidget):
    def __init__(self, controller: LabelingController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("classPanel")
        self._controller = controller
        self.model = ClassTableModel(controller, self)
        self.view = QTreeView()
        self.view.setObjectName("classList")
        self.view.setModel(self.model)
        self.view.setRootIsDecorated(False)
        self.view.setUniformRowHeights(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.schema_dialog: ClassSchemaDialog | None = None
        header = self.view.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(NAME_COLUMN, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(KEY_COLUMN, QHeaderView.ResizeMode.ResizeToContents)
        self.view.selectionModel().currentRowChanged.connect(self._row_chosen)
        self.view.setToolTip("Click a class to draw new shapes with it (the drawing class, bold)")
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setObjectName("classOpacity")
        self.opacity.setRange(0, 100)
        self.opacity.setToolTip("Opacity of the active class's shapes")
        self.opacity.valueChanged.connect(self._opacity_moved)
        self.buttons = FlowLayout()  # wraps in a narrow side column instead of widening it
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.view)
        opacity_row = QHBoxLayout()
        opacity_row.addWidget(QLabel("Opacity"))
        opacity_row.addWidget(self.opacity)
        layout.addLayout(opacity_row)
        layout.addLayout(self.buttons)
        controller.active_class_changed.connect(self._show_active)
        controller.class_view_changed.connect(lambda _id: self._show_active(None))
        self.model.modelReset.connect(lambda: self._show_active(None))

    def add_button(self, text: str, action: QAction) -> QToolButton:
        """A short-titled button for one of the panel's actions (its tip names the key)."""
        button = QToolButton()
        button.setText(text)
        button.setToolTip(action.toolTip())
        action.changed.connect(lambda: button.setToolTip(action.toolTip()))
        button.clicked.connect(action.trigger)
        self.buttons.addWidget(button)
        return button

    def _row_chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            class_id = self.model.class_at(current.row()).id
            if class_id != getattr(self._controller.active_class, "id", None):
                self._controller.set_active_class(class_id)

    def _show_active(self, _active: object) -> None:
        active = self._controller.active_class
        row = self.model.row_of(active.id if active else None)
        selection = self.view.selectionModel()
        if row is None:
            selection.clearSelection()
        elif selection.currentIndex().row() != row:
            flags = QItemSelectionModel.SelectionFlag.ClearAndSelect
            flags |= QItemSelectionModel.SelectionFlag.Rows
            selection.setCurrentIndex(self.model.index(row, 0), flags)
        self.opacity.blockSignals(True)
        self.opacity.setEnabled(active is not None)
        self.opacity.setValue(
            round(self._controller.class_opacity(active.id) * 100) if active else 100
        )
        self.opacity.blockSignals(False)

    def _opacity_moved(self, value: int) -> None:
        active = self._controller.active_class
        if active is not None:
            self._controller.set_class_opacity(active.id, value / 100)

    # -- actions -------------------------------------------------------------------------

    def add_class(self) -> None:
        name, accepted = QInputDialog.getText(self, "Add a class", "Name of the new class:")
        if accepted and name.strip():
            self._controller.add_class(name.strip())

    def rename_active(self) -> None:
        active = self._controller.active_class
        if active is None:
            return
        name, accepted = QInputDialog.getText(
            self, "Rename the class", f"New name of “{active.name}”:", text=active.name
        )
        if accepted and name.strip() and name.strip() != active.name:
            self._controller.update_class(active.id, name=name.strip())

    def recolor_active(self) -> None:
        active = self._controller.active_class
        if active is None:
            return
        color = QColorDialog.getColor(QColor(active.color), self, f"Colour of “{active.name}”")
        if color.isValid() and color.name() != active.color:
            self._controller.update_class(active.id, color=color.name())

    def edit_active_schema(self) -> None:
        """Open the attributes and keypoints of the active class; OK saves them (one step)."""
        active = self._controller.active_class
        if active is None:
            return
        dialog = ClassSchemaDialog(active, self)
        dialog.accepted.connect(
            lambda: self._controller.set_class_schema(active.id, **dialog.schema())
        )
        self.schema_dialog = dialog
        dialog.open()

    def toggle_active_visibility(self) -> None:
        active = self._controller.active_class
        if active is not None:
            visible = self._controller.is_class_visible(active.id)
            self._controller.set_class_visible(active.id, not visible)
