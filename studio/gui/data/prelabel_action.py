"""Pre-labels from the window: Data ▸ "Pre-label with a model…" and Data ▸ "Accept
suggestions above a threshold…".

The first asks for the model (a registered version, the newest finished run, a plugin's
pre-labeler or a bundle file), the threshold and the items (the gallery's selection, the
gallery's filter or every item), then asks for a class mapping when the model's classes are
not all the project's, and runs the API's `prelabel` (a `prelabel` worker) on the window's one
background mechanism, `TaskRunner`, shown as a job in the status bar with a Cancel button (Esc
too; the batches done keep their suggestions). The classes are checked in that task, before
the worker starts: a bundle's check unpacks its zip, which must not stall the window.

The second accepts every pending suggestion scoring at least a threshold, of one class or
all, as one undo step.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMenu,
    QPushButton,
    QWidget,
)

from studio.api import Project
from studio.core.enums import AnnotationSource, RunStatus
from studio.core.errors import OperationCancelledError, StudioError
from studio.core.prelabels import (
    DEFAULT_THRESHOLD,
    LATEST_RUN,
    ClassMappingError,
    PrelabelOptions,
)
from studio.core.queries import ItemQuery
from studio.core.wording import counted
from studio.gui.status_job import JobText, StatusJobs
from studio.gui.task_runner import Progress, TaskRunner

SETTINGS_GROUP = "prelabel"  # QSettings keys: prelabel/source, prelabel/threshold
BUNDLE = "bundle"  # the source combo's entry for a bundle file
DROP = ""  # the mapping combo's entry that drops a model class
AddAction = Callable[[str, Callable[[], object]], QAction]
JOB_TEXT = JobText(
    "Pre-labeling",
    starting="loading the model…",
    cancel_tip="Stop after the batch in progress; the batches done keep their suggestions (Esc)",
)


@dataclass(frozen=True)
class Scope:
    """The items the window offers: the gallery's selection and its filter."""

    selected: tuple[int, ...]
    query: ItemQuery | None


def source_choices(project: Project) -> list[tuple[str, str]]:
    """(title, source) of every model the project can pre-label with, newest first."""
    choices = []
    finished = [run for run in project.run_records() if run.status == RunStatus.FINISHED.value]
    if finished:
        newest = max(finished, key=lambda run: (run.finished_at or 0.0, run.id))
        choices.append((f"Newest finished run ({newest.name})", LATEST_RUN))
    for version in sorted(project.models(), key=lambda record: (record.name, -record.version)):
        aliases = f" ({', '.join(version.aliases)})" if version.aliases else ""
        choices.append((f"Model {version.ref}{aliases}", version.ref))
    for spec in project.assistants():
        if spec.kind == "pre-labeler":
            choices.append((f"Plugin pre-labeler {spec.name}", f"assistant:{spec.name}"))
    choices.append(("A bundle file (folder or zip)…", BUNDLE))
    return choices


