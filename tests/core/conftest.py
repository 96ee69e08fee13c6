"""Fixtures of the core tests that open the project file as a worker would."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from studio.api import Project
from studio.core.database import Database
from studio.core.versions import VersionRecord, create_version
from tests.conftest import write_images


@pytest.fixture
def database(project: Project) -> Iterator[Database]:
    """A second connection pool on the project's file, as a worker or the CLI would open."""
    opened = Database(project.path)
    yield opened
    opened.close()


@pytest.fixture
def tagged_version(
    project: Project, database: Database, tmp_path: Path
) -> Callable[[int], VersionRecord]:
    """Freeze a version of `count` new images, tagged dog, cat, dog, ... and done."""

    def freeze(count: int) -> VersionRecord:
        project.add_classes(["cat", "dog"])
        project.import_media(write_images(tmp_path / "images", count, size=(24, 16)))
        ids = project.item_ids()
        project.add_annotations(
            {"item_id": item_id, "label": "cat" if n % 2 else "dog"}
            for n, item_id in enumerate(ids)
        )
        project.set_status(ids, "done")
        return create_version(database)

    return freeze
