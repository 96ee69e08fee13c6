"""Connections to the project file, with the pragmas and transaction rules Studio relies on.

Every connection gets WAL, foreign keys, a busy timeout, `synchronous=FULL` and
`trusted_schema=OFF`. Write transactions start with `BEGIN IMMEDIATE`, so two processes
that write at once take turns (see `begin_immediate`) instead of failing with "database is
locked" when a reader tries to upgrade its lock. Reads use ordinary deferred transactions,
which in WAL mode never block and never are blocked.

A project this process cannot write (a read-only file, or a file in a read-only folder) is
opened read-only and immutable: SQLite then neither writes the file nor creates `-wal` and
`-shm` beside it, and `Database.write` refuses every change with one line saying why.
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DatabaseError
from sqlalchemy.pool import Pool, QueuePool

from studio.core.errors import DamagedProjectError, ProjectFileError, ReadOnlyProjectError

# "STDO" in ASCII: marks a SQLite file as a Studio project (see `PRAGMA application_id`).
APPLICATION_ID = 0x5354444F
BUSY_TIMEOUT_MS = 30_000
WRITE_RETRY_PAUSE_S = (0.0002, 0.002)
SQLITE_BUSY = 5

CONNECTION_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
    "PRAGMA synchronous=FULL",
    "PRAGMA trusted_schema=OFF",
)
# A read-only connection writes nothing: no journal mode or synchronous setting to change.
READ_ONLY_PRAGMAS = (
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
    "PRAGMA trusted_schema=OFF",
    "PRAGMA query_only=ON",
)


def file_uri(path: Path, mode: str) -> str:
    """A SQLite `file:` URI for `path` (percent-encoded) opened in `mode` ("ro" or "rw").

    Unlike a plain path, these modes never create a missing file.
    """
    return f"{Path(path).absolute().as_uri()}?mode={mode}"


def read_only_uri(path: Path) -> str:
    """A `file:` URI that reads `path` as an immutable snapshot.

    `mode=ro` alone would still create `-wal` and `-shm` beside a WAL file (and could not
    remove them again); `immutable=1` reads the main file only. The file must be one no one
    writes meanwhile, which holds for a file or folder this process cannot write either.
    """
    return file_uri(path, "ro") + "&immutable=1"


def write_problem(path: Path) -> str | None:
    """Why this process cannot change the project file at `path`; None when it can.

    Changing a project writes the file and creates `-wal`/`-shm` beside it, so both the
    file and its folder must be writable.
    """
    path = Path(path).absolute()
    if not os.access(path, os.W_OK):
        return "the file is read-only"
    if not os.access(path.parent, os.W_OK | os.X_OK):
        return f"cannot write {path.parent}"
    return None


def configure_connection(dbapi_connection: sqlite3.Connection) -> None:
    """Apply Studio's pragmas to a fresh DB-API connection and take over transaction control."""
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
    cursor = dbapi_connection.cursor()
    try:
        for pragma in CONNECTION_PRAGMAS:
            cursor.execute(pragma)
        journal_mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
        if str(journal_mode).lower() != "wal":
            raise ProjectFileError(
                f"the project file cannot use write-ahead logging (journal mode stays "
                f"{journal_mode!r}); is it on a read-only or network drive?"
            )
    finally:
        cursor.close()


def configure_read_only_connection(dbapi_connection: sqlite3.Connection) -> None:
    """The pragmas of `configure_connection` that read, on a read-only connection."""
    dbapi_connection.isolation_level = None
    for pragma in READ_ONLY_PRAGMAS:
        dbapi_connection.execute(pragma)


def connect_read_only(path: Path, check_same_thread: bool = True) -> sqlite3.Connection:
    """A raw sqlite3 connection that reads `path` without ever writing beside it."""
    try:
        return sqlite3.connect(read_only_uri(path), uri=True, check_same_thread=check_same_thread)
    except sqlite3.OperationalError as error:
        raise ProjectFileError(f"{path}: cannot be opened: {error}") from error


def _is_busy(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)  # Python 3.11+
    if code is not None:
        return code & 0xFF == SQLITE_BUSY
    return "database is locked" in str(error)


def _file_of(dbapi_connection: sqlite3.Connection) -> str:
    return dbapi_connection.execute("PRAGMA database_list").fetchone()[2]


def begin_immediate(
    dbapi_connection: sqlite3.Connection, timeout_s: float = BUSY_TIMEOUT_MS / 1000
) -> None:
    """`BEGIN IMMEDIATE`, waiting up to `timeout_s` for the write lock.

    SQLite's own busy handler backs off to sleeps of 100 ms, so while one process writes
    continuously it retakes the lock at once after each commit and a second writer, asleep,
    can starve past the timeout. Trying again every millisecond or so (random pauses)
    finds the gap between two of the other's transactions within a few attempts.
    """
    deadline = time.monotonic() + timeout_s
    dbapi_connection.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                dbapi_connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if not _is_busy(error):
                    raise
                if time.monotonic() >= deadline:
                    raise ProjectFileError(
                        f"{_file_of(dbapi_connection)}: another connection kept the project "
                        f"locked for writing for more than {timeout_s:g} s"
                    ) from error
            time.sleep(random.uniform(*WRITE_RETRY_PAUSE_S))
    finally:
        dbapi_connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def _on_begin(connection: Connection) -> None:
    if connection.get_execution_options().get("studio_write"):
        begin_immediate(connection.connection.driver_connection)
    else:
        connection.exec_driver_sql("BEGIN DEFERRED")


