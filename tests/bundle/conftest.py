"""Bundles built once per session (read-only: a test that alters one works on a copy)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.bundle.builders import (
    BuiltBundle,
    build_classification_bundle,
    build_detection_bundle,
)


@pytest.fixture(scope="session")
def classification_bundle(tmp_path_factory: pytest.TempPathFactory) -> BuiltBundle:
    return build_classification_bundle(tmp_path_factory.mktemp("bundles") / "classifier")


@pytest.fixture(scope="session")
def detection_bundle(tmp_path_factory: pytest.TempPathFactory) -> BuiltBundle:
    return build_detection_bundle(tmp_path_factory.mktemp("bundles") / "detector")


@pytest.fixture(scope="session")
def segmentation_bundle(tmp_path_factory: pytest.TempPathFactory) -> BuiltBundle:
    return build_detection_bundle(tmp_path_factory.mktemp("bundles") / "segmenter", with_masks=True)


@pytest.fixture
def copy_bundle(tmp_path: Path) -> Callable[[BuiltBundle], Path]:
    """Copy a session bundle into this test's folder, to alter it."""

    def copy(built: BuiltBundle) -> Path:
        target = tmp_path / f"copy-{built.folder.name}"
        shutil.copytree(built.folder, target)
        return target

    return copy
