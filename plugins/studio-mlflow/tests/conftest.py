"""Each test runs against the plugins installed in this environment (found through their entry
points, as Studio finds them), with the user's config and cache folders kept out of reach and no
tracking URI of the user's: runs go to the project's own MLflow store."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.api import Project
from studio.plugins.manager import StudioPlugins, use_plugins

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def installed_plugins(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[StudioPlugins]:
    monkeypatch.setenv("STUDIO_CONFIG_DIR", str(tmp_path_factory.mktemp("config")))
    monkeypatch.setenv("STUDIO_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    for name in (
        "STUDIO_NO_PLUGINS",
        "STUDIO_PLUGIN_SET",
        "STUDIO_MLFLOW_TRACKING_URI",
        "MLFLOW_TRACKING_URI",
    ):
        monkeypatch.delenv(name, raising=False)
    manager = StudioPlugins().load()
    previous = use_plugins(manager)
    yield manager
    use_plugins(previous)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    """A project whose 30 small images are tagged "dark" or "light", frozen as version v1.

    Shared by a module's tests (each makes its own runs) so that MLflow creates its SQLite
    store once.
    """
    from PIL import Image

    folder = tmp_path_factory.mktemp("mlflow-project")
    paths = []
    for index in range(30):
        path = folder / "images" / f"image_{index:02d}.png"
        path.parent.mkdir(exist_ok=True)
        Image.new("L", (32, 32), 30 + index if index % 2 else 200 + index).save(path)
        paths.append(path)
    with Project.create(folder / "shapes.studio", author="tester") as opened:
        opened.add_classes(["dark", "light"])
        opened.import_media(paths)
        by_name = {Path(item.path).name: item.id for item in opened.items()}
        opened.add_annotations(
            {"item_id": by_name[path.name], "label": "dark" if index % 2 else "light"}
            for index, path in enumerate(paths)
        )
        opened.set_status(list(by_name.values()), "done")
        opened.create_version()
        yield opened
