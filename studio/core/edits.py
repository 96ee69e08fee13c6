"""The scope of one user edit: one short write transaction plus its history entry."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, delete, func, insert, select, text, update

from studio.core.database import Database
from studio.core.history import ChangeSet, append_entry, snapshot


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
        """Insert rows with consecutive new ids through one Core executemany.

        Inside `BEGIN IMMEDIATE` no other writer can take ids, so the next free AUTOINCREMENT
        value is known and the ids are assigned here instead of read back row by row.
        """
        if not rows:
            return []
        first_id = next_row_id(self.connection, table)
        ids = list(range(first_id, first_id + len(rows)))
        self.connection.execute(
            insert(table), [{**row, "id": row_id} for row, row_id in zip(rows, ids, strict=True)]
        )
        self.changes.record_bulk_insert(table, ids[0], ids[-1])
        return ids

    def update(self, table: Table, row_id: int, values: dict[str, Any]) -> None:
        before = snapshot(self.connection, table, row_id)
        if before is None:
            raise LookupError(f"{table.name} {row_id} does not exist")
        self.connection.execute(update(table).where(table.c.id == row_id).values(**values))
        self.changes.record(table, row_id, before, snapshot(self.connection, table, row_id))

    def delete(self, table: Table, row_id: int) -> None:
        before = snapshot(self.connection, table, row_id)
        if before is None:
            raise LookupError(f"{table.name} {row_id} does not exist")
        self.connection.execute(delete(table).where(table.c.id == row_id))
        self.changes.record(table, row_id, before, None)


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
