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
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

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
