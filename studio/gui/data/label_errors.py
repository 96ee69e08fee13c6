"""Data ▸ Find label errors…: the label-error search in the background, then its review list.

The search is the API's `find_label_issues` (a `label-issues` worker) on the window's one
background mechanism, `TaskRunner`, shown as a status-bar job (`StatusJob`: the folds done and
a Cancel button) in the review window. The review window lists the open issues, tags and
boxes (lowest label quality first); choosing one opens its image in the canvas, selects the
doubted box, and says which class the finder suggests. Ctrl+Alt+F takes the suggestion,
Ctrl+Alt+K keeps the label; each is one undo step (Ctrl+Z in the main window)
and moves to the next entry. The list is read again whenever the review window is activated,
so an undo shows up there. Esc or Ctrl+W closes it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from studio.api import Project
from studio.core.errors import OperationCancelledError, StudioError
from studio.core.label_issues import LabelIssueRecord
from studio.core.wording import counted
from studio.gui.status_job import JobText, StatusJob
from studio.gui.task_runner import Progress, TaskRunner
from studio.gui.tool_window import TOOL_WINDOW, add_close_keys

AddAction = Callable[[str, Callable[[], object]], QAction]
COLUMNS = ("Item", "Which", "Label", "Suggested", "Quality")
ModelIndex = QModelIndex | QPersistentModelIndex
JOB_TEXT = JobText(
    "Label-error search",
    starting="reading images…",
    counts="folds",
    cancel_tip="Stop the search; the list stays as it was",
)


@dataclass(frozen=True)
class SearchOutcome:
    """A finished search: the new list, and the one-line notes on kinds of label left out."""

    issues: list[LabelIssueRecord]
    notes: list[str]


class LabelingWindow(Protocol):
    """What the review needs of the main window."""

    project: Project | None

    def open_item(self, item_id: int) -> None: ...

    def select_annotations(self, annotation_ids: list[int]) -> None: ...

    def refresh(self) -> None: ...

    def statusBar(self) -> Any: ...  # noqa: N802


class LabelIssuesModel(QAbstractTableModel):
    """The open label issues as rows: item, which label (tag or box), given label, suggested
    label, quality."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.issues: list[LabelIssueRecord] = []

    def set_issues(self, issues: list[LabelIssueRecord]) -> None:
        self.beginResetModel()
        self.issues = list(issues)
        self.endResetModel()

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.issues)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        issue = self.issues[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            values = (
                issue.path,
                issue.describe(),
                issue.given_label,
                issue.suggested_label,
                f"{issue.score:.3f}",
            )
            return values[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{issue.path}: found by {issue.method}"
        return None


class LabelErrorsWindow(QWidget):
    """The review list, the chosen issue's fix, the buttons, and the search's progress."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, TOOL_WINDOW)
        self.setWindowTitle("Label errors")
        self.model = LabelIssuesModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.summary = QLabel("No search yet")
        self.summary.setWordWrap(True)
        self.fix_button = QPushButton("Fix")
        self.keep_button = QPushButton("Keep")
        self.search_button = QPushButton("Search again")
        self.buttons = QHBoxLayout()  # the search's status-bar job joins it at the end
        for widget in (self.fix_button, self.keep_button, self.search_button):
            self.buttons.addWidget(widget)
        self.buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(self.summary)
        layout.addLayout(self.buttons)
        self.resize(640, 480)
        add_close_keys(self)
        self.activated: Callable[[], None] | None = None

    def current(self) -> LabelIssueRecord | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.issues[rows[0].row()] if rows else None

    def show_issues(self, issues: list[LabelIssueRecord], row: int = 0) -> None:
        """Show the list and select the entry at `row` (the last one when it is past the end)."""
        self.model.set_issues(issues)
        if issues:
            self.table.selectRow(min(row, len(issues) - 1))
        else:
            self.summary.setText("No open label issues")

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.WindowActivate and self.activated is not None:
            self.activated()
        return super().event(event)


class LabelErrors(QObject):
    """Runs the search, fills the review window and applies the decisions through the API."""

    def __init__(self, window: LabelingWindow, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.window = window
        self.review = LabelErrorsWindow(window if isinstance(window, QWidget) else None)
        self.review.activated = self.reload
        self.review.table.selectionModel().selectionChanged.connect(self._open_current)
        self.review.fix_button.clicked.connect(self.fix)
        self.review.keep_button.clicked.connect(self.keep)
        self.review.search_button.clicked.connect(self.search)
        self._opened: LabelIssueRecord | None = None
        self._runner = TaskRunner(self)
        self.job = StatusJob(self._runner, JOB_TEXT)
        self.review.buttons.addWidget(self.job)
        self._runner.finished.connect(self._finished)
        self._runner.cancelled.connect(lambda: self._ended("Label-error search cancelled"))
        self._runner.failed.connect(lambda message: self._ended(f"Search failed: {message}"))

    def build_menu(self, menu: QMenu, add_action: AddAction) -> None:
        """Data ▸ Find label errors…, Fix, Keep (keyed from the registry; Fix and Keep work
        in the review window too)."""
        menu.addAction(add_action("find_label_errors", self.search))
        decisions = (
            ("fix_label_error", self.fix, self.review.fix_button),
            ("keep_label", self.keep, self.review.keep_button),
        )
        for key, slot, button in decisions:
            action = add_action(key, slot)
            self.review.addAction(action)
            menu.addAction(action)
            button.setToolTip(action.toolTip())

    @property
    def running(self) -> bool:
        return self._runner.busy

    def search(self) -> None:
        """Show the review window with the stored list and search again in the background."""
        project = self.window.project
        if project is None:
            self._message("Open a project first")
            return
        self.review.show()
        self.review.raise_()
        self.reload()
        if self.running:
            return

        def work(progress: Progress, cancel: threading.Event) -> SearchOutcome:
            notes: list[str] = []

            def on_event(event: dict[str, Any]) -> None:
                if event.get("event") == "progress" and event.get("stage") == "folds":
                    progress(int(event["done"]), int(event["total"]))
                elif event.get("event") == "note":
                    notes.append(str(event["message"]))

            issues = project.find_label_issues(None, on_event, cancel)
            if cancel.is_set():
                raise OperationCancelledError("label-error search cancelled")
            return SearchOutcome(issues, notes)

        self._runner.start(work)
        self.review.search_button.setEnabled(False)
        self._message("Finding label errors…")

    def cancel(self) -> None:
        self._runner.cancel()

    def stop(self) -> None:
        """Cancel without waiting (the project or the window closes)."""
        self._runner.drop()
        self.review.hide()

    def reload(self) -> None:
        """Read the open issues again, keeping the selected row's position."""
        project = self.window.project
        if project is None:
            self.review.show_issues([])
            return
        rows = self.review.table.selectionModel().selectedRows()
        self.review.show_issues(project.label_issues(), rows[0].row() if rows else 0)

    def fix(self) -> None:
        self._decide(
            lambda project, issue: project.fix_label_issue(issue.item_id, issue.annotation_id),
            "fixed",
        )

    def keep(self) -> None:
        self._decide(
            lambda project, issue: project.keep_label(issue.item_id, issue.annotation_id), "kept"
        )

    def _decide(
        self, apply: Callable[[Project, LabelIssueRecord], LabelIssueRecord], verb: str
    ) -> None:
        project, issue = self.window.project, self.review.current()
        if project is None or issue is None:
            self._message("Choose a label issue in the Label errors window first")
            return
        row = self.review.model.issues.index(issue)
        try:
            apply(project, issue)
        except StudioError as error:
            self._message(str(error))
            return
        self.window.refresh()
        self.review.show_issues(project.label_issues(), row)
        self._message(f"{issue.path} ({issue.describe()}): {verb} (Ctrl+Z undoes it)")

    def _open_current(self) -> None:
        """Open the chosen entry's image (and box) in the main window, unless it is open
        already: the list is read again whenever the review window is activated, and opening
        the image activates the main window, which would take the focus back at once."""
        issue = self.review.current()
        if issue is None or issue == self._opened:
            return
        self._opened = issue
        self.window.open_item(issue.item_id)
        if issue.kind == "box" and issue.annotation_id is not None:
            self.window.select_annotations([issue.annotation_id])
        self.review.summary.setText(
            f"{issue.path}, {issue.describe()}: labelled {issue.given_label}; the finder suggests "
            f"{issue.suggested_label} (label quality {issue.score:.3f}). "
            "Ctrl+Alt+F fixes, Ctrl+Alt+K keeps."
        )

    def _finished(self, outcome: SearchOutcome) -> None:
        found = f"Label-error search: {counted(len(outcome.issues), 'suspected label error')}"
        self._ended(" · ".join([found, *outcome.notes]))
        self.review.show_issues(outcome.issues)

    def _ended(self, message: str) -> None:
        self.review.search_button.setEnabled(True)
        self._message(message)

    def _message(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 8000)
