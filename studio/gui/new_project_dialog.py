"""File ▸ New project…: where the project file goes and, optionally, a first folder of images.

The dialog only asks; `ProjectActions` creates the project (through `studio.api`), opens it
and starts the import. Its choice is checked before the dialog closes: a file that exists
already, a folder that does not, say so on one line and keep the dialog open.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

PROJECT_SUFFIX = ".studio"
PROJECT_FILTER = "Studio projects (*.studio)"


@dataclass(frozen=True)
class NewProjectChoice:
    path: Path  # the project file to create, ending in .studio
    images: Path | None  # a folder of images to import at once, if any


class NewProjectDialog(QDialog):
    def __init__(self, start_folder: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New project")
        self.setObjectName("newProjectDialog")
        self.start_folder = start_folder
        self.choice: NewProjectChoice | None = None
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText(str(start_folder / f"my-project{PROJECT_SUFFIX}"))
        self.images_edit = QLineEdit()
        self.images_edit.setPlaceholderText("optional: a folder of images to import now")
        form = QFormLayout()
        form.addRow("Project file:", _with_button(self.path_edit, "Choose…", self.choose_path))
        form.addRow("Images:", _with_button(self.images_edit, "Choose…", self.choose_images))
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.error.setVisible(False)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.create_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.create_button.setText("Create")
        self.create_button.setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.path_edit.textChanged.connect(self._text_changed)
        self.images_edit.textChanged.connect(self._text_changed)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.resize(560, self.sizeHint().height())

    def choose_path(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "New project", str(self.start_folder), PROJECT_FILTER
        )
        if path:
            self.path_edit.setText(path)

    def choose_images(self) -> None:
        start = self.images_edit.text() or str(self.start_folder)
        folder = QFileDialog.getExistingDirectory(self, "A folder of images to import", start)
        if folder:
            self.images_edit.setText(folder)

    def accept(self) -> None:
        """Close only on a sound choice; otherwise say what is wrong."""
        problem = self._problem()
        if problem:
            self.error.setText(problem)
            self.error.setVisible(True)
            return
        super().accept()

    def _text_changed(self) -> None:
        self.error.setVisible(False)
        self.create_button.setEnabled(bool(self.path_edit.text().strip()))

    def _problem(self) -> str:
        text = self.path_edit.text().strip()
        if not text:
            return "Choose where the project file goes"
        path = Path(text).expanduser()
        if path.suffix != PROJECT_SUFFIX:
            path = path.with_name(path.name + PROJECT_SUFFIX)
        if not path.is_absolute():
            path = self.start_folder / path
        if path.exists():
            return f"{path}: already exists; choose another name, or open it with File ▸ Open"
        if not path.parent.is_dir():
            return f"{path.parent}: no such folder"
        images_text = self.images_edit.text().strip()
        images = Path(images_text).expanduser() if images_text else None
        if images is not None and not images.is_dir():
            return f"{images}: no such folder of images"
        self.choice = NewProjectChoice(path, images)
        return ""


def _with_button(edit: QLineEdit, text: str, slot: object) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(edit, 1)
    button = QPushButton(text)
    button.clicked.connect(slot)
    layout.addWidget(button)
    return row
