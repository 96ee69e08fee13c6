"""Label classes: create, change, archive, order, and look up by name or id."""

from __future__ import annotations

import colorsys
import re
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, func, select

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
