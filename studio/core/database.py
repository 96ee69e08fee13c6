"""Connections to the project file, with the pragmas and transaction rules Studio relies on.

Every connection gets WAL, foreign keys, a busy timeout, `synchronous=FULL` and
`trusted_schema=OFF`. Write transactions start with `BEGIN IMMEDIATE`, so two processes
that write at once queue on the busy timeout instead of failing with "database is locked"
when a reader tries to upgrade its lock. Reads use ordinary deferred transactions, which in
WAL mode never block and never are blocked.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event

# "STDO" in ASCII: marks a SQLite file as a Studio project (see `PRAGMA application_id`).
APPLICATION_ID = 0x5354444F
BUSY_TIMEOUT_MS = 30_000

CONNECTION_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
    "PRAGMA synchronous=FULL",
    "PRAGMA trusted_schema=OFF",
)


def configure_connection(dbapi_connection: sqlite3.Connection) -> None:
    """Apply Studio's pragmas to a fresh DB-API connection and take over transaction control."""
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
    cursor = dbapi_connection.cursor()
    for pragma in CONNECTION_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    configure_connection(dbapi_connection)


def _on_begin(connection: Connection) -> None:
    mode = "IMMEDIATE" if connection.get_execution_options().get("studio_write") else "DEFERRED"
    connection.exec_driver_sql(f"BEGIN {mode}")


def open_sqlite(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection with Studio's pragmas, for maintenance and backups."""
    connection = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
    configure_connection(connection)
    return connection


class Database:
    """The engine of one project file, with `read()` and `write()` transaction scopes."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.engine: Engine = create_engine(
            f"sqlite:///{self.path}",
            connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        )
        event.listen(self.engine, "connect", _on_connect)
        event.listen(self.engine, "begin", _on_begin)
        self._watcher: sqlite3.Connection | None = None
        self._seen_data_version: int | None = None

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A deferred (snapshot) transaction for queries."""
        with self.engine.connect() as connection, connection.begin():
            yield connection

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One short `BEGIN IMMEDIATE` transaction; commits on success, rolls back on error."""
        with (
            self.engine.connect().execution_options(studio_write=True) as connection,
            connection.begin(),
        ):
            yield connection

    def changed_since_last_check(self) -> bool:
        """True when any connection (this process's or another's) committed since the last call.

        Uses `PRAGMA data_version` on a dedicated connection, whose value changes whenever
        another connection commits to the file.
        """
        if self._watcher is None:
            self._watcher = open_sqlite(self.path)
        version = self._watcher.execute("PRAGMA data_version").fetchone()[0]
        changed = self._seen_data_version is not None and version != self._seen_data_version
        self._seen_data_version = version
        return changed

    def close(self) -> None:
        """Checkpoint the WAL into the main file and close every connection.

        When the last connection to the file closes, SQLite removes the `-wal` and `-shm`
        files, so a closed project is a single file.
        """
        if self._watcher is not None:
            self._watcher.close()
            self._watcher = None
        self.engine.dispose()
        connection = open_sqlite(self.path)
        try:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            connection.close()


def backup_file(source: Path, target: Path) -> None:
    """Copy a (possibly open) project through the SQLite backup API, never by file copy."""
    source_connection = sqlite3.connect(str(source))
    target_connection = sqlite3.connect(str(target))
    try:
        source_connection.backup(target_connection)
        target_connection.execute("PRAGMA journal_mode=DELETE")
    finally:
        target_connection.close()
        source_connection.close()
