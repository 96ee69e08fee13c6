"""The "Import labels" dialog: choose a label file, see what it would do, then import it.

Choosing a file, a folder or a .zip starts a dry run on a worker thread: it detects the
format (shown, and overridable, in the format box), reads the labels, matches the images
and checks every shape, exactly as the real import will. The dialog shows the result (the
images found, the annotations per class, the new classes, the duplicates and missing images
skipped, the warnings) or the error that would stop the import, in red, with Import
disabled. The classes of the file can be renamed onto the project's (or merged into one)
in the class table; any change of an option or of the class table runs the preview again.

Import runs the same request for real, on the worker, with a progress bar and Cancel; the
import is one transaction and one undo step, so a cancel or an error changes nothing. On
success the dialog emits `imported` with the report and closes.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QCompleter,
    QDialog,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.api import LabelImportOptions, LabelImportReport, Project
from studio.core.wording import counted
from studio.gui.labels_io import (
    can_read,
    error_label,
    show_error,
    show_progress,
    start_busy,
)
from studio.gui.labels_io.tasks import (
    ImportRequest,
    PreviewResult,
    import_labels,
    preview,
)
from studio.gui.task_runner import TaskRunner

LAST_DIR_KEY = "last_labels_dir"
PREVIEW_DELAY_MS = 250  # options and class names typed in quick succession: one preview
MAX_LISTED = 5  # missing images and warnings named in the preview; the rest counted
DIALOG_SIZE = (860, 600)
FILE_COLUMN, PROJECT_COLUMN = 0, 1


def file_filter(suffixes: list[str]) -> str:
    patterns = " ".join(f"*{suffix}" for suffix in dict.fromkeys([*suffixes, ".zip"]))
    return f"Label files ({patterns});;Zip archives (*.zip);;All files (*)"


def preview_lines(report: LabelImportReport) -> list[str]:
    """What the import would do, one fact a line, for the preview box."""
    lines = [
        f"{counted(report.images, 'image')}: "
        f"{report.items_added:,} new, {report.items_matched:,} already in the project",
        f"{counted(report.annotations_added, 'annotation')} to add",
        f"New classes: {', '.join(report.new_classes)}" if report.new_classes else "No new class",
    ]
    if report.duplicates_skipped:
        lines.append(
            f"{counted(report.duplicates_skipped, 'annotation')} already in the project (skipped)"
        )
    if report.missing_images:
        lines.append(
            f"{counted(len(report.missing_images), 'image')} not found (skipped): "
            + listed(report.missing_images)
        )
    for warning in report.warnings[:MAX_LISTED]:
        lines.append(f"Warning: {warning}")
    if len(report.warnings) > MAX_LISTED:
        lines.append(f"… and {len(report.warnings) - MAX_LISTED:,} more warnings")
    return lines


def listed(names: list[str]) -> str:
    shown = ", ".join(names[:MAX_LISTED])
    return shown + (f" and {len(names) - MAX_LISTED:,} more" if len(names) > MAX_LISTED else "")


class ProjectClassDelegate(QStyledItemDelegate):
    """Edits a project class name in an editable box that offers the project's classes."""

    def __init__(self, names: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.names = names

    def createEditor(  # noqa: N802
        self, parent: QWidget, option: QStyleOptionViewItem, index: QModelIndex
    ) -> QWidget:
        editor = QComboBox(parent)
        editor.setEditable(True)
        editor.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        editor.addItems(self.names)
        completer = QCompleter(self.names, editor)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        editor.setCompleter(completer)
        return editor

    def setEditorData(self, editor: QWidget, index: QModelIndex) -> None:  # noqa: N802
        assert isinstance(editor, QComboBox)
        editor.setCurrentText(str(index.data() or ""))

    def setModelData(  # noqa: N802
        self, editor: QWidget, model: QAbstractItemModel, index: QModelIndex
    ) -> None:
        assert isinstance(editor, QComboBox)
        name = editor.currentText().strip()
        if name:  # an emptied name keeps the class as it was
            model.setData(index, name)


class ClassMapTable(QTableWidget):
    """File class → project class; the second column is editable (rename or merge)."""

    def __init__(self, project_classes: list[str], parent: QWidget | None = None) -> None:
        super().__init__(0, 2, parent)
        self.setObjectName("classMap")
        self.setHorizontalHeaderLabels(["In the file", "In the project"])
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.verticalHeader().setVisible(False)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.setItemDelegateForColumn(PROJECT_COLUMN, ProjectClassDelegate(project_classes, self))

    def add_classes(self, names: list[str]) -> None:
        """A row for each class of the file not listed yet, mapped to the same name."""
        listed = set(self.file_classes())
        blocked = self.blockSignals(True)
        for name in names:
            if name in listed:
                continue
            listed.add(name)
            row = self.rowCount()
            self.insertRow(row)
            source = QTableWidgetItem(name)
            source.setFlags(source.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.setItem(row, FILE_COLUMN, source)
            self.setItem(row, PROJECT_COLUMN, QTableWidgetItem(name))
        self.blockSignals(blocked)

    def file_classes(self) -> list[str]:
        return [self.item(row, FILE_COLUMN).text() for row in range(self.rowCount())]

    def class_map(self) -> dict[str, str]:
        """The renamed classes only (file name → project name)."""
        mapping = {}
        for row in range(self.rowCount()):
            source = self.item(row, FILE_COLUMN).text()
            target = self.item(row, PROJECT_COLUMN).text().strip()
            if target and target != source:
                mapping[source] = target
        return mapping

    def row_of(self, file_class: str) -> int:
        return next(r for r in range(self.rowCount()) if self.item(r, 0).text() == file_class)


class ImportLabelsDialog(QDialog):
    imported = Signal(object)  # LabelImportReport

    def __init__(
        self, project: Project, settings: QSettings, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("importLabelsDialog")
        self.setWindowTitle("Import labels")
        self.resize(*DIALOG_SIZE)
        self.project = project
        self.settings = settings
        self.formats = [f for f in Project.label_formats() if can_read(f)]
        self.report: LabelImportReport | None = None
        self._source: Path | None = None
        self._format: str | None = None  # detected or chosen for `_source`
        self._table_key: tuple[Path, str] | None = None  # what the class table lists
        self._preview: PreviewResult | None = None  # the last good preview, while current
        self._importing = False
        self.runner = TaskRunner(self)
        self._build()
        self._connect()
        self._update_buttons()

    # -- building ------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.addLayout(self._build_source())
        layout.addWidget(self._build_options())
        panes = QHBoxLayout()
        panes.addWidget(self._build_classes(), 1)
        panes.addWidget(self._build_preview(), 1)
        layout.addLayout(panes, 1)
        self.error = error_label("importError")
        layout.addWidget(self.error)
        layout.addLayout(self._build_buttons())

    def _build_source(self) -> QGridLayout:
        grid = QGridLayout()
        self.source_edit = QLineEdit()
        self.source_edit.setObjectName("labelSource")
        self.source_edit.setPlaceholderText("A label file, a folder or a .zip")
        self.file_button = QPushButton("File…")
        self.folder_button = QPushButton("Folder…")
        self.format_combo = QComboBox()
        self.format_combo.setObjectName("labelFormat")
        for label_format in self.formats:
            self.format_combo.addItem(label_format.title, label_format.name)
        self.format_combo.setCurrentIndex(-1)
        self.format_note = QLabel("Detected when you choose the labels")
        self.format_note.setObjectName("hint")
        grid.addWidget(QLabel("Labels:"), 0, 0)
        grid.addWidget(self.source_edit, 0, 1)
        grid.addWidget(self.file_button, 0, 2)
        grid.addWidget(self.folder_button, 0, 3)
        grid.addWidget(QLabel("Format:"), 1, 0)
        row = QHBoxLayout()
        row.addWidget(self.format_combo)
        row.addWidget(self.format_note, 1)
        grid.addLayout(row, 1, 1, 1, 3)
        grid.setColumnStretch(1, 1)
        return grid

    def _build_options(self) -> QGroupBox:
        box = QGroupBox("Options")
        layout = QVBoxLayout(box)
        self.copy_images = QCheckBox("Copy images into the project")
        self.replace = QCheckBox("Replace existing annotations of these images")
        self.skip_missing = QCheckBox("Skip images that cannot be found")
        self.keep_duplicates = QCheckBox("Keep identical images under different names apart")
        self.keep_duplicates.setToolTip(
            "Each name becomes an item with its own labels; otherwise the copies are one item "
            "that records the other names. Not possible for images copied into the project."
        )
        for check in self._option_checks():
            layout.addWidget(check)
        return box

    def _option_checks(self) -> tuple[QCheckBox, ...]:
        return (self.copy_images, self.replace, self.skip_missing, self.keep_duplicates)

    def _build_classes(self) -> QGroupBox:
        box = QGroupBox("Classes")
        layout = QVBoxLayout(box)
        names = [record.name for record in self.project.classes()]
        self.class_table = ClassMapTable(names)
        hint = QLabel("Double-click a project class to rename it or merge it into another")
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        layout.addWidget(self.class_table, 1)
        layout.addWidget(hint)
        return box

    def _build_preview(self) -> QGroupBox:
        box = QGroupBox("Preview")
        layout = QVBoxLayout(box)
        self.summary = QLabel("Choose a label file, a folder or a .zip")
        self.summary.setObjectName("importSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.class_counts = QTableWidget(0, 3)
        self.class_counts.setObjectName("classCounts")
        self.class_counts.setHorizontalHeaderLabels(["Class", "Annotations", "New"])
        header = self.class_counts.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.class_counts.verticalHeader().setVisible(False)
        self.class_counts.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.class_counts.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.class_counts.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout.addWidget(self.summary)
        layout.addWidget(self.class_counts, 1)
        return box

    def _build_buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.status = QLabel()
        self.status.setObjectName("hint")
        self.cancel_button = QPushButton("Cancel")
        self.import_button = QPushButton("Import")
        self.import_button.setDefault(True)
        for button in (self.file_button, self.folder_button, self.cancel_button):
            button.setAutoDefault(False)  # Enter imports wherever the focus is
        row.addWidget(self.progress, 1)
        row.addWidget(self.status, 1)
        row.addWidget(self.cancel_button)
        row.addWidget(self.import_button)
        return row

    def _connect(self) -> None:
        self.runner.progress.connect(self._show_progress)
        self.runner.finished.connect(self._work_finished)
        self.runner.failed.connect(self._work_failed)
        self.runner.cancelled.connect(self._work_cancelled)
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DELAY_MS)
        self._preview_timer.timeout.connect(self.start_preview)
        self.file_button.clicked.connect(self.choose_file)
        self.folder_button.clicked.connect(self.choose_folder)
        self.source_edit.textEdited.connect(self._invalidate)
        self.source_edit.editingFinished.connect(self._source_entered)
        self.format_combo.activated.connect(self._format_chosen)
        for check in self._option_checks():
            check.toggled.connect(self._options_changed)
        self.class_table.itemChanged.connect(self._options_changed)
        self.cancel_button.clicked.connect(self.reject)
        self.import_button.clicked.connect(self.start_import)

    # -- choosing ------------------------------------------------------------------------

    def choose_file(self) -> None:
        suffixes = [suffix for f in self.formats for suffix in f.suffixes if suffix]
        path, _ = QFileDialog.getOpenFileName(
            self, "Import labels from a file", self._start_dir(), file_filter(suffixes)
        )
        if path:
            self.set_source(Path(path))

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Import labels from a folder", self._start_dir()
        )
        if folder:
            self.set_source(Path(folder))

    def _start_dir(self) -> str:
        return str(self.settings.value(LAST_DIR_KEY, str(Path.home())))

    def set_source(self, path: Path) -> None:
        """Preview `path` (a file, a folder or a zip), detecting its format afresh."""
        path = Path(path).expanduser()
        self.source_edit.setText(str(path))
        self._source = path
        self._format = None
        self.settings.setValue(LAST_DIR_KEY, str(path.parent))
        is_zip = path.suffix.lower() == ".zip"
        self.copy_images.setToolTip("A zip's images are always copied" if is_zip else "")
        if is_zip:
            self.copy_images.setChecked(True)
        self.start_preview()

    def _source_entered(self) -> None:
        text = self.source_edit.text().strip()
        if text and Path(text).expanduser() != self._source:
            self.set_source(Path(text))

    def _format_chosen(self, index: int) -> None:
        name = self.format_combo.itemData(index)
        if name and name != self._format:
            self._format = name
            self.format_note.setText("Chosen by you")
            self.start_preview()

    def _options_changed(self) -> None:
        self._invalidate()
        if self._source is not None and not self._importing:
            self._preview_timer.start()

    def _invalidate(self) -> None:
        self._preview = None
        self._update_buttons()

    def current_request(self) -> ImportRequest | None:
        if self._source is None:
            return None
        key = (self._source, self._format)
        options = LabelImportOptions(
            format=self._format,
            class_map=self.class_table.class_map() if key == self._table_key else {},
            copy_images=self.copy_images.isChecked(),
            replace=self.replace.isChecked(),
            skip_missing_images=self.skip_missing.isChecked(),
            keep_duplicates=self.keep_duplicates.isChecked(),
        )
        return ImportRequest(self._source, options)

    # -- preview -------------------------------------------------------------------------

    def start_preview(self) -> None:
        """Dry-run the current request on the worker (replacing a preview under way)."""
        self._preview_timer.stop()
        request = self.current_request()
        if request is None or self._importing:
            return
        self._invalidate()
        show_error(self.error, "")
        self.status.setText("")
        if not request.source.exists():
            self.runner.drop()
            self.progress.setVisible(False)
            self.class_table.setRowCount(0)
            self._table_key = None
            self._clear_preview("Nothing to preview")
            show_error(self.error, f"{request.source}: no such file or folder")
            return
        self.summary.setText("Reading the labels…")
        start_busy(self.progress, "Reading")
        self.runner.start(partial(preview, self.project, request))
        self._update_buttons()

    def _show_preview(self, result: PreviewResult) -> None:
        request, report = result.request, result.report
        self._format = request.options.format
        self.format_combo.setCurrentIndex(self.format_combo.findData(self._format))
        if result.detected:
            self.format_note.setText("Detected; choose another format if it is wrong")
        key = (request.source, self._format)
        if key != self._table_key:
            self.class_table.setRowCount(0)
            self._table_key = key
        if report is None:
            self._clear_preview("The labels cannot be imported")
            show_error(self.error, result.error)
            return
        self.class_table.add_classes(list(report.file_classes))  # before any mapping
        self.summary.setText("\n".join(preview_lines(report)))
        self._fill_class_counts(report)
        if request == self.current_request():
            self._preview = result
        else:  # the table or an option changed meanwhile
            self._preview_timer.start()
        if report.images == 0:
            self.status.setText("Nothing to import")

    def _fill_class_counts(self, report: LabelImportReport) -> None:
        new = set(report.new_classes)
        self.class_counts.setRowCount(len(report.per_class))
        for row, (name, count) in enumerate(sorted(report.per_class.items())):
            counted = QTableWidgetItem(f"{count:,}")
            counted.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.class_counts.setItem(row, 0, QTableWidgetItem(name))
            self.class_counts.setItem(row, 1, counted)
            self.class_counts.setItem(row, 2, QTableWidgetItem("yes" if name in new else ""))

    def _clear_preview(self, text: str) -> None:
        self.summary.setText(text)
        self.class_counts.setRowCount(0)

    def class_counts_shown(self) -> dict[str, tuple[int, bool]]:
        """Class → (annotations, is new), as the preview table shows them."""
        table = self.class_counts
        return {
            table.item(row, 0).text(): (
                int(table.item(row, 1).text().replace(",", "")),
                table.item(row, 2).text() == "yes",
            )
            for row in range(table.rowCount())
        }

    # -- importing -----------------------------------------------------------------------

    @property
    def can_import(self) -> bool:
        return (
            self._preview is not None
            and not self.runner.busy
            and self._preview.report.images > 0
            and self._preview.request == self.current_request()
        )

    def start_import(self) -> None:
        if not self.can_import:
            return
        assert self._preview is not None
        request = self._preview.request
        self._importing = True
        show_error(self.error, "")
        self.status.setText("")
        start_busy(self.progress, "Importing")
        self.runner.start(partial(import_labels, self.project, request))
        self._update_buttons()

    def _show_progress(self, done: int, total: int) -> None:
        show_progress(self.progress, done, total, "Importing" if self._importing else "Reading")

    def _work_finished(self, result: object) -> None:
        self.progress.setVisible(False)
        if isinstance(result, PreviewResult):
            self._show_preview(result)
        elif isinstance(result, LabelImportReport):
            self._importing = False
            self.report = result
            self.imported.emit(result)
            self.accept()
            return
        self._update_buttons()

    def _work_failed(self, message: str) -> None:
        self.progress.setVisible(False)
        if self._importing:
            self._importing = False
            self.status.setText("The import failed: nothing was changed")
        else:
            self._clear_preview("The labels cannot be imported")
            if self._format is None:
                self.format_note.setText("Choose the format")
        show_error(self.error, message)
        self._update_buttons()

    def _work_cancelled(self) -> None:
        self.progress.setVisible(False)
        if self._importing:
            self._importing = False
            self.status.setText("Import cancelled: nothing was changed")
        else:
            self._clear_preview("Preview cancelled")
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.import_button.setEnabled(self.can_import)
        self.cancel_button.setText("Cancel" if self.runner.busy else "Close")
        for widget in (
            self.source_edit,
            self.file_button,
            self.folder_button,
            self.format_combo,
            self.class_table,
            self.replace,
            self.skip_missing,
            self.keep_duplicates,
        ):
            widget.setEnabled(not self._importing)
        zipped = self._source is not None and self._source.suffix.lower() == ".zip"
        self.copy_images.setEnabled(not self._importing and not zipped)

    # -- closing -------------------------------------------------------------------------

    def reject(self) -> None:
        """Esc and Cancel: stop the import under way (nothing changes), else close."""
        if self._importing and self.runner.busy:
            self.runner.cancel()
            self.status.setText("Cancelling…")
            return
        super().reject()

    def done(self, result: int) -> None:
        self._preview_timer.stop()
        self.runner.shutdown()
        super().done(result)
