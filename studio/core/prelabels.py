"""Pre-labels: what a model suggests for a project's items, stored as pending suggestions.

A model here is a run, a registered model version, an exported bundle or a plugin's
pre-labeler (`PrelabelOptions.source`). Its predictions become PENDING suggestions (source
"model", the prediction's score, the model's name in the attributes) that a person accepts or
rejects; only items without final labels are pre-labeled unless asked otherwise. This module
holds what needs neither torch nor Qt: the options, the choice of items, the class mapping and
turning predictions into suggestions; `studio.jobs.prelabel_job` runs the models.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from studio.core.annotations import FINAL_REVIEWS, annotations_of_items
from studio.core.enums import AnnotationSource, ReviewState
from studio.core.errors import StudioError
from studio.core.queries import ItemQuery, item_ids
from studio.core.schema import item_table

# Predictions scoring less are not suggested: below it a classifier is guessing.
DEFAULT_THRESHOLD = 0.25
DEFAULT_BATCH_SIZE = 16
# `PrelabelOptions.source` of the project's newest finished run.
LATEST_RUN = "latest"


class ClassMappingError(StudioError):
    """The model predicts classes the project does not have, and no mapping says where they
    go; `unmapped` names them (the window asks for each)."""

    def __init__(self, message: str, unmapped: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.unmapped = tuple(unmapped)


@dataclass(frozen=True)
class PrelabelOptions:
    """What to pre-label with, which items, and how predictions become suggestions.

    `source`: a run (id or name, or "latest" for the newest finished run), a registered model
    (`NAME`, `NAME:VERSION`, `NAME:ALIAS`), an exported bundle (its folder or zip), or
    `assistant:NAME` for a plugin's pre-labeler.
    Items: `item_ids` when given, else those matching `filter` (a gallery filter), else all;
    of those, only the ones without final labels unless `include_labeled`.
    `class_mapping`: (model class, project class) pairs for the model classes whose names the
    project lacks; an empty project class drops that class's predictions.
    """

    source: str = LATEST_RUN
    item_ids: tuple[int, ...] | None = None
    filter: ItemQuery | None = None
    threshold: float = DEFAULT_THRESHOLD
    class_mapping: tuple[tuple[str, str], ...] = ()
    include_labeled: bool = False
    device: str = "auto"
    batch_size: int = DEFAULT_BATCH_SIZE

    def __post_init__(self) -> None:
        if not 0.0 <= self.threshold <= 1.0:
            raise StudioError(f"the threshold must be between 0 and 1, not {self.threshold}")
        if self.batch_size < 1:
            raise StudioError(f"the batch size must be at least 1, not {self.batch_size}")

    @property
    def assistant(self) -> str:
        """The pre-labeler assistant's name when the source is `assistant:NAME`, else ""."""
        kind, _, name = self.source.partition(":")
        return name.strip() if kind == "assistant" else ""


def parse_mapping(pairs: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """`MODEL_CLASS=PROJECT_CLASS` texts (as the command line gives them) as pairs."""
    mapping = []
    for text in pairs:
        model_class, equals, project_class = text.partition("=")
        if not equals or not model_class.strip():
            raise ClassMappingError(
                f"--map {text!r}: write MODEL_CLASS=PROJECT_CLASS (nothing after = drops the class)"
            )
        mapping.append((model_class.strip(), project_class.strip()))
    return tuple(mapping)


def map_classes(
    model_classes: Sequence[str],
    project_classes: Sequence[str],
    explicit: Iterable[tuple[str, str]],
    model: str,
) -> dict[str, str]:
    """Model class → project class: `explicit` pairs first, then the same name (exactly, else
    ignoring case). A class mapped to "" is left out. A model class with no project class, or
    a mapping to a class the project lacks, raises a ClassMappingError naming them all; the
    classes are never guessed otherwise."""
    given = dict(explicit)
    known = set(project_classes)
    by_folded = {name.casefold(): name for name in project_classes}
    unknown_targets = sorted({target for target in given.values() if target} - known)
    if unknown_targets:
        raise ClassMappingError(
            f"{model}: the mapping names classes the project does not have: "
            + ", ".join(map(repr, unknown_targets))
        )
    mapping: dict[str, str] = {}
    unmapped = []
    for name in model_classes:
        target = given.get(name, name if name in known else by_folded.get(name.casefold()))
        if target is None:
            unmapped.append(name)
        elif target:
            mapping[name] = target
    if unmapped:
        first = unmapped[0]
        raise ClassMappingError(
            f"{model}: the model's classes {', '.join(map(repr, unmapped))} are not in the "
            f"project; map each to a project class (command line: --map {first}=CLASS, or "
            f"--map {first}= to drop it; API: class_mapping=(({first!r}, 'CLASS'),))",
            unmapped,
        )
    return mapping


def items_to_prelabel(
    connection: Connection, options: PrelabelOptions, chosen: Sequence[int] | None = None
) -> list[int]:
    """The ids of the items `options` pre-labels, in gallery order. `chosen` (ids already
    picked, as a worker is handed them) replaces the options' own choice."""
    if chosen is None:
        chosen = options.item_ids
    if chosen is None:
        ids = item_ids(connection, options.filter or ItemQuery())
    else:
        wanted = list(dict.fromkeys(chosen))
        found = set()
        for start in range(0, len(wanted), 500):
            query = select(item_table.c.id).where(item_table.c.id.in_(wanted[start : start + 500]))
            found.update(connection.execute(query).scalars())
        missing = [item_id for item_id in wanted if item_id not in found]
        if missing:
            raise StudioError(f"unknown item ids: {missing[:10]}")
        ids = wanted
    if options.include_labeled:
        return list(ids)
    labeled = annotations_of_items(connection, ids, FINAL_REVIEWS)
    return [item_id for item_id in ids if not labeled.get(item_id)]


def suggested_by(connection: Connection, item_ids: Sequence[int], model: str) -> set[int]:
    """The items among `item_ids` that already hold a pending or rejected suggestion of
    `model`: pre-labeling them again would repeat what awaits review or was turned down."""
    reviews = frozenset({ReviewState.PENDING.value, ReviewState.REJECTED.value})
    shapes = annotations_of_items(connection, item_ids, reviews)
    return {
        item_id
        for item_id, records in shapes.items()
        if any(
            record.source == AnnotationSource.MODEL.value
            and record.attributes.get("model") == model
            for record in records
        )
    }


def as_suggestions(
    predictions: Iterable[Mapping[str, Any]],
    mapping: Mapping[str, str],
    threshold: float,
    model: str,
) -> list[dict[str, Any]]:
    """Predictions (annotation mappings whose `label` is a model class, with a `score`) as
    suggestion specs: classes mapped, those scoring under `threshold` or mapped to nothing
    left out, source "model" and the model's name in the attributes."""
    suggestions = []
    for prediction in predictions:
        label = mapping.get(str(prediction["label"]))
        score = prediction.get("score")
        if label is None or (score is not None and float(score) < threshold):
            continue
        attributes = {**dict(prediction.get("attributes") or {}), "model": model}
        suggestions.append(
            {
                **prediction,
                "label": label,
                "score": None if score is None else float(score),
                "source": AnnotationSource.MODEL.value,
                "attributes": attributes,
            }
        )
    return suggestions
