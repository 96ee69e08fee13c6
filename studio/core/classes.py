"""Label classes: create, change, archive, order, and look up by name or id.

A class's meta may hold its schema: the user attributes its shapes carry
(`studio.core.attributes`, under "attributes") and its named keypoints with the skeleton
that joins them (`{"keypoints": [name, …], "skeleton": [[a, b], …]}`, the ends numbered from
1 as COCO numbers them).
"""

from __future__ import annotations

import colorsys
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from studio.core.attributes import SCHEMA_KEY, AttributeSpec, checked_schema
from studio.core.edits import Edit
from studio.core.errors import InvalidEditError
from studio.core.records import LabelClassRecord
from studio.core.schema import label_class_table as classes

_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_EDITABLE = {"name", "color", "hotkey", "position", "archived", "meta"}


def default_color(index: int) -> str:
    """Distinct, readable colours: golden-angle steps around the hue circle."""
    hue = (index * 0.618033988749895) % 1.0
    red, green, blue = colorsys.hsv_to_rgb(hue, 0.65, 0.95)
    return f"#{int(red * 255):02x}{int(green * 255):02x}{int(blue * 255):02x}"


def all_classes(connection: Connection, include_archived: bool = True) -> list[LabelClassRecord]:
    query = select(classes).order_by(classes.c.position, classes.c.id)
    if not include_archived:
        query = query.where(classes.c.archived.is_(False))
    return [LabelClassRecord.from_row(row) for row in connection.execute(query).mappings()]


def find_class(connection: Connection, label: str | int) -> LabelClassRecord:
    """The class named `label` (or with id `label`); raises InvalidEditError if unknown."""
    column = classes.c.id if isinstance(label, int) else classes.c.name
    row = connection.execute(select(classes).where(column == label)).mappings().first()
    if row is None:
        raise InvalidEditError(f"unknown class {label!r}")
    return LabelClassRecord.from_row(row)


def _check_values(values: dict[str, Any]) -> None:
    """Refuse unknown fields, empty names and malformed colours; strip the name."""
    unknown = set(values) - _EDITABLE
    if unknown:
        raise InvalidEditError(f"class: unknown fields {sorted(unknown)}")
    if "name" in values:
        values["name"] = str(values["name"]).strip()
        if not values["name"]:
            raise InvalidEditError("class: the name is empty")
    if "meta" in values and not isinstance(values["meta"], dict):
        raise InvalidEditError(f"class: meta {values['meta']!r:.60} is not a mapping")
    if "color" in values and not _COLOR.match(str(values["color"])):
        raise InvalidEditError(f"class: colour {values['color']!r} is not of the form #rrggbb")


def add_classes(edit: Edit, specs: Iterable[str | Mapping[str, Any]]) -> list[LabelClassRecord]:
    """Create the classes not present yet (by name); return all the named classes in order."""
    connection = edit.connection
    next_position = connection.execute(select(func.count()).select_from(classes)).scalar_one()
    result = []
    for spec in specs:
        values = {"name": spec} if isinstance(spec, str) else dict(spec)
        if "name" not in values:
            raise InvalidEditError(f"class: {spec!r} has no name")
        _check_values(values)
        existing = (
            connection.execute(select(classes).where(classes.c.name == values["name"]))
            .mappings()
            .first()
        )
        if existing is not None:
            result.append(LabelClassRecord.from_row(existing))
            continue
        values.setdefault("color", default_color(next_position))
        values.setdefault("position", next_position)
        values["created_at"] = edit.now
        class_id = edit.insert(classes, values)
        next_position += 1
        result.append(find_class(connection, class_id))
    return result


def update_class(edit: Edit, label: str | int, **values: Any) -> LabelClassRecord:
    """Change some of a class's fields; a name another class has is refused."""
    _check_values(values)
    record = find_class(edit.connection, label)
    if "name" in values:
        taken = edit.connection.execute(
            select(classes.c.id).where(classes.c.name == values["name"], classes.c.id != record.id)
        ).first()
        if taken is not None:
            raise InvalidEditError(f"class: the name {values['name']!r} is taken")
    edit.update(classes, record.id, values)
    return find_class(edit.connection, record.id)


# -- the schema of a class: its attributes, keypoints and skeleton -------------------------

KEYPOINTS_KEY, SKELETON_KEY = "keypoints", "skeleton"


@dataclass(frozen=True)
class KeypointSchema:
    """A class's named keypoints, in placing order, and the edges drawn between them
    (pairs of 1-based point numbers, as COCO writes them)."""

    names: tuple[str, ...] = ()
    skeleton: tuple[tuple[int, int], ...] = ()


def keypoint_schema(meta: Mapping[str, Any]) -> KeypointSchema:
    """The keypoints a class's meta names (an empty schema when it names none)."""
    return checked_keypoints(meta.get(KEYPOINTS_KEY) or (), meta.get(SKELETON_KEY) or ())


def checked_keypoints(names: Sequence[Any], skeleton: Iterable[Sequence[Any]]) -> KeypointSchema:
    """Keypoint names (non-empty, distinct) and skeleton edges joining two different points
    by their 1-based numbers; raises InvalidEditError naming the problem."""
    cleaned = tuple(str(name).strip() for name in names)
    if not all(cleaned):
        raise InvalidEditError("a keypoint has no name")
    repeated = sorted({name for name in cleaned if cleaned.count(name) > 1})
    if repeated:
        raise InvalidEditError(f"keypoint {repeated[0]!r} is named twice")
    edges = []
    for edge in skeleton:
        ends = tuple(edge)
        valid = len(ends) == 2 and all(
            isinstance(end, int) and not isinstance(end, bool) and 1 <= end <= len(cleaned)
            for end in ends
        )
        if not valid or ends[0] == ends[1]:
            raise InvalidEditError(
                f"skeleton edge {list(ends)!r} does not join two of the {len(cleaned)} keypoints"
            )
        edges.append((int(ends[0]), int(ends[1])))
    return KeypointSchema(cleaned, tuple(edges))


def set_class_schema(
    edit: Edit,
    label: str | int,
    attributes: Iterable[Mapping[str, Any] | AttributeSpec] | None = None,
    keypoints: KeypointSchema | None = None,
) -> LabelClassRecord:
    """Replace a class's attribute schema and/or its keypoints (None leaves one as it is);
    the rest of its meta is kept. An empty list or schema removes it from the meta."""
    record = find_class(edit.connection, label)
    meta = dict(record.meta)
    if attributes is not None:
        schema = [spec.to_meta() for spec in checked_schema(attributes)]
        _put(meta, SCHEMA_KEY, schema)
    if keypoints is not None:
        checked = checked_keypoints(keypoints.names, keypoints.skeleton)
        _put(meta, KEYPOINTS_KEY, list(checked.names))
        _put(meta, SKELETON_KEY, [list(edge) for edge in checked.skeleton])
    return update_class(edit, record.id, meta=meta)


def _put(meta: dict[str, Any], key: str, value: list) -> None:
    if value:
        meta[key] = value
    else:
        meta.pop(key, None)
