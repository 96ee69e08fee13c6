"""Edits a labeler makes on the shapes selected on one image: relabel, paste, restack.

Each function is the body of one user edit (one undo step). A person acting on a suggestion
(a model's or SAM's pending shape) gives their verdict with it: relabelled or pasted, the
shape is accepted, as if they had pressed Y first, and keeps its source and score.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select

from studio.core.annotations import FINAL_REVIEWS, SHOWN_REVIEWS, clamp_geometry, review_in
from studio.core.attributes import normalized_attributes
from studio.core.classes import find_class
from studio.core.edits import Edit
from studio.core.enums import AnnotationKind, ItemStatus, ReviewState
from studio.core.errors import InvalidEditError
from studio.core.history import snapshot
from studio.core.records import AnnotationRecord
from studio.core.schema import annotation_table as annotations
from studio.core.schema import item_table as items

Z_ORDER = "z_order"  # the reserved attribute flag that stacks an image's shapes


def _shapes(edit: Edit, annotation_ids: Iterable[int]) -> list[dict[str, Any]]:
    """The rows of `annotation_ids`, in that order; an unknown id or a tag refuses them all."""
    rows = []
    for annotation_id in dict.fromkeys(annotation_ids):
        row = snapshot(edit.connection, annotations, annotation_id)
        if row is None:
            raise InvalidEditError(f"unknown annotation id {annotation_id}")
        if row["kind"] == AnnotationKind.TAG.value:
            raise InvalidEditError(f"annotation {annotation_id} is an image tag, not a shape")
        rows.append(row)
    return rows


def _accepted(review: str | None) -> str | None:
    """The review state of a suggestion a person acted on: accepted (ordinary shapes: None)."""
    return review if review in FINAL_REVIEWS else ReviewState.ACCEPTED.value


def set_class_of_shapes(edit: Edit, annotation_ids: Iterable[int], label: str | int) -> int:
    """Give the shapes `annotation_ids` the class `label`; returns how many changed.

    Suggestions among them are accepted (a person chose their class). A shape that already
    has the class and is final is left untouched, so pressing the key twice changes nothing.
    """
    class_id = find_class(edit.connection, label).id
    changes = {
        row["id"]: {
            "class_id": class_id,
            "review": _accepted(row["review"]),
            "updated_at": edit.now,
        }
        for row in _shapes(edit, annotation_ids)
        if row["class_id"] != class_id or row["review"] not in FINAL_REVIEWS
    }
    if changes:
        edit.update_many(annotations, changes)
    return len(changes)


def paste_shapes(
    edit: Edit, item_id: int, shapes: Sequence[AnnotationRecord], author: str = ""
) -> list[int]:
    """Add copies of `shapes` (from any image) to the item; returns the new ids in order.

    Geometry is clipped to the item's image (a shape with nothing left inside is skipped);
    attributes, source and score are kept; suggestions are pasted accepted. Pasted shapes
    stack above the item's own. A new item moves to "in progress", as when drawing.
    """
    item = snapshot(edit.connection, items, item_id)
    if item is None:
        raise InvalidEditError(f"unknown item id {item_id}")
    top = _highest_z(edit, item_id)
    rows = []
    for shape in shapes:
        kind = AnnotationKind(shape.kind)
        if kind is AnnotationKind.TAG:
            raise InvalidEditError(f"annotation {shape.id} is an image tag, not a shape")
        geometry = clamp_geometry(kind, shape.geometry, item["width"], item["height"])
        if geometry is None:
            continue
        attributes = normalized_attributes(shape.attributes)
        if Z_ORDER in attributes or top is not None:
            top = (top or 0) + 1
            attributes[Z_ORDER] = top
        rows.append(
            {
                "item_id": item_id,
                "class_id": find_class(edit.connection, shape.class_id).id,
                "kind": kind.value,
                "geometry": geometry,
                "source": shape.source,
                "score": shape.score,
                "author": author,
                "review": _accepted(shape.review),
                "attributes": attributes,
                "created_at": edit.now,
                "updated_at": edit.now,
            }
        )
    new_ids = edit.insert_many(annotations, rows)
    if new_ids and item["status"] == ItemStatus.NEW.value:
        edit.update(
            items, item_id, {"status": ItemStatus.IN_PROGRESS.value, "updated_at": edit.now}
        )
    return new_ids


def _z_orders(edit: Edit, item_id: int) -> list[int]:
    """The z_order flags the item's shown shapes have (shapes without one are left out)."""
    query = select(annotations.c.attributes).where(
        annotations.c.item_id == item_id,
        annotations.c.kind != AnnotationKind.TAG.value,
        review_in(SHOWN_REVIEWS),
    )
    orders = []
    for (attributes,) in edit.connection.execute(query):
        value = (attributes or {}).get(Z_ORDER)
        if isinstance(value, int) and not isinstance(value, bool):
            orders.append(value)
    return orders


def _highest_z(edit: Edit, item_id: int) -> int | None:
    orders = _z_orders(edit, item_id)
    return max(orders) if orders else None


def restack_shapes(edit: Edit, annotation_ids: Iterable[int], to_front: bool) -> int:
    """Bring the shapes to the front of their image (or send them to the back) by giving them
    z_order flags above (below) every other shape's; their own order among themselves is
    kept. They must all be on one image. Returns how many shapes changed."""
    rows = _shapes(edit, annotation_ids)
    if not rows:
        return 0
    item_ids = {row["item_id"] for row in rows}
    if len(item_ids) > 1:
        raise InvalidEditError("shapes of several images cannot be restacked together")
    orders = _z_orders(edit, item_ids.pop())
    rows.sort(key=lambda row: (_z_of(row), row["id"]))
    start = max([*orders, 0]) + 1 if to_front else min([*orders, 0]) - len(rows)
    changes = {}
    for offset, row in enumerate(rows):
        attributes = normalized_attributes(row["attributes"] or {})
        attributes[Z_ORDER] = start + offset
        changes[row["id"]] = {"attributes": attributes, "updated_at": edit.now}
    edit.update_many(annotations, changes)
    return len(changes)


def _z_of(row: dict[str, Any]) -> int:
    value = (row["attributes"] or {}).get(Z_ORDER, 0)
    return value if isinstance(value, int) else 0
