"""Fixtures of the training GUI tests: the tiny digits project, with or without a version."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.api import Project
from tests.gui.training import write_digits_project


@pytest.fixture
def digits_path(tmp_path: Path) -> Path:
    return write_digits_project(tmp_path)


@pytest.fixture
def digits(digits_path: Path) -> Iterator[Project]:
    with Project.open(digits_path, author="gui") as project:
        yield project


@pytest.fixture
def versioned(digits: Project) -> Project:
    digits.create_version()
    return digits
