"""Project counts: items per status and split, annotations and items per class; and the
dataset health figures (class balance per split, objects per image, box sizes and aspect
ratios, shapes outside their image, items never reviewed)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import Connection, distinct, func, select

from studio.core.annotations import FINAL_REVIEWS, SHOWN_REVIEWS, review_in
from studio.core.enums import AnnotationKind, ItemStatus, ReviewState, Split
from studio.core.geometry import shape_box
from studio.core.schema import annotation_table as annotations
from studio.core.schema import dataset_version_item_table as version_items
from studio.core.schema import dataset_version_table as versions
from studio.core.schema import item_table as items
from studio.core.schema import label_class_table as classes

SPLITS = tuple(split.value for split in Split)
SUMMARY = ("min", "median", "max")
OUTSIDE_TOLERANCE = 0.5  # pixels a shape may reach past the edge (rounding of imports)


@dataclass(frozen=True)
class ProjectStats:
    items: int
    annotations: int
    by_status: dict[str, int] = field(default_factory=dict)
    by_split: dict[str, int] = field(default_factory=dict)
    annotations_by_class: dict[str, int] = field(default_factory=dict)
    items_by_class: dict[str, int] = field(default_factory=dict)
    pending_suggestions: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "items": self.items,
            "annotations": self.annotations,
            "pending_suggestions": self.pending_suggestions,
            "by_status": self.by_status,
            "by_split": self.by_split,
            "annotations_by_class": self.annotations_by_class,
            "items_by_class": self.items_by_class,
        }


def project_stats(connection: Connection) -> ProjectStats:
    """The project's counts. Annotations are the final labels (a person's, and accepted
    suggestions), what a dataset version takes; pending suggestions are counted apart, and
    rejected ones not at all (they are hidden)."""
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
    final = review_in(FINAL_REVIEWS)
    pending = annotations.c.review == ReviewState.PENDING.value
    per_class = (  # one pass over the annotations (the status bar asks at every edit)
        select(
            classes.c.name,
            func.count(annotations.c.id).filter(final),
            func.count(distinct(annotations.c.item_id)).filter(final),
            func.count(annotations.c.id).filter(pending),
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
    annotations_by_class, items_by_class, pending_count = {}, {}, 0
    for name, annotation_count, item_count, pending_in_class in connection.execute(per_class):
        annotations_by_class[name] = annotation_count
        items_by_class[name] = item_count
        pending_count += pending_in_class
    return ProjectStats(
        items=sum(by_status.values()),
        annotations=sum(annotations_by_class.values()),
        pending_suggestions=pending_count,
        by_status=by_status,
        by_split=by_split,
        annotations_by_class=annotations_by_class,
        items_by_class=items_by_class,
    )


# -- dataset health --------------------------------------------------------------------------

NO_SPLIT = "none"
HEALTH_SPLITS = (*SPLITS, NO_SPLIT)
# Statuses of items that no reviewer has passed on ("reviewed" and "rejected" are verdicts).
UNREVIEWED_STATUSES = (
    ItemStatus.NEW.value,
    ItemStatus.IN_PROGRESS.value,
    ItemStatus.DONE.value,
    ItemStatus.DONE_EMPTY.value,
)


@dataclass(frozen=True)
class OutsideShape:
    """An annotation reaching past its image's edges (after a relink to a smaller image, or
    a label file that allowed it)."""

    annotation_id: int
    item_id: int
    box: tuple[float, float, float, float]  # x, y, width, height in image pixels
    image_size: tuple[int, int]


@dataclass(frozen=True)
class DatasetHealth:
    """What the health view charts. Counts take final shapes only (human ones and accepted
    suggestions), as dataset versions do; splits are those of the latest version (`version`),
    items not in it under "none"."""

    version: str | None
    items: int
    class_balance: dict[str, dict[str, int]]  # class → split → annotations
    objects_per_image: dict[int, int]  # number of shapes → images with that many
    box_sizes: tuple[tuple[float, float], ...]  # (width, height) in pixels of boxes and shapes
    box_classes: tuple[str, ...]  # the class of each entry of box_sizes
    outside: tuple[OutsideShape, ...]
    never_reviewed: tuple[int, ...]  # item ids whose status is one of UNREVIEWED_STATUSES

    @property
    def aspect_ratios(self) -> list[float]:
        """width ÷ height of each entry of box_sizes."""
        return [width / height for width, height in self.box_sizes if height > 0]

    def as_dict(self) -> dict[str, object]:
        sizes = np.array(self.box_sizes, dtype=float).reshape(-1, 2)
        return {
            "version": self.version,
            "items": self.items,
            "class_balance": self.class_balance,
            "objects_per_image": {str(k): v for k, v in self.objects_per_image.items()},
            "boxes": len(self.box_sizes),
            "box_width": value_summary(sizes[:, 0]),
            "box_height": value_summary(sizes[:, 1]),
            "aspect_ratio": value_summary(self.aspect_ratios),
            "outside_image": [
                {
                    "annotation_id": shape.annotation_id,
                    "item_id": shape.item_id,
                    "box": list(shape.box),
                    "image_size": list(shape.image_size),
                }
                for shape in self.outside
            ],
            "never_reviewed": len(self.never_reviewed),
        }


def value_summary(values: Sequence[float] | np.ndarray) -> dict[str, float] | None:
    """min, median and max of `values` (None when there are none)."""
    if len(values) == 0:
        return None
    figures = np.percentile(np.asarray(values, dtype=float), [0, 50, 100])
    return {key: round(float(value), 3) for key, value in zip(SUMMARY, figures, strict=True)}


def _latest_splits(connection: Connection) -> tuple[str | None, dict[int, str]]:
    latest = connection.execute(
        select(versions.c.id, versions.c.name).order_by(versions.c.id.desc())
    ).first()
    if latest is None:
        return None, {}
    rows = connection.execute(
        select(version_items.c.item_id, version_items.c.split).where(
            version_items.c.version_id == latest.id
        )
    )
    return latest.name, {row.item_id: row.split for row in rows}


def _is_outside(box: list[float], width: int, height: int) -> bool:
    x, y, w, h = box
    slack = OUTSIDE_TOLERANCE
    return x < -slack or y < -slack or x + w > width + slack or y + h > height + slack


def dataset_health(connection: Connection) -> DatasetHealth:
    """The project's health figures, in three reads (items, final shapes, latest version)."""
    version_name, split_of = _latest_splits(connection)
    item_rows = connection.execute(
        select(items.c.id, items.c.width, items.c.height, items.c.status).order_by(items.c.id)
    ).all()
    sizes = {row.id: (row.width, row.height) for row in item_rows}
    names = dict(connection.execute(select(classes.c.id, classes.c.name)).all())
    ordered = connection.execute(
        select(classes.c.name).order_by(classes.c.position, classes.c.id)
    ).scalars()
    balance = {name: dict.fromkeys(HEALTH_SPLITS, 0) for name in ordered}
    per_image: Counter[int] = Counter()
    box_sizes, box_classes, outside = [], [], []
    shapes = connection.execute(
        select(
            annotations.c.id,
            annotations.c.item_id,
            annotations.c.class_id,
            annotations.c.kind,
            annotations.c.geometry,
        )
        .where(review_in(FINAL_REVIEWS))
        .order_by(annotations.c.id)
    )
    for shape in shapes:
        name = names[shape.class_id]
        balance[name][split_of.get(shape.item_id, NO_SPLIT)] += 1
        if shape.kind == AnnotationKind.TAG.value:
            continue
        per_image[shape.item_id] += 1
        if shape.kind == AnnotationKind.KEYPOINTS.value:
            continue
        width, height = sizes[shape.item_id]
        box = shape_box(shape.kind, shape.geometry, width, height)
        box_sizes.append((box[2], box[3]))
        box_classes.append(name)
        if _is_outside(box, width, height):
            outside.append(OutsideShape(shape.id, shape.item_id, tuple(box), (width, height)))
    objects_per_image = Counter(per_image.get(row.id, 0) for row in item_rows)
    return DatasetHealth(
        version=version_name,
        items=len(item_rows),
        class_balance=balance,
        objects_per_image=dict(sorted(objects_per_image.items())),
        box_sizes=tuple(box_sizes),
        box_classes=tuple(box_classes),
        outside=tuple(outside),
        never_reviewed=tuple(row.id for row in item_rows if row.status in UNREVIEWED_STATUSES),
    )
