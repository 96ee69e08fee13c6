"""Plugins in tests.

Fixtures: `isolated_plugin_config` keeps the user's plugin choices out of reach (autouse where
imported); `studio_plugins` gives a test its own plugin manager with Studio's defaults, to
register test plugins on; `parent_plugins` loads this process's plugins with chosen settings
(installed ones included), as a window or CLI process does before it starts workers. Import
them into a conftest or test module by assignment
(`studio_plugins = plugin_fixtures.studio_plugins`).

`install_plugin` installs a module as a plugin through an entry point, so a worker process
started with `studio.jobs.launcher.worker_environment()` finds it too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

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


@pytest.fixture
def parent_plugins(isolated_plugin_config: Path) -> Iterator[Callable[..., StudioPlugins]]:
    """`load(**settings)`: make this process's plugins, loaded with `PluginSettings(...)`."""
    previous = use_plugins(None)

    def load(**settings: Any) -> StudioPlugins:
        manager = StudioPlugins(PluginSettings(config_dir=isolated_plugin_config, **settings))
        use_plugins(manager.load())
        return manager

    yield load
    use_plugins(previous)


def install_plugin(site: Path, name: str, module: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Install `module` as the plugin `name` (a dist-info with a `studio.plugins` entry point
    in `site`), on this process's path and on the PYTHONPATH its workers get."""
    dist_info = site / f"{name.replace('-', '_')}-1.0.dist-info"
    dist_info.mkdir(parents=True, exist_ok=True)
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n", encoding="utf-8"
    )
    (dist_info / "entry_points.txt").write_text(
        f"[studio.plugins]\n{name} = {module}\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("PYTHONPATH", str(site))
    monkeypatch.delenv("STUDIO_PLUGIN_SET", raising=False)
    monkeypatch.delenv("STUDIO_NO_PLUGINS", raising=False)
