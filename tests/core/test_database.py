"""The database layer: pragmas, BEGIN IMMEDIATE writes, deferred reads, close, backups."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from studio.api import Project
from studio.core.database import (
    APPLICATION_ID,
    BUSY_TIMEOUT_MS,
    Database,
    backup_file,
    begin_immediate,
    configure_connection,
    open_sqlite,
)
from studio.core.errors import ProjectFileError

WAIT_S = 30


def _other_connection(path: Path) -> sqlite3.Connection:
    """A foreign connection that fails at once instead of waiting for a lock."""
    return sqlite3.connect(str(path), timeout=0, isolation_level=None)


def _class_names(path: Path) -> list[str]:
    connection = sqlite3.connect(str(path))
    try:
        return [row[0] for row in connection.execute("SELECT name FROM label_class ORDER BY id")]
    finally:
        connection.close()


def _insert_class(connection: Connection, name: str) -> None:
    connection.execute(
        text(
            "INSERT INTO label_class (name, color, position, archived, created_at) "
            "VALUES (:name, '#000000', 0, 0, 0)"
        ),
        {"name": name},
    )


def _scalar(connection: Connection, sql: str) -> object:
    return connection.exec_driver_sql(sql).scalar()


def test_every_connection_gets_the_pragmas(project: Project) -> None:
    with project.context.database.read() as connection:
        assert _scalar(connection, "PRAGMA journal_mode") == "wal"
        assert _scalar(connection, "PRAGMA foreign_keys") == 1
        assert _scalar(connection, "PRAGMA busy_timeout") == BUSY_TIMEOUT_MS >= 5000
        assert _scalar(connection, "PRAGMA synchronous") == 2  # FULL
        assert _scalar(connection, "PRAGMA trusted_schema") == 0
        assert _scalar(connection, "PRAGMA application_id") == APPLICATION_ID


def test_a_connection_that_cannot_use_wal_is_refused() -> None:
    connection = sqlite3.connect(":memory:")
    with pytest.raises(ProjectFileError, match="write-ahead logging"):
        configure_connection(connection)
    connection.close()


def test_write_takes_the_write_lock_at_begin(project: Project) -> None:
    other = _other_connection(project.path)
    # Nothing is written inside: only BEGIN IMMEDIATE can hold the lock at this point.
    with project.context.database.write(), pytest.raises(sqlite3.OperationalError, match="locked"):
        other.execute("BEGIN IMMEDIATE")
    other.execute("BEGIN IMMEDIATE")
    other.execute("ROLLBACK")
    other.close()


def test_a_second_writer_waits_instead_of_failing(project: Project) -> None:
    second = Database(project.path)
    started, finished = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def write_from_another_connection() -> None:
        try:
            started.set()
            with second.write() as connection:
                _insert_class(connection, "second")
        except BaseException as error:  # reported to the main thread below
            errors.append(error)
        finally:
            finished.set()

    with project.context.database.write() as connection:
        _insert_class(connection, "first")
        thread = threading.Thread(target=write_from_another_connection)
        thread.start()
        assert started.wait(WAIT_S)
        assert not finished.wait(0.3), "the second writer did not wait for the first"
    thread.join(WAIT_S)
    second.close()
    assert errors == []
    assert _class_names(project.path) == ["first", "second"]


def test_a_writer_gives_up_with_a_clear_error_after_its_timeout(project: Project) -> None:
    holder = _other_connection(project.path)
    holder.execute("BEGIN IMMEDIATE")
    waiting = open_sqlite(project.path)
    with pytest.raises(ProjectFileError, match=r"test\.studio: another connection kept"):
        begin_immediate(waiting, timeout_s=0.05)
    assert not waiting.in_transaction
    assert waiting.execute("PRAGMA busy_timeout").fetchone() == (BUSY_TIMEOUT_MS,)
    holder.execute("ROLLBACK")
    begin_immediate(waiting, timeout_s=0.05)
    assert waiting.in_transaction
    waiting.execute("ROLLBACK")
    waiting.close()
    holder.close()


def test_reads_are_deferred_snapshots_that_never_block_a_writer(project: Project) -> None:
    other = _other_connection(project.path)
    with project.context.database.read() as connection:
        assert _scalar(connection, "SELECT count(*) FROM label_class") == 0
        other.execute("BEGIN IMMEDIATE")
        other.execute(
            "INSERT INTO label_class (name, color, position, archived, created_at) "
            "VALUES ('late', '#000000', 0, 0, 0)"
        )
        other.execute("COMMIT")
        assert _scalar(connection, "SELECT count(*) FROM label_class") == 0, (
            "a read transaction saw a commit made after it began"
        )
    other.close()
    assert [label.name for label in project.classes()] == ["late"]


def _write_then_fail(database: Database) -> None:
    with database.write() as connection:
        _insert_class(connection, "lost")
        raise RuntimeError("boom")


def test_a_failing_write_rolls_back(project: Project) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        _write_then_fail(project.context.database)
    assert project.classes() == []


def test_close_checkpoints_into_one_file(tmp_path: Path) -> None:
    path = tmp_path / "one.studio"
    project = Project.create(path)
    project.add_classes(["a", "b"])
    assert Path(f"{path}-wal").exists()
    project.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.studio"]
    assert _class_names(path) == ["a", "b"]


def test_close_truncates_the_wal_while_another_connection_stays_open(tmp_path: Path) -> None:
    path = tmp_path / "shared.studio"
    project = Project.create(path)
    bystander = open_sqlite(path)
    project.add_classes(["a"])
    assert Path(f"{path}-wal").stat().st_size > 0
    project.close()
    assert Path(f"{path}-wal").stat().st_size == 0
    bystander.close()
    assert _class_names(path) == ["a"]


def test_close_does_not_wait_for_a_reader_of_another_connection(tmp_path: Path) -> None:
    path = tmp_path / "read.studio"
    project = Project.create(path)
    project.add_classes(["a"])
    reader = open_sqlite(path)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM label_class").fetchone()  # holds its snapshot
    closed = threading.Event()
    thread = threading.Thread(target=lambda: (project.close(), closed.set()))
    thread.start()
    # The busy timeout is 30 s: a close that waited for the reader would still be running.
    assert closed.wait(WAIT_S / 3), "close() waited for another connection's read"
    reader.execute("COMMIT")
    reader.close()
    thread.join(WAIT_S)
    assert _class_names(path) == ["a"]


def test_close_is_idempotent_and_a_closed_project_refuses_work(tmp_path: Path) -> None:
    path = tmp_path / "closed.studio"
    project = Project.create(path)
    project.close()
    project.close()
    with pytest.raises(ProjectFileError, match="closed"):
        project.add_classes(["a"])
    with pytest.raises(ProjectFileError, match="closed"):
        project.classes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["closed.studio"]


def test_close_never_recreates_a_file_that_was_moved_away(tmp_path: Path) -> None:
    path = tmp_path / "moving.studio"
    project = Project.create(path)
    project.add_classes(["a"])
    project.context.database.engine.dispose()  # no pooled connection keeps the old inode open
    path.rename(tmp_path / "moved.studio")
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    with pytest.raises(ProjectFileError):
        project.close()
    assert not path.exists()


def test_backup_of_an_open_project_is_a_valid_standalone_copy(tmp_path: Path) -> None:
    project = Project.create(tmp_path / "live.studio")
    project.add_classes(["a", "b"])  # still in the WAL: the project is open
    target = tmp_path / "copy.studio"
    backup_file(project.path, target)
    project.add_classes(["c"])
    project.close()
    assert not Path(f"{target}-wal").exists()
    connection = sqlite3.connect(str(target))
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert connection.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    assert connection.execute("PRAGMA application_id").fetchone() == (APPLICATION_ID,)
    connection.close()
    with Project.open(target) as copy:
        assert [label.name for label in copy.classes()] == ["a", "b"]


def test_backup_of_a_missing_file_fails_and_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(ProjectFileError, match=r"missing\.studio"):
        backup_file(tmp_path / "missing.studio", tmp_path / "copy.studio")
    assert list(tmp_path.iterdir()) == []


def test_a_question_mark_in_the_folder_name_opens_that_very_file(tmp_path: Path) -> None:
    folder = tmp_path / "what?#not a query"
    folder.mkdir()
    path = folder / "odd.db"
    connection = sqlite3.connect(str(path))
    connection.execute("CREATE TABLE note (text TEXT)")
    connection.close()
    database = Database(path)
    with database.write() as writer:
        writer.exec_driver_sql("INSERT INTO note VALUES ('here')")
    database.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == [folder.name]
    connection = sqlite3.connect(str(path))
    assert connection.execute("SELECT text FROM note").fetchall() == [("here",)]
    connection.close()


def test_a_project_in_a_folder_named_like_a_url_query(tmp_path: Path) -> None:
    folder = tmp_path / "labels?v=2#draft"
    folder.mkdir()
    with Project.create(folder / "odd.studio") as project:
        project.add_classes(["a"])
    assert sorted(p.name for p in tmp_path.iterdir()) == [folder.name]
    assert sorted(p.name for p in folder.iterdir()) == ["odd.studio"]
    with Project.open(folder / "odd.studio") as project:
        assert [label.name for label in project.classes()] == ["a"]


def test_poll_changes_sees_commits_of_other_connections(project: Project) -> None:
    assert project.poll_changes() is False  # the first poll only takes the reference
    assert project.poll_changes() is False
    other = open_sqlite(project.path)
    other.execute(
        "INSERT INTO label_class (name, color, position, archived, created_at) "
        "VALUES ('x', '#000000', 0, 0, 0)"
    )
    other.close()
    assert project.poll_changes() is True
    assert project.poll_changes() is False


def test_poll_changes_works_from_another_thread(project: Project) -> None:
    project.poll_changes()
    project.add_classes(["a"])
    seen: list[bool] = []
    thread = threading.Thread(target=lambda: seen.append(project.poll_changes()))
    thread.start()
    thread.join(WAIT_S)
    assert seen == [True]
