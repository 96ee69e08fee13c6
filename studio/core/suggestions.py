"""Suggestions: shapes SAM or a model proposed, with a review state apart from their source.

A suggestion is pending until a person accepts or rejects it. Accepting keeps everything the
shape carries (geometry, source, score, the prompts in its attributes) and lets it into
dataset versions and label exports; rejecting hides it from the canvas, the gallery and
exports but keeps it in the file, for the label-error and active-learning work that learns
from what people turned down (ADR 0030).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from studio.core.annotations import add_annotations
from studio.core.edits import Edit
from studio.core.enums import AnnotationSource, ReviewState
from studio.core.errors import InvalidEditError
from studio.core.schema import annotation_table as annotations


def suggest_annotations(
    edit: Edit, specs: Iterable[Mapping[str, Any]], author: str = ""
) -> list[int]:
    """Add pending suggestions in one edit (one undo step); returns their ids.

    Specs are those of `add_annotations`, with a `source` other than "human" (SAM or a
    model) and no `review` of their own.
    """
    specs = list(specs)
    for position, spec in enumerate(specs):
        source = getattr(spec.get("source"), "value", spec.get("source"))
        if source in (None, AnnotationSource.HUMAN.value):
            raise InvalidEditError(
                f"suggestion #{position}: give the machine source that made it (sam or model)"
            )
        if "review" in spec:
            raise InvalidEditError(f"suggestion #{position}: a new suggestion is always pending")
    pending = [{**spec, "review": ReviewState.PENDING.value} for spec in specs]
    return add_annotations(edit, pending, author)


def review_suggestions(edit: Edit, annotation_ids: Iterable[int], state: ReviewState) -> None:
    """Give suggestions the review state `state` (accepted or rejected) in one edit.

    An unknown id, or an ordinary shape (one with no review state), refuses them all.
    Reviewing a suggestion again (a rejected one accepted after all) is allowed.
    """
    ids = list(dict.fromkeys(annotation_ids))
    found: dict[int, str | None] = {}
    for start in range(0, len(ids), 500):
        query = select(annotations.c.id, annotations.c.review).where(
            annotations.c.id.in_(ids[start : start + 500])
        )
        found.update({row.id: row.review for row in edit.connection.execute(query)})
    missing = [annotation_id for annotation_id in ids if annotation_id not in found]
    if missing:
        raise InvalidEditError(f"unknown annotation ids: {missing[:10]}")
    ordinary = [annotation_id for annotation_id in ids if found[annotation_id] is None]
    if ordinary:
        raise InvalidEditError(f"annotations {ordinary[:10]} are not suggestions")
    changes = {
        annotation_id: {"review": state.value, "updated_at": edit.now}
        for annotation_id in ids
        if found[annotation_id] != state.value
    }
    if changes:
        edit.update_many(annotations, changes)


def pending_at_least(
    connection: Connection,
    threshold: float,
    class_ids: Iterable[int] = (),
    sources: Iterable[str] = (),
) -> list[int]:
    """The ids of the pending suggestions scoring at least `threshold`, of the classes
    `class_ids` and the sources `sources` (all classes and machine sources when empty)."""
    query = select(annotations.c.id).where(
        annotations.c.review == ReviewState.PENDING.value,
        annotations.c.score >= threshold,
    )
    class_ids, sources = list(class_ids), list(sources)
    if class_ids:
        query = query.where(annotations.c.class_id.in_(class_ids))
    if sources:
        query = query.where(annotations.c.source.in_(sources))
    return list(connection.execute(query.order_by(annotations.c.id)).scalars())
