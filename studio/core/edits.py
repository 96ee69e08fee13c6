"""The scope of one user edit: one short write transaction plus its history entry."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Column, Connection, Table, delete, func, insert, select, text, update

from studio.core.database import Database
from studio.core.history import ChangeSet, append_entry, snapshot, snapshot_many
from studio.core.schema import TRACKED_TABLES


@dataclass
class Edit:
    """Row operations inside an edit; each records its before/after for undo."""

    connection: Connection
    changes: ChangeSet
    now: float

    def insert(self, table: Table, values: dict[str, Any]) -> int:
        row_id = self.connection.execute(insert(table).values(**values)).inserted_primary_key[0]
        self.changes.record(table, row_id, None, snapshot(self.connection, table, row_id))
        return row_id

    def insert_many(self, table: Table, rows: list[dict[str, Any]]) -> list[int]:
        """Insert rows with consecutive new ids through one driver-level executemany.

        Inside `BEGIN IMMEDIATE` no other writer can take ids, so the next free AUTOINCREMENT
        value is known and the ids are assigned here instead of read back row by row. The
        statement is built from the table's own column names (never from input) and JSON
        values are encoded once here, which makes a 100,000-row import several times faster
        than SQLAlchemy's per-row parameter processing.
        """
        if not rows:
            return []
        first_id = next_row_id(self.connection, table)
        ids = list(range(first_id, first_id + len(rows)))
        names = list(rows[0])
        unknown = [name for name in names if name not in table.c]
        if unknown or any(len(row) != len(names) for row in rows):
            raise ValueError(f"insert_many into {table.name}: rows need the same known columns")
        statement = (
            f"INSERT INTO {table.name} ({', '.join(names)}, id) "
            f"VALUES ({', '.join('?' * (len(names) + 1))})"
        )
        self.connection.exec_driver_sql(statement, _parameters(table, names, rows, ids))
        self.changes.record_bulk_insert(table, ids[0], ids[-1])
        return ids

    def update(self, table: Table, row_id: int, values: dict[str, Any]) -> None:
        before = snapshot(self.connection, table, row_id)
        if before is None:
            raise LookupError(f"{table.name} {row_id} does not exist")
        self.connection.execute(update(table).where(table.c.id == row_id).values(**values))
        self.changes.record(table, row_id, before, snapshot(self.connection, table, row_id))

    def update_many(self, table: Table, changes: dict[int, dict[str, Any]]) -> None:
        """Give many rows each their own new values, logged exactly as `update` logs them.

        Rows changing the same columns share one driver-level executemany, and their "before"
        states are read in chunks, so updating 10,000 statuses costs a few statements instead
        of 30,000. Values must be in the form the table returns them (JSON columns as Python
        objects), since each "after" state is the "before" state with the values applied.
        """
        befores = snapshot_many(self.connection, table, changes)
        missing = [row_id for row_id in changes if row_id not in befores]
        if missing:
            raise LookupError(f"{table.name} {missing[:10]} do not exist")
        groups: dict[tuple[str, ...], list[int]] = {}
        for row_id, values in changes.items():
            groups.setdefault(tuple(values), []).append(row_id)
        for names, ids in groups.items():
            if any(name not in table.c or name == "id" for name in names):
                raise ValueError(f"update_many of {table.name}: unknown columns {names}")
            assignments = ", ".join(f"{name} = ?" for name in names)
            statement = f"UPDATE {table.name} SET {assignments} WHERE id = ?"
            rows = [changes[row_id] for row_id in ids]
            self.connection.exec_driver_sql(statement, _parameters(table, list(names), rows, ids))
        for row_id, values in changes.items():
            before = befores[row_id]
            self.changes.record(table, row_id, before, {**before, **values})

    def delete(self, table: Table, row_id: int) -> None:
        """Delete a row, and first, one by one, the tracked rows its deletion would cascade to.

        SQLite would delete those children silently (ON DELETE CASCADE); deleting them here
        records them, so undo brings them back too.
        """
        before = snapshot(self.connection, table, row_id)
        if before is None:
            raise LookupError(f"{table.name} {row_id} does not exist")
        for child, column in cascading_children(table):
            child_ids = self.connection.execute(select(child.c.id).where(column == row_id))
            for child_id in child_ids.scalars().all():
                self.delete(child, child_id)
        self.connection.execute(delete(table).where(table.c.id == row_id))
        self.changes.record(table, row_id, before, None)


def cascading_children(table: Table) -> list[tuple[Table, Column]]:
    """The tracked tables (and their columns) whose rows die with a row of `table`."""
    return [
        (child, key.parent)
        for child in TRACKED_TABLES.values()
        for key in child.foreign_keys
        if key.column.table is table and (key.ondelete or "").upper() == "CASCADE"
    ]


def _parameters(
    table: Table, names: list[str], rows: list[dict[str, Any]], ids: list[int]
) -> list[tuple[Any, ...]]:
    """Driver parameters for `insert_many`: the values in `names` order, then the id; JSON
    columns encoded as JSON text."""
    json_positions = [i for i, name in enumerate(names) if isinstance(table.c[name].type, JSON)]
    pick = itemgetter(*names)
    parameters = []
    for row, row_id in zip(rows, ids, strict=True):
        values = list(pick(row)) if len(names) > 1 else [pick(row)]
        for position in json_positions:
            value = values[position]
            if value is not None:
                values[position] = "{}" if value == {} else json.dumps(value)
        values.append(row_id)
        parameters.append(tuple(values))
    return parameters


def next_row_id(connection: Connection, table: Table) -> int:
    """The id SQLite's AUTOINCREMENT would give the next row of `table`."""
    sequence = connection.execute(
        text("SELECT seq FROM sqlite_sequence WHERE name = :name"), {"name": table.name}
    ).scalar()
    highest = connection.execute(select(func.max(table.c.id))).scalar()
    return max(sequence or 0, highest or 0) + 1


@contextmanager
def user_edit(database: Database, description: str, author: str) -> Iterator[Edit]:
    """Run an edit in one `BEGIN IMMEDIATE` transaction that also appends its undo entry.

    If the body raises, the transaction rolls back and the project is unchanged.
    """
    with database.write() as connection:
        edit = Edit(connection, ChangeSet(description), time.time())
        yield edit
        append_entry(connection, edit.changes, author)
