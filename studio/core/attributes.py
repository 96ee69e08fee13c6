"""What an annotation's `attributes` hold: the label formats' reserved flags and the user's own.

Label formats carry two kinds of values on a shape, and they must not mix. Reserved flags have
a fixed meaning that a format has its own place for: COCO's `iscrowd`, VOC's `difficult`,
`truncated`, `occluded` and `pose`, CVAT's `occluded` attribute and `z_order`, labelme's
`description`. User attributes are whatever a team defined on its labels (CVAT label
attributes, VOC's `<attributes>` block, labelme shape flags); their names are free, so a CVAT
label may well define an attribute called `occluded` that is not CVAT's occluded flag.

Stored layout (the `annotation.attributes` JSON column):

    {"occluded": 1, "z_order": 2, "user": {"occluded": "no", "colour": "red"}}

reserved flags at the top level, user attributes under `"user"`. Projects written before this
layout kept user attributes at the top level beside the flags, and scripts may still write
them so: any top-level key that is not a reserved flag is read as a user attribute.

Each format names the reserved flags it has a place of its own for (`native`). On reading, a
flag comes from that place only, and a value of that name in the format's free list of
attributes is a user attribute; a reserved flag the format has no place for is written into
its free list and read back from there as the flag (so a CVAT label attribute `difficult`
becomes VOC's `<difficult>`). A user attribute named like such a flag cannot be told apart
from it in that format: the flag is written.

A class may declare its user attributes, as CVAT and Label Studio do: a list of typed
attributes (`AttributeSpec`: text, number with an optional minimum and maximum, choice among
values, check box; each with a default) kept in `label_class.meta["attributes"]`. New shapes
of the class start with the defaults, and a value set on a shape is checked against its
attribute (`checked_value`). Attributes a shape holds that the class does not declare (an
import's, a script's) are kept as they are.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from studio.core.errors import InvalidEditError

RESERVED_FLAGS = frozenset(
    {"iscrowd", "difficult", "truncated", "occluded", "z_order", "pose", "description"}
)
# Flags that are numbers (0/1, or z_order's layer); read from a format's text they become ints.
NUMERIC_FLAGS = frozenset({"iscrowd", "difficult", "truncated", "occluded", "z_order"})
USER_KEY = "user"


def split_attributes(stored: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(reserved flags, user attributes) of stored attributes, in this or the older layout."""
    flags: dict[str, Any] = {}
    user: dict[str, Any] = {}
    nested: Mapping[str, Any] = {}
    for name, value in stored.items():
        if name in RESERVED_FLAGS:
            flags[name] = value
        elif name == USER_KEY and isinstance(value, Mapping):
            nested = value
        else:
            user[name] = value
    user.update(nested)
    return flags, user


def joined_attributes(flags: Mapping[str, Any], user: Mapping[str, Any]) -> dict[str, Any]:
    """The stored layout of `flags` and `user` (no `"user"` key when there are none)."""
    stored = {name: value for name, value in flags.items() if name in RESERVED_FLAGS}
    if user:
        stored[USER_KEY] = dict(user)
    return stored


