"""Creating and opening project files: what is refused, and that a refused file is untouched."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from studio.api import Project
from studio.core.database import APPLICATION_ID
from studio.core.errors import (
    DamagedProjectError,
    NewerProjectError,
    NotAProjectError,
    ProjectFileError,
)
from studio.core.project_file import backup_path_for, head_revision, read_identity


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def _set_revision(path: Path, revision: str) -> None:
    connection = sqlite3.connect(path)
    with connection:
        connection.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    connection.close()


def test_create_makes_a_head_revision_studio_file(tmp_path: Path) -> None:
    path = tmp_path / "new.studio"
    Project.create(path).close()
    assert read_identity(path) == (APPLICATION_ID, head_revision())
    assert _names(tmp_path) == ["new.studio"]


def test_create_refuses_an_existing_file_and_leaves_it_alone(tmp_path: Path) -> None:
    path = tmp_path / "taken.studio"
    Project.create(path).close()
    before = _digest(path)
    with pytest.raises(ProjectFileError, match="already exists"):
        Project.create(path)
    assert _digest(path) == before
    other = tmp_path / "notes.studio"
    other.write_text("my notes")
    with pytest.raises(ProjectFileError, match="already exists"):
        Project.create(other)
    assert other.read_text() == "my notes"


def test_create_in_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ProjectFileError, match="does not exist"):
        Project.create(tmp_path / "nowhere" / "p.studio")
    assert _names(tmp_path) == []


def test_a_newer_revision_is_refused_and_the_file_is_byte_for_byte_unchanged(
    tmp_path: Path,
) -> None:
    path = tmp_path / "future.studio"
    with Project.create(path) as project:
        project.add_classes(["cat"])
    _set_revision(path, "9999")
    before = _digest(path)
    with pytest.raises(NewerProjectError, match="9999") as raised:
        Project.open(path)
    assert str(path) in str(raised.value)
    assert "newer Studio" in str(raised.value)
    assert _digest(path) == before
    assert _names(tmp_path) == ["future.studio"]  # no backup, no -wal, no -shm


def test_a_file_that_is_not_sqlite_is_refused_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "photo.studio"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20)
    before = _digest(path)
    with pytest.raises(NotAProjectError, match="not a Studio project") as raised:
        Project.open(path)
    assert str(path) in str(raised.value)
    assert _digest(path) == before
    assert _names(tmp_path) == ["photo.studio"]


def test_a_sqlite_file_of_another_application_is_refused_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "other.studio"
    connection = sqlite3.connect(path)
    with connection:
        connection.execute("PRAGMA application_id = 1234")
        connection.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT)")
    connection.close()
    before = _digest(path)
    with pytest.raises(NotAProjectError, match="0x4d2"):
        Project.open(path)
    assert _digest(path) == before


def test_a_studio_project_sqlite_cannot_read_is_called_damaged_with_sqlites_reason(
    tmp_path: Path,
) -> None:
    path = tmp_path / "damaged.studio"
    Project.create(path).close()
    data = bytearray(path.read_bytes())
    data[100:400] = b"\xff" * 300  # the schema page's b-tree, just past the file header
    path.write_bytes(bytes(data))
    with pytest.raises(DamagedProjectError) as raised:
        Project.open(path)
    assert str(raised.value) == (
        f"{path}: damaged Studio project (database disk image is malformed)"
    )
    assert path.read_bytes() == data
    assert _names(tmp_path) == ["damaged.studio"]


def test_damage_found_after_opening_is_called_damaged_too(tmp_path: Path) -> None:
    path = tmp_path / "damaged.studio"
    Project.create(path).close()
    connection = sqlite3.connect(path)
    root_page = connection.execute(
        "SELECT rootpage FROM sqlite_master WHERE name = 'label_class'"
    ).fetchone()[0]
    page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    connection.close()
    with path.open("r+b") as stream:
        stream.seek((root_page - 1) * page_size)
        stream.write(b"\xff" * page_size)  # the classes' table, read only when asked for
    with Project.open(path) as project, pytest.raises(DamagedProjectError) as raised:
        project.classes()
    assert str(raised.value) == (
        f"{path}: damaged Studio project (database disk image is malformed)"
    )


def test_a_sqlite_file_of_another_application_is_not_called_damaged(tmp_path: Path) -> None:
    path = tmp_path / "other.studio"
    connection = sqlite3.connect(path)
    with connection:
        connection.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT)")
    connection.close()
    data = bytearray(path.read_bytes())
    data[100:400] = b"\xff" * 300
    path.write_bytes(bytes(data))
    with pytest.raises(NotAProjectError) as raised:
        Project.open(path)
    assert str(raised.value) == f"{path}: not a Studio project (application_id 0x0)"


def test_a_studio_marked_file_without_a_schema_revision_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "half.studio"
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    connection.close()
    with pytest.raises(NotAProjectError, match="no schema revision"):
        Project.open(path)


def test_an_empty_file_is_not_a_project(tmp_path: Path) -> None:
    path = tmp_path / "empty.studio"
    path.write_bytes(b"")
    with pytest.raises(NotAProjectError):
        Project.open(path)
    assert path.read_bytes() == b""


def test_a_missing_file_is_reported_and_not_created(tmp_path: Path) -> None:
    path = tmp_path / "missing.studio"
    with pytest.raises(ProjectFileError, match="no such project file") as raised:
        Project.open(path)
    assert not isinstance(raised.value, NotAProjectError)
    assert not path.exists()


def test_a_folder_is_not_a_project_file(tmp_path: Path) -> None:
    with pytest.raises(ProjectFileError, match="no such project file"):
        Project.open(tmp_path)


def test_backup_name_carries_the_revision_and_time(tmp_path: Path) -> None:
    name = backup_path_for(tmp_path / "birds.studio", "0001").name
    prefix, stamp = name.rsplit("-0001-", 1)
    assert prefix == "birds.studio.backup"
    assert len(stamp) == len("20240101-120000")
    assert stamp[8] == "-"
    assert stamp.replace("-", "").isdigit()


def test_question_marks_and_hashes_in_folder_names(tmp_path: Path) -> None:
    """`?` and `#` must not be read as URL options, which would open another file."""
    folder = tmp_path / "what?is#this"
    folder.mkdir()
    path = folder / "p.studio"
    with Project.create(path) as project:
        project.add_classes(["cat"])
    with Project.open(path) as project:
        assert [c.name for c in project.classes()] == ["cat"]
    assert _names(tmp_path) == ["what?is#this"]
    assert _names(folder) == ["p.studio"]
