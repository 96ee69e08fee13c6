"""Every API test gets a plugin manager of its own: Studio's defaults and whatever the test
registers or trusts, never the plugins installed in the environment, and a config folder in
tmp_path (trusted folders, enabled plugins), never the user's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.core.user_config import CONFIG_DIR_ENV
from studio.plugins.manager import PluginSettings, StudioPlugins, use_plugins


@pytest.fixture(autouse=True)
def studio_plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[StudioPlugins]:
    config = tmp_path / "config"
    monkeypatch.setenv(CONFIG_DIR_ENV, str(config))
    # only=(): the exact set of installed plugins to load is none; project folders still load.
    manager = StudioPlugins(PluginSettings(only=(), config_dir=config)).load()
    previous = use_plugins(manager)
    yield manager
    use_plugins(previous)
