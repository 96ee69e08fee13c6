"""Each test runs against the plugins installed in this environment, with the user's config and
cache folders kept out of reach and no SAM 2.1 settings of the user's."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import studio_sam2
from studio_sam2.settings import CHECKPOINT_ENV, MODEL_ENV

from studio.plugins.manager import StudioPlugins, use_plugins

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def installed_plugins(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[StudioPlugins]:
    monkeypatch.setenv("STUDIO_CONFIG_DIR", str(tmp_path_factory.mktemp("config")))
    monkeypatch.setenv("STUDIO_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    for name in ("STUDIO_NO_PLUGINS", "STUDIO_PLUGIN_SET", CHECKPOINT_ENV, MODEL_ENV):
        monkeypatch.delenv(name, raising=False)
    manager = StudioPlugins().load()
    # Run from a checkout where `make setup` has not installed it yet: load it as pip would.
    if studio_sam2.ASSISTANT not in {info.name for info in manager.infos()}:
        manager.register(studio_sam2, studio_sam2.ASSISTANT, "installed")
    previous = use_plugins(manager)
    yield manager
    use_plugins(previous)
