"""Project-wide settings: key → JSON value in the `setting` table.

Settings describe how the project is worked on (for example the labeling mode); they are
configuration, not labels, so they are not undo steps. Known keys are validated here so a
typo cannot leave a project in a state the GUI does not understand.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from studio.core.errors import InvalidEditError
from studio.core.schema import setting_table as settings

LABELING_MODE = "labeling_mode"
# objects: shapes on images (digit keys choose the active class); single_label: one tag per
# image (a digit key replaces the tag); multi_label: any tags (a digit key toggles one).
LABELING_MODES = ("objects", "single_label", "multi_label")
# Groups of images the user marked "not duplicates": each a list of image sha256 digests.
NOT_DUPLICATES = "not_duplicates"
DEFAULTS: dict[str, Any] = {LABELING_MODE: "objects"}
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _check_labeling_mode(value: Any) -> None:
    if value not in LABELING_MODES:
        raise InvalidEditError(
            f"setting {LABELING_MODE}: {value!r} is not one of {', '.join(LABELING_MODES)}"
        )


def _check_not_duplicates(value: Any) -> None:
    if not isinstance(value, list) or not all(
        isinstance(group, list) and all(isinstance(d, str) and _SHA256.fullmatch(d) for d in group)
        for group in value
    ):
        raise InvalidEditError(
            f"setting {NOT_DUPLICATES}: expected a list of lists of sha256 hex digests"
        )


VALIDATORS: dict[str, Callable[[Any], None]] = {
    LABELING_MODE: _check_labeling_mode,
    NOT_DUPLICATES: _check_not_duplicates,
}


def _check(key: str, value: Any) -> None:
    if not isinstance(key, str) or not key.strip():
        raise InvalidEditError(f"setting: the key {key!r} is not a non-empty string")
    try:
        json.dumps(value)
    except (TypeError, ValueError) as error:
        raise InvalidEditError(f"setting {key}: the value is not JSON ({error})") from None
    validator = VALIDATORS.get(key)
    if validator is not None:
        validator(value)


def all_settings(connection: Connection) -> dict[str, Any]:
    """Every setting, defaults filled in for known keys that were never set."""
    stored = dict(connection.execute(select(settings.c.key, settings.c.value)).all())
    return {**DEFAULTS, **stored}


def get_setting(connection: Connection, key: str, default: Any = None) -> Any:
    row = connection.execute(select(settings.c.value).where(settings.c.key == key)).first()
    if row is not None:
        return row[0]
    return DEFAULTS.get(key, default)


def set_setting(connection: Connection, key: str, value: Any) -> None:
    """Store `value` under `key` (None removes the key, so its default applies again)."""
    if value is None:
        connection.execute(delete(settings).where(settings.c.key == key))
        return
    _check(key, value)
    exists = connection.execute(select(settings.c.key).where(settings.c.key == key)).first()
    if exists is None:
        connection.execute(insert(settings).values(key=key, value=value))
    else:
        connection.execute(update(settings).where(settings.c.key == key).values(value=value))
