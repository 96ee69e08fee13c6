"""Fixtures of the Models view tests: the tiny digits project, frozen, with two finished runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.api import Project
from tests.gui.models import finished_run
from tests.gui.training import write_digits_project


@pytest.fixture
def digits_path(tmp_path: Path) -> Path:
    path = write_digits_project(tmp_path)
    with Project.open(path, author="tester") as project:
        project.create_version()
        finished_run(project, "first", accuracy=0.8)
        finished_run(project, "second", accuracy=0.95)
    return path


@pytest.fixture
def digits(digits_path: Path) -> Iterator[Project]:
    with Project.open(digits_path, author="gui") as project:
        yield project
