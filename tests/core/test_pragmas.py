"""Every connection to a project has Studio's pragmas, however and wherever it was made."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlalchemy import Connection

from studio.api import Project
from studio.core.database import APPLICATION_ID

EXPECTED = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": 2,  # FULL
    "trusted_schema": 0,
    "application_id": APPLICATION_ID,
}


def _pragmas(connection: Connection) -> dict[str, object]:
    names = [*EXPECTED, "busy_timeout"]
    return {name: connection.exec_driver_sql(f"PRAGMA {name}").scalar() for name in names}


def _check(values: dict[str, object]) -> None:
    assert {name: values[name] for name in EXPECTED} == EXPECTED
    assert values["busy_timeout"] >= 5000


def test_simultaneous_read_and_write_connections_all_have_the_pragmas(project: Project) -> None:
    database = project.context.database
    with ExitStack() as stack:
        readers = [stack.enter_context(database.read()) for _ in range(3)]
        connections = {id(c.connection.driver_connection) for c in readers}
        assert len(connections) == 3  # three distinct SQLite connections
        for connection in readers:
            _check(_pragmas(connection))
    with database.write() as writer:
        _check(_pragmas(writer))


def test_connections_made_in_other_threads_have_the_pragmas(project: Project) -> None:
    def read_pragmas(_: int) -> dict[str, object]:
        with project.context.database.read() as connection:
            return _pragmas(connection)

    with ThreadPoolExecutor(max_workers=4) as pool:
        for values in pool.map(read_pragmas, range(8)):
            _check(values)


@pytest.mark.parametrize("reopen", [False, True])
def test_a_reopened_project_has_the_pragmas(tmp_path: Path, reopen: bool) -> None:
    path = tmp_path / "p.studio"
    project = Project.create(path)
    if reopen:
        project.close()
        project = Project.open(path)
    with project, project.context.database.read() as connection:
        _check(_pragmas(connection))


def test_a_closed_project_is_one_self_contained_file(tmp_path: Path, image_folder: Path) -> None:
    path = tmp_path / "p.studio"
    with Project.create(path) as project:
        project.add_classes(["cat"])
        (item_id, *_) = project.import_media([image_folder]).added
        project.annotate(item_id, "cat", box=[1, 1, 10, 10])
        assert Path(f"{path}-wal").stat().st_size > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["images", "p.studio"]
    # Read with no WAL at all (`immutable`): everything must be in the main file.
    connection = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        assert connection.execute("SELECT count(*) FROM annotation").fetchone() == (1,)
        assert connection.execute("SELECT count(*) FROM item").fetchone() == (6,)
        assert connection.execute("PRAGMA application_id").fetchone() == (APPLICATION_ID,)
    finally:
        connection.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["images", "p.studio"]
