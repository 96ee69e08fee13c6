"""Fixtures that keep the user's plugin choices out of reach (`isolated_plugin_config`,
autouse where imported) and give a test its own plugin manager with Studio's defaults
(`studio_plugins`). Import both in a conftest:
`from tests.plugin_fixtures import isolated_plugin_config, studio_plugins  # noqa: F401`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.plugins.manager import PluginSettings, StudioPlugins, use_plugins


@pytest.fixture(autouse=True)
def isolated_plugin_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user config folder of the test's own (the plugins' enabled/disabled choices)."""
    config = tmp_path / "config"
    monkeypatch.setenv("STUDIO_CONFIG_DIR", str(config))
    return config


@pytest.fixture
def studio_plugins(isolated_plugin_config: Path) -> Iterator[StudioPlugins]:
    """This process's plugins for the test: the defaults; register test plugins on it."""
    config = isolated_plugin_config
    manager = StudioPlugins(PluginSettings(third_party=False, config_dir=config)).load()
    previous = use_plugins(manager)
    yield manager
    use_plugins(previous)