def normalized_attributes(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """Attributes in either layout, in the stored layout."""
    return joined_attributes(*split_attributes(attributes))


def read_format_attributes(
    own_places: Mapping[str, Any], listed: Mapping[str, Any], native: Collection[str]
) -> dict[str, Any]:
    """Stored attributes from what a format read: the flags it has places for (`own_places`)
    and its free list of attributes (`listed`), given the flag names it has places for."""
    flags = {name: value for name, value in own_places.items() if name in RESERVED_FLAGS}
    user: dict[str, Any] = {}
    for name, value in listed.items():
        if name in RESERVED_FLAGS and name not in native:
            flags.setdefault(name, _flag_value(name, value))
        else:
            user[name] = value
    return joined_attributes(flags, user)


def _flag_value(name: str, value: Any) -> Any:
    """A numeric flag written as text ("1", "true", "-2") as the int it stands for."""
    if name not in NUMERIC_FLAGS or not isinstance(value, str):
        return value
    text = value.strip().lower()
    if text in ("true", "false"):
        return int(text == "true")
    if text.removeprefix("-").isdigit():
        return int(text)
    return value


def format_attributes(
    stored: Mapping[str, Any], native: Collection[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """What a writer puts where: (the flags the format has places for, its free list).

    The free list holds the user attributes and the reserved flags the format has no place
    for; a flag wins over a user attribute of the same name (see the module docstring).
    """
    flags, user = split_attributes(stored)
    own_places = {name: value for name, value in flags.items() if name in native}
    others = {name: value for name, value in flags.items() if name not in native}
    return own_places, {**user, **others}


# -- the attribute schema of a class -------------------------------------------------------

SCHEMA_KEY = "attributes"  # the key of a class's attribute schema in label_class.meta
ATTRIBUTE_TYPES = ("text", "number", "choice", "checkbox")
_TRUE_TEXTS = ("true", "yes", "1", "on")
_FALSE_TEXTS = ("false", "no", "0", "off", "")


@dataclass(frozen=True)
class AttributeSpec:
    """One attribute a class declares: its name, type, default and allowed values.

    `minimum` and `maximum` bound a number (either may be absent); `values` are a choice's.
    """

    name: str
    type: str = "text"
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    values: tuple[str, ...] = field(default_factory=tuple)

    @property
    def whole_numbers(self) -> bool:
        """A number attribute whose default and bounds are all whole (an integer field)."""
        given = [v for v in (self.default, self.minimum, self.maximum) if v is not None]
        return all(float(value).is_integer() for value in given)

    def to_meta(self) -> dict[str, Any]:
        """The JSON form kept in the class meta."""
        stored: dict[str, Any] = {"name": self.name, "type": self.type, "default": self.default}
        if self.minimum is not None:
            stored["min"] = self.minimum
        if self.maximum is not None:
            stored["max"] = self.maximum
        if self.type == "choice":
            stored["values"] = list(self.values)
        return stored


def attribute_spec(raw: Mapping[str, Any] | AttributeSpec) -> AttributeSpec:
    """A checked attribute from its JSON form (or an AttributeSpec); the default is filled in
    (text "", number its minimum or 0, choice its first value, check box unticked).

    Raises InvalidEditError naming the attribute and the problem.
    """
    if isinstance(raw, AttributeSpec):
        raw = raw.to_meta()
    if not isinstance(raw, Mapping):
        raise InvalidEditError(f"attribute {raw!r:.60} is not a mapping")
    name = str(raw.get("name") or "").strip()
    if not name:
        raise InvalidEditError("an attribute has no name")
    kind = raw.get("type", "text")
    if kind not in ATTRIBUTE_TYPES:
        raise InvalidEditError(
            f"attribute {name!r}: unknown type {kind!r} (use {', '.join(ATTRIBUTE_TYPES)})"
        )
    minimum = _bound(name, "min", raw.get("min")) if kind == "number" else None
    maximum = _bound(name, "max", raw.get("max")) if kind == "number" else None
    if minimum is not None and maximum is not None and minimum > maximum:
        raise InvalidEditError(f"attribute {name!r}: min {minimum:g} is above max {maximum:g}")
    values: tuple[str, ...] = ()
    if kind == "choice":
        values = tuple(str(value).strip() for value in raw.get("values") or ())
        if not values or not all(values):
            raise InvalidEditError(f"attribute {name!r}: a choice needs values, none empty")
        if len(set(values)) < len(values):
            raise InvalidEditError(f"attribute {name!r}: a choice's values repeat")
    spec = AttributeSpec(name, kind, None, minimum, maximum, values)
    default = raw.get("default")
    if default is None or (default == "" and kind != "text"):
        default = _empty_default(spec)
    try:
        default = checked_value(spec, default)
    except InvalidEditError as error:
        raise InvalidEditError(f"{error} (the default)") from None
    return AttributeSpec(name, kind, default, minimum, maximum, values)


def _bound(name: str, which: str, value: Any) -> float | None:
    if value is None or value == "":
        return None
    number = _number(value)
    if number is None:
        raise InvalidEditError(f"attribute {name!r}: {which} {value!r} is not a number")
    return number


def _empty_default(spec: AttributeSpec) -> Any:
    if spec.type == "number":
        return spec.minimum if spec.minimum is not None and spec.minimum > 0 else 0
    if spec.type == "choice":
        return spec.values[0]
    return False if spec.type == "checkbox" else ""


def _number(value: Any) -> int | float | None:
    """`value` as a finite number (an int when whole), or None; booleans are not numbers."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return int(value) if float(value).is_integer() else float(value)


def checked_value(spec: AttributeSpec, value: Any) -> Any:
    """`value` as the attribute stores it (text, number, one of the values, bool).

    Raises InvalidEditError with one line naming the attribute, the value and the rule.
    """
    if spec.type == "text":
        return "" if value is None else str(value)
    if spec.type == "number":
        number = _number(value)
        if number is None:
            raise InvalidEditError(f"attribute {spec.name!r}: {value!r} is not a number")
        if spec.minimum is not None and number < spec.minimum:
            raise InvalidEditError(
                f"attribute {spec.name!r}: {number:g} is below the minimum {spec.minimum:g}"
            )
        if spec.maximum is not None and number > spec.maximum:
            raise InvalidEditError(
                f"attribute {spec.name!r}: {number:g} is above the maximum {spec.maximum:g}"
            )
        return number
    if spec.type == "choice":
        text = str(value).strip()
        if text not in spec.values:
            raise InvalidEditError(
                f"attribute {spec.name!r}: {value!r} is not one of {', '.join(spec.values)}"
            )
        return text
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE_TEXTS or text in _FALSE_TEXTS:
        return text in _TRUE_TEXTS
    raise InvalidEditError(f"attribute {spec.name!r}: {value!r} is not true or false")


def checked_schema(specs: Iterable[Mapping[str, Any] | AttributeSpec]) -> list[AttributeSpec]:
    """Checked attributes in order; a name given twice is refused."""
    schema = [attribute_spec(raw) for raw in specs]
    seen: set[str] = set()
    for spec in schema:
        if spec.name in seen:
            raise InvalidEditError(f"attribute {spec.name!r} is declared twice")
        seen.add(spec.name)
    return schema


def attribute_schema(meta: Mapping[str, Any]) -> list[AttributeSpec]:
    """The attributes a class's meta declares (none when it declares none)."""
    return checked_schema(meta.get(SCHEMA_KEY) or ())


def default_values(schema: Iterable[AttributeSpec]) -> dict[str, Any]:
    """The user attributes a new shape of the class starts with."""
    return {spec.name: spec.default for spec in schema}


def typed_user_values(stored: Mapping[str, Any], schema: Iterable[AttributeSpec]) -> dict[str, Any]:
    """Stored attributes with the user values the schema declares in their type (formats
    write "true" and "3"); a value its attribute refuses stays as it was."""
    declared = {spec.name: spec for spec in schema}
    flags, user = split_attributes(stored)
    for name, value in user.items():
        if name in declared:
            with contextlib.suppress(InvalidEditError):
                user[name] = checked_value(declared[name], value)
    return joined_attributes(flags, user)


def with_user_values(
    stored: Mapping[str, Any], changes: Mapping[str, Any], schema: Iterable[AttributeSpec]
) -> dict[str, Any]:
    """Stored attributes with some user attributes changed; the declared ones are checked
    against the schema, others are kept as given (an import's free attributes)."""
    declared = {spec.name: spec for spec in schema}
    flags, user = split_attributes(stored)
    for name, value in changes.items():
        spec = declared.get(name)
        user[name] = checked_value(spec, value) if spec is not None else value
    return joined_attributes(flags, user)
