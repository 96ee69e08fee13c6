"""What the points of the map of the data can be coloured by: an open registry.

A `ColouringSpec` turns item ids into one value per item: a category (a class name, a split, a
status) or a score (a number, drawn on a colour ramp). Studio's own (class, split, status, and
the label quality of `studio.core.label_issues`) come through the `studio_map_colourings` hook
of its default plugin (`studio.plugins.builtin_colourings`), so an installed or project plugin
adds its own the same way.

Core only: a spec reads the project through the SQLAlchemy connection it is handed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.engine import Connection

from studio.core.annotations import FINAL_REVIEWS, review_in
from studio.core.schema import annotation_table, item_table, label_class_table

ColouringKind = Literal["category", "score"]
ColourValue = str | float | None
NO_CLASS = "(no class)"
NO_SPLIT = "(no split)"
SEVERAL_CLASSES = "(several classes)"
CHUNK = 500  # ids per query: well under SQLite's limit of bound parameters


@dataclass(frozen=True)
class ColouringSpec:
    """One "colour by" entry of the map.

    name: identifier, unique across plugins ("class").
    title: what the window's "Colour by" list shows ("Class").
    kind: "category" (each distinct value its own colour, with a legend) or "score" (numbers
        on a ramp from low to high; None where an item has no score).
    values: called with a read connection to the project and item ids; returns item id →
        value. Ids it leaves out have no value (drawn grey).
    """

    name: str
    title: str
    kind: ColouringKind
    values: Callable[[Connection, Sequence[int]], Mapping[int, ColourValue]]


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    unique = list(dict.fromkeys(int(item_id) for item_id in ids))
    return [unique[start : start + CHUNK] for start in range(0, len(unique), CHUNK)]


def item_classes(connection: Connection, ids: Sequence[int]) -> dict[int, str]:
    """Item id → the class of its human or accepted shapes: the name when there is one,
    `SEVERAL_CLASSES` when they differ, `NO_CLASS` when it has none (pending and rejected
    suggestions do not count: the map shows what a dataset version would take)."""
    names: dict[int, set[str]] = {}
    for chunk in _chunks(ids):
        query = (
            select(annotation_table.c.item_id, label_class_table.c.name)
            .join(label_class_table, label_class_table.c.id == annotation_table.c.class_id)
            .where(annotation_table.c.item_id.in_(chunk), review_in(FINAL_REVIEWS))
            .distinct()
        )
        for item_id, name in connection.execute(query):
            names.setdefault(item_id, set()).add(name)
    found = {}
    for item_id in ids:
        present = names.get(item_id, set())
        found[item_id] = (
            next(iter(present)) if len(present) == 1 else SEVERAL_CLASSES if present else NO_CLASS
        )
    return found


def _item_column(column: str, missing: str) -> Callable[[Connection, Sequence[int]], dict]:
    def values(connection: Connection, ids: Sequence[int]) -> dict[int, ColourValue]:
        found: dict[int, ColourValue] = {}
        for chunk in _chunks(ids):
            query = select(item_table.c.id, item_table.c[column]).where(item_table.c.id.in_(chunk))
            found.update(
                (item_id, value or missing) for item_id, value in connection.execute(query)
            )
        return found

    return values


def builtin_colourings() -> list[ColouringSpec]:
    """Studio's own: by class, by split, by status."""
    return [
        ColouringSpec("class", "Class", "category", item_classes),
        ColouringSpec("split", "Split", "category", _item_column("split", NO_SPLIT)),
        ColouringSpec("status", "Status", "category", _item_column("status", "")),
    ]
