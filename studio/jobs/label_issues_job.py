"""Find label errors: K-fold out-of-fold probabilities judged by cleanlab, in a worker.

    python -m studio.jobs.worker label-issues PROJECT [--folds K] [--image-size N] [--seed S]

Reads the items labelled with exactly one class tag and every human or accepted box, scales
each tagged image and each box's crop down (`studio.ml.label_quality`), trains the quick model
K times per kind (tags, boxes), and stores the labels cleanlab doubts, with the quality of
every judged item, as one search in `label_issue` and `label_quality`
(`studio.core.label_issues`). Findings change no label.
Events: {"event": "note", "message"} for a kind of label present but not judged (why, in one
line), {"event": "progress", "stage": "images"|"folds", "done", "total"} (the folds of both
kinds count together), {"event": "skipped", "item_id", "error"} for an image that cannot be
read (left out of the search), then {"event": "finished", "status", "summary": {"items",
"issues", "search_id"}}. A signal stops between images or folds and stores nothing.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studio.core import media
from studio.core.errors import OperationCancelledError, StudioError
from studio.core.label_issues import (
    Finding,
    IssueKind,
    ItemQuality,
    LabelledBox,
    TaggedItem,
    labelled_boxes,
    single_tagged_items,
    store_findings,
)
from studio.core.project_file import open_project_file
from studio.jobs import events
from studio.jobs.launcher import WORKER_MODULE
from studio.jobs.run_context import Emit
from studio.jobs.sam_encode_job import read_rgb
from studio.ml.label_quality import (
    FoldCallback,
    JudgedBox,
    JudgedLabel,
    LabelQualityOptions,
    SearchPlan,
    box_crop,
    image_features,
    judge_boxes,
    judge_labels,
    out_of_fold_probabilities,
    plan_search,
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


@dataclass(frozen=True)
class Judged:
    """What judging one kind of label gave: its findings and every judged item's quality."""

    findings: list[Finding]
    qualities: list[ItemQuality]


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
    """The worker's `label-issues`: one search over the project's tags and boxes, stored."""
    project_path = Path(project_path).resolve()
    source = str(project_path)
    database = open_project_file(project_path)
    try:
        with database.read() as connection:
            tagged = single_tagged_items(connection)
            boxes = labelled_boxes(connection)
        plan = _plan(tagged, boxes, options, source)
        for message in plan.left_out:
            emit({"event": "note", "message": message})
        tagged, boxes = (tagged if plan.tags else []), (boxes if plan.boxes else [])
        paths = {item.item_id: item.path for item in [*tagged, *boxes]}
        boxes_of: dict[int, list[LabelledBox]] = {}
        for box in boxes:
            boxes_of.setdefault(box.item_id, []).append(box)
        tag_rows, box_rows = {}, {}
        for done, (item_id, path) in enumerate(sorted(paths.items()), start=1):
            if cancel is not None and cancel.is_set():
                return LabelIssuesSummary(done - 1, 0, None, cancelled=True)
            try:
                pixels = read_rgb(media.resolve(project_path.parent, path))
            except StudioError as error:
                emit({"event": "skipped", "item_id": item_id, "error": str(error)})
                continue
            tag_rows[item_id] = image_features(pixels, options.image_size)
            for box in boxes_of.get(item_id, []):
                crop = np.ascontiguousarray(box_crop(pixels, box.box))
                box_rows[box.annotation_id] = image_features(crop, options.image_size)
            if done % 100 == 0 or done == len(paths):
                emit({"event": "progress", "stage": "images", "done": done, "total": len(paths)})
        tagged = [item for item in tagged if item.item_id in tag_rows]
        boxes = [box for box in boxes if box.annotation_id in box_rows]
        plan = _plan(tagged, boxes, options, source)
        total = options.folds * (plan.tags + plan.boxes)

        def progress(before: int) -> FoldCallback:
            return lambda done, _folds: emit(
                {"event": "progress", "stage": "folds", "done": before + done, "total": total}
            )

        try:
            parts = []
            if plan.tags:
                rows = np.stack([tag_rows[item.item_id] for item in tagged])
                parts.append(_judge_tags(tagged, rows, options, progress(0), cancel))
            if plan.boxes:
                rows = np.stack([box_rows[box.annotation_id] for box in boxes])
                before = options.folds if plan.tags else 0
                parts.append(_judge_boxes(boxes, rows, options, progress(before), cancel))
        except OperationCancelledError:
            return LabelIssuesSummary(len(paths), 0, None, cancelled=True)
        findings = sorted(
            (finding for part in parts for finding in part.findings), key=lambda f: f.score
        )
        judged = [quality for part in parts for quality in part.qualities]
        search_id = store_findings(database, findings, options.describe(), time.time(), judged)
    finally:
        database.close()
    return LabelIssuesSummary(len({q.item_id for q in judged}), len(findings), search_id)


def _plan(
    tagged: Sequence[TaggedItem],
    boxes: Sequence[LabelledBox],
    options: LabelQualityOptions,
    source: str,
) -> SearchPlan:
    tag_classes = [item.class_id for item in tagged]
    return plan_search(tag_classes, [box.class_id for box in boxes], options, source)


def _findings(
    labels: Sequence[TaggedItem | LabelledBox],
    doubted: Sequence[JudgedLabel] | Sequence[JudgedBox],
    present: np.ndarray,
    kind: IssueKind,
) -> list[Finding]:
    """The doubted labels as findings: `present` maps the model's class positions back to
    class ids."""
    return [
        Finding(
            labels[judged.index].item_id,
            labels[judged.index].annotation_id,
            labels[judged.index].class_id,
            int(present[judged.suggested]),
            judged.score,
            kind,
        )
        for judged in doubted
    ]


def _judge_tags(
    tagged: Sequence[TaggedItem],
    rows: np.ndarray,
    options: LabelQualityOptions,
    on_fold: FoldCallback,
    cancel: threading.Event | None,
) -> Judged:
    present, labels = np.unique([item.class_id for item in tagged], return_inverse=True)
    probabilities = out_of_fold_probabilities(rows, labels, options, on_fold, cancel)
    judgement = judge_labels(labels, probabilities)
    findings = _findings(tagged, judgement.doubted, present, "tag")
    qualities = [
        ItemQuality(item.item_id, "tag", float(score))
        for item, score in zip(tagged, judgement.scores, strict=True)
    ]
    return Judged(findings, qualities)


def _judge_boxes(
    boxes: Sequence[LabelledBox],
    rows: np.ndarray,
    options: LabelQualityOptions,
    on_fold: FoldCallback,
    cancel: threading.Event | None,
) -> Judged:
    """Each box's class judged from its crop; each image's quality from cleanlab's
    object-detection score of all its boxes."""
    present, labels = np.unique([box.class_id for box in boxes], return_inverse=True)
    probabilities = out_of_fold_probabilities(rows, labels, options, on_fold, cancel)
    item_ids, image_of_box = np.unique([box.item_id for box in boxes], return_inverse=True)
    corners = np.array([(x, y, x + w, y + h) for x, y, w, h in (box.box for box in boxes)])
    judgement = judge_boxes(image_of_box, corners, labels, probabilities)
    findings = _findings(boxes, judgement.doubted, present, "box")
    qualities = [
        ItemQuality(int(item_id), "box", float(score))
        for item_id, score in zip(item_ids, judgement.image_scores, strict=True)
    ]
    return Judged(findings, qualities)
