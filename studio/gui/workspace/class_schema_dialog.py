"""The dialog that edits a class's schema: its typed attributes, and its named keypoints with
the skeleton that joins them (`Project.set_class_schema`).

Attributes are rows of a table: name, type, default, min and max (numbers), values (a
choice's, separated by commas). Keypoints are one name a line, in the order the keypoints
tool places them; the skeleton is one edge a line, two point names joined by " - ". A schema
the project would refuse keeps the dialog open with the reason under the tabs.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from studio.api import (
    ATTRIBUTE_TYPES,
    AttributeSpec,
    LabelClassRecord,
    StudioError,
    attribute_schema,
    keypoint_schema,
)

COLUMNS = ("Name", "Type", "Default", "Min", "Max", "Values")
NAME, TYPE, DEFAULT, MINIMUM, MAXIMUM, VALUES = range(len(COLUMNS))
TYPE_TITLES = {"text": "Text", "number": "Number", "choice": "Choice", "checkbox": "Check box"}
EDGE_SEPARATOR = " - "


class ClassSchemaDialog(QDialog):
    def __init__(self, label_class: LabelClassRecord, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("classSchemaDialog")
        self.setWindowTitle(f"Attributes and keypoints of “{label_class.name}”")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("attributeTable")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        header = self.table.horizontalHeader()
        for column in range(len(COLUMNS)):
            stretch = column in (NAME, VALUES)
            mode = QHeaderView.ResizeMode.Stretch if stretch else QHeaderView.ResizeMode.Interactive
            header.setSectionResizeMode(column, mode)
        add, remove = QPushButton("Add attribute"), QPushButton("Remove attribute")
        add.clicked.connect(lambda: self.add_attribute())
        remove.clicked.connect(self._remove_attribute)
        attributes = QWidget()
        attribute_layout = QVBoxLayout(attributes)
        attribute_layout.addWidget(self.table)
        buttons_row = QHBoxLayout()
        buttons_row.addWidget(add)
        buttons_row.addWidget(remove)
        buttons_row.addStretch(1)
        attribute_layout.addLayout(buttons_row)
        self.keypoint_names = QPlainTextEdit()
        self.keypoint_names.setObjectName("keypointNames")
        self.keypoint_names.setPlaceholderText("one name a line, in placing order: nose…")
        self.skeleton = QPlainTextEdit()
        self.skeleton.setObjectName("skeletonEdges")
        self.skeleton.setPlaceholderText(f"one edge a line: left_eye{EDGE_SEPARATOR}nose")
        keypoints = QWidget()
        keypoint_layout = QVBoxLayout(keypoints)
        keypoint_layout.addWidget(QLabel("Keypoints"))
        keypoint_layout.addWidget(self.keypoint_names)
        keypoint_layout.addWidget(QLabel("Skeleton"))
        keypoint_layout.addWidget(self.skeleton)
        self.tabs = QTabWidget()
        self.tabs.addTab(attributes, "Attributes")
        self.tabs.addTab(keypoints, "Keypoints")
        self.error = QLabel()
        self.error.setObjectName("schemaError")
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.resize(760, 420)
        self._show(label_class)

    def _show(self, label_class: LabelClassRecord) -> None:
        try:
            specs = attribute_schema(label_class.meta)
            points = keypoint_schema(label_class.meta)
        except StudioError as error:
            self.error.setText(f"The stored schema is not valid ({error}); saving replaces it")
            return
        for spec in specs:
            self.add_attribute(spec)
        self.keypoint_names.setPlainText("\n".join(points.names))
        self.skeleton.setPlainText(
            "\n".join(
                f"{points.names[a - 1]}{EDGE_SEPARATOR}{points.names[b - 1]}"
                for a, b in points.skeleton
            )
        )

    # -- attributes ----------------------------------------------------------------------

    def add_attribute(self, spec: AttributeSpec | None = None) -> int:
        """A new row (filled from `spec`); returns its number."""
        row = self.table.rowCount()
        self.table.insertRow(row)
        kind = QComboBox()
        for type_name in ATTRIBUTE_TYPES:
            kind.addItem(TYPE_TITLES[type_name], type_name)
        self.table.setCellWidget(row, TYPE, kind)
        cells = ["", "", "", "", ""]
        if spec is not None:
            kind.setCurrentIndex(ATTRIBUTE_TYPES.index(spec.type))
            cells = [
                spec.name,
                "" if spec.default is None else _text(spec.default),
                "" if spec.minimum is None else f"{spec.minimum:g}",
                "" if spec.maximum is None else f"{spec.maximum:g}",
                ", ".join(spec.values),
            ]
        for column, text in zip((NAME, DEFAULT, MINIMUM, MAXIMUM, VALUES), cells, strict=True):
            self.table.setItem(row, column, QTableWidgetItem(text))
        return row

    def _remove_attribute(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.removeRow(row)

    def attributes(self) -> list[dict[str, Any]]:
        """The attribute rows as the mappings `Project.set_class_schema` takes."""
        result = []
        for row in range(self.table.rowCount()):
            combo = self.table.cellWidget(row, TYPE)
            assert isinstance(combo, QComboBox)
            spec: dict[str, Any] = {
                "name": self._cell(row, NAME),
                "type": combo.currentData(),
                "default": self._cell(row, DEFAULT),
                "min": self._cell(row, MINIMUM),
                "max": self._cell(row, MAXIMUM),
            }
            values = [value.strip() for value in self._cell(row, VALUES).split(",")]
            spec["values"] = [value for value in values if value]
            result.append(spec)
        return result

    def _cell(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text().strip() if item is not None else ""

    # -- keypoints -----------------------------------------------------------------------

    def keypoints(self) -> list[str]:
        lines = self.keypoint_names.toPlainText().splitlines()
        return [line.strip() for line in lines if line.strip()]

    def edges(self) -> list[list[int]]:
        """Skeleton lines as pairs of 1-based point numbers; raises ValueError naming a line
        that does not join two of the names."""
        numbers = {name: index for index, name in enumerate(self.keypoints(), start=1)}
        edges = []
        for line in self.skeleton.toPlainText().splitlines():
            if not line.strip():
                continue
            ends = [end.strip() for end in line.split(EDGE_SEPARATOR.strip())]
            if len(ends) != 2 or not all(end in numbers for end in ends):
                raise ValueError(f"skeleton line “{line.strip()}” does not join two keypoints")
            edges.append([numbers[ends[0]], numbers[ends[1]]])
        return edges

    def schema(self) -> dict[str, Any]:
        """What to save (`Project.set_class_schema`'s keyword arguments), checked as the
        project checks it; raises ValueError or StudioError with the reason."""
        attributes, names, edges = self.attributes(), self.keypoints(), self.edges()
        attribute_schema({"attributes": attributes})
        keypoint_schema({"keypoints": names, "skeleton": edges})
        return {"attributes": attributes, "keypoints": names, "skeleton": edges}

    def accept(self) -> None:
        try:
            self.schema()
        except (ValueError, StudioError) as error:
            self.error.setText(str(error))
            return
        super().accept()


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{value:g}" if isinstance(value, float) else str(value)
