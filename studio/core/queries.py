"""Gallery queries: filters and sort orders from a fixed allow-list, compiled to bound SQL.

No text from a user ever becomes SQL: every filter is a typed field of `ItemQuery`, every
sort key is looked up in `SORT_KEYS`, and every value travels as a bound parameter. Each
filter is served by an index of the schema (status, split, path, added_at, and the
annotation indexes on class, source and score).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    case,
    distinct,
    exists,
    func,
    select,
)

from studio.core.annotations import SHOWN_REVIEWS, review_in
from studio.core.enums import AnnotationSource, ItemStatus, ReviewState, Split, parse_enum
from studio.core.records import ItemRecord
from studio.core.schema import annotation_table as annotations
from studio.core.schema import item_table as items
from studio.core.schema import label_class_table as classes

STATUS_ORDER = [status.value for status in ItemStatus]
NO_SPLIT = (None, "none")


def _status_rank() -> ColumnElement[Any]:
    return case({value: rank for rank, value in enumerate(STATUS_ORDER)}, value=items.c.status)


def _best_score() -> ColumnElement[Any]:
    return (
        select(func.max(annotations.c.score))
        .where(annotations.c.item_id == items.c.id)
        .correlate(items)
        .scalar_subquery()
    )


SORT_KEYS = {
    "name": lambda: items.c.path,
    "date": lambda: items.c.added_at,
    "status": _status_rank,
    "score": _best_score,
}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (str, int)) or not isinstance(value, Sequence):
        return [value]
    return list(value)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class ItemQuery:
    """What the gallery asks for. Every field is optional; lists mean "any of"."""

    status: Any = None
    split: Any = None
    label: Any = None
    source: Any = None
    # Items with a suggestion in one of these review states ("pending", "accepted",
    # "rejected"). Without it, the annotation filters never match a rejected suggestion.
    review: Any = None
    score_min: float | None = None
    score_max: float | None = None
    text: str | None = None
    tag: str | None = None
    sort: str = "name"
    descending: bool = False

    def __post_init__(self) -> None:
        if self.sort not in SORT_KEYS:
            raise ValueError(f"unknown sort {self.sort!r}; expected one of: {', '.join(SORT_KEYS)}")
        for value in _as_list(self.status):
            parse_enum(ItemStatus, value, "status")
        for value in _as_list(self.split):
            if value not in NO_SPLIT:
                parse_enum(Split, value, "split")
        for value in _as_list(self.source):
            parse_enum(AnnotationSource, value, "source")
        for value in _as_list(self.review):
            parse_enum(ReviewState, value, "review")
        for name in ("score_min", "score_max"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, (int, float)):
                raise ValueError(f"{name} must be a number, got {value!r}")

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.status is not None:
            found.append(items.c.status.in_([_value(v) for v in _as_list(self.status)]))
        if self.split is not None:
            splits = _as_list(self.split)
            if any(value in NO_SPLIT for value in splits):
                named = [_value(v) for v in splits if v not in NO_SPLIT]
                found.append(items.c.split.is_(None) | items.c.split.in_(named))
            else:
                found.append(items.c.split.in_([_value(v) for v in splits]))
        annotation_filter = self._annotation_conditions()
        if annotation_filter:
            # `id IN (…)` rather than a correlated EXISTS: SQLite can then start from the
            # annotation index of a rare class or source instead of visiting every item.
            found.append(
                items.c.id.in_(select(annotations.c.item_id).where(and_(*annotation_filter)))
            )
        if self.text:
            found.append(items.c.path.like(f"%{_escape_like(self.text)}%", escape="\\"))
        if self.tag:
            tag_values = func.json_each(items.c.tags).table_valued("value")
            found.append(
                exists(select(1).select_from(tag_values).where(tag_values.c.value == self.tag))
            )
        return found

    def _annotation_conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        labels = _as_list(self.label)
        if labels:
            names = [label for label in labels if isinstance(label, str)]
            ids = [label for label in labels if isinstance(label, int)]
            class_ids = select(classes.c.id).where(
                classes.c.name.in_(names) | classes.c.id.in_(ids)
            )
            found.append(annotations.c.class_id.in_(class_ids))
        if self.source is not None:
            found.append(annotations.c.source.in_([_value(v) for v in _as_list(self.source)]))
        if self.score_min is not None:
            found.append(annotations.c.score >= self.score_min)
        if self.score_max is not None:
            found.append(annotations.c.score <= self.score_max)
        if self.review is not None:
            found.append(annotations.c.review.in_([_value(v) for v in _as_list(self.review)]))
        elif found:
            found.append(review_in(SHOWN_REVIEWS))
        return found

    def order_by(self) -> list[ColumnElement[Any]]:
        key = SORT_KEYS[self.sort]()
        if self.descending:
            return [key.desc().nulls_last(), items.c.id.desc()]
        return [key.asc().nulls_last(), items.c.id.asc()]


def _value(value: Any) -> Any:
    return getattr(value, "value", value)


def select_item_ids(query: ItemQuery) -> Select[Any]:
    """The statement behind `item_ids` (tests read its EXPLAIN QUERY PLAN)."""
    return select(items.c.id).where(*query.conditions()).order_by(*query.order_by())


def item_ids(connection: Connection, query: ItemQuery) -> list[int]:
    """The ids of every matching item, in the query's order (cheap: the gallery's backbone).

    The statement is compiled by SQLAlchemy (bound parameters, allow-listed columns) but its
    rows are read straight from the driver's cursor: for 100,000 ids SQLAlchemy's per-row
    result processing would cost twice the query itself.
    """
    compiled = select_item_ids(query).compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    parameters = tuple(compiled.params[name] for name in compiled.positiontup or ())
    cursor = connection.connection.driver_connection.execute(str(compiled), parameters)
    return [row[0] for row in cursor]


def find_items(
    connection: Connection, query: ItemQuery, limit: int | None = None, offset: int = 0
) -> list[ItemRecord]:
    statement = select(items).where(*query.conditions()).order_by(*query.order_by())
    if limit is not None:
        statement = statement.limit(limit)
    if offset:
        statement = statement.offset(offset)
    return [ItemRecord.from_row(row) for row in connection.execute(statement).mappings()]


def count_items(connection: Connection, query: ItemQuery) -> int:
    statement = select(func.count()).select_from(items).where(*query.conditions())
    return connection.execute(statement).scalar_one()


def items_by_ids(connection: Connection, ids: Sequence[int]) -> list[ItemRecord]:
    """The records of `ids`, in the same order (missing ids are left out)."""
    found: dict[int, ItemRecord] = {}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        for row in connection.execute(select(items).where(items.c.id.in_(chunk))).mappings():
            found[row["id"]] = ItemRecord.from_row(row)
    return [found[item_id] for item_id in ids if item_id in found]


BADGE_CHUNK = 500


def item_badges(connection: Connection, ids: Sequence[int]) -> dict[int, tuple[int, list[int]]]:
    """For each of `ids`: (its number of annotations, the ids of the classes present, ascending).

    Rejected suggestions are not counted: the gallery shows what the canvas shows.

    What the gallery draws on a thumbnail. One grouped query per 500 ids (a gallery page is
    one query), served by the annotation index on `item_id`. Every requested id is in the
    answer; an item without annotations, or an id that is not an item, maps to (0, []).
    """
    found: dict[int, tuple[int, list[int]]] = {item_id: (0, []) for item_id in ids}
    unique = list(found)
    for start in range(0, len(unique), BADGE_CHUNK):
        statement = (
            select(
                annotations.c.item_id,
                func.count(),
                func.group_concat(distinct(annotations.c.class_id)),
            )
            .where(
                annotations.c.item_id.in_(unique[start : start + BADGE_CHUNK]),
                review_in(SHOWN_REVIEWS),
            )
            .group_by(annotations.c.item_id)
        )
        for item_id, count, class_ids in connection.execute(statement):
            found[item_id] = (count, sorted(int(value) for value in class_ids.split(",")))
    return found
