"""The shape list: the shown image's shapes, selected together with the canvas, and under it
the selected shape's attributes (`AttributeForm`).

Selecting rows selects those shapes on the canvas and the other way round; the controller
holds the one selection both show.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QListView,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from studio.api import AnnotationRecord
from studio.core.attributes import split_attributes
from studio.gui.workspace.attribute_form import AttributeForm
from studio.gui.workspace.controller import LabelingController
from studio.gui.workspace.swatch import swatch_icon

AnyIndex = QModelIndex | QPersistentModelIndex
KIND_TITLES = {
    "box": "Box",
    "polygon": "Polygon",
    "mask": "Mask",
    "keypoints": "Keypoints",
    "polyline": "Polyline",
    "rotated_box": "Rotated box",
}


def geometry_summary(annotation: AnnotationRecord) -> str:
    """A short description of where a shape is ("at 10, 20 · 30×40 px")."""
    geometry = annotation.geometry
    if annotation.kind == "box":
        x, y, w, h = geometry
        return f"at {x:.0f}, {y:.0f} · {w:.0f}×{h:.0f} px"
    if annotation.kind == "polygon":
        points = sum(len(ring) // 2 for ring in geometry)
        parts = f" in {len(geometry)} parts" if len(geometry) > 1 else ""
        return f"{points} points{parts}"
    if annotation.kind == "keypoints":
        return f"{sum(1 for point in geometry if point[2])} of {len(geometry)} points visible"
    if annotation.kind == "polyline":
        return f"{len(geometry) // 2} points"
    if annotation.kind == "rotated_box":
        cx, cy, w, h, angle = geometry
        return f"at {cx:.0f}, {cy:.0f} · {w:.0f}×{h:.0f} px · turned {angle:.0f}°"
    if annotation.kind == "mask":
        height, width = geometry["size"]
        return f"{width}×{height} mask"
    return ""


class ShapeListModel(QAbstractListModel):
    AnnotationIdRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, controller: LabelingController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self._shapes: list[AnnotationRecord] = []
        self._colors: dict[int, str] = {}
        controller.annotations_changed.connect(self._set_annotations)
        controller.classes_changed.connect(self._classes_changed)

    def _classes_changed(self, _classes: list) -> None:
        self._set_annotations(self._controller.annotations)

    def _set_annotations(self, annotations: list[AnnotationRecord]) -> None:
        shapes = [a for a in annotations if a.kind != "tag"]
        colors = {c.id: c.color for c in self._controller.classes}
        if shapes == self._shapes and colors == self._colors:
            return
        self.beginResetModel()
        self._shapes = shapes
        self._colors = colors
        self.endResetModel()

    def annotation_id(self, row: int) -> int:
        return self._shapes[row].id

    def row_of(self, annotation_id: int) -> int | None:
        return next((r for r, a in enumerate(self._shapes) if a.id == annotation_id), None)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._shapes)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._shapes):
            return None
        shape = self._shapes[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._title(shape)
        if role == Qt.ItemDataRole.DecorationRole:
            return swatch_icon(self._colors.get(shape.class_id, "#808080"))
        if role == Qt.ItemDataRole.ToolTipRole:
            author = f" by {shape.author}" if shape.author else ""
            lines = [self._title(shape), geometry_summary(shape), f"{shape.source}{author}"]
            user = split_attributes(shape.attributes)[1]
            lines += [f"{name}: {value}" for name, value in user.items()]
            return "\n".join(lines)
        if role == self.AnnotationIdRole:
            return shape.id
        return None

    @staticmethod
    def _title(shape: AnnotationRecord) -> str:
        parts = [shape.label, KIND_TITLES.get(shape.kind, shape.kind)]
        if shape.source != "human":
            parts.append(shape.source)
        if shape.is_pending:
            parts.append("suggestion")
        if shape.score is not None:
            parts.append(f"{shape.score:.2f}")
        return " · ".join(parts)


class ShapeListPanel(QWidget):
    def __init__(self, controller: LabelingController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shapePanel")
        self._controller = controller
        self._syncing = False
        self.model = ShapeListModel(controller, self)
        self.view = QListView()
        self.view.setObjectName("shapeList")
        self.view.setModel(self.model)
        self.view.setUniformItemSizes(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.selectionModel().selectionChanged.connect(self._rows_selected)
        self.attributes = AttributeForm(controller)
        scroller = QScrollArea()  # many attributes scroll rather than make the window taller
        scroller.setWidgetResizable(True)
        scroller.setFrameShape(QFrame.Shape.NoFrame)
        scroller.setWidget(self.attributes)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.view, 1)
        layout.addWidget(scroller, 1)
        controller.selection_changed.connect(self._show_selection)
        self.model.modelReset.connect(lambda: self._show_selection(controller.selection))

    def selected_ids(self) -> list[int]:
        rows = sorted(index.row() for index in self.view.selectionModel().selectedRows())
        return [self.model.annotation_id(row) for row in rows]

    def _rows_selected(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        if not self._syncing:
            self._controller.select(self.selected_ids())

    def _show_selection(self, annotation_ids: list[int]) -> None:
        selection = QItemSelection()
        for annotation_id in annotation_ids:
            row = self.model.row_of(annotation_id)
            if row is not None:
                selection.select(self.model.index(row), self.model.index(row))
        self._syncing = True
        try:
            flags = QItemSelectionModel.SelectionFlag.ClearAndSelect
            self.view.selectionModel().select(selection, flags)
            if not selection.isEmpty():
                self.view.scrollTo(selection.indexes()[0])
        finally:
            self._syncing = False
