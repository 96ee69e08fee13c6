"""Undo and redo as a command log kept inside the project file.

Each user edit runs in one write transaction that changes some rows and appends one
`history` row listing, for every changed row, its state before and after. Undo writes the
"before" states back (in reverse order) and marks the entry undone; redo writes the "after"
states again. For a changed row only the columns the edit changed are written back, so
changes made outside the history (a relink, say) survive an undo. Because the log lives in
the file, undo survives closing and reopening the project, and it is unlimited. A new edit
discards the entries that were undone (the redo branch), as every editor does; an edit that
changes nothing leaves the history as it is.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from studio.core.errors import HistoryConflictError, NothingToUndoError
from studio.core.schema import TRACKED_TABLES, history_table, item_table

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


def _columns_of(table: Table, state: Row) -> Row:
    """The values of `state` for columns the table still has (a later migration may drop some)."""
    return {key: value for key, value in state.items() if key in table.c}


def _apply_row_change(connection: Connection, change: dict[str, Any], direction: str) -> None:
    """Bring one row to its `before` (undo) or `after` (redo) state.

    An update writes back only the columns the edit changed, so a later change of other
    columns made outside the history (a relink of the file path, say) is kept.
    """
    table = TRACKED_TABLES[change["table"]]
    row_id = change["id"]
    target = change["before" if direction == "undo" else "after"]
    source = change["after" if direction == "undo" else "before"]
    if target is None:
        connection.execute(delete(table).where(table.c.id == row_id))
    elif source is None:
        connection.execute(insert(table).values(**_columns_of(table, target)))
    else:
        values = {
            key: value
            for key, value in _columns_of(table, target).items()
            if key != "id" and source.get(key) != value
        }
        if not values:
            return
        result = connection.execute(update(table).where(table.c.id == row_id).values(**values))
        if result.rowcount != 1:
            raise HistoryConflictError(f"{table.name} {row_id} no longer exists")


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
        connection.execute(insert(table), [_columns_of(table, row) for row in change["rows"]])
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


def _next_entry(connection: Connection, undone: bool) -> Mapping[str, Any] | None:
    """The newest entry not undone yet (for undo) or the oldest undone one (for redo)."""
    order = history_table.c.id.asc() if undone else history_table.c.id.desc()
    query = select(history_table).where(history_table.c.undone.is_(undone)).order_by(order)
    return connection.execute(query.limit(1)).mappings().first()


def _replay(connection: Connection, changes: list[dict[str, Any]], direction: str) -> None:
    """Undo the changes in reverse order, or redo them in their original order."""
    ordered = reversed(changes) if direction == "undo" else changes
    for change in ordered:
        if "ids" not in change:
            _apply_row_change(connection, change, direction)
        elif direction == "undo":
            _undo_bulk_insert(connection, change)
        else:
            _redo_bulk_insert(connection, change)


def _step(connection: Connection, direction: str) -> HistoryStep:
    entry = _next_entry(connection, undone=direction == "redo")
    if entry is None:
        raise NothingToUndoError(f"nothing to {direction}")
    changes = entry["changes"]
    touched_before = _touched_items(changes)
    try:
        _replay(connection, changes, direction)
    except IntegrityError as error:
        raise HistoryConflictError(
            f"cannot {direction} {entry['description']!r}: a later change outside the "
            f"history conflicts with it ({error.orig})"
        ) from error
    except HistoryConflictError as error:
        raise HistoryConflictError(
            f"cannot {direction} {entry['description']!r}: {error}"
        ) from error
    connection.execute(
        update(history_table)
        .where(history_table.c.id == entry["id"])
        .values(undone=direction == "undo", changes=changes)
    )
    touched = set(touched_before) | set(_touched_items(changes))
    return HistoryStep(entry["id"], entry["description"], tuple(sorted(touched)))


def undo(connection: Connection) -> HistoryStep:
    """Revert the most recent edit that is not undone yet (in the caller's write transaction).

    Raises NothingToUndoError when every entry is undone, and HistoryConflictError when the
    rows changed outside the history in a way that makes the edit impossible to revert; the
    caller's transaction must then roll back.
    """
    return _step(connection, "undo")


def redo(connection: Connection) -> HistoryStep:
    """Apply again the oldest undone edit (raises like `undo`)."""
    return _step(connection, "redo")


def can_undo(connection: Connection) -> bool:
    query = select(history_table.c.id).where(history_table.c.undone.is_(False)).limit(1)
    return connection.execute(query).first() is not None


def can_redo(connection: Connection) -> bool:
    query = select(history_table.c.id).where(history_table.c.undone.is_(True)).limit(1)
    return connection.execute(query).first() is not None


def labels_revision(connection: Connection) -> tuple[Any, ...]:
    """A value that changes whenever classes, items or annotations change.

    Every label edit adds a history entry or flips one's `undone` flag; relinking rewrites
    item paths with a new `updated_at`. Windows compare it after a commit by another process
    to tell label changes (re-read the gallery) from training progress (re-read the runs).
    """
    # Three index lookups (history's primary key, ix_history_undone, ix_item_updated_at):
    # windows ask on the GUI thread after every commit by another process.
    newest_entry = connection.execute(select(func.max(history_table.c.id))).scalar()
    undone = connection.execute(
        select(func.count()).select_from(history_table).where(history_table.c.undone.is_(True))
    ).scalar()
    newest_item = connection.execute(select(func.max(item_table.c.updated_at))).scalar()
    return (newest_entry, undone, newest_item)
