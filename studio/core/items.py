"""Edits of items: workflow status, split, tags, metadata, removal."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from studio.core.edits import Edit
from studio.core.enums import ItemStatus, Split, parse_enum
from studio.core.errors import InvalidEditError
from studio.core.history import snapshot_many
from studio.core.schema import annotation_table as annotations
from studio.core.schema import item_table as items


def _existing(edit: Edit, item_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    ids = list(dict.fromkeys(item_ids))
    rows = snapshot_many(edit.connection, items, ids)
    missing = [item_id for item_id in ids if item_id not in rows]
    if missing:
        raise InvalidEditError(f"unknown item ids: {missing[:10]}")
    return rows


REJECT_REASON = "reject_reason"  # the key of a rejected item's reason in its meta


def set_status(
    edit: Edit, item_ids: Iterable[int], status: str | ItemStatus, reason: str | None = None
) -> None:
    """Set the workflow status; `reason` (only with "rejected") goes to meta["reject_reason"].

    A reason describes a rejection, so leaving "rejected" drops it; rejecting again without
    a reason keeps the one given before.
    """
    value = _parse(ItemStatus, status, "status")
    rejecting = value == ItemStatus.REJECTED.value
    if reason is not None and not rejecting:
        raise InvalidEditError(f"status {value}: only a rejection takes a reason")
    reason = reason.strip() if reason is not None else None
    for item_id, row in _existing(edit, item_ids).items():
        meta = dict(row["meta"] or {})
        if not rejecting:
            meta.pop(REJECT_REASON, None)
        elif reason:
            meta[REJECT_REASON] = reason
        values: dict[str, Any] = {}
        if row["status"] != value:
            values["status"] = value
        if meta != (row["meta"] or {}):
            values["meta"] = meta
        if values:
            edit.update(items, item_id, {**values, "updated_at": edit.now})


def set_split(edit: Edit, item_ids: Iterable[int], split: str | Split | None) -> None:
    value = None if split in (None, "none") else _parse(Split, split, "split")
    for item_id, row in _existing(edit, item_ids).items():
        if row["split"] != value:
            edit.update(items, item_id, {"split": value, "updated_at": edit.now})


def _tag_list(tags: str | Iterable[str]) -> list[str]:
    """One tag given as a plain string is one tag, not a tag per character."""
    return [tags] if isinstance(tags, str) else [str(tag) for tag in tags]


def change_tags(
    edit: Edit,
    item_ids: Iterable[int],
    add: str | Iterable[str] = (),
    remove: str | Iterable[str] = (),
) -> None:
    to_add, to_remove = _tag_list(add), set(_tag_list(remove))
    if any(not tag.strip() for tag in to_add):
        raise InvalidEditError("tag: an empty tag name")
    for item_id, row in _existing(edit, item_ids).items():
        tags = [tag for tag in row["tags"] if tag not in to_remove]
        tags += [tag for tag in to_add if tag not in tags]
        if tags != row["tags"]:
            edit.update(items, item_id, {"tags": tags, "updated_at": edit.now})


def remove_items(edit: Edit, item_ids: Iterable[int]) -> None:
    """Delete items and their annotations (undo brings both back)."""
    for item_id in _existing(edit, item_ids):
        annotation_ids = edit.connection.execute(
            select(annotations.c.id).where(annotations.c.item_id == item_id)
        ).scalars()
        for annotation_id in list(annotation_ids):
            edit.delete(annotations, annotation_id)
        edit.delete(items, item_id)


def _parse(enum_type: type, value: object, what: str) -> str:
    try:
        return parse_enum(enum_type, value, what).value
    except ValueError as error:
        raise InvalidEditError(str(error)) from None
