"""Each test runs against the plugins installed in this environment (found through their entry
points, as Studio finds them), with the user's config and cache folders kept out of reach."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.plugins.manager import StudioPlugins, use_plugins

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def installed_plugins(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[StudioPlugins]:
    monkeypatch.setenv("STUDIO_CONFIG_DIR", str(tmp_path_factory.mktemp("config")))
    monkeypatch.setenv("STUDIO_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    for name in ("STUDIO_NO_PLUGINS", "STUDIO_PLUGIN_SET"):
        monkeypatch.delenv(name, raising=False)
    manager = StudioPlugins().load()
    previous = use_plugins(manager)
    yield manager
    use_plugins(previous)


@pytest.fixture
def photographs(tmp_path: Path) -> list[Path]:
    """Three real photographs from scikit-image, as JPEG and PNG files."""
    from PIL import Image
    from skimage import data

    folder = tmp_path / "photos"
    folder.mkdir()
    paths = []
    for name, suffix in (("astronaut", ".jpg"), ("coffee", ".jpg"), ("chelsea", ".png")):
        path = folder / f"{name}{suffix}"
        Image.fromarray(getattr(data, name)()).save(path)
        paths.append(path)
    return paths
