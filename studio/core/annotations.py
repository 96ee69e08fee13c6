"""Edits and reads of annotations (tags, boxes, polygons, masks, keypoints)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, select

from studio.core.classes import find_class
from studio.core.edits import Edit
from studio.core.enums import AnnotationKind, AnnotationSource, ItemStatus, parse_enum
from studio.core.errors import InvalidEditError
from studio.core.geometry import normalize_geometry
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


def _score(score: float | None) -> float | None:
    if score is None:
        return None
    value = float(score)
    if not 0.0 <= value <= 1.0:
        raise InvalidEditError(f"score {score!r} is not between 0 and 1")
    return value


def add_annotation(
    edit: Edit,
    item_id: int,
    label: str | int,
    kind: AnnotationKind,
    geometry: Any,
    source: str = AnnotationSource.HUMAN.value,
    score: float | None = None,
    author: str = "",
) -> int:
    """Add one annotation; a new item moves to "in progress" in the same edit."""
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
            return duplicate[0]
    annotation_id = edit.insert(
        annotations,
        {
            "item_id": item_id,
            "class_id": label_class.id,
            "kind": kind.value,
            "geometry": stored,
            "source": source_value,
            "score": _score(score),
            "author": author,
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
}
_SPEC_KEYS = {"item_id", "label", "source", "score", "attributes", *GEOMETRY_KEYS}


def kind_of(spec: Mapping[str, Any]) -> AnnotationKind:
    """The kind an annotation spec describes: the one geometry key it has, or a tag."""
    given = [key for key in GEOMETRY_KEYS if spec.get(key) is not None]
    if len(given) > 1:
        raise InvalidEditError(f"give at most one of box, polygon, mask, keypoints (got {given})")
    return GEOMETRY_KEYS[given[0]] if given else AnnotationKind.TAG


def add_annotations(edit: Edit, specs: Iterable[Mapping[str, Any]], author: str = "") -> list[int]:
    """Validate and insert many annotations in one statement (one undo step).

    Each spec is a mapping with `item_id`, `label`, at most one of box / polygon / mask /
    keypoints, and optionally `source`, `score`, `attributes`. Item statuses are left as
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
    return _insert_without_repeated_tags(edit, rows, _existing_tags(connection, id_list))


def _existing_tags(connection: Connection, item_ids: list[int]) -> dict[tuple[int, int], int]:
    """(item id, class id) → annotation id of the tags these items carry."""
    found: dict[tuple[int, int], int] = {}
    for start in range(0, len(item_ids), 500):
        query = select(annotations.c.id, annotations.c.item_id, annotations.c.class_id).where(
            annotations.c.item_id.in_(item_ids[start : start + 500]),
            annotations.c.kind == AnnotationKind.TAG.value,
        )
        found.update({(row.item_id, row.class_id): row.id for row in connection.execute(query)})
    return found


def _insert_without_repeated_tags(
    edit: Edit, rows: list[dict[str, Any]], existing_tags: dict[tuple[int, int], int]
) -> list[int]:
    """Insert `rows`, skipping tags already present; the ids in the order of `rows`."""
    new_rows: list[dict[str, Any]] = []
    new_tags: dict[tuple[int, int], int] = {}  # (item, class) → position in new_rows
    plan: list[int] = []  # an existing id (> 0), or -1 - the position of a new row
    for row in rows:
        key = (row["item_id"], row["class_id"])
        if row["kind"] == AnnotationKind.TAG.value and key in existing_tags:
            plan.append(existing_tags[key])
            continue
        if row["kind"] == AnnotationKind.TAG.value and key in new_tags:
            plan.append(-1 - new_tags[key])
            continue
        if row["kind"] == AnnotationKind.TAG.value:
            new_tags[key] = len(new_rows)
        plan.append(-1 - len(new_rows))
        new_rows.append(row)
    new_ids = edit.insert_many(annotations, new_rows)
    return [value if value > 0 else new_ids[-1 - value] for value in plan]


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
        "score": _score(spec.get("score")),
        "author": author,
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
        values["score"] = _score(score)
    edit.update(annotations, annotation_id, values)


def delete_annotation(edit: Edit, annotation_id: int) -> None:
    if snapshot(edit.connection, annotations, annotation_id) is None:
        raise InvalidEditError(f"unknown annotation id {annotation_id}")
    edit.delete(annotations, annotation_id)


def annotations_of(connection: Connection, item_id: int) -> list[AnnotationRecord]:
    query = (
        select(annotations, classes.c.name.label("label"))
        .join(classes, classes.c.id == annotations.c.class_id)
        .where(annotations.c.item_id == item_id)
        .order_by(annotations.c.id)
    )
    return [
        AnnotationRecord(
            id=row["id"],
            item_id=row["item_id"],
            class_id=row["class_id"],
            label=row["label"],
            kind=row["kind"],
            geometry=row["geometry"],
            source=row["source"],
            score=row["score"],
            author=row["author"],
            attributes=dict(row["attributes"] or {}),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )
        for row in connection.execute(query).mappings()
    ]
