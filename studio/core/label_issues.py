"""Label issues: what the label-error finder raised, and what people decided (`label_issue`).

A search (the `label-issues` job) stores one finding per doubted label, a tag or a box
(`kind`): the annotation it concerns, the class it had then, the class the out-of-fold model
preferred and the label's quality; and, in `label_quality`, the quality it gave every item it
judged (the map is coloured by it). The review list is the latest search's undecided findings
whose annotation still has the class the finding doubted, lowest quality first, less the
labels a person kept with that class (a tag: the item; a box: that box). Fixing applies the
suggested class and keeping records the decision, each one user edit (one undo step) that
also records the decision (ADR 0037, ADR 0040 for boxes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Connection, and_, case, func, insert, select
from sqlalchemy.orm import aliased

from studio.core.annotations import FINAL_REVIEWS, review_in, update_annotation
from studio.core.database import Database
from studio.core.edits import Edit
from studio.core.enums import AnnotationKind
from studio.core.errors import InvalidEditError
from studio.core.schema import annotation_table as annotations
from studio.core.schema import item_table as items
from studio.core.schema import label_class_table as classes
from studio.core.schema import label_issue_table as issues
from studio.core.schema import label_quality_table as qualities

Decision = Literal["fixed", "kept"]
DECISIONS: tuple[Decision, ...] = ("fixed", "kept")
IssueKind = Literal["tag", "box"]
QUERY_CHUNK = 500  # ids per query: well under SQLite's limit of bound parameters


@dataclass(frozen=True)
class TaggedItem:
    """An item labelled with exactly one class tag: what the finder learns from and judges."""

    item_id: int
    annotation_id: int
    class_id: int
    path: str


@dataclass(frozen=True)
class LabelledBox:
    """A human or accepted box: what the finder crops, learns from and judges."""

    item_id: int
    annotation_id: int
    class_id: int
    path: str
    box: tuple[float, float, float, float]  # x, y, width, height


@dataclass(frozen=True)
class Finding:
    """One label the search doubts (before it is stored)."""

    item_id: int
    annotation_id: int
    given_class_id: int
    suggested_class_id: int
    score: float
    kind: IssueKind = "tag"


@dataclass(frozen=True)
class ItemQuality:
    """The quality a search gave one item's labels of one kind (0 worst, 1 best)."""

    item_id: int
    kind: IssueKind
    score: float


@dataclass(frozen=True)
class LabelIssueRecord:
    """A stored finding as the review list shows it."""

    id: int
    item_id: int
    path: str
    annotation_id: int | None
    given_label: str
    suggested_label: str
    score: float
    search_id: int
    method: str
    found_at: float
    decision: str | None
    kind: str = "tag"
    box: tuple[float, ...] | None = None  # a box finding's [x, y, width, height]

    def describe(self) -> str:
        """Which label: "tag", or "box 12 at (x, y) w×h"."""
        if self.kind != "box" or self.box is None:
            return "tag"
        x, y, width, height = self.box
        return f"box {self.annotation_id} at ({x:.0f}, {y:.0f}) {width:.0f}×{height:.0f}"

    def as_dict(self) -> dict[str, object]:
        return {
            "item_id": self.item_id,
            "path": self.path,
            "kind": self.kind,
            "annotation_id": self.annotation_id,
            "box": list(self.box) if self.box is not None else None,
            "given_label": self.given_label,
            "suggested_label": self.suggested_label,
            "score": round(self.score, 6),
            "search_id": self.search_id,
        }


def single_tagged_items(connection: Connection) -> list[TaggedItem]:
    """The items whose final labels are exactly one tag (human or accepted), in id order."""
    tags = (
        select(
            annotations.c.item_id,
            func.min(annotations.c.id).label("annotation_id"),
            func.min(annotations.c.class_id).label("class_id"),
        )
        .where(annotations.c.kind == AnnotationKind.TAG.value, review_in(FINAL_REVIEWS))
        .group_by(annotations.c.item_id)
        .having(func.count() == 1)
        .subquery()
    )
    query = (
        select(tags.c.item_id, tags.c.annotation_id, tags.c.class_id, items.c.path)
        .join(items, items.c.id == tags.c.item_id)
        .order_by(tags.c.item_id)
    )
    return [TaggedItem(*row) for row in connection.execute(query)]


def labelled_boxes(connection: Connection) -> list[LabelledBox]:
    """Every human or accepted box, by item then annotation id."""
    query = (
        select(
            annotations.c.item_id,
            annotations.c.id,
            annotations.c.class_id,
            items.c.path,
            annotations.c.geometry,
        )
        .join(items, items.c.id == annotations.c.item_id)
        .where(annotations.c.kind == AnnotationKind.BOX.value, review_in(FINAL_REVIEWS))
        .order_by(annotations.c.item_id, annotations.c.id)
    )
    return [
        LabelledBox(item_id, annotation_id, class_id, path, tuple(float(v) for v in geometry))
        for item_id, annotation_id, class_id, path, geometry in connection.execute(query)
    ]


