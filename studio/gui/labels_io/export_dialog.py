"""The "Export labels" dialog: write the project's labels in another tool's format.

The user picks the format, the destination folder, the split (or only the images selected
in the gallery), whether the images are copied, linked or left out, and whether a folder
that is not empty may be replaced. "Only the selected images" starts ticked only when the
selection is more than the image open in the canvas (which a click selects), so opening the
dialog on one unlabeled image does not offer an empty export. The dialog counts the images
the choice covers and, off the GUI thread, the images and annotations the export will hold
(the exporter leaves out rejected images and images not labeled yet), with a one-line
warning when that is nothing. It runs the export on a worker thread with a progress bar and
Cancel, and then shows the report: images, annotations, and the annotations the format could
not hold, by reason. The export is written to a temporary folder and renamed into place, so
a cancel or an error leaves the destination as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.api import LabelExportReport, Project
from studio.core.wording import counted
from studio.gui.labels_io import (
    can_write,
    error_label,
    show_error,
    show_progress,
    start_busy,
)
from studio.gui.labels_io.tasks import ExportRequest, export_labels
from studio.gui.task_runner import TaskRunner

FORMAT_KEY = "labels_export_format"
LAST_DIR_KEY = "last_labels_export_dir"
IMAGES_KEY = "labels_export_images"
SPLITS = {"All images": None, "Train": "train", "Val": "val", "Test": "test", "No split": "none"}
IMAGE_MODES = {
    "copy": "Copy the images into the folder",
    "link": "Link to the images (no copies)",
    "none": "Don't copy the images (the label files name them)",
}
CAVEAT = "Rejected images and images not labeled yet are not exported."
DIALOG_WIDTH = 640


def report_lines(report: LabelExportReport) -> list[str]:
    """The export report, one fact a line."""
    lines = [
        f"Exported {counted(report.annotations, 'annotation')} on {counted(report.items, 'image')}",
        f"to {report.destination}",
    ]
    if report.images_written:
        lines.append(f"{counted(report.images_written, 'image file')} written")
    for reason, count in sorted(report.skipped.items()):
        lines.append(f"Not exported: {count:,} {reason}")
    lines += [f"Warning: {warning}" for warning in report.warnings]
    return lines


def empty_export_warning(images: int, annotations: int) -> str:
    """One line when the export would hold nothing (or no labels at all), else ""."""
    if not images:
        return "Nothing to export: none of the chosen images is labeled (or all are rejected)."
    if not annotations:
        return "The export holds no labels: its images are all marked done with nothing on them."
    return ""


class ExportLabelsDialog(QDialog):
    exported = Signal(object)  # LabelExportReport

    def __init__(
        self,
        project: Project,
        settings: QSettings,
        selected_ids: Sequence[int] = (),
        parent: QWidget | None = None,
        open_id: int | None = None,
    ) -> None:
        """`selected_ids`: the gallery's selection; `open_id`: the image open in the canvas."""
        super().__init__(parent)
        self.setObjectName("exportLabelsDialog")
        self.setWindowTitle("Export labels")
        self.setMinimumWidth(DIALOG_WIDTH)
        self.project = project
        self.settings = settings
        self.selected_ids = list(selected_ids)
        self.open_id = open_id
        self.report: LabelExportReport | None = None
        self.totals: tuple[int, int] | None = None  # (images, annotations) the export holds
        self.chosen_text = ""  # "4 images chosen (1 of them rejected)"
        self.runner = TaskRunner(self)
        self.counter = TaskRunner(self)
        self._build()
        self._restore_choices()
        self._connect()
        self.update_count()

    # -- building ------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.format_combo = QComboBox()
        self.format_combo.setObjectName("exportFormat")
        for label_format in Project.label_formats():
            if can_write(label_format):
                self.format_combo.addItem(label_format.title, label_format.name)
        form.addRow("Format:", self.format_combo)
        form.addRow("Folder:", self._build_destination())
        self.split_combo = QComboBox()
        for title, split in SPLITS.items():
            self.split_combo.addItem(title, split)
        form.addRow("Split:", self.split_combo)
        self.only_selected = QCheckBox(self._selected_text())
        self.only_selected.setVisible(bool(self.selected_ids))
        form.addRow("", self.only_selected)
        self.images_combo = QComboBox()
        for mode, title in IMAGE_MODES.items():
            self.images_combo.addItem(title, mode)
        form.addRow("Images:", self.images_combo)
        self.overwrite = QCheckBox("Overwrite the folder if it is not empty")
        form.addRow("", self.overwrite)
        self.include_pending = QCheckBox("Include pending suggestions (not yet accepted)")
        self.include_pending.setObjectName("exportIncludePending")
        form.addRow("", self.include_pending)
        layout.addLayout(form)
        self.count_label = QLabel()
        self.count_label.setObjectName("exportCount")
        self.count_label.setWordWrap(True)
        self.empty_warning = QLabel()
        self.empty_warning.setObjectName("error")
        self.empty_warning.setVisible(False)
        self.report_label = QLabel()
        self.report_label.setObjectName("exportReport")
        self.report_label.setWordWrap(True)
        self.report_label.setTextFormat(Qt.TextFormat.PlainText)
        self.report_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.report_label.setVisible(False)
        self.error = error_label("exportError")
        layout.addWidget(self.count_label)
        layout.addWidget(self.empty_warning)
        layout.addSpacing(6)
        layout.addWidget(self.report_label)
        layout.addWidget(self.error)
        layout.addStretch(1)
        layout.addLayout(self._build_buttons())

    def _build_destination(self) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        self.destination_edit = QLineEdit()
        self.destination_edit.setObjectName("exportDestination")
        self.destination_edit.setPlaceholderText("A new or empty folder")
        self.folder_button = QPushButton("Choose…")
        self.folder_button.setAutoDefault(False)
        layout.addWidget(self.destination_edit, 1)
        layout.addWidget(self.folder_button)
        return row

    def _build_buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.status = QLabel()
        self.status.setObjectName("hint")
        self.cancel_button = QPushButton("Close")
        self.cancel_button.setAutoDefault(False)
        self.export_button = QPushButton("Export")
        self.export_button.setDefault(True)
        row.addWidget(self.progress, 1)
        row.addWidget(self.status, 1)
        row.addWidget(self.cancel_button)
        row.addWidget(self.export_button)
        return row

    def _selected_text(self) -> str:
        return f"Only the {counted(len(self.selected_ids), 'selected image')}"

    def _selection_is_a_choice(self) -> bool:
        """Whether the selection says which images to export: more than the open image
        (a click on a thumbnail selects and opens it; that alone is no choice)."""
        return bool(self.selected_ids) and self.selected_ids != [self.open_id]

    def _restore_choices(self) -> None:
        index = self.format_combo.findData(self.settings.value(FORMAT_KEY))
        self.format_combo.setCurrentIndex(max(index, 0))
        index = self.images_combo.findData(self.settings.value(IMAGES_KEY))
        self.images_combo.setCurrentIndex(max(index, 0))
        self.only_selected.setChecked(self._selection_is_a_choice())

    def _connect(self) -> None:
        self.runner.progress.connect(self._show_progress)
        self.runner.finished.connect(self._export_finished)
        self.runner.failed.connect(self._export_failed)
        self.runner.cancelled.connect(self._export_cancelled)
        self.folder_button.clicked.connect(self.choose_folder)
        self.split_combo.currentIndexChanged.connect(self._items_changed)
        self.only_selected.toggled.connect(self._items_changed)
        self.include_pending.toggled.connect(self._items_changed)
        self.counter.finished.connect(self._show_totals)
        self.counter.failed.connect(lambda message: show_error(self.error, message))
        self.destination_edit.textChanged.connect(self._choice_changed)
        for widget in (self.format_combo, self.images_combo):
            widget.currentIndexChanged.connect(self._choice_changed)
        self.overwrite.toggled.connect(self._choice_changed)
        self.cancel_button.clicked.connect(self.reject)
        self.export_button.clicked.connect(self.start_export)

    # -- choosing ------------------------------------------------------------------------

    def choose_folder(self) -> None:
        start = str(self.settings.value(LAST_DIR_KEY, str(Path.home())))
        folder = QFileDialog.getExistingDirectory(self, "Export labels into a folder", start)
        if folder:
            self.destination_edit.setText(folder)

    def _choice_changed(self) -> None:
        """A new choice: the last export's error or status no longer applies."""
        show_error(self.error, "")
        self.status.setText("")
        self._update_buttons()

    def _items_changed(self) -> None:
        self._choice_changed()
        self.update_count()

    def _filters(self) -> dict[str, Any]:
        split = self.split_combo.currentData()
        return {} if split is None else {"split": split}

    def _chosen_ids(self) -> list[int] | None:
        if not (self.selected_ids and self.only_selected.isChecked()):
            return None
        return self.selected_ids

    def count(self, **extra: Any) -> int:
        """How many items the current choice covers (before the exporter's own skipping)."""
        filters = {**self._filters(), **extra}
        chosen = self._chosen_ids()
        if chosen is None:
            return self.project.count_items(**filters)
        return len(set(chosen).intersection(self.project.item_ids(**filters)))

    def update_count(self) -> None:
        """Count the chosen images at once, and what the export will hold in the background."""
        total = self.count()
        rejected = self.count(status="rejected") if total else 0
        text = f"{counted(total, 'image')} chosen"
        if rejected:
            text += f" ({rejected:,} of them rejected)"
        self.chosen_text = text
        self.totals = None
        self.count_label.setText(f"{text}; counting what the export will hold…")
        self.empty_warning.setVisible(False)
        project, chosen = self.project, self._chosen_ids()
        split, pending = self.split_combo.currentData(), self.include_pending.isChecked()
        self.counter.start(lambda *_: project.export_totals(split, chosen, include_pending=pending))
        self._update_buttons()

    def _show_totals(self, totals: object) -> None:
        images, annotations = totals  # type: ignore[misc]
        self.totals = (images, annotations)
        held = f"{counted(images, 'image')} with {counted(annotations, 'annotation')}"
        self.count_label.setText(f"{self.chosen_text}: the export will hold {held}. {CAVEAT}")
        warning = empty_export_warning(images, annotations)
        self.empty_warning.setText(warning)
        self.empty_warning.setVisible(bool(warning))
        self._update_buttons()

    def request(self) -> ExportRequest:
        chosen = self._chosen_ids()
        return ExportRequest(
            destination=Path(self.destination_edit.text().strip()).expanduser(),
            format=self.format_combo.currentData(),
            split=self.split_combo.currentData(),
            item_ids=None if chosen is None else tuple(chosen),
            images=self.images_combo.currentData(),
            overwrite=self.overwrite.isChecked(),
            include_pending=self.include_pending.isChecked(),
        )

    # -- exporting -----------------------------------------------------------------------

    @property
    def can_export(self) -> bool:
        return (
            not self.runner.busy
            and bool(self.destination_edit.text().strip())
            and self.format_combo.currentData() is not None
            and self.totals is not None
            and self.totals[0] > 0
        )

    def start_export(self) -> None:
        if not self.can_export:
            return
        request = self.request()
        self.settings.setValue(FORMAT_KEY, request.format)
        self.settings.setValue(IMAGES_KEY, request.images)
        self.settings.setValue(LAST_DIR_KEY, str(request.destination.parent))
        show_error(self.error, "")
        self.report_label.setVisible(False)
        self.status.setText("")
        start_busy(self.progress, "Exporting")
        self.runner.start(partial(export_labels, self.project, request))
        self._update_buttons()

    def _show_progress(self, done: int, total: int) -> None:
        show_progress(self.progress, done, total, "Exporting")

    def _export_finished(self, report: object) -> None:
        assert isinstance(report, LabelExportReport)
        self.report = report
        self.progress.setVisible(False)
        self.report_label.setText("\n".join(report_lines(report)))
        self.report_label.setVisible(True)
        self.status.setText("Done")
        self._update_buttons()
        self.exported.emit(report)

    def _export_failed(self, message: str) -> None:
        self.progress.setVisible(False)
        self.status.setText("The export failed: the folder was not changed")
        show_error(self.error, message)
        self._update_buttons()

    def _export_cancelled(self) -> None:
        self.progress.setVisible(False)
        self.status.setText("Export cancelled: the folder was not changed")
        self._update_buttons()

    def _update_buttons(self) -> None:
        busy = self.runner.busy
        self.export_button.setEnabled(self.can_export)
        self.cancel_button.setText("Cancel" if busy else "Close")
        for widget in (
            self.format_combo,
            self.destination_edit,
            self.folder_button,
            self.split_combo,
            self.only_selected,
            self.images_combo,
            self.overwrite,
            self.include_pending,
        ):
            widget.setEnabled(not busy)

    # -- closing -------------------------------------------------------------------------

    def reject(self) -> None:
        """Esc and Cancel: stop the export under way, else close."""
        if self.runner.busy:
            self.runner.cancel()
            self.status.setText("Cancelling…")
            return
        super().reject()

    def done(self, result: int) -> None:
        self.counter.shutdown()
        self.runner.shutdown()
        super().done(result)
