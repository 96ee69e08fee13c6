"""Fixtures shared by every test: real project files in tmp_path and real images."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.plugins.manager import PLUGIN_SET_ENV, use_plugins

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _isolated_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keep thumbnails and other caches, plugin choices and trusted plugin folders of every
    test out of the user's folders."""
    monkeypatch.setenv("STUDIO_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("STUDIO_CONFIG_DIR", str(tmp_path_factory.mktemp("config")))


@pytest.fixture(autouse=True)
def _no_installed_plugins(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Studio's own plugins only, in this process and in every CLI or worker it starts: the
    example plugins installed beside Studio (MLflow among them) are tested under plugins/, and
    a test about plugins builds the set it needs (tests/plugin_helpers.py)."""
    monkeypatch.setenv(PLUGIN_SET_ENV, "[]")
    use_plugins(None)
    yield
    use_plugins(None)


def write_images(
    folder: Path, count: int, size: tuple[int, int] = (64, 48), seed: int = 0
) -> list[Path]:
    """`count` distinct JPEG photographs-like images (seeded noise over a gradient)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    width, height = size
    gradient = np.linspace(0, 200, width, dtype=np.float32)[None, :, None]
    paths = []
    for index in range(count):
        noise = rng.integers(0, 55, size=(height, width, 3)).astype(np.float32)
        pixels = np.clip(gradient + noise, 0, 255).astype(np.uint8)
        path = folder / f"image_{index:04d}.jpg"
        Image.fromarray(pixels).save(path, quality=90)
        paths.append(path)
    return paths


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "images"
    write_images(folder, 6)
    return folder


@pytest.fixture
def project(tmp_path: Path) -> Iterator:
    from studio.api import Project

    with Project.create(tmp_path / "test.studio", author="tester") as opened:
        yield opened


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The common umask, 0o022, for the test (restored after): new folders 0o755, files 0o644."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def modes(folder: Path) -> set[tuple[str, int]]:
    """("dir" or "file", permission bits) of `folder` and of everything in it."""
    return {
        ("dir" if path.is_dir() else "file", path.stat().st_mode & 0o777)
        for path in [folder, *folder.rglob("*")]
    }


@pytest.fixture(scope="session")
def trained_digits(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """150 digits with a tiny classifier trained on them for one epoch (a real best.pt),
    shared by the tests of the map of the data, which only read it."""
    from tests.jobs.projects import as_every_test_runs, trained_digits_project

    with as_every_test_runs(tmp_path_factory):
        folder = tmp_path_factory.mktemp("trained-digits")
        return trained_digits_project(folder, count=150, epochs=1)


@pytest.fixture(scope="session")
def registered_digits(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60 digits with a tiny classifier, run "tiny", registered as digits:1 (alias
    production), built once per session in this process: copy it
    (`tests.jobs.projects.copy_of`) before changing it."""
    from tests.jobs.projects import as_every_test_runs, registered_digits_project

    with as_every_test_runs(tmp_path_factory):
        return registered_digits_project(tmp_path_factory.mktemp("registered-digits"))
