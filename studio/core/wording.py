"""Words a person reads: counted nouns with the right plural, and the descriptions of edits
(the undo history, "Undone: …" in the status bar, plugins' events) in class names and file
names rather than ids.

The description helpers read the rows an edit is about inside the edit's own transaction, so
they see the project as the edit found it; an id that does not exist gives a plain
description, and the edit itself then refuses it with its own error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any

from sqlalchemy import Connection, select

from studio.core.annotations import kind_of
from studio.core.schema import annotation_table as annotations
from studio.core.schema import item_table as items
from studio.core.schema import label_class_table as classes

_ES_ENDINGS = ("s", "x", "z", "ch", "sh")


def plural(noun: str) -> str:
    """The plural of an English noun as Studio uses them: "image" → "images", "box" →
    "boxes", "class" → "classes", "category" → "categories". A noun phrase ("image file")
    changes its last word."""
    if noun.endswith(_ES_ENDINGS):
        return noun + "es"
    if len(noun) > 1 and noun.endswith("y") and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


def counted(count: int, noun: str) -> str:
    """ "1 image", "0 images", "2,000 images", "3 boxes"."""
    return f"{count:,} {noun if count == 1 else plural(noun)}"


STATUS_WORDS = {"in_progress": "in progress", "done_empty": "done (nothing to label)"}


def status_words(status: str) -> str:
    """An item status as words ("in_progress" → "in progress")."""
    return STATUS_WORDS.get(status, status)


# -- edit descriptions -------------------------------------------------------------------


def item_name(connection: Connection, item_id: int) -> str:
    """The file name of an item's image ("img_0012.png"), or "image 12" if it is unknown."""
    path = connection.execute(select(items.c.path).where(items.c.id == item_id)).scalar()
    return PurePosixPath(str(path).replace("\\", "/")).name if path else f"image {item_id}"


def class_name(connection: Connection, label: str | int) -> str:
    """The name of the class `label` (a name or an id)."""
    if not isinstance(label, int):
        return str(label)
    name = connection.execute(select(classes.c.name).where(classes.c.id == label)).scalar()
    return str(name) if name is not None else f"class {label}"


def images_phrase(connection: Connection, item_ids: Sequence[int]) -> str:
    """One image by its file name, several by their number ("img_0012.png", "3 images")."""
    if len(item_ids) == 1:
        return item_name(connection, item_ids[0])
    return counted(len(item_ids), "image")


def _shape_word(kind: str) -> str:
    """An annotation kind as words ("rotated_box" → "rotated box")."""
    return kind.replace("_", " ")


def new_shape(connection: Connection, item_id: int, label: str | int, kind: str) -> str:
    """ "Add box (cat) on img_0012.png"; an image-level tag: "Add tag cat on img_0012.png"."""
    what = class_name(connection, label)
    image = item_name(connection, item_id)
    if kind == "tag":
        return f"Add tag {what} on {image}"
    return f"Add {_shape_word(kind)} ({what}) on {image}"


def shapes(connection: Connection, verb: str, annotation_ids: Sequence[int]) -> str:
    """ "Delete box (cat) on img_0012.png", "Delete 3 shapes on img_0012.png", "Delete 5
    shapes on 2 images" (`verb` capitalised)."""
    query = (
        select(annotations.c.item_id, annotations.c.kind, classes.c.name)
        .select_from(annotations.join(classes, classes.c.id == annotations.c.class_id))
        .where(annotations.c.id.in_(list(annotation_ids)))
    )
    rows = connection.execute(query).all()
    if not rows:
        return f"{verb} {counted(len(annotation_ids), 'shape')}"
    item_ids = sorted({row.item_id for row in rows})
    if len(rows) == 1:
        row = rows[0]
        where = item_name(connection, row.item_id)
        if row.kind == "tag":
            return f"{verb} tag {row.name} on {where}"
        return f"{verb} {_shape_word(row.kind)} ({row.name}) on {where}"
    return f"{verb} {counted(len(rows), 'shape')} on {images_phrase(connection, item_ids)}"


def added_shapes(connection: Connection, verb: str, specs: Sequence[Mapping[str, Any]]) -> str:
    """Shapes about to be added (mappings with `item_id`, `label` and one geometry key):
    "Add box (cat) on img_0012.png", "Suggest 12 shapes on 3 images"."""
    if len(specs) == 1:
        spec = specs[0]
        kind = kind_of(spec).value
        return verb + new_shape(connection, spec.get("item_id"), spec.get("label"), kind)[3:]
    item_ids = sorted({spec.get("item_id") for spec in specs}, key=str)
    return f"{verb} {counted(len(specs), 'shape')} on {images_phrase(connection, item_ids)}"
