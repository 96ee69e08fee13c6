"""Label issues: what the label-error finder raised, and what people decided (`label_issue`).

A search (the `label-issues` job) stores one finding per doubted item: the tag it concerns,
the class the item had then, the class the out-of-fold model preferred and cleanlab's label
quality. The review list is the latest search's undecided findings whose item still has the
class the finding doubted, lowest quality first, less the items a person kept with that
class. Fixing applies the suggested class to the tag and keeping records the decision, each
one user edit (one undo step) that also records the decision (ADR 0037).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Connection, and_, func, insert, select
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

Decision = Literal["fixed", "kept"]
DECISIONS: tuple[Decision, ...] = ("fixed", "kept")


@dataclass(frozen=True)
class TaggedItem:
    """An item labelled with exactly one class tag: what the finder learns from and judges."""

    item_id: int
    annotation_id: int
    class_id: int
    path: str


@dataclass(frozen=True)
class Finding:
    """One label the search doubts (before it is stored)."""

    item_id: int
    annotation_id: int
    given_class_id: int
    suggested_class_id: int
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

    def as_dict(self) -> dict[str, object]:
        return {
            "item_id": self.item_id,
            "path": self.path,
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


def store_findings(database: Database, findings: Sequence[Finding], method: str, now: float) -> int:
    """Store one search's findings in one transaction; returns the search's id.

    Findings are not user edits (nothing to undo: they change no label); earlier searches'
    rows stay, so decisions and the history that refers to them are never lost.
    """
    with database.write() as connection:
        search_id = (connection.execute(select(func.max(issues.c.search_id))).scalar() or 0) + 1
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
            }
            for finding in findings
        ]
        if rows:
            connection.execute(insert(issues), rows)
    return search_id


def latest_search(connection: Connection) -> int | None:
    return connection.execute(select(func.max(issues.c.search_id))).scalar()


def open_issues(connection: Connection) -> list[LabelIssueRecord]:
    """The review list: the latest search's undecided findings, lowest label quality first.

    A finding drops out once its tag no longer has the class it doubted (someone relabelled
    the item), and while a person has kept the item with that class.
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
            kept.c.item_id == issues.c.item_id,
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
    return [LabelIssueRecord(*row) for row in connection.execute(query)]


def decide(edit: Edit, item_id: int, decision: Decision, author: str) -> LabelIssueRecord:
    """Fix (apply the suggested class to the tag) or keep the open finding on `item_id`, in
    the caller's edit, so one undo takes back both the label and the decision."""
    if decision not in DECISIONS:
        raise InvalidEditError(f"a decision is 'fixed' or 'kept', not {decision!r}")
    found = {issue.item_id: issue for issue in open_issues(edit.connection)}
    issue = found.get(item_id)
    if issue is None:
        raise InvalidEditError(f"item {item_id} has no open label issue")
    if decision == "fixed" and issue.annotation_id is not None:
        update_annotation(edit, issue.annotation_id, label=issue.suggested_label)
    values = {"decision": decision, "decided_at": edit.now, "decided_by": author}
    edit.update(issues, issue.id, values)
    return issue
