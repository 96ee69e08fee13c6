"""Find label errors: K-fold out-of-fold probabilities judged by cleanlab, in a worker.

    python -m studio.jobs.worker label-issues PROJECT [--folds K] [--image-size N] [--seed S]

Reads the items labelled with exactly one class tag, scales each image down
(`studio.ml.label_quality`), trains the quick model K times, and stores the labels cleanlab
doubts as one search in `label_issue` (`studio.core.label_issues`). Findings change no label.
Events: {"event": "progress", "stage": "images"|"folds", "done", "total"}, {"event": "skipped",
"item_id", "error"} for an image that cannot be read (left out of the search), then
{"event": "finished", "status", "summary": {"items", "issues", "search_id"}}. A signal stops
between images or folds and stores nothing.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studio.core import media
from studio.core.errors import OperationCancelledError, StudioError
from studio.core.label_issues import Finding, single_tagged_items, store_findings
from studio.core.project_file import open_project_file
from studio.jobs import events
from studio.jobs.launcher import WORKER_MODULE
from studio.jobs.run_context import Emit
from studio.jobs.sam_encode_job import read_rgb
from studio.ml.label_quality import (
    LabelQualityOptions,
    check_labels,
    image_features,
    judge_labels,
    out_of_fold_probabilities,
)

LABEL_ISSUES_ACTION = "label-issues"


@dataclass(frozen=True)
class LabelIssuesSummary:
    items: int
    issues: int
    search_id: int | None
    cancelled: bool = False

    def as_dict(self) -> dict[str, int | None]:
        return {"items": self.items, "issues": self.issues, "search_id": self.search_id}


def label_issues_command(project_path: Path, options: LabelQualityOptions) -> list[str]:
    """The full argv of a `label-issues` worker."""
    return [
        sys.executable,
        "-m",
        WORKER_MODULE,
        LABEL_ISSUES_ACTION,
        str(Path(project_path)),
        "--folds",
        str(options.folds),
        "--image-size",
        str(options.image_size),
        "--seed",
        str(options.seed),
    ]


def find_label_issues(
    project_path: Path,
    options: LabelQualityOptions,
    *,
    emit: Emit = events.emit,
    cancel: threading.Event | None = None,
) -> LabelIssuesSummary:
    """The worker's `label-issues`: one search over the project's tagged items, stored."""
    project_path = Path(project_path).resolve()
    database = open_project_file(project_path)
    try:
        with database.read() as connection:
            tagged = single_tagged_items(connection)
        class_ids = [item.class_id for item in tagged]
        check_labels(class_ids, options, str(project_path))
        rows, readable = [], []
        for done, item in enumerate(tagged, start=1):
            if cancel is not None and cancel.is_set():
                return LabelIssuesSummary(done - 1, 0, None, cancelled=True)
            try:
                pixels = read_rgb(media.resolve(project_path.parent, item.path))
            except StudioError as error:
                emit({"event": "skipped", "item_id": item.item_id, "error": str(error)})
                continue
            rows.append(image_features(pixels, options.image_size))
            readable.append(item)
            if done % 100 == 0 or done == len(tagged):
                emit({"event": "progress", "stage": "images", "done": done, "total": len(tagged)})
        tagged = readable
        class_ids = [item.class_id for item in tagged]
        check_labels(class_ids, options, str(project_path))
        present, labels = np.unique(class_ids, return_inverse=True)

        def on_fold(done: int, total: int) -> None:
            emit({"event": "progress", "stage": "folds", "done": done, "total": total})

        try:
            probabilities = out_of_fold_probabilities(
                np.stack(rows), labels, options, on_fold, cancel
            )
        except OperationCancelledError:
            return LabelIssuesSummary(len(tagged), 0, None, cancelled=True)
        findings = [
            Finding(
                tagged[judged.index].item_id,
                tagged[judged.index].annotation_id,
                tagged[judged.index].class_id,
                int(present[judged.suggested]),
                judged.score,
            )
            for judged in judge_labels(labels, probabilities)
        ]
        search_id = store_findings(database, findings, options.describe(), time.time())
    finally:
        database.close()
    return LabelIssuesSummary(len(tagged), len(findings), search_id)
