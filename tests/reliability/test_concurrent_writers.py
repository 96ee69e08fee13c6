"""Several processes on one project: writers queue instead of failing, readers never block.

The children are `writer_child.py` processes using the production API.
"""

from __future__ import annotations

import itertools
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from studio.api import Project
from studio.core.database import open_sqlite
from tests.reliability.children import make_template, spawn, wait_for_line
from tests.reliability.writer_child import writer_box

EDITS_PER_WRITER = 1000
CHILD_TIMEOUT_S = 300


@dataclass
class Writer:
    author: str
    process: subprocess.Popen
    log: Path
    errors: Path

    def finish(self) -> dict[int, int]:
        """Wait for the end; returns {annotation id: edit index} of the acknowledged edits."""
        self.process.wait(CHILD_TIMEOUT_S)
        errors = self.errors.read_text()
        assert self.process.returncode == 0, errors
        assert "locked" not in errors
        lines = self.log.read_text().splitlines()
        assert lines[0] == "ready"
        assert lines[-1] == "done"
        acknowledged = {}
        for line in lines[1:-1]:
            _, index, annotation_id = line.split()
            acknowledged[int(annotation_id)] = int(index)
        return acknowledged


@pytest.fixture
def template(tmp_path: Path) -> tuple[Path, list[int]]:
    return make_template(tmp_path, image_count=5)


def start_writer(project: Path, author: str, count: int, go_file: Path) -> Writer:
    log, errors = project.with_name(f"{author}.out"), project.with_name(f"{author}.err")
    with log.open("w") as out, errors.open("w") as err:
        process = spawn("writer_child.py", project, author, count, go_file, stdout=out, stderr=err)
    return Writer(author, process, log, errors)


def history_authors(path: Path) -> list[str]:
    connection = sqlite3.connect(str(path))
    try:
        return [row[0] for row in connection.execute("SELECT author FROM history ORDER BY id")]
    finally:
        connection.close()


def test_two_processes_write_1000_edits_each_at_once(
    template: tuple[Path, list[int]], tmp_path: Path
) -> None:
    path, item_ids = template
    go_file = tmp_path / "go"
    writers = [start_writer(path, name, EDITS_PER_WRITER, go_file) for name in ("alice", "bob")]
    for writer in writers:
        wait_for_line(writer.log, "ready", writer.process, writer.errors)
    go_file.touch()
    acknowledged = {writer.author: writer.finish() for writer in writers}

    with Project.open(path) as project:
        stored = [record for item_id in item_ids for record in project.annotations(item_id)]
    assert len(stored) == 2 * EDITS_PER_WRITER
    for writer in writers:
        mine = {record.id: record for record in stored if record.author == writer.author}
        edits = acknowledged[writer.author]
        assert set(mine) == set(edits)
        assert sorted(edits.values()) == list(range(EDITS_PER_WRITER))
        for annotation_id, index in edits.items():
            assert mine[annotation_id].geometry == writer_box(index)
            assert mine[annotation_id].item_id == item_ids[index % len(item_ids)]
    authors = history_authors(path)
    assert authors[:2] == ["template", "template"]  # the classes, the import
    assert sorted(authors[2:]) == ["alice"] * EDITS_PER_WRITER + ["bob"] * EDITS_PER_WRITER
    # They ran at the same time and neither starved: their entries interleave. (With only
    # SQLite's backing-off busy handler, one writer ran all its edits before the other.)
    switches = sum(first != second for first, second in itertools.pairwise(authors[2:]))
    assert switches >= 10


def test_a_process_sees_another_process_commit(
    template: tuple[Path, list[int]], tmp_path: Path
) -> None:
    path, item_ids = template
    go_file = tmp_path / "go"
    go_file.touch()
    with Project.open(path) as project:
        assert project.poll_changes() is False  # takes the reference
        assert project.poll_changes() is False
        annotation_id = next(iter(start_writer(path, "other", 1, go_file).finish()))
        assert project.poll_changes() is True
        assert [record.id for record in project.annotations(item_ids[0])] == [annotation_id]
        assert project.poll_changes() is False


def test_a_long_reader_does_not_block_a_writer(
    template: tuple[Path, list[int]], tmp_path: Path
) -> None:
    path, _ = template
    go_file = tmp_path / "go"
    go_file.touch()
    reader = open_sqlite(path)
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM annotation").fetchone() == (0,)
    edits = start_writer(path, "writer", 50, go_file).finish()  # while the read is open
    assert len(edits) == 50
    assert reader.execute("SELECT count(*) FROM annotation").fetchone() == (0,)  # snapshot
    reader.execute("COMMIT")
    assert reader.execute("SELECT count(*) FROM annotation").fetchone() == (50,)
    reader.close()
