"""Edits and reads of annotations (tags, boxes, polygons, masks, keypoints, polylines, rotated
boxes)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Connection, Select, select

from studio.core.attributes import (
    attribute_schema,
    default_values,
    joined_attributes,
    with_user_values,
)
from studio.core.classes import find_class
from studio.core.edits import Edit
from studio.core.enums import AnnotationKind, AnnotationSource, ItemStatus, ReviewState, parse_enum
from studio.core.errors import InvalidEditError
from studio.core.geometry import decode_mask, encode_mask, normalize_geometry
from studio.core.history import snapshot
from studio.core.records import AnnotationRecord
from studio.core.schema import annotation_table as annotations
from studio.core.schema import item_table as items
from studio.core.schema import label_class_table as classes


def _item(connection: Connection, item_id: int) -> dict[str, Any]:
    row = snapshot(connection, items, item_id)
    if row is None:
        raise InvalidEditError(f"unknown item id {item_id}")
    return row


def checked_score(score: float | None) -> float | None:
    """A score as stored: None, or a number between 0 and 1 (else InvalidEditError)."""
    if score is None:
        return None
    value = float(score)
    if not 0.0 <= value <= 1.0:
        raise InvalidEditError(f"score {score!r} is not between 0 and 1")
    return value


# Review states as stored (None: an ordinary shape). The canvas and the gallery show every
# shape but rejected suggestions; dataset versions and label exports take only final shapes.
SHOWN_REVIEWS: frozenset[str | None] = frozenset(
    {None, ReviewState.PENDING.value, ReviewState.ACCEPTED.value}
)
FINAL_REVIEWS: frozenset[str | None] = frozenset({None, ReviewState.ACCEPTED.value})
ALL_REVIEWS: frozenset[str | None] = frozenset({None, *(state.value for state in ReviewState)})


def review_in(reviews: frozenset[str | None]) -> ColumnElement[bool]:
    """The SQL condition "the annotation's review state is one of `reviews`" (None: ordinary)."""
    named = sorted(value for value in reviews if value is not None)
    condition = annotations.c.review.in_(named)
    return annotations.c.review.is_(None) | condition if None in reviews else condition


def review_for(source: str, review: str | ReviewState | None) -> str | None:
    """The review state stored for a new shape of `source` when `review` was (or wasn't) given.

    A shape from SAM or a model is a suggestion: without a state of its own it is pending. A
    person's shape is an ordinary one unless a state is given.
    """
    if review is None:
        return None if source == AnnotationSource.HUMAN.value else ReviewState.PENDING.value
    try:
        return parse_enum(ReviewState, review, "review").value
    except ValueError as error:
        raise InvalidEditError(str(error)) from None


def add_annotation(
    edit: Edit,
    item_id: int,
    label: str | int,
    kind: AnnotationKind,
    geometry: Any,
    source: str = AnnotationSource.HUMAN.value,
    score: float | None = None,
    author: str = "",
    review: str | ReviewState | None = None,
) -> int:
    """Add one annotation; a new item moves to "in progress" in the same edit.

    `review` is the state of a suggestion (see `review_for` for the default). A shape starts
    with the default values of its class's attributes.
    """
    item = _item(edit.connection, item_id)
    label_class = find_class(edit.connection, label)
    try:
        source_value = parse_enum(AnnotationSource, source, "source").value
    except ValueError as error:
        raise InvalidEditError(str(error)) from None
    stored = normalize_geometry(kind, geometry, item["width"], item["height"])
    if kind is AnnotationKind.TAG:
        duplicate = edit.connection.execute(
            select(annotations.c.id).where(
                annotations.c.item_id == item_id,
                annotations.c.class_id == label_class.id,
                annotations.c.kind == AnnotationKind.TAG.value,
            )
        ).first()
        if duplicate is not None:
            if review_for(source_value, review) in FINAL_REVIEWS:
                _accept_suggested(edit, {duplicate[0]})
            return duplicate[0]
    annotation_id = edit.insert(
        annotations,
        {
            "item_id": item_id,
            "class_id": label_class.id,
            "kind": kind.value,
            "geometry": stored,
            "source": source_value,
            "score": checked_score(score),
            "author": author,
            "review": review_for(source_value, review),
            "attributes": joined_attributes({}, default_values(attribute_schema(label_class.meta))),
            "created_at": edit.now,
            "updated_at": edit.now,
        },
    )
    if item["status"] == ItemStatus.NEW.value:
        edit.update(
            items, item_id, {"status": ItemStatus.IN_PROGRESS.value, "updated_at": edit.now}
        )
    return annotation_id


GEOMETRY_KEYS = {
    "box": AnnotationKind.BOX,
    "polygon": AnnotationKind.POLYGON,
    "mask": AnnotationKind.MASK,
    "keypoints": AnnotationKind.KEYPOINTS,
    "polyline": AnnotationKind.POLYLINE,
    "rotated_box": AnnotationKind.ROTATED_BOX,
}
_SPEC_KEYS = {"item_id", "label", "source", "score", "attributes", "review", *GEOMETRY_KEYS}


def kind_of(spec: Mapping[str, Any]) -> AnnotationKind:
    """The kind an annotation spec describes: the one geometry key it has, or a tag."""
    given = [key for key in GEOMETRY_KEYS if spec.get(key) is not None]
    if len(given) > 1:
        raise InvalidEditError(f"give at most one of {', '.join(GEOMETRY_KEYS)} (got {given})")
    return GEOMETRY_KEYS[given[0]] if given else AnnotationKind.TAG


def add_annotations(edit: Edit, specs: Iterable[Mapping[str, Any]], author: str = "") -> list[int]:
    """Validate and insert many annotations in one statement (one undo step).

    Each spec is a mapping with `item_id`, `label`, at most one of box / polygon / mask /
    keypoints / polyline / rotated_box, and optionally `source`, `score`, `attributes`,
    `review` (a suggestion's state; a SAM or model shape without one is pending, see
    `review_for`). Item statuses are left as
    they are. Any invalid spec rejects the whole batch, naming its position. A tag the item
    has already (or that the batch repeats) is not added twice: its position in the returned
    list holds the existing tag's id, as `add_annotation` does.
    """
    specs = list(specs)
    connection = edit.connection
    item_ids = {spec.get("item_id") for spec in specs}
    sizes = {}
    id_list = [item_id for item_id in item_ids if isinstance(item_id, int)]
    for start in range(0, len(id_list), 500):
        chunk = id_list[start : start + 500]
        query = select(items.c.id, items.c.width, items.c.height).where(items.c.id.in_(chunk))
        sizes.update({row.id: (row.width, row.height) for row in connection.execute(query)})
    class_ids = dict(connection.execute(select(classes.c.name, classes.c.id)).all())
    rows = []
    for position, spec in enumerate(specs):
        try:
            rows.append(_row_for(spec, sizes, class_ids, edit.now, author))
        except InvalidEditError as error:
            raise InvalidEditError(f"annotation #{position}: {error}") from None
    return insert_without_repeated_tags(edit, rows, existing_tags(connection, id_list))


def existing_tags(connection: Connection, item_ids: list[int]) -> dict[tuple[int, int], int]:
    """(item id, class id) → annotation id of the tags these items carry."""
    found: dict[tuple[int, int], int] = {}
    for start in range(0, len(item_ids), 500):
        query = select(annotations.c.id, annotations.c.item_id, annotations.c.class_id).where(
            annotations.c.item_id.in_(item_ids[start : start + 500]),
            annotations.c.kind == AnnotationKind.TAG.value,
        )
        found.update({(row.item_id, row.class_id): row.id for row in connection.execute(query)})
    return found


def insert_without_repeated_tags(
    edit: Edit, rows: list[dict[str, Any]], existing_tags: dict[tuple[int, int], int]
) -> list[int]:
    """Insert `rows`, skipping tags already present; the ids in the order of `rows`.

    A final tag (a person's) meeting a suggested tag of its class accepts the suggestion, as
    choosing that class in the window does (`set_item_tags`)."""
    new_rows: list[dict[str, Any]] = []
    new_tags: dict[tuple[int, int], int] = {}  # (item, class) → position in new_rows
    plan: list[int] = []  # an existing id (> 0), or -1 - the position of a new row
    confirmed: set[int] = set()  # existing tags a final tag of the same class met
    for row in rows:
        key = (row["item_id"], row["class_id"])
        if row["kind"] == AnnotationKind.TAG.value and key in existing_tags:
            plan.append(existing_tags[key])
            if row.get("review") in FINAL_REVIEWS:
                confirmed.add(existing_tags[key])
            continue
        if row["kind"] == AnnotationKind.TAG.value and key in new_tags:
            plan.append(-1 - new_tags[key])
            continue
        if row["kind"] == AnnotationKind.TAG.value:
            new_tags[key] = len(new_rows)
        plan.append(-1 - len(new_rows))
        new_rows.append(row)
    _accept_suggested(edit, confirmed)
    new_ids = edit.insert_many(annotations, new_rows)
    return [value if value > 0 else new_ids[-1 - value] for value in plan]


def _accept_suggested(edit: Edit, annotation_ids: set[int]) -> None:
    """Accept those of `annotation_ids` that are pending or rejected suggestions."""
    ids = sorted(annotation_ids)
    changes: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), 500):
        query = select(annotations.c.id).where(
            annotations.c.id.in_(ids[start : start + 500]),
            ~review_in(FINAL_REVIEWS),
        )
        for (annotation_id,) in edit.connection.execute(query):
            changes[annotation_id] = {"review": ReviewState.ACCEPTED.value, "updated_at": edit.now}
    if changes:
        edit.update_many(annotations, changes)


def _row_for(
    spec: Mapping[str, Any],
    sizes: Mapping[int, tuple[int, int]],
    class_ids: Mapping[str, int],
    now: float,
    author: str,
) -> dict[str, Any]:
    unknown = set(spec) - _SPEC_KEYS
    if unknown:
        raise InvalidEditError(f"unknown fields {sorted(unknown)}")
    item_id = spec.get("item_id")
    if item_id not in sizes:
        raise InvalidEditError(f"unknown item id {item_id!r}")
    label = spec.get("label")
    class_id = class_ids.get(label) if isinstance(label, str) else label
    if class_id not in class_ids.values():
        raise InvalidEditError(f"unknown class {label!r}")
    kind = kind_of(spec)
    width, height = sizes[item_id]
    try:
        source = parse_enum(AnnotationSource, spec.get("source", "human"), "source").value
    except ValueError as error:
        raise InvalidEditError(str(error)) from None
    attributes = spec.get("attributes") or {}
    if not isinstance(attributes, Mapping):
        raise InvalidEditError("attributes must be a mapping")
    return {
        "item_id": item_id,
        "class_id": class_id,
        "kind": kind.value,
        "geometry": normalize_geometry(kind, spec.get(kind.value), width, height),
        "source": source,
        "score": checked_score(spec.get("score")),
        "author": author,
        "review": review_for(source, spec.get("review")),
        "attributes": dict(attributes),
        "created_at": now,
        "updated_at": now,
    }


def update_annotation(
    edit: Edit,
    annotation_id: int,
    geometry: Any = None,
    label: str | int | None = None,
    score: float | None = None,
) -> None:
    """Change an annotation's geometry, class or score."""
    current = snapshot(edit.connection, annotations, annotation_id)
    if current is None:
        raise InvalidEditError(f"unknown annotation id {annotation_id}")
    values: dict[str, Any] = {"updated_at": edit.now}
    if geometry is not None:
        item = _item(edit.connection, current["item_id"])
        kind = AnnotationKind(current["kind"])
        if kind is AnnotationKind.TAG:
            raise InvalidEditError(f"annotation {annotation_id} is a tag: it has no geometry")
        values["geometry"] = normalize_geometry(kind, geometry, item["width"], item["height"])
    if label is not None:
        values["class_id"] = find_class(edit.connection, label).id
    if score is not None:
        values["score"] = checked_score(score)
    edit.update(annotations, annotation_id, values)


def set_user_attributes(edit: Edit, annotation_id: int, changes: Mapping[str, Any]) -> None:
    """Set some user attributes of an annotation, checked against its class's attributes."""
    current = snapshot(edit.connection, annotations, annotation_id)
    if current is None:
        raise InvalidEditError(f"unknown annotation id {annotation_id}")
    schema = attribute_schema(find_class(edit.connection, current["class_id"]).meta)
    stored = with_user_values(current["attributes"] or {}, changes, schema)
    edit.update(annotations, annotation_id, {"attributes": stored, "updated_at": edit.now})


def delete_annotation(edit: Edit, annotation_id: int) -> None:
    if snapshot(edit.connection, annotations, annotation_id) is None:
        raise InvalidEditError(f"unknown annotation id {annotation_id}")
    edit.delete(annotations, annotation_id)


def delete_annotations_of_items(edit: Edit, item_ids: Iterable[int]) -> int:
    """Delete every annotation of `item_ids` within one edit (one undo step); returns how many.

    Item statuses are left as they are. Any unknown item id rejects the whole edit.
    """
    ids = list(dict.fromkeys(item_ids))
    known: set[int] = set()
    annotation_ids: list[int] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        known.update(
            edit.connection.execute(select(items.c.id).where(items.c.id.in_(chunk))).scalars()
        )
        annotation_ids.extend(
            edit.connection.execute(
                select(annotations.c.id)
                .where(annotations.c.item_id.in_(chunk))
                .order_by(annotations.c.id)
            ).scalars()
        )
    missing = [item_id for item_id in ids if item_id not in known]
    if missing:
        raise InvalidEditError(f"unknown item ids: {missing[:10]}")
    for annotation_id in annotation_ids:
        edit.delete(annotations, annotation_id)
    return len(annotation_ids)


def delete_annotations(edit: Edit, annotation_ids: Iterable[int]) -> None:
    """Delete several annotations; an unknown id refuses them all."""
    ids = list(dict.fromkeys(annotation_ids))
    for annotation_id in ids:
        if snapshot(edit.connection, annotations, annotation_id) is None:
            raise InvalidEditError(f"unknown annotation id {annotation_id}")
    for annotation_id in ids:
        edit.delete(annotations, annotation_id)


def _labeled_annotations() -> Select:
    """Annotations with their class name as `label`, in id order."""
    return (
        select(annotations, classes.c.name.label("label"))
        .join(classes, classes.c.id == annotations.c.class_id)
        .order_by(annotations.c.id)
    )


def annotations_of(
    connection: Connection, item_id: int, reviews: frozenset[str | None] = SHOWN_REVIEWS
) -> list[AnnotationRecord]:
    """The item's annotations whose review state is in `reviews` (rejected ones left out)."""
    query = _labeled_annotations().where(annotations.c.item_id == item_id, review_in(reviews))
    return [AnnotationRecord.from_row(row) for row in connection.execute(query).mappings()]


def annotations_of_items(
    connection: Connection,
    item_ids: Sequence[int],
    reviews: frozenset[str | None] = SHOWN_REVIEWS,
) -> dict[int, list[AnnotationRecord]]:
    """Item id → its annotations whose review state is in `reviews`, for many items at once
    (in chunks of bound parameters)."""
    found: dict[int, list[AnnotationRecord]] = {}
    for start in range(0, len(item_ids), 500):
        chunk = list(item_ids[start : start + 500])
        query = _labeled_annotations().where(annotations.c.item_id.in_(chunk), review_in(reviews))
        for row in connection.execute(query).mappings():
            found.setdefault(row["item_id"], []).append(AnnotationRecord.from_row(row))
    return found


# -- image-level tags ----------------------------------------------------------------------


def set_item_tags(
    edit: Edit, item_id: int, labels: Iterable[str | int], author: str = ""
) -> list[int]:
    """Make the item's final tags exactly `labels` (kept tags keep their ids).

    A person choosing a class is their verdict on the suggestions of the image's tags: a
    pending or rejected suggestion of a chosen class is accepted (it keeps its source and
    score), and a pending one of a class not chosen is rejected, not deleted, so what people
    turned down stays known (ADR 0030). Returns the tag ids in the order of `labels`; a new
    item moves to "in progress" when a tag is added, as with `add_annotation`.
    """
    item = _item(edit.connection, item_id)
    wanted = list(dict.fromkeys(find_class(edit.connection, label).id for label in labels))
    query = select(annotations.c.id, annotations.c.class_id, annotations.c.review).where(
        annotations.c.item_id == item_id, annotations.c.kind == AnnotationKind.TAG.value
    )
    existing = {row.class_id: row for row in edit.connection.execute(query)}
    accepted, rejected = ReviewState.ACCEPTED.value, ReviewState.REJECTED.value
    for class_id, tag in existing.items():
        if class_id in wanted and tag.review not in FINAL_REVIEWS:
            edit.update(annotations, tag.id, {"review": accepted, "updated_at": edit.now})
        elif class_id not in wanted and tag.review == ReviewState.PENDING.value:
            edit.update(annotations, tag.id, {"review": rejected, "updated_at": edit.now})
        elif class_id not in wanted and tag.review in FINAL_REVIEWS:
            edit.delete(annotations, tag.id)
    ids = [
        existing[class_id].id
        if class_id in existing
        else _insert_tag(edit, item_id, class_id, author)
        for class_id in wanted
    ]
    added = any(
        class_id not in existing or existing[class_id].review not in FINAL_REVIEWS
        for class_id in wanted
    )
    if added and item["status"] == ItemStatus.NEW.value:
        edit.update(
            items, item_id, {"status": ItemStatus.IN_PROGRESS.value, "updated_at": edit.now}
        )
    return ids


def _insert_tag(edit: Edit, item_id: int, class_id: int, author: str) -> int:
    return edit.insert(
        annotations,
        {
            "item_id": item_id,
            "class_id": class_id,
            "kind": AnnotationKind.TAG.value,
            "geometry": None,
            "source": AnnotationSource.HUMAN.value,
            "author": author,
            "created_at": edit.now,
            "updated_at": edit.now,
        },
    )


# -- copying between items -----------------------------------------------------------------


def copy_annotations(edit: Edit, from_item: int, to_item: int, author: str = "") -> list[int]:
    """Copy every annotation of `from_item` onto `to_item`; returns the new ids.

    Suggestions keep their review state; rejected ones are not copied.

    Geometry is clamped to the target image (a shape left with no area there is skipped),
    tags the target has already are not doubled, and a new target moves to "in progress".
    """
    if from_item == to_item:
        raise InvalidEditError(f"copy annotations: item {from_item} is both source and target")
    _item(edit.connection, from_item)
    target = _item(edit.connection, to_item)
    width, height = target["width"], target["height"]
    rows = []
    for record in annotations_of(edit.connection, from_item):
        kind = AnnotationKind(record.kind)
        geometry = clamp_geometry(kind, record.geometry, width, height)
        if kind is not AnnotationKind.TAG and geometry is None:
            continue
        rows.append(_copied_row(record, to_item, kind, geometry, edit.now, author))
    existing = existing_tags(edit.connection, [to_item])
    known = set(existing.values())
    copied = [i for i in insert_without_repeated_tags(edit, rows, existing) if i not in known]
    if copied and target["status"] == ItemStatus.NEW.value:
        edit.update(
            items, to_item, {"status": ItemStatus.IN_PROGRESS.value, "updated_at": edit.now}
        )
    return copied


def _copied_row(
    record: AnnotationRecord,
    item_id: int,
    kind: AnnotationKind,
    geometry: Any,
    now: float,
    author: str,
) -> dict[str, Any]:
    return {
        "item_id": item_id,
        "class_id": record.class_id,
        "kind": kind.value,
        "geometry": geometry,
        "source": record.source,
        "score": record.score,
        "author": author,
        "review": record.review,
        "attributes": dict(record.attributes),
        "created_at": now,
        "updated_at": now,
    }


def _clamp(value: float, high: float) -> float:
    return min(max(float(value), 0.0), float(high))


def clamp_box(box: Sequence[float], width: int, height: int) -> list[float] | None:
    x, y, w, h = box
    left, top = _clamp(x, width), _clamp(y, height)
    right, bottom = _clamp(x + w, width), _clamp(y + h, height)
    if right <= left or bottom <= top:
        return None
    return [left, top, right - left, bottom - top]


def _ring_area(ring: Sequence[float]) -> float:
    xs, ys = ring[0::2], ring[1::2]
    return 0.5 * abs(sum(xs[i] * ys[i - 1] - xs[i - 1] * ys[i] for i in range(len(xs))))


def clamp_polygon(
    rings: Sequence[Sequence[float]], width: int, height: int
) -> list[list[float]] | None:
    clamped = []
    for ring in rings:
        points = [_clamp(v, width if i % 2 == 0 else height) for i, v in enumerate(ring)]
        if _ring_area(points) > 0:
            clamped.append(points)
    return clamped or None


def clamp_keypoints(points: Sequence[Sequence[float]], width: int, height: int) -> list[list]:
    return [[_clamp(x, width), _clamp(y, height), v] if v else [x, y, v] for x, y, v in points]


def clamp_polyline(points: Sequence[float], width: int, height: int) -> list[float] | None:
    clamped = [_clamp(v, width if i % 2 == 0 else height) for i, v in enumerate(points)]
    distinct = {(clamped[i], clamped[i + 1]) for i in range(0, len(clamped), 2)}
    return clamped if len(distinct) >= 2 else None


def clamp_rotated_box(box: Sequence[float], width: int, height: int) -> list[float] | None:
    """The box as it is while its centre stays in the image (its corners may stick out, as
    they may when drawn); None once the centre falls outside."""
    cx, cy = box[0], box[1]
    return list(box) if 0 <= cx <= width and 0 <= cy <= height else None


def clamp_mask(rle: Mapping[str, Any], width: int, height: int) -> dict[str, Any] | None:
    """The mask cropped or padded to `width`×`height` (None when nothing of it is left)."""
    source = decode_mask(dict(rle))
    result = np.zeros((height, width), dtype=bool)
    rows, columns = min(height, source.shape[0]), min(width, source.shape[1])
    result[:rows, :columns] = source[:rows, :columns]
    return encode_mask(result) if result.any() else None


def clamp_geometry(kind: AnnotationKind, geometry: Any, width: int, height: int) -> Any:
    """Stored geometry fitted into a `width`×`height` image (None if nothing remains)."""
    clampers = {
        AnnotationKind.BOX: clamp_box,
        AnnotationKind.POLYGON: clamp_polygon,
        AnnotationKind.MASK: clamp_mask,
        AnnotationKind.KEYPOINTS: clamp_keypoints,
        AnnotationKind.POLYLINE: clamp_polyline,
        AnnotationKind.ROTATED_BOX: clamp_rotated_box,
    }
    if kind is AnnotationKind.TAG:
        return None
    return clampers[kind](geometry, width, height)
