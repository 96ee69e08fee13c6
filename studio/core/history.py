"""Undo and redo as a command log kept inside the project file.

Each user edit runs in one write transaction that changes some rows and appends one
`history` row listing, for every changed row, its state before and after. Undo writes the
"before" states back (in reverse order) and marks the entry undone; redo writes the "after"
states again. Because the log lives in the file, undo survives closing and reopening the
project, and it is unlimited. A new edit discards the entries that were undone (the redo
branch), as every editor does.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table, delete, insert, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from studio.core.errors import NothingToUndoError
from studio.core.schema import TRACKED_TABLES, history_table

Row = dict[str, Any]


@dataclass
class RowChange:
    table: str
    row_id: int
    before: Row | None
    after: Row | None

    def as_json(self) -> dict[str, Any]:
        return {"table": self.table, "id": self.row_id, "before": self.before, "after": self.after}


@dataclass
class BulkInsert:
    """Rows `first_id..last_id` of one table, inserted by one bulk edit.

    Their values are not copied into the log when they are inserted (that would double the
    cost of a large import); undo copies them into the entry just before deleting them, and
    redo inserts them back from there.
    """

    table: str
    first_id: int
    last_id: int

    def as_json(self) -> dict[str, Any]:
        return {"table": self.table, "ids": [self.first_id, self.last_id], "rows": None}


@dataclass
class ChangeSet:
    """The rows one edit changed, collected while the edit runs in its transaction."""

    description: str
    changes: list[RowChange | BulkInsert] = field(default_factory=list)

    def record(self, table: Table, row_id: int, before: Row | None, after: Row | None) -> None:
        if before != after:
            self.changes.append(RowChange(table.name, row_id, before, after))

    def record_bulk_insert(self, table: Table, first_id: int, last_id: int) -> None:
        if last_id >= first_id:
            self.changes.append(BulkInsert(table.name, first_id, last_id))


def snapshot(connection: Connection, table: Table, row_id: int) -> Row | None:
    """The current values of one row, as a plain dict, or None if it does not exist."""
    row = connection.execute(select(table).where(table.c.id == row_id)).mappings().first()
    return dict(row) if row is not None else None


def snapshot_many(connection: Connection, table: Table, row_ids: Iterable[int]) -> dict[int, Row]:
    ids = list(row_ids)
    rows: dict[int, Row] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for row in connection.execute(select(table).where(table.c.id.in_(chunk))).mappings():
            rows[row["id"]] = dict(row)
    return rows


def append_entry(connection: Connection, change_set: ChangeSet, author: str) -> int | None:
    """Store the edit's changes as a new history entry and drop the redo branch."""
    if not change_set.changes:
        return None
    connection.execute(delete(history_table).where(history_table.c.undone.is_(True)))
    result = connection.execute(
        history_table.insert().values(
            created_at=time.time(),
            author=author,
            description=change_set.description,
            changes=[change.as_json() for change in change_set.changes],
            undone=False,
        )
    )
    return result.inserted_primary_key[0]


def _restore(connection: Connection, table_name: str, row_id: int, state: Row | None) -> None:
    table = TRACKED_TABLES[table_name]
    if state is None:
        connection.execute(delete(table).where(table.c.id == row_id))
        return
    values: Mapping[str, Any] = {key: value for key, value in state.items() if key in table.c}
    statement = sqlite_insert(table).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.id],
        set_={key: statement.excluded[key] for key in values if key != "id"},
    )
    connection.execute(statement)


@dataclass(frozen=True)
class HistoryStep:
    """What an undo or redo did: the entry's description and the items it touched."""

    entry_id: int
    description: str
    item_ids: tuple[int, ...]


def _undo_bulk_insert(connection: Connection, change: dict[str, Any]) -> None:
    table = TRACKED_TABLES[change["table"]]
    first, last = change["ids"]
    in_range = table.c.id.between(first, last)
    query = select(table).where(in_range).order_by(table.c.id)
    change["rows"] = [dict(row) for row in connection.execute(query).mappings()]
    connection.execute(delete(table).where(in_range))


def _redo_bulk_insert(connection: Connection, change: dict[str, Any]) -> None:
    table = TRACKED_TABLES[change["table"]]
    if change["rows"]:
        connection.execute(insert(table), change["rows"])
    change["rows"] = None


def _states(change: dict[str, Any]) -> list[Row]:
    if "ids" in change:
        return list(change["rows"] or [])
    return [state for state in (change["before"], change["after"]) if state]


def _touched_items(changes: list[dict[str, Any]]) -> tuple[int, ...]:
    touched: set[int] = set()
    for change in changes:
        for state in _states(change):
            if not state:
                continue
            if change["table"] == "item":
                touched.add(state["id"])
            elif change["table"] == "annotation":
                touched.add(state["item_id"])
    return tuple(sorted(touched))


def undo(connection: Connection) -> HistoryStep:
    """Revert the most recent edit that is not undone yet."""
    entry = (
        connection.execute(
            select(history_table)
            .where(history_table.c.undone.is_(False))
            .order_by(history_table.c.id.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    if entry is None:
        raise NothingToUndoError("nothing to undo")
    changes = entry["changes"]
    touched_before = _touched_items(changes)
    for change in reversed(changes):
        if "ids" in change:
            _undo_bulk_insert(connection, change)
        else:
            _restore(connection, change["table"], change["id"], change["before"])
    connection.execute(
        update(history_table)
        .where(history_table.c.id == entry["id"])
        .values(undone=True, changes=changes)
    )
    touched = tuple(sorted(set(touched_before) | set(_touched_items(changes))))
    return HistoryStep(entry["id"], entry["description"], touched)


def redo(connection: Connection) -> HistoryStep:
    """Apply again the oldest undone edit."""
    entry = (
        connection.execute(
            select(history_table)
            .where(history_table.c.undone.is_(True))
            .order_by(history_table.c.id.asc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    if entry is None:
        raise NothingToUndoError("nothing to redo")
    changes = entry["changes"]
    touched = _touched_items(changes)
    for change in changes:
        if "ids" in change:
            _redo_bulk_insert(connection, change)
        else:
            _restore(connection, change["table"], change["id"], change["after"])
    connection.execute(
        update(history_table)
        .where(history_table.c.id == entry["id"])
        .values(undone=False, changes=changes)
    )
    return HistoryStep(entry["id"], entry["description"], touched)


def can_undo(connection: Connection) -> bool:
    query = select(history_table.c.id).where(history_table.c.undone.is_(False)).limit(1)
    return connection.execute(query).first() is not None


def can_redo(connection: Connection) -> bool:
    query = select(history_table.c.id).where(history_table.c.undone.is_(True)).limit(1)
    return connection.execute(query).first() is not None
