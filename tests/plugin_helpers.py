"""Plugins as Studio meets them in tests: installed distributions and project plugin folders
written as real files in tmp_path, and a fresh plugin manager per test."""

from __future__ import annotations

import logging
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.core.project_file import store_dir_of
from studio.core.user_config import CONFIG_DIR_ENV
from studio.plugins.manager import (
    NO_PLUGINS_ENV,
    PLUGIN_SET_ENV,
    TRACE_ENV,
    PluginSettings,
    StudioPlugins,
    use_plugins,
)

# A plugin that adds one label format and records the events it hears in `HEARD`.
FORMAT_PLUGIN = """
from studio.core.formats import LabelFormat
from studio.plugins import hookimpl

STUDIO_PLUGIN_API = 1
__version__ = "2.5"
HEARD = []


class TallyFormat(LabelFormat):
    name = "tally"
    title = "Tally sheet"


@hookimpl
def studio_label_formats():
    return [TallyFormat()]


@hookimpl
def studio_project_opened(project):
    HEARD.append(project)
"""


@pytest.fixture
def isolated_plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The user's config folder in tmp, plugin switches off, and the process's plugin manager
    restored after the test; yields the config folder."""
    config = tmp_path / "config"
    monkeypatch.setenv(CONFIG_DIR_ENV, str(config))
    for name in (NO_PLUGINS_ENV, TRACE_ENV, PLUGIN_SET_ENV):
        monkeypatch.delenv(name, raising=False)
    previous = use_plugins(None)
    logger = logging.getLogger("studio.plugins")
    handlers, level = list(logger.handlers), logger.level
    yield config
    use_plugins(previous)
    logger.handlers[:], logger.level = handlers, level  # as before the CLI added its own
    for name, module in list(sys.modules.items()):  # the plugin modules imported from tmp
        if str(getattr(module, "__file__", None) or "").startswith(str(tmp_path)):
            del sys.modules[name]


def install_distribution(
    site: Path, monkeypatch: pytest.MonkeyPatch, name: str, source: str, version: str = "1.0"
) -> Path:
    """An installed-looking distribution `name` whose module `name` (from `source`) is the
    entry point `name` in the group `studio.plugins`; `site` goes on sys.path."""
    site.mkdir(parents=True, exist_ok=True)
    dist_info = site / f"{name}-{version}.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8"
    )
    (dist_info / "entry_points.txt").write_text(
        f"[studio.plugins]\n{name} = {name}\n", encoding="utf-8"
    )
    module = site / f"{name}.py"
    module.write_text(textwrap.dedent(source), encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))
    return module


def write_project_plugin(project_path: Path, name: str, source: str) -> Path:
    """A plugin module in the project's own `NAME.studio.d/plugins/` folder."""
    folder = store_dir_of(project_path) / "plugins"
    folder.mkdir(parents=True, exist_ok=True)
    module = folder / f"{name}.py"
    module.write_text(textwrap.dedent(source), encoding="utf-8")
    return module


def fresh_manager(config: Path, **settings: object) -> StudioPlugins:
    """A loaded manager with the user's choices in `config`."""
    return StudioPlugins(PluginSettings(config_dir=config, **settings)).load()  # type: ignore[arg-type]