def store_findings(
    database: Database,
    findings: Sequence[Finding],
    method: str,
    now: float,
    judged: Sequence[ItemQuality] = (),
) -> int:
    """Store one search's findings and the quality of every item it `judged`, in one
    transaction; returns the search's id.

    Findings are not user edits (nothing to undo: they change no label); earlier searches'
    rows stay, so decisions and the history that refers to them are never lost.
    """
    with database.write() as connection:
        search_id = (latest_search(connection) or 0) + 1
        rows = [
            {
                "item_id": finding.item_id,
                "annotation_id": finding.annotation_id,
                "given_class_id": finding.given_class_id,
                "suggested_class_id": finding.suggested_class_id,
                "score": float(finding.score),
                "search_id": search_id,
                "method": method,
                "found_at": now,
                "kind": finding.kind,
            }
            for finding in findings
        ]
        if rows:
            connection.execute(insert(issues), rows)
        scores = [
            {"search_id": search_id, "item_id": q.item_id, "kind": q.kind, "score": float(q.score)}
            for q in judged
        ]
        if scores:
            connection.execute(insert(qualities), scores)
    return search_id


def latest_search(connection: Connection) -> int | None:
    """The id of the latest search (a search that doubted nothing has qualities only)."""
    found = [
        connection.execute(select(func.max(table.c.search_id))).scalar()
        for table in (issues, qualities)
    ]
    return max((search_id for search_id in found if search_id is not None), default=None)


def open_issues(connection: Connection) -> list[LabelIssueRecord]:
    """The review list: the latest search's undecided findings, lowest label quality first.

    A finding drops out once its annotation no longer has the class it doubted (someone
    relabelled it), and while a person has kept that label with that class: a tag finding
    by item, a box finding by its box.
    """
    search_id = latest_search(connection)
    if search_id is None:
        return []
    given = aliased(classes)
    suggested = aliased(classes)
    kept = aliased(issues)
    kept_before = (
        select(kept.c.id)
        .where(
            kept.c.kind == issues.c.kind,
            case(
                (issues.c.kind == "box", kept.c.annotation_id == issues.c.annotation_id),
                else_=kept.c.item_id == issues.c.item_id,
            ),
            kept.c.given_class_id == issues.c.given_class_id,
            kept.c.decision == "kept",
        )
        .exists()
    )
    query = (
        select(
            issues.c.id,
            issues.c.item_id,
            items.c.path,
            issues.c.annotation_id,
            given.c.name,
            suggested.c.name,
            issues.c.score,
            issues.c.search_id,
            issues.c.method,
            issues.c.found_at,
            issues.c.decision,
            issues.c.kind,
            annotations.c.geometry,
        )
        .join(items, items.c.id == issues.c.item_id)
        .join(given, given.c.id == issues.c.given_class_id)
        .join(suggested, suggested.c.id == issues.c.suggested_class_id)
        .join(
            annotations,
            and_(
                annotations.c.id == issues.c.annotation_id,
                annotations.c.class_id == issues.c.given_class_id,
                review_in(FINAL_REVIEWS),
            ),
        )
        .where(issues.c.search_id == search_id, issues.c.decision.is_(None), ~kept_before)
        .order_by(issues.c.score, issues.c.id)
    )
    return [
        LabelIssueRecord(*row[:-1], box=tuple(row[-1]) if row.kind == "box" else None)
        for row in connection.execute(query)
    ]


def decide(
    edit: Edit, item_id: int, decision: Decision, author: str, annotation_id: int | None = None
) -> LabelIssueRecord:
    """Fix (apply the suggested class to the tag or box) or keep the open finding on
    `item_id` (on its annotation `annotation_id`, needed when the item has several open
    findings), in the caller's edit, so one undo takes back both the label and the decision."""
    if decision not in DECISIONS:
        raise InvalidEditError(f"a decision is 'fixed' or 'kept', not {decision!r}")
    found = [issue for issue in open_issues(edit.connection) if issue.item_id == item_id]
    if annotation_id is not None:
        found = [issue for issue in found if issue.annotation_id == annotation_id]
    if not found:
        which = f"item {item_id}" + (f" annotation {annotation_id}" if annotation_id else "")
        raise InvalidEditError(f"{which} has no open label issue")
    if len(found) > 1:
        ids = ", ".join(str(issue.annotation_id) for issue in found)
        raise InvalidEditError(
            f"item {item_id} has {len(found)} open label issues (annotations {ids}); "
            "say which annotation"
        )
    (issue,) = found
    if decision == "fixed" and issue.annotation_id is not None:
        update_annotation(edit, issue.annotation_id, label=issue.suggested_label)
    values = {"decision": decision, "decided_at": edit.now, "decided_by": author}
    edit.update(issues, issue.id, values)
    return issue


def latest_qualities(connection: Connection, item_ids: Sequence[int]) -> dict[int, float]:
    """Item id → the lowest quality the latest search gave its labels (its tag, its boxes);
    items it did not judge are left out."""
    search_id = latest_search(connection)
    if search_id is None:
        return {}
    wanted = list(dict.fromkeys(int(item_id) for item_id in item_ids))
    found: dict[int, float] = {}
    for start in range(0, len(wanted), QUERY_CHUNK):
        query = (
            select(qualities.c.item_id, func.min(qualities.c.score))
            .where(
                qualities.c.search_id == search_id,
                qualities.c.item_id.in_(wanted[start : start + QUERY_CHUNK]),
            )
            .group_by(qualities.c.item_id)
        )
        found.update((item_id, float(score)) for item_id, score in connection.execute(query))
    return found
