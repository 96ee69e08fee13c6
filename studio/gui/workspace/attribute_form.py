"""The selected shape's user attributes, under the shape list, each in an editor of its type.

The class's attribute schema (`studio.core.attributes`) gives the editors: a line edit for
text, a spin box for a number, a drop-down for a choice, a check box. Attributes the shape
holds that its class does not declare (from an import or a script) get a line edit. Every
change is one project edit, so one undo step; a value the schema refuses (a number above its
maximum) is refused by the project, the status bar says why, and the editor shows the stored
value again. The spin boxes do not clamp to the bounds themselves: a typed 300 for a 0–120
attribute is refused with that message rather than silently cut to 120.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.api import AnnotationRecord, AttributeSpec, StudioError, attribute_schema
from studio.core.attributes import split_attributes
from studio.gui.workspace.controller import LabelingController

SPIN_LIMIT = 2**31 - 1  # a spin box needs bounds; the schema's own are checked by the project
DECIMALS = 3


def _number(value: Any, fallback: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return fallback


class AttributeForm(QWidget):
    """Editors of the one selected shape's user attributes; a hint when not one is selected."""

    def __init__(self, controller: LabelingController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attributeForm")
        self._controller = controller
        self._shape_id: int | None = None
        self._layout_key: tuple[Any, ...] | None = None
        self._shown: dict[str, Any] = {}  # the value each editor shows (stored, or the default)
        self.editors: dict[str, QWidget] = {}
        self.title = QLabel()
        self.title.setObjectName("attributeTitle")
        self.title.setWordWrap(True)
        self.form = QFormLayout()
        self.form.setContentsMargins(0, 0, 0, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addLayout(self.form)
        layout.addStretch(1)
        controller.selection_changed.connect(self._refresh)
        controller.annotations_changed.connect(self._refresh)
        controller.classes_changed.connect(self._refresh)
        self._refresh()

    # -- what is shown -------------------------------------------------------------------

    def _selected_shapes(self) -> list[AnnotationRecord]:
        selected = set(self._controller.selection)
        return [shape for shape in self._controller.shapes if shape.id in selected]

    def _schema(self, shape: AnnotationRecord) -> list[AttributeSpec]:
        label_class = next((c for c in self._controller.classes if c.id == shape.class_id), None)
        try:
            return attribute_schema(label_class.meta) if label_class is not None else []
        except StudioError:
            return []  # a malformed schema (written by a script): the values show as text

    def _refresh(self, *_args: object) -> None:
        shapes = self._selected_shapes()
        if len(shapes) != 1:
            self._show_nothing(len(shapes))
            return
        shape = shapes[0]
        schema = self._schema(shape)
        values = split_attributes(shape.attributes)[1]
        declared = {spec.name for spec in schema}
        others = sorted(name for name in values if name not in declared)
        key = (shape.id, tuple(schema), tuple(others))
        if key != self._layout_key:
            self._build(shape, schema, others)
            self._layout_key = key
        self._show_values(schema, values)

    def _show_nothing(self, selected: int) -> None:
        self._clear()
        self._layout_key = None
        self._shape_id = None
        if selected:
            self.title.setText(f"{selected} shapes selected: select one to edit its attributes")
        else:
            self.title.setText("Select a shape to edit its attributes")

    def _clear(self) -> None:
        while self.form.rowCount():
            row = self.form.takeRow(0)
            for part in (row.labelItem, row.fieldItem):
                if part is not None and part.widget() is not None:
                    part.widget().hide()
                    part.widget().deleteLater()
        self.editors = {}

    def _build(self, shape: AnnotationRecord, schema: list[AttributeSpec], others: list) -> None:
        self._clear()
        self._shape_id = shape.id
        if not schema and not others:
            self.title.setText(
                f"{shape.label} has no attributes: right-click the class in the class list "
                "to declare some"
            )
            return
        self.title.setText(f"Attributes of this {shape.label}")
        for spec in schema:
            self._add_row(spec.name, self._editor_for(spec))
        for name in others:
            self._add_row(name, self._text_editor(name))

    def _add_row(self, name: str, editor: QWidget) -> None:
        editor.setObjectName(f"attribute:{name}")
        self.editors[name] = editor
        self.form.addRow(name, editor)

    def _show_values(self, schema: list[AttributeSpec], values: dict[str, Any]) -> None:
        """Put the stored values in the editors (without committing them again)."""
        defaults = {spec.name: spec.default for spec in schema}
        self._shown = {name: values.get(name, defaults.get(name)) for name in self.editors}
        for name, editor in self.editors.items():
            value = self._shown[name]
            editor.blockSignals(True)
            if isinstance(editor, QCheckBox):
                editor.setChecked(str(value).lower() in ("true", "1", "yes", "on"))
            elif isinstance(editor, QComboBox):
                editor.setCurrentIndex(max(0, editor.findText(str(value))))
            elif isinstance(editor, QSpinBox | QDoubleSpinBox):
                editor.setValue(_number(value, editor.value()))  # type: ignore[arg-type]
            elif isinstance(editor, QLineEdit):
                editor.setText("" if value is None else str(value))
            editor.blockSignals(False)

    # -- editors -------------------------------------------------------------------------

    def _editor_for(self, spec: AttributeSpec) -> QWidget:
        if spec.type == "checkbox":
            box = QCheckBox()
            box.clicked.connect(lambda checked: self._commit(spec.name, bool(checked)))
            return box
        if spec.type == "choice":
            combo = QComboBox()
            combo.addItems(list(spec.values))
            combo.activated.connect(lambda index: self._commit(spec.name, spec.values[index]))
            return combo
        if spec.type == "number":
            return self._number_editor(spec)
        return self._text_editor(spec.name)

    def _number_editor(self, spec: AttributeSpec) -> QAbstractSpinBox:
        spin: QSpinBox | QDoubleSpinBox
        if spec.whole_numbers:
            spin = QSpinBox()
            spin.setRange(-SPIN_LIMIT, SPIN_LIMIT)
        else:
            spin = QDoubleSpinBox()
            spin.setDecimals(DECIMALS)
            spin.setRange(-SPIN_LIMIT, SPIN_LIMIT)
        bounds = [
            f"at least {spec.minimum:g}" if spec.minimum is not None else "",
            f"at most {spec.maximum:g}" if spec.maximum is not None else "",
        ]
        spin.setToolTip(" and ".join(part for part in bounds if part) or "any number")
        spin.editingFinished.connect(lambda: self._commit(spec.name, spin.value()))
        return spin

    def _text_editor(self, name: str) -> QLineEdit:
        line = QLineEdit()
        line.editingFinished.connect(lambda: self._commit(name, line.text()))
        return line

    def _commit(self, name: str, value: Any) -> None:
        """One edit for a changed value; an unchanged one (focus just left) writes nothing."""
        if self._shape_id is None or self._shown.get(name) == value:
            return
        self._controller.set_attributes(self._shape_id, {name: value})
