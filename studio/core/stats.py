"""Project counts: items per status and split, annotations and items per class."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, distinct, func, select

from studio.core.annotations import SHOWN_REVIEWS, review_in
from studio.core.enums import ItemStatus
from studio.core.schema import annotation_table as annotations
from studio.core.schema import item_table as items
from studio.core.schema import label_class_table as classes


@dataclass(frozen=True)
class ProjectStats:
    items: int
    annotations: int
    by_status: dict[str, int] = field(default_factory=dict)
    by_split: dict[str, int] = field(default_factory=dict)
    annotations_by_class: dict[str, int] = field(default_factory=dict)
    items_by_class: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "items": self.items,
            "annotations": self.annotations,
            "by_status": self.by_status,
            "by_split": self.by_split,
            "annotations_by_class": self.annotations_by_class,
            "items_by_class": self.items_by_class,
        }


def project_stats(connection: Connection) -> ProjectStats:
    """The project's counts; rejected suggestions are not counted (they are hidden)."""
    by_status = {status.value: 0 for status in ItemStatus}
    for status, count in connection.execute(
        select(items.c.status, func.count()).group_by(items.c.status)
    ):
        by_status[status] = count
    by_split = {"train": 0, "val": 0, "test": 0, "none": 0}
    for split, count in connection.execute(
        select(items.c.split, func.count()).group_by(items.c.split)
    ):
        by_split[split or "none"] = count
    per_class = (
        select(
            classes.c.name,
            func.count(annotations.c.id),
            func.count(distinct(annotations.c.item_id)),
        )
        .select_from(
            classes.outerjoin(
                annotations,
                (annotations.c.class_id == classes.c.id) & review_in(SHOWN_REVIEWS),
            )
        )
        .group_by(classes.c.id)
        .order_by(classes.c.position, classes.c.id)
    )
    annotations_by_class, items_by_class = {}, {}
    for name, annotation_count, item_count in connection.execute(per_class):
        annotations_by_class[name] = annotation_count
        items_by_class[name] = item_count
    return ProjectStats(
        items=sum(by_status.values()),
        annotations=sum(annotations_by_class.values()),
        by_status=by_status,
        by_split=by_split,
        annotations_by_class=annotations_by_class,
        items_by_class=items_by_class,
    )