class PrelabelDialog(QDialog):
    """The model, the threshold, the items and whether labeled items are included."""

    def __init__(self, project: Project, scope: Scope, settings: QSettings, parent: QWidget | None):
        super().__init__(parent)
        self.setWindowTitle("Pre-label with a model")
        self.settings = settings
        self.scope = scope
        self.source_combo = QComboBox()
        for title, source in source_choices(project):
            self.source_combo.addItem(title, source)
        remembered = self.source_combo.findData(settings.value(f"{SETTINGS_GROUP}/source"))
        self.source_combo.setCurrentIndex(max(remembered, 0))
        self.bundle_edit = QLineEdit(str(settings.value(f"{SETTINGS_GROUP}/bundle", "")))
        self.bundle_edit.setPlaceholderText("an exported bundle folder or .zip")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        bundle_row = QHBoxLayout()
        bundle_row.addWidget(self.bundle_edit)
        bundle_row.addWidget(browse)
        self.threshold_spin = QDoubleSpinBox()
        self.threshold_spin.setRange(0.0, 1.0)
        self.threshold_spin.setDecimals(2)
        self.threshold_spin.setSingleStep(0.05)
        self.threshold_spin.setValue(
            float(settings.value(f"{SETTINGS_GROUP}/threshold", DEFAULT_THRESHOLD))
        )
        self.threshold_spin.setToolTip("Predictions scoring less are not suggested")
        self.scope_combo = QComboBox()
        if scope.selected:
            self.scope_combo.addItem(
                f"The {counted(len(scope.selected), 'selected image')}", "selection"
            )
        if scope.query is not None:
            self.scope_combo.addItem("The items the gallery's filter shows", "filter")
        self.scope_combo.addItem("Every item", "all")
        self.include_labeled = QCheckBox("Also items that have labels")
        form = QFormLayout(self)
        form.addRow("Model", self.source_combo)
        form.addRow("Bundle", bundle_row)
        form.addRow("Threshold", self.threshold_spin)
        form.addRow("Items", self.scope_combo)
        form.addRow("", self.include_labeled)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Pre-label")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.source_combo.currentIndexChanged.connect(self._source_changed)
        self._source_changed()

    def _source_changed(self) -> None:
        self.bundle_edit.setEnabled(self.source_combo.currentData() == BUNDLE)

    def _browse(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(
            self, "Choose a bundle", self.bundle_edit.text(), "Bundles (*.zip manifest.json)"
        )
        if chosen:
            path = Path(chosen)
            self.bundle_edit.setText(str(path.parent if path.name == "manifest.json" else path))

    def options(self) -> PrelabelOptions:
        source = self.source_combo.currentData()
        if source == BUNDLE:
            source = self.bundle_edit.text().strip()
        scope = self.scope_combo.currentData()
        return PrelabelOptions(
            source=source,
            item_ids=self.scope.selected if scope == "selection" else None,
            filter=self.scope.query if scope == "filter" else None,
            threshold=round(self.threshold_spin.value(), 2),
            include_labeled=self.include_labeled.isChecked(),
        )

    def accept(self) -> None:
        self.settings.setValue(f"{SETTINGS_GROUP}/source", self.source_combo.currentData())
        self.settings.setValue(f"{SETTINGS_GROUP}/bundle", self.bundle_edit.text().strip())
        self.settings.setValue(f"{SETTINGS_GROUP}/threshold", self.threshold_spin.value())
        super().accept()


class ClassMappingDialog(QDialog):
    """For each model class the project lacks, the project class it becomes (or none)."""

    def __init__(
        self, unmapped: Sequence[str], project_classes: Sequence[str], parent: QWidget | None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Map the model's classes")
        form = QFormLayout(self)
        self.combos: dict[str, QComboBox] = {}
        for name in unmapped:
            combo = QComboBox()
            combo.addItem("(leave its predictions out)", DROP)
            for project_class in project_classes:
                combo.addItem(project_class, project_class)
            self.combos[name] = combo
            form.addRow(f"Model class {name!r} becomes", combo)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def mapping(self) -> tuple[tuple[str, str], ...]:
        return tuple((name, combo.currentData()) for name, combo in self.combos.items())


class AcceptAboveDialog(QDialog):
    """A threshold, one class or all, and the source of the suggestions to accept."""

    def __init__(self, classes: Sequence[str], parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Accept suggestions above a threshold")
        self.threshold_spin = QDoubleSpinBox()
        self.threshold_spin.setRange(0.0, 1.0)
        self.threshold_spin.setDecimals(2)
        self.threshold_spin.setSingleStep(0.05)
        self.threshold_spin.setValue(0.9)
        self.class_combo = QComboBox()
        self.class_combo.addItem("Every class", None)
        for name in classes:
            self.class_combo.addItem(name, name)
        self.source_combo = QComboBox()
        self.source_combo.addItem("Models and SAM", None)
        self.source_combo.addItem("Models", AnnotationSource.MODEL.value)
        self.source_combo.addItem("SAM", AnnotationSource.SAM.value)
        form = QFormLayout(self)
        form.addRow("Score at least", self.threshold_spin)
        form.addRow("Class", self.class_combo)
        form.addRow("Made by", self.source_combo)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Accept")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def choice(self) -> tuple[float, list[str], list[str]]:
        """(threshold, classes, sources): empty lists mean all."""
        label, source = self.class_combo.currentData(), self.source_combo.currentData()
        return (
            round(self.threshold_spin.value(), 2),
            [label] if label else [],
            [source] if source else [],
        )


@dataclass
class PrelabelTally:
    """What a run did so far, counted from its worker's events (on the task's thread)."""

    done: int = 0
    suggestions: int = 0
    skipped: int = 0

    def count(self, event: dict[str, Any]) -> None:
        if event.get("event") == "progress":
            self.done = int(event["done"])
            self.suggestions += int(event.get("suggested", 0))
        elif event.get("event") == "skipped":
            self.skipped += 1

    def describe(self) -> str:
        suggested = counted(self.suggestions, "pending suggestion")
        text = f"{suggested} on {counted(self.done, 'image')}"
        return text + (f" ({self.skipped:,} could not be read)" if self.skipped else "")


@dataclass(frozen=True)
class MappingWanted:
    """How a pre-labeling task ends when the model has classes the project lacks: the
    mapping dialog asks for them, then the same options start again with the mapping."""

    project: Project
    options: PrelabelOptions
    unmapped: tuple[str, ...]


class Prelabeling(QObject):
    """The Data menu's pre-label actions; one pre-labeling run at a time.

    `window` is the main window (its `project`, gallery selection and filter are read when an
    action starts). `job` is its progress and Cancel button among the window's status-bar
    `jobs`. `message` carries a line for the status bar, `ended(message)` follows a run that
    finished or was cancelled and an acceptance (the window re-reads the project),
    `failed(message)` a run that failed.
    """

    message = Signal(str)
    ended = Signal(str)
    failed = Signal(str)

    def __init__(self, window: Any, settings: QSettings, jobs: StatusJobs) -> None:
        super().__init__(window)
        self.window = window
        self.settings = settings
        self.dialog: QDialog | None = None
        self._tally = PrelabelTally()
        self._runner = TaskRunner(self)
        self._runner.finished.connect(self._finished)
        self._runner.cancelled.connect(self._cancelled)
        self._runner.failed.connect(self._failed)
        self.job = jobs.add(self._runner, JOB_TEXT, self.cancel)

    def add_actions(self, menu: QMenu, add_action: AddAction) -> None:
        menu.addAction(add_action("prelabel", self.ask))
        menu.addAction(add_action("accept_above", self.ask_accept))

    @property
    def running(self) -> bool:
        return self._runner.busy

    def _scope(self) -> Scope:
        model = self.window.gallery_model
        query = ItemQuery(**model.query) if model.filtered else None
        return Scope(tuple(self.window.bulk_actions.selected_ids()), query)

    def ask(self) -> None:
        """Open the pre-label dialog; its Pre-label button checks the classes and starts."""
        project = self.window.project
        if project is None:
            self.message.emit("Open a project first")
            return
        if self.running:
            self.message.emit("Pre-labeling is running; Esc or Cancel stops it")
            return
        dialog = PrelabelDialog(project, self._scope(), self.settings, self.window)
        dialog.accepted.connect(lambda: self.start(project, dialog.options()))
        self.dialog = dialog
        dialog.open()

    def start(self, project: Project, options: PrelabelOptions) -> None:
        """Pre-label in the background. The API checks the classes first, in the task (a
        zipped bundle is unpacked there): when the model's are not all the project's, the
        task ends with `MappingWanted` and the mapping dialog asks (its OK starts again with
        the mapping)."""
        tally = self._tally = PrelabelTally()

        def work(progress: Progress, cancel: threading.Event) -> PrelabelTally | MappingWanted:
            def on_event(event: dict[str, Any]) -> None:
                tally.count(event)
                if event.get("event") == "progress":
                    progress(int(event["done"]), int(event["total"]))
                elif event.get("event") == "prelabel":  # the worker has the model: 0 / items
                    progress(0, int(event["items"]))

            try:
                outcome = project.prelabel(options, on_event, cancel)
            except ClassMappingError as error:
                if not error.unmapped:
                    raise
                return MappingWanted(project, options, error.unmapped)
            if outcome.cancelled:
                raise OperationCancelledError("pre-labeling cancelled")
            return tally

        self._runner.start(work)
        self.message.emit("Pre-labeling (Esc stops after the batch in progress)…")

    def _ask_mapping(self, wanted: MappingWanted) -> None:
        project, options = wanted.project, wanted.options
        classes = [record.name for record in project.classes(include_archived=False)]
        dialog = ClassMappingDialog(wanted.unmapped, classes, self.window)
        mapped = options.class_mapping
        dialog.accepted.connect(
            lambda: self.start(project, replace(options, class_mapping=mapped + dialog.mapping()))
        )
        dialog.rejected.connect(lambda: self.message.emit("Pre-labeling not started"))
        self.dialog = dialog
        dialog.open()
        self.message.emit("Pre-labeling waits: map the model's classes to the project's")

    def ask_accept(self) -> None:
        """Accept the pending suggestions scoring at least a threshold, as one undo step."""
        project = self.window.project
        if project is None:
            self.message.emit("Open a project first")
            return
        classes = [record.name for record in project.classes(include_archived=False)]
        dialog = AcceptAboveDialog(classes, self.window)
        dialog.accepted.connect(lambda: self.accept_above(project, *dialog.choice()))
        self.dialog = dialog
        dialog.open()

    def accept_above(
        self, project: Project, threshold: float, classes: list[str], sources: list[str]
    ) -> None:
        try:
            ids = project.accept_suggestions_above(threshold, classes, sources)
        except StudioError as error:
            self.failed.emit(str(error))
            return
        if ids:
            self.ended.emit(
                f"Accepted {counted(len(ids), 'suggestion')} scoring ≥ {threshold} (Ctrl+Z)"
            )
        else:
            self.message.emit(f"No pending suggestion scores at least {threshold}")

    def cancel(self) -> None:
        if self.running:
            self._runner.cancel()
            self.message.emit("Pre-labeling: stopping after the batch in progress…")

    def stop(self) -> None:
        """Cancel without waiting (the project or the window closes)."""
        self._runner.drop()

    def _finished(self, result: PrelabelTally | MappingWanted) -> None:
        if isinstance(result, MappingWanted):
            self._ask_mapping(result)
            return
        self.ended.emit(f"Pre-labels: {result.describe()}; Y accepts, Ctrl+Delete rejects")

    def _cancelled(self) -> None:
        self.ended.emit(f"Pre-labeling cancelled: {self._tally.describe()} kept")

    def _failed(self, message: str) -> None:
        self.failed.emit(message)