def connect_file(path: Path, check_same_thread: bool = True) -> sqlite3.Connection:
    """A raw sqlite3 connection to an existing file; a missing file is an error, never created.

    The path goes through a percent-encoded `file:` URI, so a `?` or `#` in a folder name
    cannot be mistaken for URL options (which would open a different file).
    """
    try:
        return sqlite3.connect(
            file_uri(path, "rw"),
            uri=True,
            timeout=BUSY_TIMEOUT_MS / 1000,
            check_same_thread=check_same_thread,
        )
    except sqlite3.OperationalError as error:
        raise ProjectFileError(f"{path}: cannot be opened: {error}") from error


def open_sqlite(path: Path, check_same_thread: bool = True) -> sqlite3.Connection:
    """A plain sqlite3 connection to an existing file with Studio's pragmas, for maintenance."""
    connection = connect_file(path, check_same_thread)
    configure_connection(connection)
    return connection


def create_file_engine(
    path: Path, poolclass: type[Pool] = QueuePool, read_only: bool = False
) -> Engine:
    """A SQLAlchemy engine on an existing file, connecting through `connect_file` (or
    `connect_read_only`). Listeners for the pragmas and BEGIN are left to the caller.
    """
    connect = connect_read_only if read_only else connect_file
    return create_engine(
        "sqlite://",
        creator=lambda: connect(path, check_same_thread=False),
        poolclass=poolclass,
    )


class Database:
    """The engine of one project file, with `read()` and `write()` transaction scopes.

    With a `read_only_reason` (what `write_problem` said) the file is only read: `write()`
    refuses, and closing writes nothing.
    """

    def __init__(self, path: Path, read_only_reason: str | None = None) -> None:
        self.path = Path(path)
        self.read_only_reason = read_only_reason
        self.engine: Engine = create_file_engine(self.path, read_only=self.read_only)
        configure = configure_read_only_connection if self.read_only else configure_connection
        event.listen(self.engine, "connect", lambda connection, _record: configure(connection))
        event.listen(self.engine, "begin", _on_begin)
        self._watcher: sqlite3.Connection | None = None
        self._watcher_lock = threading.Lock()
        self._seen_data_version: int | None = None
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def read_only(self) -> bool:
        return self.read_only_reason is not None

    def _check_open(self) -> None:
        if self._closed:
            raise ProjectFileError(f"{self.path}: the project is closed")

    def check_writable(self) -> None:
        """Refuse a change to a read-only project before anything is written."""
        if self.read_only_reason is not None:
            raise ReadOnlyProjectError(
                f"{self.path}: the project is open read-only ({self.read_only_reason}); "
                "the change was not made"
            )

    @contextmanager
    def _damage_named(self) -> Iterator[None]:
        """SQLite's corruption errors ("database disk image is malformed"), said as what they
        are: a damaged project. Its other errors (locked, constraint, ...) pass unchanged."""
        try:
            yield
        except DatabaseError as error:
            if type(error.orig) is not sqlite3.DatabaseError:
                raise
            raise DamagedProjectError(
                f"{self.path}: damaged Studio project ({error.orig})"
            ) from error

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A deferred (snapshot) transaction for queries."""
        self._check_open()
        with self._damage_named(), self.engine.connect() as connection, connection.begin():
            yield connection

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One short `BEGIN IMMEDIATE` transaction; commits on success, rolls back on error."""
        self._check_open()
        self.check_writable()
        with (
            self._damage_named(),
            self.engine.connect().execution_options(studio_write=True) as connection,
            connection.begin(),
        ):
            yield connection

    def changed_since_last_check(self) -> bool:
        """True when any connection (this process's or another's) committed since the last call.

        Uses `PRAGMA data_version` on a dedicated connection, whose value changes whenever
        another connection commits to the file. The first call only takes the reference.
        """
        self._check_open()
        with self._watcher_lock:
            if self._watcher is None:
                self._watcher = (
                    connect_read_only(self.path, check_same_thread=False)
                    if self.read_only
                    else open_sqlite(self.path, check_same_thread=False)
                )
            version = self._watcher.execute("PRAGMA data_version").fetchone()[0]
            changed = self._seen_data_version is not None and version != self._seen_data_version
            self._seen_data_version = version
            return changed

    def close(self) -> None:
        """Checkpoint the WAL into the main file and close every connection (idempotent).

        When the last connection to the file closes, SQLite removes the `-wal` and `-shm`
        files, so a closed project is a single file; when another process still has it open,
        the checkpoint empties the `-wal`. A file moved away meanwhile is not created anew.
        """
        if self._closed:
            return
        self._closed = True
        with self._watcher_lock:
            if self._watcher is not None:
                self._watcher.close()
                self._watcher = None
        self.engine.dispose()
        if self.read_only:
            return
        connection = open_sqlite(self.path)
        try:
            # No waiting: a reader in another process may keep its snapshot for long; the
            # checkpoint then copies what it can and the last process to close finishes it.
            connection.execute("PRAGMA busy_timeout=0")
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            connection.close()


def backup_file(source: Path, target: Path) -> None:
    """Copy a (possibly open) project through the SQLite backup API, never by file copy.

    The copy is a standalone file in rollback-journal mode: no `-wal` beside it is needed.
    """
    try:
        source_connection = sqlite3.connect(
            file_uri(source, "rw"), uri=True, timeout=BUSY_TIMEOUT_MS / 1000
        )
    except sqlite3.OperationalError as error:
        raise ProjectFileError(f"{source}: cannot be opened for a backup: {error}") from error
    try:
        target_connection = sqlite3.connect(str(target))
        try:
            source_connection.backup(target_connection)
            target_connection.execute("PRAGMA journal_mode=DELETE")
        finally:
            target_connection.close()
    finally:
        source_connection.close()
