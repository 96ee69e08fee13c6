"""Creating and opening project files: identity check, schema upgrade with backup.

A project file is a SQLite database whose `application_id` is Studio's and whose alembic
revision is one this Studio knows. Opening an older file first copies it through the SQLite
backup API to `NAME.studio.backup-<revision>-<time>`, then upgrades it in one transaction.
A file from a newer Studio is refused and left untouched: it is only read, read-only.

A project this process cannot write (the file or its folder is read-only) opens read-only
(see `studio.core.database`); an older one of those cannot be backed up and upgraded, so it
is refused. Errors say what is true: a foreign file is "not a Studio project", a Studio file
SQLite cannot read is a "damaged Studio project" (with SQLite's reason).
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, event
from sqlalchemy.pool import NullPool

from studio.core.database import (
    APPLICATION_ID,
    Database,
    backup_file,
    configure_connection,
    connect_file,
    connect_read_only,
    create_file_engine,
    write_problem,
)
from studio.core.errors import (
    DamagedProjectError,
    NewerProjectError,
    NotAProjectError,
    ProjectFileError,
    ReadOnlyProjectError,
)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
PROJECT_SUFFIX = ".studio"
# The first 100 bytes of every SQLite file: a magic string, and the application id at 68.
SQLITE_HEADER_SIZE = 100
SQLITE_MAGIC = b"SQLite format 3\x00"
APPLICATION_ID_OFFSET = 68


def store_dir_of(project_path: Path) -> Path:
    """`NAME.studio.d` beside the project file: copied media, run folders (checkpoints, logs),
    caches. Artifact paths stored in the project are relative to it."""
    return project_path.with_name(project_path.name + ".d")


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def known_revisions() -> set[str]:
    return {
        script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()
    }


def _migration_engine(path: Path) -> Engine:
    """An engine whose connections have foreign keys off, as batch table rebuilds require."""
    engine = create_file_engine(path, poolclass=NullPool)

    def on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        configure_connection(dbapi_connection)
        dbapi_connection.execute("PRAGMA foreign_keys=OFF")

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "begin", lambda connection: connection.exec_driver_sql("BEGIN IMMEDIATE"))
    return engine


def upgrade_schema(path: Path, target: str = "head") -> None:
    """Run the migrations up to `target` in one transaction, then check foreign keys."""
    engine = _migration_engine(path)
    try:
        with engine.connect() as connection, connection.begin():
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, target)
            problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise ProjectFileError(f"{path}: upgrade broke foreign keys: {problems[:5]}")
    finally:
        engine.dispose()


def header_application_id(path: Path) -> int:
    """The application id in the file's SQLite header; NotAProjectError for a foreign file.

    Read from the bytes, not through SQLite, so a Studio project whose pages are damaged is
    still recognised as one.
    """
    with open(path, "rb") as stream:
        header = stream.read(SQLITE_HEADER_SIZE)
    if not header:
        raise NotAProjectError(f"{path}: not a Studio project (the file is empty)")
    if len(header) < SQLITE_HEADER_SIZE or not header.startswith(SQLITE_MAGIC):
        raise NotAProjectError(f"{path}: not a Studio project (not a SQLite database)")
    application_id = int.from_bytes(
        header[APPLICATION_ID_OFFSET : APPLICATION_ID_OFFSET + 4], "big"
    )
    if application_id != APPLICATION_ID:
        raise NotAProjectError(f"{path}: not a Studio project (application_id {application_id:#x})")
    return application_id


def read_revision(path: Path, read_only: bool) -> str | None:
    """The file's alembic revision, read without changing the file.

    A writable file is read through a read-write but `query_only` connection: a read-only
    connection to a WAL file cannot remove the `-wal` and `-shm` files it creates, so a
    refused file would not be left as it was found. A read-only file is read immutable.
    """
    connection = connect_read_only(path) if read_only else connect_file(path)
    try:
        if not read_only:
            connection.execute("PRAGMA query_only=ON")
        has_version = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
        ).fetchone()
        if not has_version:
            return None
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        return row[0] if row else None
    except sqlite3.DatabaseError as error:
        raise DamagedProjectError(f"{path}: damaged Studio project ({error})") from error
    finally:
        connection.close()


def read_identity(path: Path, read_only: bool = False) -> tuple[int, str | None]:
    """The file's application id and alembic revision (see the two functions above)."""
    return header_application_id(path), read_revision(path, read_only)


def create_project_file(path: Path) -> Database:
    path = Path(path)
    if path.exists():
        raise ProjectFileError(f"{path}: already exists; open it instead")
    if not path.parent.is_dir():
        raise ProjectFileError(f"{path}: the folder {path.parent} does not exist")
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise ProjectFileError(f"{path}: cannot write {path.parent}")
    connection = sqlite3.connect(str(path))
    try:
        configure_connection(connection)
        connection.execute(f"PRAGMA application_id={APPLICATION_ID}")
    finally:
        connection.close()
    try:
        upgrade_schema(path)
    except Exception:
        path.unlink(missing_ok=True)
        raise
    return Database(path)


def backup_path_for(path: Path, revision: str) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return path.with_name(f"{path.name}.backup-{revision}-{stamp}")


def open_project_file(path: Path) -> Database:
    """Open an existing project, upgrading an older schema after a backup.

    A project this process cannot write opens read-only; an older one is refused, since
    neither its backup nor its upgrade could be written.
    """
    path = Path(path)
    if not path.is_file():
        raise ProjectFileError(f"{path}: no such project file")
    read_only_reason = write_problem(path)
    _, revision = read_identity(path, read_only=read_only_reason is not None)
    if revision is None:
        raise NotAProjectError(f"{path}: has no schema revision; it is not a Studio project")
    if revision not in known_revisions():
        raise NewerProjectError(
            f"{path}: written by a newer Studio (schema {revision}; this Studio knows up to "
            f"{head_revision()}). Update Studio to open it; the file was not changed."
        )
    if revision != head_revision():
        if read_only_reason is not None:
            raise ReadOnlyProjectError(
                f"{path} is read-only and from an older Studio; copy it somewhere writable to "
                "upgrade"
            )
        backup_file(path, backup_path_for(path, revision))
        upgrade_schema(path)
    return Database(path, read_only_reason)


def current_revision(database: Database) -> str | None:
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
