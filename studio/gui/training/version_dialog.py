"""The "Freeze version…" dialog: a frozen snapshot of the labeled images, their splits and
annotations, for training.

The user names the version, sets the split ratios (percent), the seed and whether images a
previous version had in test stay in test; a table previews the images and annotations each
split would get, per class, from `Project.preview_split` (computed on a worker thread, a
moment after the last change), and names the duplicate images it would put in train and in
val or test. Create writes the version with `Project.create_version`;
when duplicate images straddle its splits, a warning naming them opens over the window (the
version is frozen all the same).
A version is not a label edit: it is not in the undo history (a version no run uses can be
deleted from the Train panel's version list).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from functools import partial
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.api import DuplicatesAcrossSplitsWarning, Project
from studio.api.data_health import LEAKS_NAMED
from studio.core.duplicates import SplitLeak
from studio.core.errors import StudioError
from studio.core.versions import SplitPlan
from studio.core.wording import counted
from studio.gui.labels_io import error_label, show_error
from studio.gui.task_runner import TaskRunner
from studio.gui.training import NOT_UNDOABLE, SPLITS

PREVIEW_DELAY_MS = 150
DEFAULT_PERCENT = {"train": 80.0, "val": 10.0, "test": 10.0}
COLUMNS = (*SPLITS, "total")
KEEP_TEST_TIP = (
    "Images that were in test in the newest earlier version stay in test, so a new model is "
    "never evaluated on images an earlier model trained on."
)
REASON_TITLES = {
    "set_on_item": "split set on the image",
    "kept_in_test": "kept in test",
    "hashed": "split by hash",
    "joined_copies": "with an identical image in a held-out split",
}


def next_version_name(existing: list[str]) -> str:
    """ "v1", "v2", …: the first name not taken."""
    taken = set(existing)
    number = 1
    while f"v{number}" in taken:
        number += 1
    return f"v{number}"


def _preview(
    project: Project, request: Mapping[str, Any], progress: Any, cancel: Any
) -> tuple[SplitPlan, list[SplitLeak]]:
    """The split plan, and the duplicate groups it would put in train and in val or test
    (hashing here, off the GUI thread, also fills the cache Create's own check reads)."""
    plan = project.preview_split(**request)
    return plan, project.data_health.leaks_in(plan.splits)


def leaks_text(leaks: list[SplitLeak]) -> str:
    """What the dialog says of duplicate groups the split would put across train and val/test."""
    if not leaks:
        return ""
    named = "; ".join(leak.describe() for leak in leaks[:LEAKS_NAMED])
    more = f"; and {len(leaks) - LEAKS_NAMED} more" if len(leaks) > LEAKS_NAMED else ""
    return (
        f"{counted(len(leaks), 'group')} of duplicate images would be in train and in val or test: "
        f"{named}{more}. Data ▸ Duplicates… reviews them; freezing is allowed."
    )


class FreezeVersionDialog(QDialog):
    created = Signal(object)  # VersionRecord

    def __init__(self, project: Project, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("freezeVersionDialog")
        self.setWindowTitle("Freeze a dataset version")
        self.setMinimumWidth(560)
        self.project = project
        self.plan: Any = None
        self.version: Any = None
        self.leaks: list[SplitLeak] = []
        self.leak_message: QMessageBox | None = None
        self.runner = TaskRunner(self)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self.update_preview)
        self._build()
        self._connect()
        self.update_preview()

    # -- building ------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        form = QFormLayout()
        names = [version.name for version in self.project.versions()]
        self.name_edit = QLineEdit(next_version_name(names))
        self.name_edit.setObjectName("versionName")
        form.addRow("Name:", self.name_edit)
        form.addRow("Split (%):", self._build_ratios())
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip("The same images, seed and ratios always give the same splits")
        form.addRow("Seed:", self.seed)
        self.keep_test = QCheckBox("Keep earlier test images in test")
        self.keep_test.setChecked(True)
        self.keep_test.setToolTip(KEEP_TEST_TIP)
        form.addRow("", self.keep_test)
        self.note_edit = QLineEdit()
        self.note_edit.setPlaceholderText("What changed since the last version (optional)")
        form.addRow("Note:", self.note_edit)
        layout.addLayout(form)
        layout.addWidget(self._build_table(), 1)
        self.reasons_label = QLabel()
        self.reasons_label.setObjectName("hint")
        self.reasons_label.setWordWrap(True)
        layout.addWidget(self.reasons_label)
        self.leaks_label = error_label("versionLeaks")
        self.leaks_label.setVisible(False)
        layout.addWidget(self.leaks_label)
        self.error = error_label("versionError")
        layout.addWidget(self.error)
        hint = QLabel(f"Only labeled images (done, reviewed) go into a version. {NOT_UNDOABLE}")
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        layout.addLayout(self._build_buttons())

    def _build_ratios(self) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        self.ratio_boxes: dict[str, QDoubleSpinBox] = {}
        for split in SPLITS:
            box = QDoubleSpinBox()
            box.setObjectName(f"ratio_{split}")
            box.setRange(0.0, 100.0)
            box.setDecimals(1)
            box.setSingleStep(5.0)
            box.setValue(DEFAULT_PERCENT[split])
            box.setPrefix(f"{split} ")
            box.setSuffix(" %")
            self.ratio_boxes[split] = box
            layout.addWidget(box)
        return row

    def _build_table(self) -> QTableWidget:
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("versionPreview")
        self.table.setHorizontalHeaderLabels([c.capitalize() for c in COLUMNS])
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setMinimumHeight(180)
        return self.table

    def _build_buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.status = QLabel()
        self.status.setObjectName("hint")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAutoDefault(False)
        self.create_button = QPushButton("Create version")
        self.create_button.setObjectName("createVersion")
        self.create_button.setDefault(True)
        self.create_button.setToolTip(NOT_UNDOABLE)
        row.addWidget(self.status, 1)
        row.addWidget(self.cancel_button)
        row.addWidget(self.create_button)
        return row

    def _connect(self) -> None:
        self.runner.finished.connect(self._show_plan)
        self.runner.failed.connect(self._preview_failed)
        for box in self.ratio_boxes.values():
            box.valueChanged.connect(self._choice_changed)
        self.seed.valueChanged.connect(self._choice_changed)
        self.keep_test.toggled.connect(self._choice_changed)
        self.name_edit.textChanged.connect(self._update_buttons)
        self.cancel_button.clicked.connect(self.reject)
        self.create_button.clicked.connect(self.create)

    # -- the preview ---------------------------------------------------------------------

    def ratios(self) -> dict[str, float]:
        return {split: box.value() / 100.0 for split, box in self.ratio_boxes.items()}

    def ratio_problem(self) -> str:
        total = sum(box.value() for box in self.ratio_boxes.values())
        if abs(total - 100.0) > 0.05:
            return f"The split adds up to {total:g} %, not 100 %."
        if self.ratio_boxes["train"].value() <= 0:
            return "Train needs a share above 0 %."
        return ""

    def request(self) -> dict[str, Any]:
        return {
            "ratios": self.ratios(),
            "seed": self.seed.value(),
            "keep_test": self.keep_test.isChecked(),
        }

    def _choice_changed(self) -> None:
        self._timer.start()
        self._update_buttons()

    def update_preview(self) -> None:
        """Preview the current choice on the worker thread (an older preview is dropped)."""
        self._timer.stop()
        problem = self.ratio_problem()
        show_error(self.error, problem)
        if problem:
            self.runner.drop()
            self.plan = None
            self._update_buttons()
            return
        self.status.setText("Counting…")
        self.runner.start(partial(_preview, self.project, self.request()))

    def _show_plan(self, preview: tuple[SplitPlan, list[SplitLeak]]) -> None:
        plan, leaks = preview
        self.plan = plan
        self.leaks = leaks
        self.leaks_label.setText(leaks_text(leaks))
        self.leaks_label.setVisible(bool(leaks))
        self.status.setText("")
        show_error(self.error, "")
        self._fill_table(plan.counts)
        reasons = [
            f"{count:,} {REASON_TITLES.get(reason, reason)}"
            for reason, count in plan.reasons.items()
            if count
        ]
        self.reasons_label.setText("Images: " + " · ".join(reasons) if reasons else "")
        self._update_buttons()

    def _preview_failed(self, message: str) -> None:
        self.plan = None
        self.status.setText("")
        self.table.setRowCount(0)
        show_error(self.error, message)
        self._update_buttons()

    def _fill_table(self, counts: Mapping[str, Any]) -> None:
        rows: list[tuple[str, Mapping[str, int]]] = [
            ("Images", counts.get("items", {})),
            ("Annotations", counts.get("annotations", {})),
        ]
        rows += [(f"  {name}", per) for name, per in counts.get("classes", {}).items()]
        self.table.setRowCount(len(rows))
        self.table.setVerticalHeaderLabels([title for title, _ in rows])
        for row, (_, per_split) in enumerate(rows):
            values = [int(per_split.get(split, 0)) for split in SPLITS]
            for column, value in enumerate([*values, sum(values)]):
                cell = QTableWidgetItem(f"{value:,}")
                cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, cell)

    def cell_value(self, row_title: str, column: str) -> int:
        """The count the table shows (for tests and scripts): row "Images", "Annotations" or
        a class name; column a split or "total"."""
        for row in range(self.table.rowCount()):
            header = self.table.verticalHeaderItem(row)
            if header is not None and header.text().strip() == row_title:
                item = self.table.item(row, COLUMNS.index(column))
                return int(item.text().replace(",", "")) if item is not None else 0
        raise KeyError(row_title)

    # -- creating ------------------------------------------------------------------------

    def _update_buttons(self) -> None:
        ready = self.plan is not None and not self.ratio_problem()
        self.create_button.setEnabled(ready and bool(self.name_edit.text().strip()))

    def create(self) -> None:
        if not self.create_button.isEnabled():
            return
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", DuplicatesAcrossSplitsWarning)
                self.version = self.project.create_version(
                    name=self.name_edit.text().strip(),
                    note=self.note_edit.text().strip(),
                    **self.request(),
                )
        except StudioError as error:
            show_error(self.error, str(error))
            return
        self.created.emit(self.version)
        for warning in caught:
            if issubclass(warning.category, DuplicatesAcrossSplitsWarning):
                self._warn_after_closing(str(warning.message))
        self.accept()

    def _warn_after_closing(self, text: str) -> None:
        """Show a warning that outlives the dialog (the version is frozen all the same)."""
        box = QMessageBox(
            QMessageBox.Icon.Warning, "Duplicates across splits", text, parent=self.parentWidget()
        )
        box.setObjectName("duplicatesAcrossSplitsMessage")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.leak_message = box

    def done(self, result: int) -> None:
        self.runner.shutdown()
        super().done(result)
