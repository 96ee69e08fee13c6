"""The label-error finder: a `label-issues` worker's search, its review list, the decisions.

    project.find_label_issues(folds=5)          # K-fold quick model + cleanlab, in a worker
    for issue in project.label_issues():        # lowest label quality first; tags and boxes
        print(issue.path, issue.describe(), issue.given_label, "→", issue.suggested_label)
    project.fix_label_issue(item_id)            # the suggested class, one undo step
    project.keep_label(item_id, annotation_id)  # a box: not raised again while its class stays

The search runs in a worker (`studio.jobs.label_issues_job`) so the window stays responsive
and can cancel it; its findings are stored, so the list is there without searching again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from studio.api.context import ProjectContext
from studio.api.events import ProjectEvents
from studio.core.edits import user_edit
from studio.core.errors import ReadOnlyProjectError, StudioError
from studio.core.label_issues import (
    Decision,
    LabelIssueRecord,
    decide,
    labelled_boxes,
    open_issues,
    single_tagged_items,
)
from studio.core.wording import item_name
from studio.jobs.label_issues_job import label_issues_command
from studio.jobs.launcher import JobOutcome, WorkerJob
from studio.ml.label_quality import LabelQualityOptions, plan_search

EventCallback = Callable[[dict[str, Any]], None]


class LabelIssuesService:
    """Search, list, fix and keep; `Project` delegates to it."""

    def __init__(self, context: ProjectContext, events: ProjectEvents) -> None:
        self._context = context
        self._events = events

    def find_label_issues(
        self,
        options: LabelQualityOptions | None = None,
        on_event: EventCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> list[LabelIssueRecord]:
        """Search the items labelled with one class tag and the boxes for label errors in a
        worker and return the new review list. Ctrl-C (an exception in `on_event`) or setting
        `cancel` stops the worker, which then stores nothing (OperationCancelledError is not
        raised: the list returned is the previous one)."""
        if self._context.read_only:
            raise ReadOnlyProjectError(
                f"{self._context.path}: {self._context.database.read_only_reason}; "
                "the label-error search stores its findings in the project"
            )
        options = options or LabelQualityOptions()
        with self._context.database.read() as connection:
            tag_classes = [item.class_id for item in single_tagged_items(connection)]
            box_classes = [box.class_id for box in labelled_boxes(connection)]
        # Refused here in one line, before a worker starts.
        plan_search(tag_classes, box_classes, options, str(self._context.path))
        command = label_issues_command(self._context.path, options)
        job = WorkerJob.start(self._context.path, command)
        if cancel is not None:
            job.cancel_when_set(cancel)
        outcome: JobOutcome = job.follow(on_event)
        cancelled = cancel is not None and cancel.is_set()
        if outcome.code not in (0, 3) and not cancelled:
            raise StudioError(outcome.detail())
        return self.label_issues()

    def label_issues(self) -> list[LabelIssueRecord]:
        """The latest search's open findings, lowest label quality first (see
        `studio.core.label_issues.open_issues` for which drop out)."""
        with self._context.database.read() as connection:
            return open_issues(connection)

    def fix_label_issue(self, item_id: int, annotation_id: int | None = None) -> LabelIssueRecord:
        """Give the doubted tag or box of the item the suggested class, one undoable edit with
        the decision. `annotation_id` names the box when the item has several open issues."""
        return self._decide(item_id, "fixed", annotation_id)

    def keep_label(self, item_id: int, annotation_id: int | None = None) -> LabelIssueRecord:
        """Keep the class of the item's doubted tag or box: it is not raised again while it
        keeps that class. `annotation_id` as for `fix_label_issue`."""
        return self._decide(item_id, "kept", annotation_id)

    def _decide(
        self, item_id: int, decision: Decision, annotation_id: int | None
    ) -> LabelIssueRecord:
        context = self._context
        verb = "Fix" if decision == "fixed" else "Keep"
        with user_edit(context.database, "", context.author) as edit:
            what = "the box" if annotation_id is not None else "the label"
            edit.changes.description = f"{verb} {what} of {item_name(edit.connection, item_id)}"
            issue = decide(edit, item_id, decision, context.author, annotation_id)
        description = edit.changes.description
        if decision == "fixed":
            self._events.annotations_committed([item_id], description)
        return issue
